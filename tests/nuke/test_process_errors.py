"""The Nuke plugin's except sites catch hostbridge classes, never names: an older daemon without
list_tasks falls back to the built-in knobs, any other refusal reaches the artist as its sentence."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import hostbridge
from hostbridge import Client
from hostbridge import protocol as P
from hostbridge.errors import BadRequest, DaemonUnavailable, HostBridgeError
from tests.conftest import free_port
from tests.hostbridge.scripted import Reply, ScriptedDaemon, reply
from tests.nuke.helpers import tree, write_exr


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


def test_failures_show_hostbridges_sentence_and_the_plugins_own(fake: ModuleType,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from rushes_nuke import process
    from rushes_nuke.report import ProcessCancelled

    assert process._failure(HostBridgeError("the daemon refused: no token")) == "the daemon refused: no token"
    assert process._failure(ValueError("Read1 is not a Rushes node")) == "Read1 is not a Rushes node"
    assert process._failure(ProcessCancelled()) is None
    # a bug is one sentence for the artist (raised on the worker thread it was nothing at all) and its
    # traceback goes to the Script Editor for whoever supports them
    try:
        {}["knob"]
    except KeyError as exc:
        text = process._failure(exc)
    assert text == "Rushes failed unexpectedly (KeyError: 'knob'); the Script Editor holds the details"
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'knob'" in err
    with pytest.raises(KeyboardInterrupt):
        process._failure(KeyboardInterrupt())


def test_a_daemon_address_without_its_scheme_is_one_sentence(fake: ModuleType) -> None:
    from rushes_nuke import daemon, process

    with pytest.raises(ValueError, match="'127.0.0.1:5557' is not one Rushes can connect to.*tcp://HOST:PORT"):
        daemon.connect("127.0.0.1:5557")
    assert daemon.manifests("127.0.0.1:5557", refresh=True) is None
    assert "tcp://HOST:PORT" in daemon.manifest_error("127.0.0.1:5557")
    assert "tcp://HOST:PORT" in daemon.status_line("127.0.0.1:5557")
    with pytest.raises(ValueError, match="has no port"):
        daemon.connect("tcp://127.0.0.1")
    try:
        daemon.connect("127.0.0.1:5557")
    except ValueError as exc:
        assert "tcp://127.0.0.1:5557" in str(process._failure(exc))


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


def _run_sending(fake: ModuleType, tmp_path: Path, numbers: tuple[int, ...]) -> Any:
    """Press Process on an exposure node over a daemon that answers the run with result frames
    ``numbers``, whatever it was sent."""
    from rushes_nuke import actions

    from tests.nuke.test_process import exposure_node

    write_exr(tmp_path / "reply.exr", np.full((12, 16, 3), 0.5, np.float32))
    data = (tmp_path / "reply.exr").read_bytes()

    def script(header: dict[str, Any], _before: int) -> list[Reply]:
        if header["type"] == P.LIST_TASKS:
            return [reply(header, P.ERROR, code="unknown_type", detail="no list_tasks", retryable=False)]
        return [*(reply(header, P.FRAME, data, output="result", frame={
                    "number": n, "colour_space": "", "where": "encoded", "encoded": {"format": "exr", "part": 0}})
                  for n in numbers),
                reply(header, P.RESULT, summary={})]

    scripted = ScriptedDaemon(script, tasks=("exposure",))
    try:
        node = exposure_node(fake, scripted.url, tmp_path / "plates")
        (tmp_path / "reply.exr").unlink()
        before = tree(tmp_path)
        fake.fake_press(node, "process")
        assert actions.wait(30)
        fake.fake_process_events()
    finally:
        scripted.close()
    assert len(scripted.requests(P.RUN)) == 1
    assert tree(tmp_path) == before and node["version"].values() == ["none"]
    return node


def test_a_run_missing_a_frame_publishes_no_version(fake: ModuleType, tmp_path: Path) -> None:
    """The daemon ends a run having sent frames 1001 and 1003 of three: the node says which frame
    is missing and caches nothing (a version over a frame never repaired would read as done)."""
    from tests.nuke.test_process import FRAMES

    node = _run_sending(fake, tmp_path, (FRAMES[0], FRAMES[-1]))
    assert fake.fake_state().messages == [
        f"{node.name()}: the daemon's exposure returned no result frame {FRAMES[1]} (1 of 3 missing); nothing was cached"]


def test_a_frame_the_node_never_sent_publishes_no_version(fake: ModuleType, tmp_path: Path) -> None:
    """Every frame sent comes back, and one more past the range: refused by name, nothing cached
    (cached, it would show as repaired over a frame of the shot the artist never sent)."""
    from tests.nuke.test_process import FRAMES

    node = _run_sending(fake, tmp_path, (*FRAMES, FRAMES[-1] + 1))
    assert fake.fake_state().messages == [
        f"{node.name()}: the daemon's exposure returned result frame {FRAMES[-1] + 1}, not among the 3 frame(s) "
        "sent; nothing was cached"]
