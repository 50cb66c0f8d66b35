"""Item 3 of issue 15: a client never hangs on a dead or stopped daemon, and says why it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.errors import GaveUp, ShuttingDown
from hostbridge.frames import FrameOut, array_frame
from inference_server import media
from inference_server.engines.wire.synthetic import wire_shot
from tests.conftest import REPO, DaemonProcess
from tests.reliability.smalldisk import python_env


def _frames(n: int) -> list[object]:
    return [array_frame(np.full((4, 4, 3), i, np.float32), i) for i in range(n)]


def test_killed_daemon_client_gives_up_in_its_stated_time(daemon_process: DaemonProcess) -> None:
    seen: list[int] = []
    killed_at: list[float] = []

    def on_frame(_name: str, out: FrameOut) -> None:
        seen.append(out.number)
        if len(seen) == 3:
            daemon_process.kill()
            killed_at.append(time.monotonic())

    with Client(daemon_process.url, timeout=2.0, retries=3, give_up=4.0) as c:
        with pytest.raises(GaveUp) as info:
            c.run("echo", {"plate": _frames(100)}, {"delay": 0.2}, on_frame=on_frame)
    waited = time.monotonic() - killed_at[0]
    assert waited < 4.0 + 2.0, f"the client waited {waited:.1f} s for a dead daemon (give_up 4 s)"
    text = str(info.value)
    assert "stopped answering" in text and "nothing heard for 4 s" in text and "RUSHES_GIVE_UP_S" in text
    assert "3 frame(s) of echo had arrived" in text
    assert seen == [0, 1, 2]


def test_give_up_time_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSHES_GIVE_UP_S", "7.5")
    assert Client("tcp://127.0.0.1:1").give_up == 7.5
    monkeypatch.setenv("RUSHES_GIVE_UP_S", "soon")
    with pytest.raises(ValueError, match="RUSHES_GIVE_UP_S='soon' is not a number"):
        Client("tcp://127.0.0.1:1")


def test_stop_now_tells_the_waiting_client(daemon_process: DaemonProcess) -> None:
    assert daemon_process.proc is not None
    pid = daemon_process.proc.pid
    seen: list[int] = []
    stopped_at: list[float] = []

    def on_frame(_name: str, out: FrameOut) -> None:
        seen.append(out.number)
        if len(seen) == 2:
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.3)
            os.kill(pid, signal.SIGTERM)
            stopped_at.append(time.monotonic())

    with Client(daemon_process.url, timeout=20.0, retries=2, give_up=30.0) as c:
        with pytest.raises(ShuttingDown, match=r"told to stop now .* while echo ran, \d+ of 40 frame"):
            c.run("echo", {"plate": _frames(40)}, {"delay": 0.3}, on_frame=on_frame)
    assert time.monotonic() - stopped_at[0] < 5.0
    assert daemon_process.proc.wait(15) == 0


def test_cli_with_a_killed_daemon_exits_with_a_message_and_no_final_frames(tmp_path: Path) -> None:
    _, plates, hints = wire_shot(60, drift=5.0)
    for i, (p, h) in enumerate(zip(plates, hints, strict=True)):
        media.write_image(tmp_path / f"plate.{1001 + i:04d}.png", np.rint(p * 65535).astype(np.uint16))
        media.write_image(tmp_path / f"hint.{1001 + i:04d}.png", np.rint(h[:, :, None] * 255).astype(np.uint8))
    daemon = DaemonProcess(tmp_path / "store").start()
    out = tmp_path / "out"
    out.mkdir()
    cli = subprocess.Popen([sys.executable, "-m", "inference_server.cli", "wire-remove", str(tmp_path / "plate.####.png"),
                            str(out / "repair.####.exr"), "--hint", str(tmp_path / "hint.####.png"), "--mode",
                            "spatial", "--server", daemon.url], cwd=REPO, stderr=subprocess.PIPE, text=True,
                           env=python_env(RUSHES_GIVE_UP_S="3", RUSHES_CONFIG=str(tmp_path / "none.toml")))
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:  # wait until some frames are written (staged)
            staged = [f for d in out.iterdir() if d.is_dir() for f in d.iterdir()]
            if len(staged) >= 3:
                break
            time.sleep(0.02)
        assert len(staged) >= 3, "the render never started"
        daemon.kill()
        killed = time.monotonic()
        _, err = cli.communicate(timeout=60)
        waited = time.monotonic() - killed
    finally:
        if cli.poll() is None:
            cli.kill()
        daemon.stop()
    assert cli.returncode == 2, err[-800:]
    assert waited < 3 + 15 + 3, f"the CLI took {waited:.1f} s to give up"  # give-up time, plus one silent wait
    assert "rushes: error: the Rushes daemon at" in err and "stopped answering" in err and "Traceback" not in err
    assert list(out.iterdir()) == [], "frames of the unfinished render were left in the output folder"
