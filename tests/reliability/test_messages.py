"""Item 14 of issue 15: clear messages instead of tracebacks, safe names, ipc paths, re-created segments."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.shm import release
from inference_server import media
from inference_server.cli import main
from inference_server.project.store import check_project_name
from tests.conftest import REPO
from tests.reliability.smalldisk import need_small_disk, python_env


def _audio_only_mp4(path: Path) -> None:
    import av

    with av.open(str(path), "w") as box:
        stream = box.add_stream("aac", rate=48000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, i * 1024
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode(None):
            box.mux(packet)


def test_audio_only_movie_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSHES_SERVER", "tcp://127.0.0.1:1")
    _audio_only_mp4(tmp_path / "sound.mp4")
    code = main(["wire-remove", str(tmp_path / "sound.mp4"), str(tmp_path / "o.####.png"),
                 "--hint", str(tmp_path / "sound.mp4")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"rushes: error: movie {str(tmp_path / 'sound.mp4')!r} has no video stream " \
                          "(only 1 other stream(s))"


def test_output_folder_on_a_read_only_disk_is_a_one_line_error(tmp_path: Path) -> None:
    need_small_disk()
    media.write_image(tmp_path / "plate.1001.png", np.zeros((8, 8, 3), np.uint16))
    media.write_image(tmp_path / "plate.1002.png", np.zeros((8, 8, 3), np.uint16))
    media.write_image(tmp_path / "hint.png", np.zeros((8, 8, 1), np.uint8))
    ro = tmp_path / "ro"
    ro.mkdir()
    for out in (ro / "repair.####.png", ro / "new" / "repair.####.png"):  # an existing folder, and one to create
        argv = [sys.executable, "-m", "inference_server.cli", "wire-remove", str(tmp_path / "plate.####.png"),
                str(out), "--hint", str(tmp_path / "hint.png")]
        res = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o ro,size=64k tmpfs "$0" && exec "$@"',
                              str(ro), *argv], capture_output=True, text=True, cwd=REPO, timeout=120,
                             env=python_env(RUSHES_SERVER="tcp://127.0.0.1:1",
                                            RUSHES_CONFIG=str(tmp_path / "none.toml")))
        assert res.returncode == 2, res.stderr[-600:]
        assert "Traceback" not in res.stderr
        assert res.stderr.startswith("rushes: error: Read-only file system (") and str(ro) in res.stderr


@pytest.mark.parametrize("name", ["shot\n", "shot\nevil", "CON", "con", "Con.txt", "NUL", "COM1", "lpt9",
                                  "show.", "show..", "a" * 129, "../up", "-x"])
def test_unsafe_project_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="project name .* is not usable"):
        check_project_name(name)


@pytest.mark.parametrize("name", ["CONTRACT", "console", "show_010", "v1.2", "COM", "a" * 128])
def test_ordinary_project_names_pass(name: str) -> None:
    assert check_project_name(name) == name


def test_ipc_listen_path_never_deletes_a_file_or_steals_a_socket(tmp_path: Path) -> None:
    env = python_env(RUSHES_CONFIG=str(tmp_path / "none.toml"))
    precious = tmp_path / "precious.exr"
    precious.write_bytes(b"a comp that took a week")

    def serve(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "inference_server.cli", "serve", "--listen", f"ipc://{path}",
                               "--store", str(tmp_path / "store"), "--device", "cpu"], capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=60)

    res = serve(precious)
    assert res.returncode == 2
    assert res.stderr.strip() == f"rushes: error: refusing to listen on ipc://{precious}: {precious} exists and is " \
                                 "not a socket (ZeroMQ would delete it); choose another path"
    assert precious.read_bytes() == b"a comp that took a week"

    live = tmp_path / "live.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(live))
        listener.listen(1)
        res = serve(live)
        assert res.returncode == 2 and "another process is listening there" in res.stderr
        assert os.path.exists(live)


def test_a_segment_recreated_under_the_same_name_is_read_anew(daemon: str) -> None:
    with Client(daemon) as c:
        arr = c.shared_frame((4, 4, 3), "float32")
        arr[:] = 1.0
        first = c.run("echo", {"plate": [arr]}).frames["result"][0]
        assert float(np.asarray(first.array()).max()) == 1.0
        old = c._shared.pop(arr.ctypes.data)
        name, size = old.name, old.size
        del arr
        release(old)
        old.unlink()  # the owner drops it and makes a new one under the same name, within the sweep interval
        new = shared_memory.SharedMemory(name=name, create=True, size=size)
        try:
            again = np.ndarray((4, 4, 3), np.float32, buffer=new.buf)
            again[:] = 2.0
            c._shared[again.ctypes.data] = new
            second = c.run("echo", {"plate": [again]}).frames["result"][0]
            assert float(np.asarray(second.array()).max()) == 2.0, "the daemon served the old segment's bytes"
        finally:
            c._shared.clear()
            del again
            release(new)
            new.unlink()

