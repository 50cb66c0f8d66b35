"""A wire's core is measured from where the wire is, where its path ran a few px off it."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import matte
from inference_server.engines.wire.matte import _wire_matte
from inference_server.engines.wire.paths import WirePath

H, W = 80, 240
OFF = slice(100, 160)  # the columns where the path ran on a pattern's ridge 4 px above the wire


def _core(wire: float, pattern: float, path_off: int) -> np.ndarray:
    """The core ``_wire_matte`` measures for a bright 3 px wire at row 40 (excess ``wire``) beside a
    pattern's ridge at row 36 over ``OFF`` (excess ``pattern``), along a path at row 40 that runs
    ``path_off`` rows above it over ``OFF``."""
    excess = np.zeros((H, W), np.float32)
    excess[39:42] = wire
    excess[36, OFF] = pattern
    rows = np.full(W, 40, np.int64)
    rows[OFF] -= path_off
    on = np.ones(W, bool)
    gains = {"bright": excess * 4.0}
    peak = {"bright": np.full((H, W), 1.2, np.float32)}
    core, _ = _wire_matte(WirePath(rows, on, np.full(W, 4.0, np.float32)), gains, peak,
                          {"bright": excess, "bright-median": excess}, 20.0, 0, np.ones((H, W), bool))
    return core


def test_where_the_path_ran_off_the_wire_the_core_still_holds_it() -> None:
    core = _core(1.0, 0.4, 4)
    assert core[39:42, OFF].all()  # the wire, 4 px under the path there
    assert core[39:42].all()


def test_without_it_the_wire_under_the_stray_path_is_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matte, "RECENTRE", 0)
    core = _core(1.0, 0.4, 4)
    assert not core[40:42, OFF].any()  # the measure this guards against: the core stops at the pattern


def test_a_path_on_a_faint_wire_beside_a_stronger_pattern_keeps_its_core() -> None:
    # the wire's contrast does not fall along its path: nothing moves, and the core never shrinks
    core = _core(0.3, 1.0, 0)
    assert core[39:42].all()
    assert not core[36, OFF].any()
