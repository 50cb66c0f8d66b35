"""Item 9: every --listen endpoint is parsed and checked; ZeroMQ's 'src;dst' form cannot sneak
a public bind past the loopback guard."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hostbridge import Client
from inference_server.config import is_loopback, listen_endpoints
from tests.conftest import REPO, DaemonProcess, free_port


def serve(tmp_path: Path, listen: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RUSHES_CONFIG=str(tmp_path / "none.toml"))
    env.pop("RUSHES_TOKEN", None)
    cmd = [sys.executable, "-m", "inference_server.cli", "serve", "--listen", listen, "--store", str(tmp_path / "s"),
           "--device", "cpu"]
    try:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=20, env=env)
    except subprocess.TimeoutExpired as exc:  # it is serving: the guard let it through
        raise AssertionError(f"`rushes serve --listen {listen}` started serving") from exc


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("template", [
    "tcp://127.0.0.1:{a};0.0.0.0:{b}",
    "tcp://127.0.0.1:{a},tcp://0.0.0.0:{b}",
    "tcp://127.0.0.1:{a}, tcp://*:{b}",
    "tcp://127.0.0.1.evil:{b}",
    "tcp://127.0.0.1:{a} tcp://0.0.0.0:{b}",
])
def test_a_public_endpoint_hidden_in_listen_is_refused(tmp_path: Path, template: str) -> None:
    a, b = free_port(), free_port()
    listen = template.format(a=a, b=b)
    out = serve(tmp_path, listen)
    assert out.returncode == 2, out
    assert "refusing to listen" in out.stderr or "--listen" in out.stderr, out.stderr
    assert not listening(b) and not listening(a)


def test_parsing() -> None:
    assert listen_endpoints("tcp://127.0.0.1:5557,ipc:///tmp/r.sock") == ["tcp://127.0.0.1:5557", "ipc:///tmp/r.sock"]
    assert is_loopback("tcp://127.0.0.1:1,tcp://[::1]:2,tcp://localhost:3")
    assert not is_loopback("tcp://127.0.0.1:1;0.0.0.0:2") and not is_loopback("tcp://127.0.0.1:1,tcp://10.0.0.1:2")
    assert not is_loopback("tcp://eth0:5557") and not is_loopback("udp://127.0.0.1:5") and not is_loopback("")
    for bad in ("tcp://127.0.0.1", "tcp://127.0.0.1:99999", "ws://127.0.0.1:5", "tcp://[::1:5", ","):
        with pytest.raises(ValueError, match="listen"):
            listen_endpoints(bad)


def test_two_loopback_endpoints_both_serve(tmp_path: Path) -> None:
    a, b = free_port(), free_port()
    proc = DaemonProcess(tmp_path / "store", port=a, extra=["--listen", f"tcp://127.0.0.1:{a},tcp://127.0.0.1:{b}"])
    proc.start()
    try:
        for port in (a, b):
            with Client(f"tcp://127.0.0.1:{port}", timeout=5) as c:
                assert c.ping() < 1.0
    finally:
        proc.stop()
