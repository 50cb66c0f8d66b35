"""Nuke plugin tests: the fake ``nuke`` module stands in for Nuke; the daemon is real."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FAKE_DIR = HERE / "fake"
PLUGIN_DIR = REPO / "nuke"

for path in (str(FAKE_DIR), str(PLUGIN_DIR)):  # as NUKE_PATH does inside Nuke
    if path not in sys.path:
        sys.path.insert(0, path)



@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ModuleType]:
    """A fresh, empty fake Nuke session whose renderer reads test plates from disk."""
    import nuke  # the fake, found through the path set above (imported here, not at collection)
    from tests.nuke.helpers import render_write

    assert Path(nuke.__file__).parent == FAKE_DIR / "nuke", f"tests must use the fake nuke, got {nuke.__file__}"

    nuke.fake_reset()
    nuke.fake_set_renderer(render_write)
    monkeypatch.setenv("RUSHES_HELLO_TIMEOUT", "5")
    monkeypatch.setenv("RUSHES_NUKE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RUSHES_SERVER", raising=False)
    import rushes_nuke
    from rushes_nuke import daemon

    daemon._MANIFESTS.clear()
    rushes_nuke._installed = False
    rushes_nuke.install()   # what init.py does at Nuke's start-up
    yield nuke
    nuke.fake_reset()


@pytest.fixture
def down(monkeypatch: pytest.MonkeyPatch) -> str:
    """An address where no daemon listens; waits for an answer are kept short."""
    from tests.conftest import free_port

    monkeypatch.setenv("RUSHES_HELLO_TIMEOUT", "0.2")
    return f"tcp://127.0.0.1:{free_port()}"
