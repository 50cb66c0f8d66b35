"""A repair never leaves a pixel nearer the wire's colour than the plate was (``away_from_wire``)."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.repair import away_from_wire

H, W = 40, 80


def _frame(background: tuple[float, float, float]) -> np.ndarray:
    return np.broadcast_to(np.array(background, np.float32), (H, W, 3)).copy()


def test_a_fill_darker_than_the_plate_beside_a_dark_wire_is_held_at_the_plate() -> None:
    plate = _frame((0.8, 0.7, 0.6))
    plate[18:21] = 0.05  # a dark wire
    hole = np.zeros((H, W), bool)
    hole[13:26] = True  # the matte reaches 5 px past it, over the wall the plate shows
    fill = _frame((0.8, 0.7, 0.6))
    fill[22, 30:36] = (0.55, 0.45, 0.35)  # a neighbour's pixel still part wire, lent beside it
    fill[5, 30:36] = 0.3  # outside the hole: not this function's
    out = away_from_wire(plate, fill, hole)
    assert np.allclose(out[22, 30:36], plate[22, 30:36])  # the plate: the wall, nearer than the fill
    assert np.allclose(out[18:21], fill[18:21])  # the wire taken out stays out
    rest = np.ones((H, W), bool)
    rest[22, 30:36] = False
    assert np.array_equal(out[rest], fill[rest])  # nothing else moves, outside the hole least of all


def test_a_bright_wires_pixel_beside_a_dark_wire_is_not_held_at_its_brightness() -> None:
    """A dark and a bright wire 3 px apart over a blue wall: in blue the dark wire's change is the
    larger around the bright one's pixels, but those pixels stand off the wall the other way."""
    plate = _frame((0.2, 0.3, 0.5))
    plate[16:19] = 0.05  # dark
    plate[21:23] = (0.95, 0.95, 0.95)  # bright
    hole = np.zeros((H, W), bool)
    hole[12:27] = True
    fill = _frame((0.2, 0.3, 0.5))
    fill[21:23] = (0.3, 0.4, 0.9)  # the bright wire taken out in red and green, barely in blue
    out = away_from_wire(plate, fill, hole)
    assert np.allclose(out[21:23], fill[21:23])  # not put back to the wire's blue
    assert np.allclose(out[16:19], fill[16:19])


def test_where_the_fill_lies_on_the_walls_side_nothing_changes() -> None:
    rng = np.random.default_rng(0)
    plate = _frame((0.5, 0.5, 0.5)) + rng.normal(0, 0.01, (H, W, 3)).astype(np.float32)
    plate[20:22] = 0.05
    hole = np.zeros((H, W), bool)
    hole[16:26] = True
    fill = plate.copy()
    fill[hole] = 0.5 + rng.normal(0, 0.01, (int(hole.sum()), 3)).astype(np.float32) + 0.05  # brighter than the plate
    assert np.array_equal(away_from_wire(plate, fill, hole), fill)


def test_a_mean_within_the_plates_noise_of_it_is_left_where_it_is() -> None:
    """Where the fill is the mean of still frames (``slack``: the plates' own noise there), a pixel
    beside a dark wire whose plate came out brighter than the mean by its noise alone is no sign of
    the wire: held to the plate exactly, the mean took back each frame's noise there. A fill darker
    than the plate by more than that is still held, to the plate less the slack."""
    rng = np.random.default_rng(1)
    plate = _frame((0.6, 0.6, 0.6)) + rng.normal(0, 0.004, (H, W, 3)).astype(np.float32)
    plate[18:21] = 0.05  # a dark wire
    hole = np.zeros((H, W), bool)
    hole[13:26] = True
    fill = _frame((0.6, 0.6, 0.6))  # the still background's mean: no noise
    fill[24, 30:36] = 0.5  # a pixel still part wire, lent beside it
    slack = np.where(hole, np.float32(0.012), np.float32(0.0)).astype(np.float32)
    out = away_from_wire(plate, fill, hole, slack)
    quiet = hole.copy()
    quiet[18:21] = False
    quiet[24, 30:36] = False
    moved = (out[quiet] != fill[quiet]).any(axis=1).mean()
    assert moved < 0.01  # the mean kept where the plate is within its noise of it (3 sigma: a stray pixel)
    assert np.allclose(out[24, 30:36], plate[24, 30:36] - 0.012)  # the part-wire pixel still held
    held = away_from_wire(plate, fill, hole)  # no slack: held to the plate wherever it came out brighter
    assert (held[quiet] != fill[quiet]).any(axis=1).mean() > 0.3
