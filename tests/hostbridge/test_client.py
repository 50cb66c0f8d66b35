"""The client against a real daemon: retries, progress, cancel, busy, encoded replies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Busy, Cancelled, Client, DaemonUnavailable
from hostbridge.errors import BadParams, Unauthorized, UnknownTask
from hostbridge.frames import array_frame, encoded_frame
from tests.conftest import DaemonProcess, free_port


def test_roundtrip_over_shared_memory_and_parts(daemon: str) -> None:
    plate = np.random.default_rng(1).random((16, 24, 4), dtype=np.float32).astype(np.float16)
    for use_shm in (True, False):
        with Client(daemon, use_shm=use_shm) as c:
            assert c.hello()["same_host"] is use_shm
            res = c.run("exposure", {"plate": [array_frame(plate, 1001, "ACEScg")]}, {"stops": -1.0})
            out = res.frames["result"][0]
            assert (out.number, out.colour_space, out.dtype, out.shape) == (1001, "ACEScg", "float16", (16, 24, 4))
            np.testing.assert_array_equal(out.array(), (plate.astype(np.float32) * 0.5).astype(np.float16))
            assert res.summary == {"frames": 1, "stops": -1.0}


def test_encoded_exr_in_and_out(daemon: str, tmp_path: Path) -> None:
    from inference_server.codec import decode_bytes, encode_pixels

    plate = np.linspace(0, 1, 8 * 8 * 3, dtype=np.float32).reshape(8, 8, 3).astype(np.float16)
    with Client(daemon) as c:
        res = c.run("exposure", {"plate": [encoded_frame(encode_pixels(plate, "exr"), "exr", 7)]},
                    {"stops": 1.0}, encode="exr")
    out = res.frames["result"][0]
    assert out.encoded == "exr" and bytes(out.data[:4]) == b"\x76\x2f\x31\x01"  # the EXR magic number
    np.testing.assert_allclose(decode_bytes(bytes(out.data), "exr"), plate.astype(np.float32) * 2, rtol=1e-3)


def test_typed_errors(daemon: str) -> None:
    with Client(daemon) as c:
        with pytest.raises(UnknownTask, match="teleport"):
            c.run("teleport", {"plate": [np.zeros((2, 2, 3), np.float32)]})
        with pytest.raises(BadParams, match="stops"):
            c.run("exposure", {"plate": [np.zeros((2, 2, 3), np.float32)]}, {"stops": "lots"})
        assert {t["name"] for t in c.list_tasks()} >= {"exposure", "echo"}


def test_progress_and_cancel(daemon: str) -> None:
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, _msg: str) -> bool:
        seen.append((done, total))
        return done < 2

    plates = [np.zeros((4, 4, 3), np.float32)] * 20
    with Client(daemon) as c:
        t0 = time.monotonic()
        with pytest.raises(Cancelled):
            c.run("echo", {"plate": plates}, {"delay": 0.2}, on_progress=progress)
        assert time.monotonic() - t0 < 3.0  # 20 frames x 0.2 s would be 4 s
        assert (2, 20) in seen
        assert c.ping() < 1.0  # and the daemon is still serving


def test_retry_after_kill_9(tmp_path: Path) -> None:
    """The daemon dies while the client waits; once restarted, the client's retry succeeds."""
    port = free_port()
    first = DaemonProcess(tmp_path / "a", port=port).start()
    c = Client(first.url, timeout=2.0, retries=6)
    c.hello()
    assert first.proc is not None
    os.kill(first.proc.pid, signal.SIGSTOP)  # the request will sit unanswered...
    result: dict[str, object] = {}

    def call() -> None:
        try:
            res = c.run("exposure", {"plate": [np.full((4, 4, 3), 0.25, np.float32)]}, {"stops": 2.0})
            result["value"] = float(res.frames["result"][0].array()[0, 0, 0])
        except Exception as exc:  # asserted below
            result["error"] = exc

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.5)
    first.kill()  # ...until the daemon is killed outright
    second = DaemonProcess(tmp_path / "b", port=port).start()
    thread.join(60)
    c.close()
    second.stop()
    assert result == {"value": 1.0}


