"""Random bytes and random valid-looking headers at the decoder: no crash, no hang."""

from __future__ import annotations

import time
from typing import Any

import msgpack
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from hostbridge import Client
from hostbridge import protocol as P

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(), st.text(max_size=20),
                    st.binary(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=30)
descriptors = st.fixed_dictionaries({
    "shape": st.one_of(st.lists(st.integers(-3, 70000), min_size=0, max_size=4), values),
    "dtype": st.sampled_from(["uint8", "uint16", "float16", "float32", "float64", "", None]),
    "where": st.sampled_from(["part", "shm", "encoded", "path", "cloud"]),
}, optional={"part": st.integers(-2, 3), "number": values, "layout": st.sampled_from(["HWC", "CHW"]),
             "shm": values, "path": values, "encoded": values, "colour_space": values})
headers = st.fixed_dictionaries({
    "v": st.sampled_from([1, 1, 1, 0, 2, "1", None]),
    "type": st.sampled_from(list(P.REQUEST_TYPES) + ["nope", ""]),
    "id": st.one_of(st.text(min_size=1, max_size=10), st.integers(-2**63, 2**63 - 1)),
}, optional={"task": st.sampled_from(["exposure", "echo", "nope"]), "params": values,
             "inputs": st.dictionaries(st.sampled_from(["plate", "x"]), st.lists(descriptors, max_size=3), max_size=2),
             "job": values, "encode": values, "extra": values})


def decode_all(data: bytes, n_parts: int) -> None:
    """What the daemon's loop does before queueing; only ProtocolError may escape."""
    try:
        header = P.decode_header(data)
        P.check_request(header)
        for items in (header.get("inputs") or {}).values():
            for d in items:
                P.check_descriptor(d, P.WHERE, n_parts, 1 << 30, 16384)
    except P.ProtocolError as exc:
        assert exc.code in P.ERROR_CODES and exc.detail


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    decode_all(data, 0)


@settings(max_examples=400, deadline=None)
@given(headers, st.integers(0, 3))
def test_random_valid_looking_headers(header: dict[str, Any], n_parts: int) -> None:
    decode_all(msgpack.packb(header, use_bin_type=True), n_parts)


def test_daemon_survives_a_burst_of_random_messages(daemon: str) -> None:
    import random

    rng = random.Random(7)
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(daemon)
    kinds = [*P.REQUEST_TYPES, "nope"]
    examples = [{"v": rng.choice([1, 1, 2]), "type": rng.choice(kinds), "id": f"f{i}",
                 rng.choice(["task", "inputs", "params", "job", "x"]): rng.choice([None, 1, "exposure", [], {}, {"plate": [{}]}])}
                for i in range(60)]
    for header in examples:
        parts = [msgpack.packb(header, use_bin_type=True)] + [rng.randbytes(rng.randint(0, 64)) for _ in range(rng.randint(0, 2))]
        sock.send_multipart(parts)
    for _ in range(60):
        sock.send_multipart([rng.randbytes(rng.randint(0, 200))])
    replies = 0
    end = time.monotonic() + 20
    while time.monotonic() < end and replies < 120:
        if sock.poll(200):
            sock.recv_multipart()
            replies += 1
    sock.close()
    assert replies >= 120  # every message was answered (errors, mostly)
    with Client(daemon) as c:
        assert c.ping() < 1.0
