"""inference_server.auth: a CURVE-encrypted daemon serves a client with an authorised key and refuses
one without, against a real daemon started by `rushes serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zmq

from hostbridge import Client, DaemonUnavailable
from hostbridge.errors import Unauthorized
from tests.conftest import REPO, DaemonProcess


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
        with Client(url, timeout=15, retries=0) as plain:  # no key: the handshake fails, and the client says so
            with pytest.raises(Unauthorized, match="refused this client while connecting"):
                plain.ping()
    finally:
        proc.stop()
