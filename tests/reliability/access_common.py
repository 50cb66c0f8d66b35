"""Helpers for the daemon reliability tests: a bare DEALER, segment registration, process figures."""

from __future__ import annotations

import itertools
import os
import secrets
import time
from multiprocessing import shared_memory
from typing import Any

import msgpack
import zmq

from hostbridge.protocol import PROTOCOL_VERSION

_IDS = itertools.count()


class Raw:
    """A bare DEALER socket: hand-made requests, replies read as they come."""

    def __init__(self, url: str, identity: bytes | None = None) -> None:
        self.sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if identity is not None:
            self.sock.setsockopt(zmq.ROUTING_ID, identity)
        self.sock.connect(url)

    def send(self, mtype: str, parts: tuple[bytes, ...] = (), rid: str | None = None, **fields: Any) -> str:
        rid = rid or f"t{next(_IDS)}-{secrets.token_hex(3)}"
        header = {"v": PROTOCOL_VERSION, "type": mtype, "id": rid, **fields}
        self.sock.send_multipart([msgpack.packb(header, use_bin_type=True), *parts])
        return rid

    def final(self, rid: str, timeout: float = 15.0) -> dict[str, Any]:
        """The reply that ends request ``rid`` (skipping accepted/progress/frame), with its parts."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.sock.poll(50):
                continue
            msg = self.sock.recv_multipart()
            header = dict(msgpack.unpackb(msg[0], raw=False))
            if header.get("id") not in (rid, "unknown") or header["type"] in ("accepted", "progress"):
                continue
            if header["type"] == "frame":
                header["parts"] = msg[1:]
                return header
            return header
        raise AssertionError(f"no reply to {rid} within {timeout} s")

    def first(self, rid: str, timeout: float = 15.0) -> dict[str, Any]:
        """The first reply to ``rid``, whatever its type (a submit is answered 'accepted')."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.sock.poll(50):
                header = dict(msgpack.unpackb(self.sock.recv_multipart()[0], raw=False))
                if header.get("id") in (rid, "unknown"):
                    return header
        raise AssertionError(f"no reply to {rid} within {timeout} s")

    def ask(self, mtype: str, parts: tuple[bytes, ...] = (), timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        return self.final(self.send(mtype, parts, **fields), timeout)

    def register(self, seg: shared_memory.SharedMemory) -> dict[str, Any]:
        """Prove ownership of ``seg`` the way hostbridge's Client does (a secret at its start)."""
        secret = secrets.token_bytes(16)
        assert seg.buf is not None
        seg.buf[:16] = secret
        return self.ask("hello", segments=[{"name": seg.name, "secret": secret.hex()}])

    def close(self) -> None:
        self.sock.close()


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
