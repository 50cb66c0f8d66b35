"""Fixtures for `rushes batch`: synthetic nights, and one local run of the repairs to compare engines with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.batch.synthetic import Night, make_night

NO_DAEMON = "tcp://127.0.0.1:1"   # nothing answers there: tasks run in-process, as with no daemon


@pytest.fixture(autouse=True)
def no_daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks (subprocesses) find no daemon unless a test gives one."""
    monkeypatch.setenv("RUSHES_SERVER", NO_DAEMON)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")


def renders(night: Night) -> dict[str, np.ndarray]:
    """Every rendered frame under the night's renders folder, by path relative to it."""
    base = night.root / "renders"
    return {str(p.relative_to(base)): media.read_image(p) for p in sorted(base.rglob("*.png"))}


def assert_same_renders(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def repairs_night(root: Path) -> Night:
    """Two wire shots cut into 3-frame chunks, an object removal and a look: no ingest, no training."""
    return make_night(root, wire_shots=2, frames=6, train_steps=None, ingest=False, chunk=3)


@pytest.fixture(scope="session")
def reference_renders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, np.ndarray]]:
    """The repairs night rendered once by the local engine (what the other engines must match)."""
    from inference_server.batch.graph import build_tasks
    from inference_server.batch.local import run_local
    from inference_server.batch.plan import load_plan

    night = repairs_night(tmp_path_factory.mktemp("reference"))
    old = os.environ.get("RUSHES_SERVER")
    os.environ["RUSHES_SERVER"] = NO_DAEMON
    try:
        plan = load_plan(night.plan)
        results = run_local(plan, build_tasks(plan))
    finally:
        if old is None:
            os.environ.pop("RUSHES_SERVER", None)
        else:
            os.environ["RUSHES_SERVER"] = old
    assert [r["status"] for r in results] == ["done"] * len(results), results
    yield renders(night)
