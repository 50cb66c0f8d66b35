"""The first wire search of a frame's bands runs in worker processes (``workers``), and the next
frame's ahead of time; the frames must be the ones the threads give, to the bit."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from inference_server.engines.wire import repair as rp
from inference_server.engines.wire import workers
from inference_server.engines.wire.repair import WireRemover, WireSettings, hint_bands
from inference_server.engines.wire.synthetic import wire_shot


def _repair_all(plates: list[np.ndarray], hints: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, dict[str, object]]]:
    rem = WireRemover(lambda i: plates[i], lambda i: hints[i], len(plates), WireSettings(band=64, regrain=1.0, seed=2))
    assert len(hint_bands(hints[2], rem.settings.margin, rem.settings.band)) >= 3
    out = []
    for i in range(len(plates)):
        frame, matte = rem.repair(i)
        assert rem.last_qc is not None
        out.append((frame, matte, rem.last_qc.as_dict()))
    return out


@pytest.fixture(autouse=True)
def two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes, whatever this machine's core count (the default is one per core, up to 4)."""
    monkeypatch.setattr(workers, "PROCESSES", max(workers.PROCESSES, 2))


@pytest.fixture
def shot() -> tuple[list[np.ndarray], list[np.ndarray]]:
    _, plates, hints = wire_shot(n=7, h=96, w=320, pan=2.0, noise=0.01, seed=4)
    return plates, hints


def _same(a: list[tuple[np.ndarray, np.ndarray, dict[str, object]]],
          b: list[tuple[np.ndarray, np.ndarray, dict[str, object]]]) -> None:
    assert len(a) == len(b)
    for (fa, ma, qa), (fb, mb, qb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(fa, fb)
        np.testing.assert_array_equal(ma, mb)
        assert qa == qb


def test_bands_searched_in_processes_and_ahead_give_the_frames_threads_give(
        shot: tuple[list[np.ndarray], list[np.ndarray]], monkeypatch: pytest.MonkeyPatch) -> None:
    plates, hints = shot
    if not workers.start():
        pytest.fail("the wire search processes did not start on this machine")
    searched: list[int] = []
    ahead: list[int] = []
    real = workers.band_mattes

    def counted(jobs: list[tuple[np.ndarray, np.ndarray, dict[object, object]]], polarity: str
                ) -> list[tuple[np.ndarray, np.ndarray]]:
        searched.append(len(jobs))
        return real(jobs, polarity)

    real_ahead = rp.WireRemover._ahead

    def noted(self: WireRemover, i: int) -> None:
        before = set(self._coming)
        real_ahead(self, i)
        ahead.extend(sorted(set(self._coming) - before))

    monkeypatch.setattr(workers, "band_mattes", counted)
    monkeypatch.setattr(rp.WireRemover, "_ahead", noted)
    in_processes = _repair_all(plates, hints)
    # every frame's first matte was searched in the processes, and those after the first few ahead
    assert len(searched) == len(plates) and min(searched) >= 3
    assert ahead == list(range(0 + 1 + 4, len(plates)))  # frame i + 1 + the farthest step (window 4)

    monkeypatch.setattr(workers, "available", lambda: False)
    searched.clear()
    on_threads = _repair_all(plates, hints)
    assert searched == []
    _same(in_processes, on_threads)


def test_a_worker_process_that_dies_leaves_the_search_to_threads(
        shot: tuple[list[np.ndarray], list[np.ndarray]], monkeypatch: pytest.MonkeyPatch) -> None:
    plates, hints = shot
    with monkeypatch.context() as m:
        m.setattr(workers, "available", lambda: False)
        on_threads = _repair_all(plates, hints)
    if not workers.start():
        pytest.fail("the wire search processes did not start on this machine")
    try:
        pid = workers.pids()[0]  # a worker process, killed as the OOM killer would
        os.kill(pid, signal.SIGKILL)
        after = _repair_all(plates, hints)
        assert not workers.available()  # said once in the log, then threads for the rest of the process
    finally:
        monkeypatch.setattr(workers, "_broken", False)  # the next test may start them again
        workers.shutdown()
    _same(after, on_threads)


def test_the_workers_leave_when_the_process_that_started_them_is_killed() -> None:
    # A daemon stopped by SIGKILL runs no exit handler: its workers must not stay behind.
    import subprocess
    import sys
    import time

    code = ("from inference_server.engines.wire import workers\n"
            "assert workers.start()\n"
            "print(' '.join(str(pid) for pid in workers.pids()), flush=True)\n"
            "import time; time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "RUSHES_WIRE_PROCESSES": "2"})
    try:
        assert child.stdout is not None
        pids = [int(p) for p in child.stdout.readline().split()]
        assert len(pids) == 2

        def alive(pid: int) -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            if not os.path.exists(f"/proc/{pid}/stat"):
                return True
            with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper has left too
                return f.read().split(") ")[1][0] != "Z"

        assert all(alive(p) for p in pids)
        child.kill()
        child.wait()
        deadline = time.monotonic() + 10
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in pids)
    finally:
        child.kill()
