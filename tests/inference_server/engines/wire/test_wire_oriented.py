"""Ridges that run along the stroke, without the other polarity's side lobes, and wires followed
through their faint stretches."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import matte, ridges
from inference_server.engines.wire.paths import extend, hops

H, W = 120, 240


def _line(offset: float, width: float = 2.5, slope: float = 0.0) -> np.ndarray:
    """Coverage alpha (H, W) of a straight anti-aliased wire through row H/2 + offset."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    centre = H / 2 + offset + slope * (xx - W / 2)
    return np.clip(width / 2 + 0.5 - np.abs(yy - centre) / np.sqrt(1 + slope * slope), 0, 1).astype(np.float32)


def test_oriented_response_keeps_only_ridges_along_the_axis() -> None:
    img = np.full((H, W, 3), 0.5, np.float32)
    img[H // 2 - 1:H // 2 + 2] = 0.2  # a horizontal dark line
    img[:, W // 2 - 1:W // 2 + 2] = 0.2  # and a vertical one of the same contrast
    iso = ridges.ridge_response(img)[0]
    along_x = ridges.ridge_response(img, along=0)[0]
    along_y = ridges.ridge_response(img, along=1)[0]
    assert iso[H // 2, 40] > 0.3 and abs(iso[H // 2, 40] - iso[20, W // 2]) < 1e-4
    assert abs(along_x[H // 2, 40] - iso[H // 2, 40]) < 1e-4 and along_x[20, W // 2] < 1e-3
    assert abs(along_y[20, W // 2] - iso[20, W // 2]) < 1e-4 and along_y[H // 2, 40] < 1e-3


def test_a_direction_keeps_the_ridges_that_run_along_it() -> None:
    """A stroke on a diagonal weighs ridges by their angle to its own direction: a 45-degree wire keeps
    its whole response (by its angle to either axis it kept a quarter), a level line a quarter."""
    diagonal = _line(0, 2.5, 1.0)
    level = _line(-40, 2.5, 0.0)
    img = (np.full((H, W, 3), 0.6, np.float32) * (1 - np.maximum(diagonal, level)[:, :, None])
           + 0.3 * np.maximum(diagonal, level)[:, :, None]).astype(np.float32)
    iso = ridges.ridge_response(img)[0]
    along = ridges.ridge_response(img, along=ridges.Direction(float(np.pi / 4)))[0]
    by_x = ridges.ridge_response(img, along=0)[0]
    on_diagonal = (H // 2 + 10, W // 2 + 10)  # on the 45-degree wire
    on_level = (H // 2 - 40, 30)
    assert along[on_diagonal] > 0.9 * iso[on_diagonal] > 0.0
    assert by_x[on_diagonal] < 0.35 * iso[on_diagonal]
    assert 0.15 * iso[on_level] < along[on_level] < 0.35 * iso[on_level]


def test_side_lobes_of_a_bright_wire_are_no_dark_ridge() -> None:
    alpha = _line(0)
    img = (np.full((H, W, 3), 0.5, np.float32) * (1 - alpha[:, :, None]) + 0.95 * alpha[:, :, None]).astype(np.float32)
    band = slice(H // 2 - 10, H // 2 + 11)
    dark, bright, _, _ = ridges.ridge_response(img, along=0)
    assert float(dark[band, 120].max()) > 0.35 * float(bright[band, 120].max())  # the Hessian's flanks
    dark, bright, _, _ = ridges.ridge_response(img, along=0, side_lobe=matte.SIDE_LOBE)
    assert float(dark[band, 120].max()) < 0.2 * float(bright[band, 120].max())


def test_a_faint_wire_over_stripes_that_cross_the_stroke_is_found() -> None:
    """Stripes across the stroke (a wallpaper, a fence) out-score a faint wire in every
    direction-blind measure: the stroke was repaired whole. Along the stroke only the wire runs."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    stripes = (0.35 + 0.3 * ((xx // 12) % 2)).astype(np.float32)
    rng = np.random.default_rng(1)
    truth = np.repeat(stripes[:, :, None], 3, 2) + rng.normal(0, 0.01, (H, W, 3)).astype(np.float32)
    alpha = _line(0, 2.0, 0.05)
    plate = (truth * (1 - alpha[:, :, None]) + (stripes[:, :, None] - 0.12) * alpha[:, :, None]).astype(np.float32)
    hint = np.zeros((H, W), np.float32)
    hint[H // 2 - 14:H // 2 + 14, 8:W - 8] = 1.0
    m = matte.refine_wire_matte(plate, hint)
    core = (alpha > 0.5) & (hint > 0)
    assert float((m[core] > 0.3).mean()) > 0.95
    assert float((m > 0)[hint > 0].mean()) < 0.5  # the wire, not the whole stroke


def test_extend_follows_a_wire_through_weak_columns_on_its_line_only() -> None:
    w = 160
    on = np.zeros(w, bool)
    on[10:50] = True
    rows = np.full(w, 30, np.int64)
    rows[100:] = 45  # the path jumps to another line at column 100
    rows[80:92] += np.array([3, -3] * 6)  # and wanders over texture before it
    raw = np.full(w, 0.8, np.float32)
    raw[60:65] = 0.1  # a short dip on the wire's line: bridged
    grown = extend(on, rows, raw, 0.5, hops(rows))
    assert grown[:10].all() and grown[50:80].all()  # on along the same line, weak but present
    assert not grown[80:].any()  # not where the path leaves the line, nor onto the other line
    raw[55:75] = 0.0  # a long stretch without the wire: not bridged
    grown = extend(on, rows, raw, 0.5, hops(rows))
    assert grown[50:55].all() and not grown[55:].any()


def test_a_wire_at_45_degrees_over_tiles_is_found_along_its_stroke() -> None:
    """Tiles' joints run along both axes, as dark as a faint wire drawn at 45 degrees over them: by
    its angle to either axis the wire kept a quarter of its response and the joints all of theirs,
    nothing stood out and the whole stroke was repaired. Along the stroke's own direction the wire
    stands out."""
    h, w = 200, 200
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.full((h, w), 0.6, np.float32)
    base[((yy % 11) < 1) | ((xx % 13) < 1)] = 0.45
    truth = np.repeat(base[:, :, None], 3, 2) + np.random.default_rng(2).normal(0, 0.01, (h, w, 3)).astype(np.float32)
    centre = 20 + xx
    alpha = np.clip(1.5 - np.abs(yy - centre) / np.sqrt(2.0), 0, 1)
    plate = (truth * (1 - alpha[:, :, None]) + 0.45 * alpha[:, :, None]).astype(np.float32)
    hint = ((np.abs(yy - centre) <= 12) & (xx >= 10) & (xx < 170)).astype(np.float32)
    m = matte.refine_wire_matte(plate, hint)
    core = (alpha > 0.5) & (hint > 0)
    assert float((m[core] > 0.3).mean()) > 0.95
    assert float((m > 0)[hint > 0].mean()) < 0.5  # the wire, not the whole stroke


def test_a_wire_across_a_diagonal_stroke_is_still_found_across_it() -> None:
    """The search across a stroke looks for wires that cross it: a diagonal stroke's own direction
    weighs only the search along it, and an upright wire across a 30-degree stroke is found."""
    h, w = 300, 300
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(5)
    truth = (0.6 + 0.03 * rng.standard_normal((h, w, 3))).astype(np.float32)
    slope = 0.58
    centre = 30 + slope * xx
    diagonal = np.clip(1.5 - np.abs(yy - centre) / np.sqrt(1 + slope * slope), 0, 1)
    upright = np.clip(1.5 - np.abs(xx - 150), 0, 1) * (np.abs(yy - (30 + slope * 150)) <= 110)
    alpha = np.maximum(diagonal, upright)
    plate = (truth * (1 - alpha[:, :, None]) + 0.35 * alpha[:, :, None]).astype(np.float32)
    hint = (((np.abs(yy - centre) <= 12) & (xx >= 10) & (xx < 290))
            | ((np.abs(xx - 150) <= 12) & (np.abs(yy - (30 + slope * 150)) <= 110))).astype(np.float32)
    m = matte.refine_wire_matte(plate, hint)
    across = (upright > 0.5) & (np.abs(yy - (30 + slope * 150)) > 20) & (hint > 0)  # away from the crossing
    along = (diagonal > 0.5) & (hint > 0)
    assert float((m[along] > 0.3).mean()) > 0.9
    assert float((m[across] > 0.3).mean()) > 0.9
