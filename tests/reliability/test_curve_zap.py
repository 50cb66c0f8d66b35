"""Item 10 (and item 7's last point): clients are authenticated while connecting. CURVE serves
only keys in the authorised-keys folder; key material others may read or change is refused;
with a token, a client without it cannot make the daemon read a single request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest
import zmq

from hostbridge import Client
from hostbridge.errors import Unauthorized
from tests.conftest import REPO, DaemonProcess
from tests.reliability.access_common import Raw, rss_bytes


def server_keys(tmp_path: Path, mode: int = 0o600) -> tuple[bytes, Path]:
    public, secret = zmq.curve_keypair()
    keys = tmp_path / "server.keys"
    keys.write_text(public.decode() + "\n" + secret.decode() + "\n")
    keys.chmod(mode)
    return public, keys


def serve_fails(tmp_path: Path, env: dict[str, str]) -> str:
    full = dict(os.environ, RUSHES_CONFIG=str(tmp_path / "none.toml"), **env)
    cmd = [sys.executable, "-m", "inference_server.cli", "serve", "--listen", "tcp://127.0.0.1:0",
           "--store", str(tmp_path / "s"), "--device", "cpu"]
    try:
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=20, env=full)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the daemon started") from exc
    assert out.returncode == 2, out
    return out.stderr


def test_unsafe_key_material_is_refused(tmp_path: Path) -> None:
    _, keys = server_keys(tmp_path, 0o644)
    allowed = tmp_path / "allowed"
    allowed.mkdir(mode=0o755)
    err = serve_fails(tmp_path, {"RUSHES_CURVE_SECRET_FILE": str(keys), "RUSHES_CURVE_AUTHORIZED_KEYS": str(allowed)})
    assert "0644" in err and "chmod 600" in err
    keys.chmod(0o600)
    err = serve_fails(tmp_path, {"RUSHES_CURVE_SECRET_FILE": str(keys)})
    assert "curve_authorized_keys" in err  # CURVE with no allow-list would serve anyone
    allowed.chmod(0o777)
    err = serve_fails(tmp_path, {"RUSHES_CURVE_SECRET_FILE": str(keys), "RUSHES_CURVE_AUTHORIZED_KEYS": str(allowed)})
    assert "others may change it" in err


def test_curve_serves_only_authorised_keys(tmp_path: Path) -> None:
    public, keys = server_keys(tmp_path)
    allowed = tmp_path / "allowed"
    allowed.mkdir(mode=0o755)
    artist, stranger = zmq.curve_keypair(), zmq.curve_keypair()
    (allowed / "artist.pub").write_text(artist[0].decode() + "\n")
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_CURVE_SECRET_FILE": str(keys),
                                                  "RUSHES_CURVE_AUTHORIZED_KEYS": str(allowed)}).start()
    try:
        with Client(proc.url, server_key=public, client_keys=artist, timeout=5) as c:
            assert c.ping() < 1.0
        t0 = time.monotonic()
        with Client(proc.url, server_key=public, client_keys=stranger, timeout=10, retries=0) as c:
            with pytest.raises(Unauthorized, match="refused this client"):
                c.ping()
        assert time.monotonic() - t0 < 5.0
        with Client(proc.url, server_key=public, timeout=10, retries=0) as c:  # a fresh random key
            with pytest.raises(Unauthorized):
                c.ping()
        (allowed / "stranger.pub").write_text(stranger[0].decode() + "\n")  # added: no restart needed
        time.sleep(0.05)
        with Client(proc.url, server_key=public, client_keys=stranger, timeout=5) as c:
            assert c.ping() < 1.0
        (allowed / "stranger.pub").unlink()
        with Client(proc.url, server_key=public, client_keys=stranger, timeout=10, retries=0) as c:
            with pytest.raises(Unauthorized):
                c.ping()
    finally:
        proc.stop()


def test_a_message_without_the_token_is_never_read(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_TOKEN": "s3cret"}).start()
    try:
        assert proc.proc is not None
        before = rss_bytes(proc.proc.pid)
        raw = Raw(proc.url)
        time.sleep(0.5)
        header = msgpack.packb({"v": 1, "type": "ping", "id": "big"}, use_bin_type=True)
        try:  # 200 MB with no token: queued, or refused at once once the handshake has failed
            raw.sock.send_multipart([header, b"\0" * (200 << 20)], flags=zmq.NOBLOCK)
        except zmq.Again:
            pass
        with pytest.raises(AssertionError, match="no reply"):
            raw.final("big", timeout=3.0)
        raw.close()
        grown = rss_bytes(proc.proc.pid) - before
        assert grown < 32 << 20, f"the daemon grew {grown >> 20} MB for a message it should not read"
        with Client(proc.url, token="wrong", retries=0, timeout=10) as c:
            with pytest.raises(Unauthorized):
                c.ping()
        with Client(proc.url, token="s3cret") as c:
            assert c.ping() < 1.0
    finally:
        proc.stop()
