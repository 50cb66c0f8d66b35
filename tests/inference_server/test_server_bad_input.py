"""Malformed requests against a real daemon: each gets a typed error naming the problem,
while a second, well-behaved client keeps getting correct answers throughout."""

from __future__ import annotations

import itertools
import threading
import time
from multiprocessing import shared_memory
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
import zmq

from hostbridge import Client
from hostbridge.protocol import PROTOCOL_VERSION


class Raw:
    """A bare DEALER socket for sending hand-made multipart messages."""

    def __init__(self, url: str) -> None:
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(url)

    def send(self, parts: list[bytes]) -> None:
        self.sock.send_multipart(parts)

    def final(self, rid: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The first reply that ends the request (skipping accepted/progress)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.sock.poll(100):
                continue
            header = msgpack.unpackb(self.sock.recv_multipart()[0], raw=False)
            if rid is not None and header.get("id") not in (rid, "unknown"):
                continue
            if header["type"] in ("accepted", "progress", "frame"):
                continue
            return dict(header)
        raise AssertionError("no reply within the timeout")

    def close(self) -> None:
        self.sock.close()


_IDS = itertools.count()


def hdr(**fields: Any) -> bytes:
    rid = fields.pop("id", None) or f"r{next(_IDS)}"
    base: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": "run", "id": rid}
    base.update(fields)
    return msgpack.packb({k: v for k, v in base.items() if v is not ...}, use_bin_type=True)


def frame_desc(shape: list[int] = [2, 3, 3], dtype: str = "float32", **extra: Any) -> dict[str, Any]:  # noqa: B006
    d: dict[str, Any] = {"shape": shape, "dtype": dtype, "layout": "HWC", "number": 1, "where": "part", "part": 0}
    d.update(extra)
    return d


def run_hdr(desc: Any = None, params: Any = None, task: str = "exposure", rid: str = "", **extra: Any) -> bytes:
    inputs = {"plate": [desc if desc is not None else frame_desc()]}
    return hdr(id=rid, task=task, params=params if params is not None else {"stops": 1.0}, inputs=inputs, **extra)


GOOD = np.ones((2, 3, 3), np.float32).tobytes()
NAN = np.full((2, 3, 3), np.nan, np.float32).tobytes()
INF = np.full((2, 3, 3), np.inf, np.float32).tobytes()


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# (name, parts, expected code, words the detail must contain)
CASES: list[tuple[str, list[bytes], str, str]] = [
    ("not msgpack", [b"\xc1\xc1garbage"], "bad_message", "msgpack"),
    ("truncated header", [run_hdr()[:-7], GOOD], "bad_message", "msgpack"),
    ("header is a list", [msgpack.packb([1, 2, 3])], "bad_message", "map"),
    ("empty header part", [b""], "bad_message", "msgpack"),
    ("no version", [msgpack.packb({"type": "ping", "id": "x"})], "unsupported_version", "version"),
    ("wrong version", [hdr(v=99, type="ping")], "unsupported_version", "99"),
    ("no type", [msgpack.packb({"v": 1, "id": "x"})], "bad_message", "type"),
    ("unknown type", [hdr(type="frobnicate")], "unknown_type", "frobnicate"),
    ("no id", [msgpack.packb({"v": 1, "type": "ping"})], "bad_message", "id"),
    ("id too long", [hdr(type="ping", id="x" * 100)], "bad_message", "id"),
    ("non-text map key", [msgpack.packb({1: 2, "v": 1})], "bad_message", "msgpack"),
    ("deeply nested", [hdr(type="ping", token=nested(40))], "bad_message", "deeper"),
    ("huge value", [hdr(type="ping", token="x" * (2 << 20))], "bad_message", "limit"),
    ("run without task", [hdr(inputs={})], "bad_message", "task"),
    ("unknown task", [run_hdr(task="teleport"), GOOD], "unknown_task", "teleport"),
    ("extra field", [run_hdr(colour="red"), GOOD], "bad_message", "colour"),
    ("params not a map", [run_hdr(params=[1]), GOOD], "bad_message", "params"),
    ("unknown param", [run_hdr(params={"gain": 2}), GOOD], "bad_params", "gain"),
    ("param out of range", [run_hdr(params={"stops": 99.0}), GOOD], "bad_params", "maximum"),
    ("param wrong type", [run_hdr(params={"stops": "two"}), GOOD], "bad_params", "number"),
    ("missing input", [hdr(task="exposure", inputs={})], "bad_input", "plate"),
    ("unknown input", [hdr(task="exposure", inputs={"plate": [frame_desc()], "mask": []}), GOOD], "bad_input", "mask"),
    ("missing part", [run_hdr()], "bad_frame", "part"),
    ("extra part", [run_hdr(), GOOD, GOOD], "bad_frame", "part count"),
    ("length mismatch", [run_hdr(), GOOD[:-4]], "bad_frame", "needs"),
    ("unsupported dtype", [run_hdr(frame_desc(dtype="float64")), GOOD], "bad_frame", "float64"),
    ("zero dimension", [run_hdr(frame_desc(shape=[0, 3, 3])), b""], "bad_frame", "zero or negative"),
    ("negative dimension", [run_hdr(frame_desc(shape=[-2, 3, 3])), GOOD], "bad_frame", "zero or negative"),
    ("two-element shape", [run_hdr(frame_desc(shape=[2, 9])), GOOD], "bad_frame", "[H, W, C]"),
    ("five channels", [run_hdr(frame_desc(shape=[2, 3, 5])), GOOD], "bad_frame", "channels"),
    ("over size limit", [run_hdr(frame_desc(shape=[100000, 100000, 4])), GOOD], "frame_too_large", "limit"),
    ("unknown where", [run_hdr(frame_desc(where="cloud")), GOOD], "bad_frame", "where"),
    ("planar layout", [run_hdr(frame_desc(layout="CHW")), GOOD], "bad_frame", "layout"),
    ("number not integer", [run_hdr(frame_desc(number="one")), GOOD], "bad_frame", "number"),
    ("path outside the roots (reads the same whether it exists or not)",
     [run_hdr({"where": "path", "path": "/nonexistent/plate.1001.exr", "number": 1})],
     "bad_frame", "not readable through this daemon"),
    ("missing shm segment", [run_hdr(frame_desc(where="shm", shm={"name": "rushes_nope_0", "offset": 0}))],
     "shm_unregistered", "rushes_nope_0"),
    ("NaN pixels", [run_hdr(), NAN], "bad_pixels", "NaN"),
    ("Inf pixels", [run_hdr(), INF], "bad_pixels", "infinite"),
    ("garbage EXR bytes", [run_hdr({"where": "encoded", "encoded": {"format": "exr", "part": 0}, "number": 7}),
                           b"not an exr"], "bad_frame", "cannot read"),
    ("unknown job status", [hdr(type="status", job="nope")], "not_found", "nope"),
    ("parts on ping", [hdr(type="ping"), GOOD], "bad_frame", "no buffer parts"),
    ("bad encode name", [run_hdr(encode="gif"), GOOD], "bad_message", "gif"),
]


@pytest.fixture
def good_client(daemon: str) -> Any:
    """A well-behaved client running exposure requests in a loop, checking every answer."""
    stop = threading.Event()
    results: dict[str, Any] = {"ok": 0, "errors": []}

    def loop() -> None:
        with Client(daemon, timeout=10.0) as c:
            plate = np.full((8, 8, 3), 0.25, np.float32)
            while not stop.is_set():
                try:
                    out = c.run("exposure", {"plate": [plate]}, {"stops": 2.0})
                    value = out.frames["result"][0].array()
                    if not np.allclose(value, 1.0):
                        results["errors"].append(f"wrong value {value.ravel()[:3]}")
                    results["ok"] += 1
                except Exception as exc:  # recorded and asserted on below
                    results["errors"].append(repr(exc))

    thread = threading.Thread(target=loop)
    thread.start()
    yield results
    stop.set()
    thread.join(30)


def test_malformed_requests_get_typed_errors_while_others_are_served(daemon: str, good_client: Any) -> None:
    assert len(CASES) >= 30
    raw = Raw(daemon)
    failures = []
    for name, parts, code, words in CASES:
        raw.send(parts)
        reply = raw.final()
        if reply.get("type") != "error" or reply.get("code") != code or words not in reply.get("detail", ""):
            failures.append(f"{name}: got {reply}")
        assert reply.get("retryable") is False, name
    raw.close()
    time.sleep(0.5)
    assert failures == []
    assert good_client["errors"] == []
    assert good_client["ok"] >= 5


def register(raw: Raw, seg: shared_memory.SharedMemory) -> None:
    """Prove ownership of ``seg`` as hostbridge's Client does: a secret at its start, named in a hello."""
    import secrets

    secret = secrets.token_bytes(16)
    assert seg.buf is not None
    seg.buf[:16] = secret
    raw.send([hdr(type="hello", segments=[{"name": seg.name, "secret": secret.hex()}])])
    assert raw.final()["segments"] == [seg.name]


def test_shm_segment_too_small(daemon: str) -> None:
    seg = shared_memory.SharedMemory(create=True, size=16)
    try:
        raw = Raw(daemon)
        register(raw, seg)
        raw.send([run_hdr(frame_desc(where="shm", shm={"name": seg.name, "offset": 0}))])
        reply = raw.final()
        assert reply["code"] == "shm_error" and "too small" in reply["detail"]
    finally:
        seg.close()
        seg.unlink()


def test_path_frame_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    from inference_server.codec import encode_pixels
    from tests.conftest import DaemonProcess

    big = tmp_path / "big.exr"
    big.write_bytes(encode_pixels(np.zeros((64, 300, 3), np.float16), "exr"))
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_MAX_FRAME_SIDE": "256",
                                                  "RUSHES_PLATE_ROOTS": str(tmp_path)}).start()
    try:
        raw = Raw(proc.url)
        raw.send([run_hdr({"where": "path", "path": str(big), "number": 3})])
        reply = raw.final()
        assert reply["code"] == "frame_too_large" and "300x64x3" in reply["detail"]
        raw.close()
    finally:
        proc.stop()


def test_reused_request_id_is_refused(daemon: str) -> None:
    raw = Raw(daemon)
    raw.send([run_hdr(rid="same-id"), GOOD])
    assert raw.final("same-id")["type"] == "result"
    raw.send([run_hdr(rid="same-id"), GOOD])
    reply = raw.final("same-id")
    assert reply["code"] == "duplicate_request" and "same-id" in reply["detail"]


def test_nan_allowed_where_the_task_says_so(daemon: str) -> None:
    with Client(daemon) as c:
        plate = np.full((2, 2, 1), np.nan, np.float32)
        out = c.run("echo", {"plate": [plate]})
        assert np.isnan(out.frames["result"][0].array()).all()
