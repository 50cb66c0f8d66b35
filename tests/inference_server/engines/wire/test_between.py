"""The background between two wires is no wire: a path along the bright gap between two dark
wires is not matted there, and a bright wire of its own between them still is."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import matte

H, W = 100, 240


def _plate(gap: int, middle: float | None = None, scale: float = 1.0) -> tuple[np.ndarray, int, int]:
    """A wall at 0.6 (times ``scale``) with two dark wires 3 px thick, ``gap`` px of wall between
    them; with ``middle``, a bright wire 2 px thick at rows 49-50, halfway. Returns (plate, first
    row of the upper wire, first row of the lower one)."""
    img = np.full((H, W, 3), 0.6, np.float32)
    img += np.random.default_rng(3).normal(0.0, 0.01, img.shape).astype(np.float32)
    upper, lower = 50 - gap // 2 - 3, 50 + gap // 2
    img[upper:upper + 3] = 0.08
    img[lower:lower + 3] = 0.08
    if middle is not None:
        img[49:51] = middle
    return img * np.float32(scale), upper, lower


def _hint() -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[30:72, 4:W - 4] = 1.0
    return hint


@pytest.mark.parametrize("scale", [1.0, 40.0])  # display-referred, and scene-linear (read in log)
def test_the_wall_between_two_wires_is_not_matted(scale: float) -> None:
    img, upper, lower = _plate(12, scale=scale)
    m = matte.find_wire_matte(img, _hint())[0][:, 20:220] >= 0.5
    assert float(m[upper:upper + 3].mean()) > 0.95 and float(m[lower:lower + 3].mean()) > 0.95  # both wires
    # the middle of the wall between them keeps the plate (a path ran along it, and was matted)
    assert float(m[upper + 6:lower - 3].mean()) < 0.05


def test_a_bright_wire_between_two_dark_ones_is_matted() -> None:
    img, upper, lower = _plate(12, middle=0.95)
    m = matte.find_wire_matte(img, _hint())[0][:, 20:220] >= 0.5
    assert float(m[49:51].mean()) > 0.95
    assert float(m[upper:upper + 3].mean()) > 0.95 and float(m[lower:lower + 3].mean()) > 0.95


def test_between_lines_names_the_columns_of_a_gap_only() -> None:
    """A bright path between two dark cores: a gap where it is no brighter than what lies past
    them, a line where it stands out from that as far as they do."""
    h, w = 40, 60
    lum = np.full((h, w), 0.6, np.float32)
    lum[10:13] = 0.1
    lum[24:27] = 0.1
    lum[17:20, 30:] = 0.95  # the right half: a bright wire of its own in the middle of the gap
    cores = [np.zeros((h, w), bool) for _ in range(3)]
    cores[0][9:14] = True
    cores[1][23:28] = True
    cores[2][13:24] = True  # the path's core: from one wire to the other
    paths = [matte.WirePath(np.full(w, r, np.int64), np.ones(w, bool), np.ones(w, np.float32)) for r in (11, 25, 18)]
    gains = {"dark": np.zeros((h, w), np.float32), "bright": np.zeros((h, w), np.float32)}
    gains["dark"][10:13] = gains["dark"][24:27] = 5.0
    gains["bright"][14:23] = 3.0
    gaps = matte.between_lines(paths, cores, gains, lum)
    assert not gaps[0].any() and not gaps[1].any()      # the wires either side are no gap
    assert gaps[2][:26].all() and not gaps[2][34:].any()
