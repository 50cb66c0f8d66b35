"""A pixel lent only from inside the neighbours' own wire mattes is painted where it stands off what
painting gives by more than the surroundings' texture (``doubted_lent``): a wire's fringe, lent."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.repair import doubted_lent

H, W = 40, 80
FRINGE = (20, slice(30, 36))  # a row of pixels a neighbour lent from its wire's feather


def _case(background: np.ndarray, lent_value: float, clean_there: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(target, filled, clean, hole, lent, seen): a dark wire (rows 18-21) over ``background``, all
    of its hole (rows 15-25) lent; the background itself, except ``FRINGE`` at ``lent_value``, whose
    candidates were ``clean_there`` off their own wires (everything else 1.0)."""
    target = np.repeat(background[:, :, None], 3, axis=2).astype(np.float32)
    target[18:22] = 0.05
    hole = np.zeros((H, W), bool)
    hole[15:26] = True
    filled = np.repeat(background[:, :, None], 3, axis=2).astype(np.float32)
    filled[FRINGE] = lent_value
    clean = np.ones((H, W), np.float32)
    clean[FRINGE] = clean_there
    return target, filled, clean, hole, hole.copy(), np.zeros((H, W), np.float32)


def _wall() -> np.ndarray:
    return np.full((H, W), 0.75, np.float32)


def _stripes() -> np.ndarray:
    """Upright stripes 0.6 / 0.9, 2 px each: a background as busy as a fence (deviation 0.15)."""
    return np.where((np.arange(W) // 2) % 2 == 0, 0.6, 0.9)[None, :].repeat(H, axis=0).astype(np.float32)


def test_a_dark_fringe_lent_over_a_pale_wall_is_doubted_and_nothing_else() -> None:
    out = doubted_lent(*_case(_wall(), 0.55, 0.2))  # 0.2 darker than the wall
    assert out[FRINGE].all()
    rest = np.ones((H, W), bool)
    rest[FRINGE] = False
    assert not out[rest].any()


def test_the_same_pixels_lent_from_off_the_neighbours_wires_are_kept() -> None:
    assert not doubted_lent(*_case(_wall(), 0.55, 0.8)).any()  # clean 0.8: off their wires, lent as they are


def test_a_fringe_within_the_walls_own_grain_is_kept() -> None:
    assert not doubted_lent(*_case(_wall(), 0.75 - 1.5 / 255, 0.2)).any()  # under DOUBT_FLOOR


def test_over_a_busy_background_a_pixel_as_far_off_is_kept_and_the_wire_itself_is_not() -> None:
    """0.2 off what painting gives is no fringe over stripes that vary by 0.15 (it was over the
    wall); the wire's own 0.05 lies farther off than they ever do."""
    background = _stripes()
    target, filled, clean, hole, lent, seen = _case(background, 0.5, 0.2)
    filled[FRINGE] = background[FRINGE][:, None] - 0.2
    assert not doubted_lent(target, filled, clean, hole, lent, seen).any()
    filled[FRINGE] = 0.05
    assert doubted_lent(target, filled, clean, hole, lent, seen)[FRINGE].all()


def test_pixels_not_lent_are_never_doubted() -> None:
    target, filled, clean, hole, lent, seen = _case(_wall(), 0.55, 0.2)
    lent[FRINGE] = False  # painted already
    assert not doubted_lent(target, filled, clean, hole, lent, seen).any()
