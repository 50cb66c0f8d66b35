"""Items 3 and 4 of issue 15: every frame reaches the client exactly once, whatever the reader's pace."""

from __future__ import annotations

import threading
import time
from collections import Counter

import numpy as np

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
