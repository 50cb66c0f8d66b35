"""Items 3 and 4 of issue 15: every frame reaches the client exactly once, whatever the reader's pace."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.frames import FrameOut, array_frame
from tests.conftest import DaemonProcess


def _frames(n: int, side: int = 2) -> list[object]:
    return [array_frame(np.full((side, side, 3), i, np.float32), i) for i in range(n)]


def test_a_job_retried_after_a_daemon_restart_delivers_each_frame_once(daemon_process: DaemonProcess) -> None:
    calls: Counter[int] = Counter()
    restarted = threading.Event()

    def restart() -> None:
        daemon_process.kill()
        daemon_process.start()
        restarted.set()

    def on_frame(_name: str, out: FrameOut) -> None:
        calls[out.number] += 1
        assert float(np.asarray(out.array())[0, 0, 0]) == out.number
        if sum(calls.values()) == 6 and not restarted.is_set():
            threading.Thread(target=restart).start()

    with Client(daemon_process.url, timeout=1.5, retries=4, give_up=60.0) as c:
        res = c.run("echo", {"plate": _frames(30)}, {"delay": 0.05}, on_frame=on_frame)
    assert restarted.is_set()
    assert res.summary == {"frames": 30}
    assert sorted(calls) == list(range(30))
    assert sum(calls.values()) == 30, f"on_frame was called {sum(calls.values())} times for 30 frames"


def test_a_paused_reader_loses_no_frame_and_gets_its_result(daemon_process: DaemonProcess) -> None:
    n = 2500
    calls: Counter[int] = Counter()
    pings: list[float] = []

    def ping_meanwhile() -> None:
        with Client(daemon_process.url, timeout=5.0, retries=0) as other:
            end = time.monotonic() + 5.0
            while time.monotonic() < end:
                pings.append(other.ping())
                time.sleep(0.1)

    def on_frame(_name: str, out: FrameOut) -> None:
        calls[out.number] += 1
        if len(calls) == 1:  # the host is busy for a while (a modal dialog, a slow disk): it reads nothing
            pinger = threading.Thread(target=ping_meanwhile)
            pinger.start()
            time.sleep(8.0)
            pinger.join()

    with Client(daemon_process.url, timeout=10.0, retries=0, use_shm=False) as c:  # 48 KB message parts
        res = c.run("echo", {"plate": _frames(n, 64)}, on_frame=on_frame)
    assert res.summary == {"frames": n}
    assert len(calls) == n and set(calls.values()) == {1}, f"{len(calls)} distinct frames of {n} arrived"
    assert pings and max(pings) < 1.0, f"other clients waited up to {max(pings):.2f} s for a ping"


def test_staged_outputs_become_final_together_and_only_once(tmp_path: Path) -> None:
    import socket
    import subprocess

    from inference_server import media
    from inference_server.cli.outputs import PREFIX, StagedOutputs

    old = tmp_path / "shot.1001.png"
    media.write_image(old, np.full((4, 4, 3), 7, np.uint8))  # a frame of an earlier render
    paths = [str(tmp_path / f"shot.{n}.png") for n in (1001, 1002)]
    with pytest.raises(RuntimeError):
        with StagedOutputs() as staged:
            staged.write(paths[0], np.zeros((4, 4, 3), np.uint8), None, 1001)
            raise RuntimeError("the render failed half way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.1001.png"]  # nothing new, no staging left
    assert int(media.read_image(old).max()) == 7

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{PREFIX}{socket.gethostname()}-{dead.pid}-abcdef"
    stale.mkdir()
    (stale / "shot.1003.png").write_bytes(b"left by a killed render")
    with StagedOutputs() as staged:
        staged.prepare(paths[0])
        assert not stale.exists(), "a killed command's staging folder was kept"
        for n, path in zip((1001, 1002), paths, strict=True):
            staged.write(path, np.full((4, 4, 3), n % 256, np.uint8), None, n)
        staged.write(paths[0], np.full((4, 4, 3), 1001 % 256, np.uint8), None, 1001)  # delivered again
        assert int(media.read_image(old).max()) == 7  # still the earlier render until the end
        written = staged.commit()
    assert written == paths
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.1001.png", "shot.1002.png"]
    assert int(media.read_image(paths[1]).max()) == 1002 % 256
