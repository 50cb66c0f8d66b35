"""A wire's extent (``matte._extent``) ends where a flat region beside it begins: past the wire's
flank, an excess that no longer falls is something darker than the surroundings lying beside
the wire (a car's body, a wristband), not the wire. A thick wire's flat middle, and a blurred
wire's long ramp, are the wire's own and are kept."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import matte

H, W, ROW = 30, 20, 12


def _extent(profile: list[float], plateau: bool) -> tuple[int, int]:
    """(up, down) extent, px, of a path along row ``ROW`` whose excess below it follows ``profile``
    (from the path's row down) and mirrors it above; a limit of 10 px."""
    excess = np.zeros((H, W), np.float32)
    for k, v in enumerate(profile):
        excess[ROW + k] = v
        excess[ROW - k] = v
    up, down = matte._extent(excess, np.full(W, ROW, np.int64), np.full(W, 10, np.int64), plateau)
    assert np.all(up == up[0]) and np.all(down == down[0])
    return int(up[0]), int(down[0])


def test_a_flat_region_beside_a_thin_wire_ends_its_extent() -> None:
    beside = [1.0, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert _extent(beside, plateau=False) == (10, 10)  # the region ran to the limit
    assert _extent(beside, plateau=True) == (3, 3)     # the wire, its flank, and a row of the flat


@pytest.mark.parametrize("profile, reach", [
    ([1.0, 1.0, 1.0, 1.0, 0.98, 0.5, 0.1, 0.0], 5),             # a thick wire: its flat middle is its own
    ([1.0, 0.92, 0.83, 0.72, 0.6, 0.47, 0.35, 0.27, 0.2, 0.1], 7),  # a blurred wire's ramp keeps falling
])
def test_a_thick_or_blurred_wire_keeps_its_extent(profile: list[float], reach: int) -> None:
    assert _extent(profile, plateau=True) == _extent(profile, plateau=False) == (reach, reach)
