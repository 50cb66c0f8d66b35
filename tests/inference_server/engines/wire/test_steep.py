"""Wires the search lost to a stroke's geometry: a steep wire in a wide diagonal stroke, a grey wire
between two dark ones, two strokes crossing as an X, a wire that enters its stroke at the frame's
edge and hides for a stretch."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import matte
from inference_server.engines.wire.paths import WirePath, find_paths, hops, lean, stroke_course


def _steep_scene(h: int = 240, w: int = 300, slope: float = 1.25, half: int = 27
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured wall with a grey wire 2.5 px thick at ``slope`` rows a column (51 degrees) and a
    stroke ``2 * half`` px wide (across its course, measured along a column) around it: (plate,
    hint, bool wire)."""
    rng = np.random.default_rng(5)
    base = 0.55 + 0.08 * np.sin(np.arange(w)[None, :] / 7.0) * np.cos(np.arange(h)[:, None] / 5.0)
    img = np.repeat(base[:, :, None], 3, axis=2) + rng.normal(0.0, 0.01, (h, w, 3))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    across = np.abs(ys - (slope * (xs - 40.0))) / np.hypot(1.0, slope)  # px from the wire's centre line
    wire = np.clip(1.75 - across, 0.0, 1.0)  # 2.5 px, anti-aliased
    img = img * (1 - wire[:, :, None]) + 0.25 * wire[:, :, None]
    hint = (np.abs(ys - slope * (xs - 40.0)) <= half * np.hypot(1.0, slope) / 1.0).astype(np.float32)
    return img.astype(np.float32), hint, wire >= 0.5


def test_a_steep_wire_in_a_wide_stroke_is_found_not_the_whole_stroke_repainted() -> None:
    # counted from the level, the path along a wire steeper than 1.2 rows a column "hopped" in every
    # column and nothing was found: the whole 54 px stroke was returned and repainted
    img, hint, wire = _steep_scene()
    m = matte.find_wire_matte(img, hint)[0] >= 0.5
    inside = hint > 0
    assert float(m[wire].mean()) > 0.9
    assert float(m[inside].mean()) < 0.3


def test_lean_reads_no_course_for_two_strokes_that_meet() -> None:
    # two cables' strokes side by side that meet for 100 columns (as two strokes crossing in an X
    # do by their crossing): the course fitted to the few columns where they are one run kept the
    # search off both wires elsewhere (a crossing pair was left as a V in a frame)
    h, w = 296, 480
    x = np.arange(w)
    ys = np.arange(h)[:, None]
    one = np.abs(ys - (20.0 + 0.5 * x)[None, :]) <= 10
    apart = np.where((x >= 190) & (x < 290), 10.0, 40.0)
    other = np.abs(ys - (20.0 + 0.5 * x + apart)[None, :]) <= 10
    assert lean(one) is not None
    assert lean(one | other) is None


def test_a_grey_wire_between_two_dark_ones_is_no_gap() -> None:
    """A path read as bright between two dark cores, but darker than what lies past them by a third
    of their contrast: a grey wire, not the wall between the two."""
    h, w = 40, 60
    lum = np.full((h, w), 0.9, np.float32)
    lum[10:13] = 0.05
    lum[24:27] = 0.05
    lum[17:20] = 0.35  # the grey wire, between walls at 0.9
    cores = [np.zeros((h, w), bool) for _ in range(3)]
    cores[0][9:14] = True
    cores[1][23:28] = True
    cores[2][16:21] = True
    paths = [WirePath(np.full(w, r, np.int64), np.ones(w, bool), np.ones(w, np.float32)) for r in (11, 25, 18)]
    gains = {"dark": np.zeros((h, w), np.float32), "bright": np.zeros((h, w), np.float32)}
    gains["dark"][10:13] = gains["dark"][24:27] = 5.0
    gains["bright"][14:23] = 3.0  # at the search's wider scales the middle reads as a bright ridge
    gaps = matte.between_lines(paths, cores, gains, lum)
    assert not any(g.any() for g in gaps)
    lum[17:20] = 0.9  # no grey wire: the wall between them is a gap
    assert matte.between_lines(paths, cores, gains, lum)[2].all()


def test_a_wire_entering_the_stroke_keeps_its_run_before_its_path_slipped() -> None:
    # the wire runs from the stroke's left end (the frame's edge) for 30 columns, is hidden for 25 (a
    # pale lamp), and goes on; beside where it hides a lamp's edge runs level, and the path slips onto
    # it there: the 30 columns before the slip were shorter than half a wire's length and dropped
    h, w = 200, 300
    x = np.arange(w)
    wire = np.rint(30.0 + 0.45 * x).astype(int)
    gain = np.full((h, w), 0.2, np.float32)
    seen = (x < 30) | (x >= 55)
    gain[wire[seen], x[seen]] = 5.0
    gain[wire[55] + 2, 33:55] = 4.0  # the lamp's edge, level, where the wire is hidden
    scale = np.full((h, w), 1.5, np.float32)
    paths = find_paths(gain, np.ones((h, w), bool), scale, min_len=72, texture=1.0)
    covered = np.zeros(w, bool)
    for p in paths:
        covered |= p.on & (np.abs(p.rows - wire) <= 1)
    assert covered[:28].mean() > 0.9 and covered[60:].mean() > 0.9


def test_a_steep_wires_path_hops_nowhere_counted_from_its_strokes_course() -> None:
    # the contract the search and the joint lines of colour (``matte._axis_cores``) both rely on
    _, hint, wire = _steep_scene()
    inside = hint > 0
    rows = np.full(inside.shape[1], -1, np.int64)
    cols = [x for x in np.nonzero(inside.any(axis=0))[0] if wire[:, x].any()]
    rows[cols] = [int(np.nonzero(wire[:, x])[0].mean()) for x in cols]
    assert hops(rows).sum() > 0.8 * len(cols)  # from the level: a hop in nearly every column
    assert not hops(rows, course=stroke_course(inside)).any()