def test_nothing_listening_says_how_to_start() -> None:
    with Client(f"tcp://127.0.0.1:{free_port()}", timeout=0.3, retries=1) as c:
        with pytest.raises(DaemonUnavailable, match="rushes serve"):
            c.ping()


def test_busy_when_the_queue_is_full(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path, extra=["--queue-size", "1"]).start()
    try:
        slow = threading.Thread(target=lambda: Client(proc.url).run(
            "echo", {"plate": [np.zeros((2, 2, 1), np.float32)] * 3}, {"delay": 0.5}))
        slow.start()
        time.sleep(0.5)  # one job running; fill the queue with another
        filler = threading.Thread(target=lambda: Client(proc.url).run(
            "echo", {"plate": [np.zeros((2, 2, 1), np.float32)]}, {"delay": 0.1}))
        filler.start()
        time.sleep(0.3)
        with Client(proc.url, retries=0) as c:
            with pytest.raises(Busy, match="queue is full") as err:
                c.run("echo", {"plate": [np.zeros((2, 2, 1), np.float32)]})
            assert err.value.retryable
        with Client(proc.url, retries=8) as c:  # retrying a retryable error gets through
            assert c.run("echo", {"plate": [np.ones((2, 2, 1), np.float32)]}).summary == {"frames": 1}
        slow.join(10)
        filler.join(10)
    finally:
        proc.stop()


def test_first_sigterm_finishes_the_job_in_hand(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path).start()
    got: dict[str, object] = {}

    def call() -> None:
        with Client(proc.url, timeout=10) as c:
            got["summary"] = c.run("echo", {"plate": [np.zeros((2, 2, 1), np.float32)] * 4}, {"delay": 0.3}).summary

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.4)
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGTERM)
    thread.join(20)
    assert got["summary"] == {"frames": 4}
    assert proc.proc.wait(10) == 0


def test_second_sigterm_stops_at_once(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path).start()
    threading.Thread(target=lambda: _ignore(lambda: Client(proc.url, timeout=5, retries=0).run(
        "echo", {"plate": [np.zeros((2, 2, 1), np.float32)] * 50}, {"delay": 1.0})), daemon=True).start()
    time.sleep(0.5)
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(10) == 0
    assert time.monotonic() - t0 < 5.0


def _ignore(fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except Exception:
        pass


def test_token_required_beyond_loopback(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "inference_server.cli", "serve", "--listen", f"tcp://0.0.0.0:{free_port()}",
           "--store", str(tmp_path)]
    env = dict(os.environ, RUSHES_CONFIG=str(tmp_path / "none.toml"))
    env.pop("RUSHES_TOKEN", None)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
    assert out.returncode == 2 and "refusing to listen on tcp://0.0.0.0" in out.stderr

    proc = DaemonProcess(tmp_path / "t", env={"RUSHES_TOKEN": "s3cret"}).start()
    try:
        with Client(proc.url, token="wrong", retries=0) as c:
            with pytest.raises(Unauthorized, match="token"):
                c.ping()
        with Client(proc.url, token="s3cret") as c:
            assert c.ping() < 1.0
    finally:
        proc.stop()


def test_shared_frames_cross_without_a_copy(daemon: str) -> None:
    with Client(daemon) as c:
        c.hello()
        frame = c.shared_frame((8, 8, 4), "float16")
        frame[:] = 0.5
        descs, parts, nbytes = c._pack_inputs({"plate": [frame]})
        assert parts == [] and nbytes == 0 and descs["plate"][0]["where"] == "shm"
        out = c.run("exposure", {"plate": [frame]}, {"stops": 1.0}).frames["result"][0]
        assert out.array().dtype == np.float16 and float(out.array()[3, 3, 2]) == 1.0
