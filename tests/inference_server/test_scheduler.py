"""Submitted jobs (status, cancel) and CURVE-encrypted connections, against a real daemon."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import zmq

from hostbridge import Client, DaemonUnavailable
from hostbridge.errors import NotFound, Unauthorized
from tests.conftest import DaemonProcess


def wait_state(c: Client, job: str, states: tuple[str, ...], timeout: float = 10.0) -> dict[str, object]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = c.status(job)
        if st["state"] in states:
            return st
        time.sleep(0.05)
    raise AssertionError(f"job {job} never reached {states}: {st}")


def test_submit_status_and_cancel(daemon: str, tmp_path: Path) -> None:
    import numpy as np

    from inference_server.codec import encode_pixels

    frame = tmp_path / "f.exr"
    frame.write_bytes(encode_pixels(np.zeros((4, 4, 3), np.float16), "exr"))
    from hostbridge.frames import path_frame

    with Client(daemon) as c:
        job = c.submit("echo", {"delay": 0.0}, inputs={"plate": [path_frame(str(frame), 1)]})
        st = wait_state(c, job, ("done",))
        assert st["summary"] == {"frames": 1} and st["done"] == 1 and st["total"] == 1
        slow = c.submit("echo", {"delay": 1.0}, inputs={"plate": [path_frame(str(frame), n) for n in range(20)]})
        wait_state(c, slow, ("running",))
        c.cancel(slow)
        st = wait_state(c, slow, ("cancelled",))
        assert st["error"]["code"] == "cancelled"
        with pytest.raises(NotFound, match="nope"):
            c.status("nope")


def test_curve_encrypted_daemon(tmp_path: Path) -> None:
    public, secret = zmq.curve_keypair()
    keys = tmp_path / "server.keys"
    keys.write_text(public.decode() + "\n" + secret.decode() + "\n")
    keys.chmod(0o600)
    allowed = tmp_path / "authorized"
    allowed.mkdir(mode=0o755)
    client_keys = zmq.curve_keypair()
    (allowed / "artist.pub").write_text(client_keys[0].decode() + "\n")
    proc = DaemonProcess(tmp_path / "s", env={"RUSHES_CURVE_SECRET_FILE": str(keys)})
    proc.url = proc.url.replace("127.0.0.1", "0.0.0.0")  # beyond loopback: allowed because CURVE is on
    proc.proc = None
    try:
        import os
        import subprocess
        import sys

        from tests.conftest import REPO

        env = dict(os.environ, RUSHES_CURVE_SECRET_FILE=str(keys), RUSHES_CURVE_AUTHORIZED_KEYS=str(allowed),
                   RUSHES_CONFIG=str(tmp_path / "none.toml"))
        proc.proc = subprocess.Popen([sys.executable, "-m", "inference_server.cli", "serve", "--listen",
                                      f"tcp://0.0.0.0:{proc.port}", "--store", str(tmp_path / "s")], cwd=REPO, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"tcp://127.0.0.1:{proc.port}"
        end = time.monotonic() + 30
        while True:
            try:
                with Client(url, server_key=public, client_keys=client_keys, timeout=0.5, retries=0) as c:
                    assert c.ping() < 1.0
                break
            except DaemonUnavailable:
                assert time.monotonic() < end, "CURVE daemon never answered"
        with Client(url, timeout=5, retries=0) as plain:  # no key: the handshake fails, and the client says so
            with pytest.raises(Unauthorized, match="refused this client while connecting"):
                plain.ping()
    finally:
        proc.stop()


def test_a_relative_path_frame_means_the_clients_folder(daemon: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from hostbridge.frames import path_frame
    from inference_server.codec import encode_pixels

    (tmp_path / "f.exr").write_bytes(encode_pixels(np.zeros((4, 4, 3), np.float16), "exr"))
    monkeypatch.chdir(tmp_path)  # the daemon runs elsewhere: "f.exr" must reach it as tmp_path/f.exr
    frame = path_frame("f.exr", 1)
    assert frame.path == str(tmp_path / "f.exr")
    with Client(daemon) as c:
        st = wait_state(c, c.submit("echo", {"delay": 0.0}, inputs={"plate": [frame]}), ("done", "failed"))
    assert st["state"] == "done" and st["summary"] == {"frames": 1}
