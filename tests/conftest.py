"""Shared fixtures: a real `rushes serve` subprocess on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostbridge import Client
from inference_server.runner import wait_for_daemon

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_state(c: Client, job: str, states: tuple[str, ...], timeout: float = 10.0) -> dict[str, object]:
    """Poll job ``job`` until its state is one of ``states``; its last status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = c.status(job)
        if st["state"] in states:
            return st
        time.sleep(0.05)
    raise AssertionError(f"job {job} never reached {states}: {st}")


class DaemonProcess:
    """A daemon subprocess: ``url``, ``store``, ``start()``, ``stop()``, ``kill()``."""

    def __init__(self, store: Path, port: int | None = None, extra: list[str] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.store = store
        self.extra = extra or []
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = store / f"daemon-{self.port}.log"

    def start(self, timeout: float = 30.0) -> DaemonProcess:
        self.store.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1", RUSHES_CONFIG=str(self.store / "none.toml"), **self.env)
        cmd = [sys.executable, "-m", "inference_server.cli", "serve", "--listen", self.url,
               "--store", str(self.store), "--device", "cpu", *self.extra]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_daemon(self.proc, self.url, timeout, self.log)
        return self

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of one real daemon shared by the whole test session (its store is a temp dir)."""
    proc = DaemonProcess(tmp_path_factory.mktemp("daemon-store")).start()
    yield proc.url
    proc.stop()


@pytest.fixture
def daemon_process(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A daemon of this test's own, to stop, kill or restart."""
    proc = DaemonProcess(tmp_path / "store").start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.kill()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; tests that need it fail loudly when it is missing."""
    if not SHARED_DATA.is_dir():
        raise FileNotFoundError(f"test data folder {SHARED_DATA} is missing (expected ../shared/data beside the repo)")
    return SHARED_DATA
