"""A cable lit from one side: a dark half touching a bright half (``paths.other_half``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.engines.wire import matte
from inference_server.engines.wire.paths import Polar, corridor

DARK, BRIGHT = np.float32([0.04, 0.04, 0.05]), np.float32([0.93, 0.92, 0.88])


@pytest.mark.parametrize("frame", [0, 5])
def test_both_halves_of_a_cable_lit_from_one_side_are_matted(shared_data: Path, frame: int) -> None:
    """Over real footage (the schoolgirls' yard), a sagging cable, 2.5 px halves 3 px apart, in a
    tight stroke: the dark half was swallowed by the bright one's corridor (80% of it matted)."""
    img = media.open_sequence(str(shared_data / "footage/schoolgirls-480p/video.mp4"))[frame].pixels
    plate = img[:, :, :3].astype(np.float32) / 255.0
    h, w = plate.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    centre = 0.3 * h + 0.15 * h * (1 - ((xx - w / 2) / (w / 2)) ** 2)
    dark, bright = (np.clip(1.75 - np.abs(yy - centre - off), 0, 1).astype(np.float32) for off in (-1.5, 1.5))
    for alpha, colour in ((dark, DARK), (bright, BRIGHT)):
        plate = plate * (1 - alpha[:, :, None]) + colour * alpha[:, :, None]
    hint = (np.abs(yy - centre) <= 8).astype(np.float32)
    hint[:, :8] = hint[:, -8:] = 0.0
    m = matte.refine_wire_matte(plate.astype(np.float32), hint)
    for alpha in (dark, bright):
        core = (alpha > 0.5) & (hint > 0)
        assert float((m[core] > 0.3).mean()) > 0.98
    assert float((m > 0)[hint > 0].mean()) < 0.7  # the stroke's background is kept


def _gains(bright_rows: list[tuple[int, int]], dark_rows: list[tuple[int, int]], w: int = 80,
           region: tuple[int, int, float] | None = None) -> tuple[np.ndarray, Polar]:
    """(gain, Polar) of bright ridges (peak 10, luminance 0.9) and dark ones (4, luminance 0.1) at the
    rows given over a background of 0.5; ``region``: rows (from, to) of a flat region at a luminance."""
    bright, dark, signed = (np.zeros((40, w), np.float32) for _ in range(3))
    lum = np.full((40, w), 0.5, np.float32)
    if region is not None:
        lum[region[0]:region[1]] = region[2]
    for rows, gain, level, excess, value in ((bright_rows, bright, 10.0, 0.3, 0.9), (dark_rows, dark, 4.0, -0.2, 0.1)):
        for a, b in rows:
            gain[a:b] = level
            signed[a:b] = excess
            lum[a:b] = value
    return np.maximum(dark, bright), Polar(dark, bright, signed, lum)


def test_the_corridor_stops_short_of_a_dark_half_touching_the_wire_only() -> None:
    rows, reach = np.full(80, 20), np.full(80, 10.0)
    touching = _gains([(19, 22)], [(22, 25)])
    assert corridor(touching[0], rows, reach, touching[1])[1].max() <= 2  # short of the dark half
    assert corridor(touching[0], rows, reach)[1].min() >= 5               # without polarity: swallowed
    for gain, polar in (_gains([(19, 22)], [(26, 29)]),                   # the background between: scenery
                        _gains([(19, 22)], [(16, 19), (22, 25)]),         # a halo on both sides: the wire's
                        _gains([(19, 22), (25, 28)], [(22, 25)]),         # between two bright wires: background
                        _gains([(19, 22)], [(22, 25)], region=(25, 40, 0.95))):  # a bright region past it, not
        assert corridor(gain, rows, reach, polar)[1].min() >= 5          # the wire's background: scenery
