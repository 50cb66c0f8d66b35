"""hostbridge.frames: a file as a path on the same host, else its bytes; a relative path means the
client's folder, also for a real daemon running elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.frames import file_frame, path_frame
from hostbridge.local import TRANSFERS, send_by_path
from inference_server.codec import encode_pixels
from tests.conftest import wait_state


def test_file_frame_is_a_path_on_the_same_host_else_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exr = tmp_path / "f.1001.exr"
    exr.write_bytes(b"exr bytes")
    monkeypatch.chdir(tmp_path)
    near = file_frame("f.1001.exr", 1001, "ACEScg", by_path=True)
    assert (near.kind, near.path, near.number, near.colour_space) == ("path", str(exr), 1001, "ACEScg")
    far = file_frame(str(exr), 1001, by_path=False)
    assert (far.kind, far.fmt, bytes(far.data)) == ("encoded", "exr", b"exr bytes")
    (tmp_path / "f.mov").write_bytes(b"")
    with pytest.raises(ValueError, match="cannot be sent as encoded bytes"):
        file_frame(str(tmp_path / "f.mov"), by_path=False)
    with pytest.raises(FileNotFoundError, match="frame 7: .*missing.exr does not exist"):
        file_frame(str(tmp_path / "missing.exr"), 7)


def test_a_relative_path_frame_means_the_clients_folder(daemon: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.exr").write_bytes(encode_pixels(np.zeros((4, 4, 3), np.float16), "exr"))
    monkeypatch.chdir(tmp_path)  # the daemon runs elsewhere: "f.exr" must reach it as tmp_path/f.exr
    frame = path_frame("f.exr", 1)
    assert frame.path == str(tmp_path / "f.exr")
    with Client(daemon) as c:
        st = wait_state(c, c.submit("echo", {"delay": 0.0}, inputs={"plate": [frame]}), ("done", "failed"))
    assert st["state"] == "done" and st["summary"] == {"frames": 1}


def test_send_by_path_is_the_one_transfer_decision() -> None:
    table = {(t, same): send_by_path(t, same) for t in TRANSFERS for same in (True, False)}
    assert table == {("auto", True): True, ("auto", False): False, ("paths", True): True,
                     ("paths", False): True, ("bytes", True): False, ("bytes", False): False}
    with pytest.raises(ValueError, match="frame transfer 'Auto' is not one of auto, paths, bytes"):
        send_by_path("Auto", True)  # a label is the host's to translate
