"""protocol.check_request, the one request validator: a message's shape, before the daemon looks at it."""

from __future__ import annotations

from typing import Any

import pytest

from hostbridge import protocol as P


def run(**fields: Any) -> dict[str, Any]:
    header = P.make_header(P.RUN, "r1", task="exposure", params={},
                           inputs={"plate": [{"where": "part", "part": 0, "shape": [2, 3, 3], "dtype": "float32"}]})
    header.update(fields)
    return header


def test_a_well_formed_run_passes() -> None:
    P.check_request(run(), n_parts=1, max_bytes=1 << 20, max_side=64)
    P.check_request(run(encode="exr", reply_shm={"size": 1}), n_parts=1)  # reply_shm is unused when encoding
    P.check_request(P.make_header(P.PING, "p1"))


@pytest.mark.parametrize(("header", "n_parts", "code", "words"), [
    (run(), 0, "bad_frame", "does not name one of the 0"),
    (run(), 2, "bad_frame", "wrong part count"),
    (run(inputs={"plate": {"where": "part"}}), 1, "bad_frame", "lists of frame descriptors"),
    (run(inputs={"plate": [{"where": "cloud"}]}), 1, "bad_frame", "cloud"),
    (run(encode="gif"), 1, "bad_message", "gif"),
    (run(reply_shm={"size": 4}), 1, "bad_message", "reply_shm"),
    (run(inputs={"plate": [{"where": "part", "part": 0, "shape": [100, 3, 3], "dtype": "float32"}]}), 1,
     "frame_too_large", "64-pixel"),
    (run(colour="red"), 1, "bad_message", "colour"),
    (P.make_header(P.PING, "p1"), 1, "bad_frame", "no buffer parts"),
    (P.make_header("frobnicate", "f1"), 0, "unknown_type", "frobnicate"),
])
def test_each_shape_problem_is_named(header: dict[str, Any], n_parts: int, code: str, words: str) -> None:
    with pytest.raises(P.ProtocolError, match=words) as caught:
        P.check_request(header, n_parts=n_parts, max_bytes=1 << 20, max_side=64)
    assert caught.value.code == code and code in P.ERROR_CODES
