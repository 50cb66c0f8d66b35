"""run_task gives the same frames through a real daemon and in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hostbridge import DaemonUnavailable
from inference_server.frames import Frame
from inference_server.runner import run_task
from inference_server.tasks.base import TaskInputError
from tests.conftest import free_port


def collect(**kw: object) -> tuple[dict[str, object], list[Frame]]:
    frames: list[Frame] = []
    plate = [Frame(np.full((4, 6, 3), 0.125, np.float32), 1001 + i, "ACEScg") for i in range(3)]
    summary = run_task("exposure", {"plate": plate}, {"stops": 3.0},
                       on_frame=lambda name, f: frames.append(f), **kw)  # type: ignore[arg-type]
    return summary, frames


def test_daemon_and_in_process_agree(daemon: str, tmp_path: Path) -> None:
    remote_summary, remote = collect(server=daemon)
    local_summary, local = collect(store=tmp_path)  # a store of its own: runs in-process
    assert remote_summary == local_summary == {"frames": 3, "stops": 3.0}
    assert len(remote) == len(local) == 3
    for a, b in zip(remote, local, strict=True):
        assert (a.number, a.colour_space) == (b.number, b.colour_space)
        np.testing.assert_array_equal(a.pixels, b.pixels)
        np.testing.assert_array_equal(a.pixels, np.ones((4, 6, 3), np.float32))
    assert [f.number for f in remote] == [1001, 1002, 1003]


def test_explicit_server_must_answer() -> None:
    with pytest.raises(DaemonUnavailable):
        run_task("exposure", {"plate": []}, {}, server=f"tcp://127.0.0.1:{free_port()}")


def test_in_process_validates_like_the_daemon(tmp_path: Path) -> None:
    with pytest.raises(TaskInputError, match="maximum"):
        run_task("exposure", {"plate": []}, {"stops": 11.0}, store=tmp_path)
    with pytest.raises(TaskInputError, match="needs input 'plate'"):
        run_task("exposure", {}, {}, store=tmp_path)


def test_in_process_refuses_nan_like_the_daemon(tmp_path: Path) -> None:
    plate = [Frame(np.full((8, 8, 3), np.nan, np.float32), 1001)]
    hint = [Frame(np.ones((8, 8, 1), np.float32), 1001)]
    with pytest.raises(TaskInputError, match="input 'plate' frame 1001 has 192 NaN"):
        run_task("wire_removal", {"plate": plate, "hint": hint}, {}, store=tmp_path)
    echoed: list[Frame] = []
    run_task("echo", {"plate": plate}, {}, store=tmp_path, on_frame=lambda n, f: echoed.append(f))  # echo allows NaN
    assert np.isnan(echoed[0].pixels).all()
