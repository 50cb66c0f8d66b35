"""Talking to the Rushes daemon through hostbridge (the only Rushes import hosts make).

hostbridge's client (pyzmq, msgpack) is imported inside functions so that Nuke starts even where
pyzmq is missing; its stdlib parts (``hostbridge.errors``, ``hostbridge.local``) load at the top, as
the package's knobs already load ``hostbridge.manifest``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from hostbridge.errors import DaemonUnavailable, HostBridgeError
from hostbridge.local import default_url as default_url  # the address: argument, $RUSHES_SERVER, default
from hostbridge.local import not_running

if TYPE_CHECKING:
    from hostbridge import Client

_MANIFESTS: dict[str, tuple[float, list[dict[str, Any]]]] = {}
_ERRORS: dict[str, str] = {}
MANIFEST_TTL_S = 30.0


def hello_timeout() -> float:
    """Seconds to wait for the daemon to answer at all (``$RUSHES_HELLO_TIMEOUT``, default 2)."""
    return float(os.environ.get("RUSHES_HELLO_TIMEOUT", "") or 2.0)


def run_timeout() -> float:
    """Seconds of silence allowed while a job runs (``$RUSHES_RUN_TIMEOUT``, default 300)."""
    return float(os.environ.get("RUSHES_RUN_TIMEOUT", "") or 300.0)


class HostBridgeMissing(RuntimeError):
    """hostbridge (or pyzmq/msgpack) cannot be imported in this Nuke's Python."""


def connect(url: str, timeout: float = 10.0, retries: int = 1) -> Client:
    """A hostbridge Client for ``url`` (use it as a context manager)."""
    try:
        from hostbridge import Client
    except ImportError as exc:
        raise HostBridgeMissing(
            f"Rushes cannot talk to its daemon: {exc}. Add the Rushes folder to PYTHONPATH and install "
            "pyzmq and msgpack for this Nuke's Python.") from None
    return Client(url, timeout=timeout, retries=retries)


def manifests(url: str, timeout: float = 1.0, refresh: bool = False) -> list[dict[str, Any]] | None:
    """The daemon's task manifests, or None when it does not answer (kept for a short while)."""
    now = time.monotonic()
    hit = _MANIFESTS.get(url)
    if hit is not None and not refresh and now - hit[0] < MANIFEST_TTL_S:
        return hit[1]
    try:
        with connect(url, timeout=min(timeout, hello_timeout()), retries=0) as client:
            tasks = client.list_tasks()
    except (HostBridgeMissing, HostBridgeError, ValueError) as exc:  # ValueError: an address it cannot use
        _MANIFESTS.pop(url, None)
        _ERRORS[url] = str(exc)
        return None
    _ERRORS.pop(url, None)
    _MANIFESTS[url] = (now, tasks)
    return tasks


def manifest_error(url: str) -> str:
    """Why the last ``manifests(url)`` gave None ("" if it did not)."""
    return _ERRORS.get(url, "")


def find_manifest(tasks: list[dict[str, Any]] | None, task: str) -> dict[str, Any] | None:
    for m in tasks or []:
        if m.get("name") == task:
            return m
    return None


def status_line(url: str, timeout: float = 1.0) -> str:
    """One line for the node's Daemon knob: running (version, same machine or not) or not."""
    try:
        with connect(url, timeout=min(timeout, hello_timeout()), retries=0) as client:
            info = client.hello()
            where = "this machine" if client.same_host else "another machine"
    except HostBridgeMissing as exc:  # no pyzmq/msgpack in this Nuke: connect() says which
        return f"Rushes cannot load hostbridge ({exc})"
    except DaemonUnavailable:
        return not_running(url) + "."
    except ValueError as exc:  # an address it cannot connect to: says how to write one
        return str(exc)
    except HostBridgeError as exc:  # it answered, but refused us (token, version...): say why
        return f"answering at {url} but refusing: {exc}"
    return f"running at {url} (version {info.get('server_version', '?')}, on {where})"
