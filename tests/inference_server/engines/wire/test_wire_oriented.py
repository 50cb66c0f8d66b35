"""Ridges that run along the stroke, without the other polarity's side lobes, and wires followed
through their faint stretches."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import matte
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
    iso = matte.ridge_response(img)[0]
    along_x = matte.ridge_response(img, along=0)[0]
    along_y = matte.ridge_response(img, along=1)[0]
    assert iso[H // 2, 40] > 0.3 and abs(iso[H // 2, 40] - iso[20, W // 2]) < 1e-4
    assert abs(along_x[H // 2, 40] - iso[H // 2, 40]) < 1e-4 and along_x[20, W // 2] < 1e-3
    assert abs(along_y[20, W // 2] - iso[20, W // 2]) < 1e-4 and along_y[H // 2, 40] < 1e-3


def test_side_lobes_of_a_bright_wire_are_no_dark_ridge() -> None:
    alpha = _line(0)
    img = (np.full((H, W, 3), 0.5, np.float32) * (1 - alpha[:, :, None]) + 0.95 * alpha[:, :, None]).astype(np.float32)
    band = slice(H // 2 - 10, H // 2 + 11)
    dark, bright, _, _ = matte.ridge_response(img, along=0)
    assert float(dark[band, 120].max()) > 0.35 * float(bright[band, 120].max())  # the Hessian's flanks
    dark, bright, _, _ = matte.ridge_response(img, along=0, side_lobe=matte.SIDE_LOBE)
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
