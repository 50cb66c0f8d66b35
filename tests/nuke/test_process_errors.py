"""The Nuke plugin's except sites catch hostbridge classes, never names: an older daemon without
list_tasks falls back to the built-in knobs, any other refusal reaches the artist as its sentence."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pytest

import hostbridge
from hostbridge import Client
from hostbridge import protocol as P
from hostbridge.errors import BadRequest, DaemonUnavailable, HostBridgeError
from tests.conftest import free_port
from tests.hostbridge.scripted import Reply, ScriptedDaemon, reply


def _refuse_list_tasks(code: str) -> ScriptedDaemon:
    def script(header: dict[str, Any], _before: int) -> list[Reply]:
        return [reply(header, P.ERROR, code=code, detail=f"refused with {code}", retryable=False)]
    return ScriptedDaemon(script)


def test_an_older_daemon_without_list_tasks_means_the_built_in_knobs(fake: ModuleType) -> None:
    from rushes_nuke import process

    older, broken = _refuse_list_tasks("unknown_type"), _refuse_list_tasks("bad_message")
    try:
        with Client(older.url, timeout=2.0, retries=0) as c:
            assert process.task_manifest(c, "exposure") is None
        with Client(broken.url, timeout=2.0, retries=0) as c, pytest.raises(BadRequest, match="bad_message"):
            process.task_manifest(c, "exposure")
    finally:
        older.close()
        broken.close()
    with Client(f"tcp://127.0.0.1:{free_port()}", timeout=0.3, retries=0) as c, pytest.raises(DaemonUnavailable):
        process.task_manifest(c, "exposure")


def test_failures_show_hostbridges_sentence_and_the_plugins_own(fake: ModuleType) -> None:
    from rushes_nuke import process
    from rushes_nuke.report import ProcessCancelled

    assert process._failure(HostBridgeError("the daemon refused: no token")) == "the daemon refused: no token"
    assert process._failure(ValueError("Read1 is not a Rushes node")) == "Read1 is not a Rushes node"
    assert process._failure(ProcessCancelled()) is None
    with pytest.raises(KeyError):  # a bug is not dressed up as a sentence
        process._failure(KeyError("knob"))


def test_daemon_status_says_hostbridge_cannot_load_where_pyzmq_is_missing(
        fake: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # hostbridge's package loads its client (pyzmq) only when asked: the status line must say so
    # instead of failing when that load fails
    from rushes_nuke import daemon

    monkeypatch.delattr(hostbridge, "Client", raising=False)
    monkeypatch.setitem(sys.modules, "hostbridge.client", None)
    line = daemon.status_line(f"tcp://127.0.0.1:{free_port()}")
    assert line.startswith("Rushes cannot load hostbridge (") and "pyzmq" in line
    assert daemon.manifests(f"tcp://127.0.0.1:{free_port()}", refresh=True) is None
