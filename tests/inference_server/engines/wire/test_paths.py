"""Following wires through a gain map: no swap between two strong wires, and a wire the DP path
left is followed on to its end."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.paths import WirePath, _best_path, find_paths, lean, trace, track


def _line(h: int, w: int, y0: float, slope: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    xs = np.arange(w)
    ys = np.rint(y0 + slope * xs).astype(int)
    g = np.zeros((h, w), np.float32)
    g[ys, xs] = level
    return g, ys


def test_track_follows_the_wire_past_where_its_path_left_it() -> None:
    h, w = 60, 200
    gain, ys = _line(h, w, 20.0, 0.1, 5.0)
    rows = ys.copy()
    rows[61:] = 45  # the DP path hopped to another line at column 61
    on = np.zeros(w, bool)
    on[:61] = True
    inside = np.ones((h, w), bool)
    ext = track(gain, inside, WirePath(rows, on, gain[rows, np.arange(w)]), level=1.0)
    assert len(ext) == 1
    cols = np.nonzero(ext[0].on)[0]
    assert cols.min() == 61 and cols.max() == w - 1
    assert np.abs(ext[0].rows[cols] - ys[cols]).max() <= 1


def test_track_crosses_a_short_gap_but_not_a_long_one() -> None:
    h, w = 40, 160
    gain, ys = _line(h, w, 15.0, 0.0, 5.0)
    gain[:, 70:76] = 0.0    # a lead line: 6 columns without the wire
    gain[:, 100:] = 0.0     # the wire ends at column 99
    on = np.zeros(w, bool)
    on[:40] = True
    path = WirePath(ys.copy(), on, gain[ys, np.arange(w)])
    ext = track(gain, np.ones((h, w), bool), path, level=1.0)
    cols = np.nonzero(ext[0].on)[0]
    assert cols.min() == 40 and cols.max() == 99  # the gap bridged, nothing past the wire's end


def test_two_strong_wires_are_each_followed_whole_without_swapping() -> None:
    # two wires thousands of times the texture's level, each the stronger on one half of the
    # stroke: the best path through the raw gain swaps from one to the other half way (the swap is
    # cut as a hop and both wires keep a stub)
    h, w = 70, 300
    a, ya = _line(h, w, 20.0, 0.03, 800.0)
    b, yb = _line(h, w, 50.0, -0.03, 800.0)
    a[:, 150:] *= 0.4
    b[:, :150] *= 0.4
    gain = np.maximum(a, b) + np.float32(0.2)
    inside = np.ones((h, w), bool)
    paths = find_paths(gain, inside, np.full((h, w), 1.0, np.float32), min_len=40)
    on_a = np.zeros(w, bool)
    on_b = np.zeros(w, bool)
    for p in paths:
        on_a |= p.on & (np.abs(p.rows - ya) <= 1)
        on_b |= p.on & (np.abs(p.rows - yb) <= 1)
        assert (np.minimum(np.abs(p.rows - ya), np.abs(p.rows - yb))[p.on] <= 1).all()  # no column off both wires
    assert on_a.all() and on_b.all(), (np.nonzero(~on_a)[0][:5], np.nonzero(~on_b)[0][:5])


def test_texture_score_of_a_stroke_wider_than_its_crop_is_zero() -> None:
    from inference_server.engines.wire.matte import texture_score

    inside = np.zeros((40, 60), bool)
    inside[5:35] = True
    assert texture_score(np.ones((40, 60), np.float32), inside, width=45.0) == 0.0  # was a broadcast error


def _ridge(h: int, w: int, y: int, half: int, level: float) -> np.ndarray:
    g = np.zeros((h, w), np.float32)
    for d in range(-half, half + 1):
        g[y + d] = level * (1.0 - abs(d) / (half + 1))
    return g


def test_a_wire_beside_a_wide_ridge_keeps_its_own_path() -> None:
    # a rig's two lines 10 px apart: the stronger one reads as a wide ridge (scale 5, as over
    # bright texture), so its corridor (twice the scale + 2 px) would reach 12 px and swallow
    # the other; that one must still be found on its own row, whole
    h, w = 60, 240
    strong = _ridge(h, w, 30, 3, 12.0)
    weak = _ridge(h, w, 20, 1, 7.0)
    gain = np.maximum(strong, weak)
    scale = np.full((h, w), 1.0, np.float32)
    scale[27:34] = 5.0
    paths = find_paths(gain, np.ones((h, w), bool), scale, min_len=60, texture=1.0)
    on_weak = np.zeros(w, bool)
    for p in paths:
        on_weak |= p.on & (np.abs(p.rows - 20) <= 1)
    assert on_weak.all(), np.nonzero(~on_weak)[0][:5]


def test_faint_lobes_beside_a_wire_are_not_found_as_wires() -> None:
    # a blurred wire's ridge with faint side bumps (a fifth of its gain, twice the texture's)
    # 9-10 px either side: inside its corridor, never a wire of their own
    h, w = 60, 240
    gain = _ridge(h, w, 30, 3, 13.0)
    gain[20:22] = 2.6
    gain[39:41] = 2.6
    scale = np.full((h, w), 5.0, np.float32)
    paths = find_paths(gain, np.ones((h, w), bool), scale, min_len=60, texture=1.0)
    assert len(paths) == 1 and np.abs(paths[0].rows - 30).max() <= 1


def _diagonal_stroke(h: int, w: int, y0: float, slope: float, half: int) -> np.ndarray:
    ys = np.arange(h)[:, None]
    centre = y0 + slope * np.arange(w)[None, :]
    return np.asarray(np.abs(ys - centre) <= half)


def test_a_faint_wire_on_a_diagonal_is_followed_along_its_stroke() -> None:
    # a wire at 30 degrees, 0.6 a column over texture at 0.3 everywhere: counted from the level, every
    # path across the stroke pays for the same climb, and the best one cut the stroke's corners off
    # the wire at both ends (columns 0-10 and 189-199); counted from the stroke's own course, the
    # wire is the best path end to end
    h, w, slope = 140, 200, 0.58
    rng = np.random.default_rng(3)
    gain = (0.3 + 0.02 * rng.random((h, w))).astype(np.float32)
    ys = np.rint(10.3 + slope * np.arange(w)).astype(int)  # the wire 0.3 px off the stroke's middle
    gain[ys, np.arange(w)] = 0.6
    inside = _diagonal_stroke(h, w, 10.0, slope, 8)
    rows = trace(gain, inside)
    assert np.mean(np.abs(rows - ys) <= 1) >= 0.95
    diagonal = lean(inside)
    assert diagonal is not None and np.abs(diagonal[0] - (10.0 + slope * np.arange(w))).max() < 0.5


def test_a_level_stroke_is_searched_as_it_was_and_a_hand_wobble_is_no_course() -> None:
    h, w = 120, 400
    x = np.arange(w)
    ys = np.arange(h)[:, None]
    sag = 30.0 + 50.0 * (1 - ((x - w / 2) / (w / 2)) ** 2)  # 0.5 a column at its ends, level in its middle
    assert lean(np.abs(ys - sag[None, :]) <= 6) is None
    wobbly = np.abs(ys - (20.0 + 0.1 * x + 6.0 * np.sin(x / 9.0))[None, :]) <= 6  # a hand's wobble of 0.67 a column
    assert lean(wobbly) is None
    gentle = np.abs(ys - (5.0 + 0.25 * x + 6.0 * np.sin(x / 9.0))[None, :]) <= 6
    assert lean(gentle) is None  # 0.25 a column: level enough, its steps paid as before
    gain = np.random.default_rng(4).random((h, w)).astype(np.float32)
    cols = gentle.any(axis=0)
    g = np.where(gentle, gain, -1e6).astype(np.float32)
    g[:, ~cols] = 0.0
    x0, x1 = int(np.nonzero(cols)[0][0]), int(np.nonzero(cols)[0][-1]) + 1
    want = _best_path(np.ascontiguousarray(g[:, x0:x1].T), 2, np.float32(1.5))
    assert np.array_equal(trace(gain, gentle)[x0:x1], want)  # searched as before: the same path
    h2 = 300
    steep = np.abs(np.arange(h2)[:, None] - (5.0 + 0.6 * x + 6.0 * np.sin(x / 9.0))[None, :]) <= 6
    diagonal = lean(steep)
    assert diagonal is not None and np.abs(diagonal[0] - (5.0 + 0.6 * x)).max() < 3  # the wobble averaged out


def test_a_stroke_crossed_by_another_reads_its_course_beside_the_crossing() -> None:
    h, w = 200, 300
    inside = _diagonal_stroke(h, w, 20.0, 0.5, 6)
    inside[:, 140:160] = True  # a stroke across it, as tall as the crop
    diagonal = lean(inside)
    assert diagonal is not None and np.abs(diagonal[0] - (20.0 + 0.5 * np.arange(w))).max() < 1.0
