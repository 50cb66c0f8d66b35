"""Over a line a later pass mends (the first matte missed it), a pixel the neighbours lent that
reproduces the plate's own line is the line again, shown by neighbours whose mattes missed it too,
and is painted (``lent_again``); a pixel they lent off the line is kept, and so is a pixel of the ring
around the line that the plate shows as background."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.repair import lent_again
from inference_server.engines.wire.synthetic import texture

H, W = 40, 80
LINE = (slice(18, 21), slice(10, 70))  # a dark wire, 3 rows, that the first matte missed
RING = (slice(17, 22), slice(9, 71))   # the line grown by a pixel, as the later pass mends it


def _case(lent_value: float, background: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(target, filled, line, hole, lent, seen): a dark wire (0.1) over a 0.7 wall (or ``background``),
    its hole (rows 15-23) all lent: the background, except the line's pixels, lent at ``lent_value``."""
    bg = np.full((H, W, 3), 0.7, np.float32) if background is None else background
    target = bg.copy()
    target[LINE] = 0.1
    filled = bg.copy()
    filled[LINE] = lent_value
    line = np.zeros((H, W), np.uint8)
    line[RING] = 1
    line[LINE] = 2
    hole = np.zeros((H, W), bool)
    hole[15:24, 5:75] = True
    return target, filled, line, hole, hole.copy(), np.zeros((H, W), np.float32)


def test_the_line_lent_back_is_taken_again_and_nothing_else() -> None:
    out = lent_again(*_case(0.1 + 3 / 255))  # the wire as the neighbours hold it, a little grain apart
    assert out[LINE].all()
    rest = np.ones((H, W), bool)
    rest[LINE] = False
    assert not out[rest].any()


def test_the_wall_lent_over_the_line_is_kept() -> None:
    assert not lent_again(*_case(0.7)).any()


def test_a_lent_pixel_partway_between_the_line_and_the_wall_is_kept() -> None:
    """0.4: a third of the way from the wire to the wall, farther than ``AGAIN`` of the line's contrast
    (0.6 x 0.25 = 0.15): a neighbour's pixel partly off its wire, not the line again."""
    assert not lent_again(*_case(0.4)).any()


def test_the_ring_is_the_line_where_the_plate_shows_the_wire_there_and_background_elsewhere() -> None:
    """Over busy texture, the ring's background pixels lent exactly as the plate shows them stand off
    the paint (texture), as the line's do: they are kept. Where the wire reaches into the ring (its
    edge, dark in the plate and lent back dark), they are the line's too."""
    busy = (texture(H, W, 4) * 0.5 + 0.45).astype(np.float32)
    target, filled, line, hole, lent, seen = _case(0.1, busy)
    ring = (line == 1)
    out = lent_again(target, filled, line, hole, lent, seen)
    assert out[LINE].all() and not out[ring].any()
    edge = (slice(21, 22), slice(10, 70))  # the wire a row wider than the line found
    target[edge] = 0.12
    filled[edge] = 0.12
    assert lent_again(target, filled, line, hole, lent, seen)[edge].all()


def test_no_line_against_its_surroundings_means_nothing_to_take_again() -> None:
    target, filled, line, hole, lent, seen = _case(0.7)
    target[LINE] = 0.7 - 1 / 255  # the "line" is the wall: under DOUBT_FLOOR off what painting gives
    filled[LINE] = 0.7 - 1 / 255
    assert not lent_again(target, filled, line, hole, lent, seen).any()


def test_pixels_not_lent_are_never_taken_again() -> None:
    target, filled, line, hole, lent, seen = _case(0.1)
    lent[LINE] = False  # painted already
    assert not lent_again(target, filled, line, hole, lent, seen).any()
