"""Following wires through a gain map: the best smooth path, then the next, until none is left;
each wire found is followed on past where its path left it (``track``).

``gain`` is float32 (H, W), >= 0, in units of the plate's texture (1 = as strong as the
texture's ridges around the hint); paths run along x (transpose for a vertical stroke).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference_server.engines.wire.compiled import compiled

PENALTY = 1.5      # per pixel of sideways step, in units of the texture's ridge response
EVIDENCE = 1.0     # a path column shows a wire where its gain reaches this (and the texture's own score)
ACCEPT = 2.0       # a path is a wire when its median gain reaches this, and twice the texture's score
GAP = 8            # columns without evidence bridged inside a run (faint or briefly hidden wire)
END_FIT = 3.0      # px: a short run at a path's end lies this near the course of the wire it holds (``end_runs``)
MAX_WIRES = 6      # paths searched per stroke and axis
WEAK = 0.5        # a found wire is followed on through columns whose gain reaches this fraction of EVIDENCE's level
LONG = 0.6         # a path on this fraction of the stroke's length is held to a lower margin over the texture
FADE = 0.1         # a wire's ridge ends across it where its gain falls under this fraction of its peak
RIVAL = 0.5        # a ridge beside a wire this fraction as strong as it is another wire: the corridor stops short of it
MARGIN = 3         # px of a wire's corridor kept past its ridge even then (its soft edge)
STEEP = 0.4        # rows a column: a stroke this steep over most of its length is searched along its course (``lean``)
ACROSS = 1.2       # rows a column: ... up to this steep (past it, the other axis's search is the stroke's)
STEER = 25.0       # the path is traced on the gain seen through a soft ceiling this many times the evidence level
# a cable lit from one side is two lines side by side, a bright half and a dark one (``other_half``):
OTHER = 0.2        # a ridge of the other polarity this fraction as strong as the wire, within its corridor, ...
TOUCH = 1          # ... whose excess begins within this many px of where the wire's own falls under half its peak, ...
OTHER_ON = 0.25    # ... (the other polarity's excess, as a fraction of the wire's peak excess), ...
ONE_SIDE = 0.5     # ... on one side only (the other side's other-polarity ridge under this share of it), ...
SAME = 0.5         # ... with the background past it the wire's own (within this share of the wire's contrast), ...
ALONG = 31         # ... along half the wire's columns at least, over this many around each: the corridor stops short of it


def _best_path_py(gt: np.ndarray, max_step: int, penalty: np.float32) -> np.ndarray:
    """Rows (int64 (W,)) of the best path through ``gt`` (float32 (W, H), one row per column):
    the sum of gains less ``penalty`` per row of sideways step, at most ``max_step`` rows a column.
    Compiled (``_best_path``) without the GIL: it was the slowest part of the search, in every band's thread.
    Ties go to the step that comes down from the higher row, then to the top row (as numpy's argmax)."""
    w, h = gt.shape
    acc = gt[0].copy()
    nxt = np.empty(h, np.float32)
    back = np.zeros((w, h), np.int8)
    for x in range(1, w):
        for y in range(h):
            best = np.float32(-np.inf)
            step = 0
            for s in range(max_step, -max_step - 1, -1):  # the row it comes from is y - s
                src = y - s
                if src < 0 or src >= h:
                    continue
                v = acc[src] - np.float32(penalty * abs(s))
                if v > best:
                    best, step = v, s
            nxt[y] = best + gt[x, y]
            back[x, y] = step
        acc, nxt = nxt, acc
    rows = np.empty(w, np.int64)
    y = int(np.argmax(acc))
    for x in range(w - 1, -1, -1):
        rows[x] = y
        if x > 0:
            y = min(max(y - int(back[x, y]), 0), h - 1)
    return rows


_best_path = compiled(_best_path_py)


@dataclass(frozen=True)
class Polar:
    """What a luminance search knows of polarity (each float (H, W)): the dark and the bright gains, the
    signed excess (bright less dark, over the surroundings' median: ``matte._excess``) and the luminance."""

    dark: np.ndarray
    bright: np.ndarray
    signed: np.ndarray
    lum: np.ndarray


@dataclass(frozen=True)
class WirePath:
    """One wire: its row per column (-1 off the hint), the columns that belong to it, and the
    gain along it (each int/bool/float (W,))."""

    rows: np.ndarray
    on: np.ndarray
    evidence: np.ndarray

    @property
    def score(self) -> float:
        """Median gain over the wire's columns (0 when it has none)."""
        return float(np.median(self.evidence[self.on])) if self.on.any() else 0.0


def best_near(gain: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per column of ``cols``: the greatest ``gain`` (float (H, W)) within a row of ``rows`` there."""
    h = gain.shape[0]
    return np.asarray(np.max([gain[np.clip(rows + d, 0, h - 1), cols] for d in (-1, 0, 1)], axis=0))


def lean(inside: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(the row of a diagonal stroke's own course in each column, float64 (W,); how far its rows
    reach from it, px) for bool (H, W) ``inside``; None for a stroke that runs within ``STEEP`` rows
    a column of level over most of its length, or more than ``ACROSS`` (the search along the
    other axis is its own). The course is a parabola (a hanging wire's shape, or
    a straight line) fitted to the middle of the rows ``inside`` holds in 64 to 127 columns across it
    (every column of a narrower crop), read where they are one run no taller than twice the stroke's
    usual height (not where another stroke crosses it): a hand's wobble is no course. None too where
    fewer than 8 such columns can be read, or fewer than half the stroke's: two strokes crossing (an X)
    have no one course, and the one fitted to the few columns by their crossing kept the search off
    the lower arms (a crossing pair of wires was left as a V in a frame). The reach is read in those
    columns, with 3 px to spare."""
    h, w = inside.shape
    read = np.arange(0, w, max(1, w // 64))  # some 64 columns tell a parabola (the search asks often)
    part = inside[:, read]
    tall = part.sum(axis=0)
    held = tall > 0
    if held.sum() < 8:
        return None
    top = part.argmax(axis=0)
    bottom = h - 1 - part[::-1].argmax(axis=0)
    one = held & (bottom - top + 1 == tall) & (tall <= 2 * np.median(tall[held]))  # one run, no crossing
    if one.sum() < max(8, int(held.sum()) // 2):  # two strokes crossing (an X): no one course
        return None
    centre = 0.5 * (top[one] + bottom[one])
    fit = np.polyfit(read[one].astype(np.float64), centre, 2)
    if not STEEP <= float(np.median(np.abs(np.polyval(np.polyder(fit), read[held].astype(np.float64))))) <= ACROSS:
        return None  # level, or the stroke runs more across this axis than along it (the other axis is its own)
    course = np.polyval(fit, np.arange(w, dtype=np.float64))
    reach = np.maximum(course[read[one]] - top[one], bottom[one] - course[read[one]])
    return course, int(np.ceil(reach.max())) + 3


def stroke_lean(inside: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``lean`` of the stroke ``inside`` (bool (H, W)) cropped to its own rows and columns, in the
    frame's: (the row of its course in each column, float64 (W,), 0 off its columns; its reach), or
    None for a level stroke. The one reading of a stroke's course: ``trace`` follows it and ``hops``
    counts sideways from it (``stroke_course``)."""
    cols = np.nonzero(inside.any(axis=0))[0]
    band = np.nonzero(inside.any(axis=1))[0]
    if cols.size == 0:
        return None
    x0, x1, top = int(cols[0]), int(cols[-1]) + 1, int(band[0])
    diagonal = lean(inside[top:int(band[-1]) + 1, x0:x1])
    if diagonal is None:
        return None
    course = np.zeros(inside.shape[1], np.float64)
    course[x0:x1] = diagonal[0] + top
    return course, diagonal[1]


def stroke_course(inside: np.ndarray) -> np.ndarray | None:
    """The row of a diagonal stroke's own course in each column (float64 (W,), as ``trace`` follows
    it: ``stroke_lean``), or None for a level stroke."""
    found = stroke_lean(inside)
    return None if found is None else found[0]


def trace(gain: np.ndarray, inside: np.ndarray, max_step: int = 2, penalty: float = PENALTY) -> np.ndarray:
    """Row of the best smooth path through ``gain`` per column (int (W,)); -1 where no hint. Each row
    of sideways step costs ``penalty``, counted from the level, or along a diagonal stroke from its
    own course (``stroke_lean``)."""
    w = gain.shape[1]
    cols = inside.any(axis=0)
    idx = np.nonzero(cols)[0]
    path = np.full(w, -1, np.int64)
    if idx.size == 0:
        return path
    band = np.nonzero(inside.any(axis=1))[0]  # the path never leaves the hint's rows: search only them
    top = int(band[0])
    if top > 0 or int(band[-1]) + 1 < gain.shape[0]:
        sub = trace(gain[top:int(band[-1]) + 1], inside[top:int(band[-1]) + 1], max_step, penalty)
        return np.where(sub >= 0, sub + top, -1)
    x0, x1 = int(idx[0]), int(idx[-1]) + 1
    g = np.where(inside, gain, -1e6).astype(np.float32)
    g[:, ~cols] = 0.0
    gt = np.ascontiguousarray(g[:, x0:x1].T)
    diagonal = stroke_lean(inside)  # here the hint fills the rows searched
    if diagonal is None:
        path[x0:x1] = _best_path(gt, max_step, np.float32(penalty))
    else:
        # a diagonal stroke: the path is found in the gain resampled along the stroke's course (its
        # rows within the stroke's reach of it), so a sideways step is counted from the course, not
        # from the level: counted from the level, a 30-degree wire paid half its gain in every
        # column, and over dark paint the path ran level instead, off the wire. (Sheared by whole
        # rows instead, a thin wire's steps and the course's parted every few columns, and each
        # parting cost two steps.)
        import cv2

        course, reach = diagonal[0][x0:x1], diagonal[1]
        hh, ww = gt.shape[1], gt.shape[0]
        start = course - reach  # the course runs along row ``reach`` of what is searched
        map_y = (np.arange(2 * reach + 1, dtype=np.float64)[:, None] + start[None, :]).astype(np.float32)
        map_x = np.broadcast_to(np.arange(ww, dtype=np.float32)[None, :], map_y.shape).copy()
        along = cv2.remap(np.ascontiguousarray(gt.T), map_x, map_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=-1e6)
        rows = _best_path(np.ascontiguousarray(along.T), max_step, np.float32(penalty))
        path[x0:x1] = np.clip(np.rint(rows + start), 0, hh - 1).astype(np.int64)
    path[~cols] = -1
    return path


def runs(evidence: np.ndarray, bridge: np.ndarray, gap: int, min_len: int,
         breaks: np.ndarray | None = None) -> np.ndarray:
    """Columns (bool (W,)) of the runs of ``evidence`` that hold at least ``min_len`` evidence
    columns, after bridging gaps of at most ``gap`` columns and any stretch of ``bridge``;
    never across a column of ``breaks``."""
    n = evidence.size
    out = np.zeros(n, bool)
    ev = np.nonzero(evidence)[0]
    if ev.size == 0:
        return out
    start, count, last = int(ev[0]), 1, int(ev[0])
    for x in ev[1:].tolist() + [None]:
        if x is not None and (x == last + 1  # the next column: nothing between to check
                              or (not (breaks is not None and breaks[last + 1:x].any())
                                  and (x - last - 1 <= gap or bool(bridge[last + 1:x].all())))):
            count, last = count + 1, x
            continue
        if count >= min_len:
            out[start:last + 1] = True
        if x is not None:
            start, count, last = x, 1, x
    return out


def hops(rows: np.ndarray, reach: int = 3, slope: float = 1.2, course: np.ndarray | None = None) -> np.ndarray:
    """Columns (bool (W,)) where a path leaves one line for another: it moves sideways faster
    than ``slope`` rows a column over ``2 * reach`` columns (a wire follows its curve; the DP
    path only jumps when it swaps wires, or slips off a wire onto texture). Along a diagonal
    stroke, sideways is counted from its ``course`` (float (W,), ``stroke_course``), as the path
    was traced: counted from the level, a wire steeper than ``slope`` hopped in every column and
    none was found (a grey wire at 50 degrees in a 54 px stroke: the whole stroke repainted)."""
    w = rows.size
    out = np.zeros(w, bool)
    valid = rows >= 0
    r = rows.astype(np.float32) - (0.0 if course is None else course.astype(np.float32))
    for x in range(reach, w - reach):
        a, b = x - reach, x + reach
        if valid[a] and valid[b] and abs(r[b] - r[a]) > slope * 2 * reach:
            out[a:b + 1] = True
    return out


def spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in bool (W,) ``mask``, stop exclusive."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def extend(on: np.ndarray, rows: np.ndarray, raw: np.ndarray, weak: float, hop: np.ndarray) -> np.ndarray:
    """A found wire's columns (bool (W,)) grown by hysteresis: from its runs along the same path
    through columns whose gain (``raw``) still reaches ``weak`` and whose row continues the line
    (within 1.5 px of the path's median-smoothed course), bridging at most ``GAP`` columns that
    do not; never across a hop (``hop``). A wire fades where it crosses brighter texture or a
    foreground's edge; it does not stop there."""
    from scipy.ndimage import median_filter

    valid = rows >= 0
    if not on.any() or not valid.any():
        return on
    cols = np.nonzero(valid)[0]
    smooth = np.full(rows.size, -1.0, np.float32)
    smooth[cols] = median_filter(rows[cols].astype(np.float32), size=2 * GAP + 1, mode="nearest")
    cand = valid & (raw >= weak) & (np.abs(rows - smooth) <= 1.5) & ~hop
    grown = runs(cand | on, np.zeros(on.size, bool), GAP, 1, breaks=hop)
    out = on.copy()
    # keep only the grown runs that hold a column of the wire itself
    for a, b in spans(grown):
        if on[a:b].any():
            out[a:b] = True
    return out


def track(gain: np.ndarray, inside: np.ndarray, path: WirePath, level: float) -> list[WirePath]:
    """Each run of ``path`` followed on past its ends along its own course (list of extra
    ``WirePath``, one per end that went anywhere).

    Where the DP path leaves its wire (for the stroke's other wire, a stronger one, or texture)
    the hop is cut and the wire itself keeps only a stub; the wire goes on. From each run's end
    a tracker steps column by column along the run's slope, taking the strongest of the three
    rows around the prediction while the gain there reaches ``level``; up to ``GAP`` columns
    without it are crossed on the prediction (a lead line, a foreground's edge) and kept only if
    the wire shows again after them. It stops at the hint's edge, after more than ``GAP`` such
    columns, and where it meets its own path on the wire again (within 1.5 px)."""
    h, w = gain.shape
    cols_in: np.ndarray = np.asarray(inside.any(axis=0))
    out: list[WirePath] = []
    for a, stop in spans(path.on):
        b = stop - 1  # the run's last column
        for step, end in ((1, b), (-1, a)):
            span = np.arange(max(a, end - 2 * GAP), end + 1) if step == 1 else np.arange(end, min(b, end + 2 * GAP) + 1)
            slope = float(np.polyfit(span, path.rows[span], 1)[0]) if span.size >= 3 else 0.0
            slope = min(max(slope, -1.5), 1.5) * step  # plain floats: numpy's clip costs more than the step
            y, x, misses = float(path.rows[end]), end, 0
            rows = np.full(w, -1, np.int64)
            on = np.zeros(w, bool)
            ev = np.zeros(w, np.float32)
            kept: int | None = None
            while 0 <= x + step < w and cols_in[x + step]:
                x += step
                if path.on[x] and abs(path.rows[x] - (y + slope)) <= 1.5:
                    break  # back on its own path, which holds the wire from here
                pred = y + slope
                cand = [r for r in (int(round(pred)) + d for d in (-1, 0, 1)) if 0 <= r < h and inside[r, x]]
                if not cand:
                    break
                best = max(cand, key=lambda r: float(gain[r, x]))
                # the prediction may lie a row past the frame's edge when a row beside it is inside
                rows[x] = best if float(gain[best, x]) >= level else min(max(int(round(pred)), 0), h - 1)
                if float(gain[best, x]) >= level:
                    slope = min(max(0.8 * slope + 0.2 * (best - y), -1.5), 1.5)
                    y, misses = float(best), 0
                    ev[x] = gain[best, x]
                    on[x] = True
                    kept = x
                else:
                    y, misses = pred, misses + 1
                    if misses > GAP:
                        break
            if kept is not None:
                lo, hi = (end + 1, kept) if step == 1 else (kept, end - 1)
                on[lo:hi + 1] = True  # the crossed gaps between found columns belong to the wire
                rows[:lo] = -1
                rows[hi + 1:] = -1
                out.append(WirePath(rows, on, ev))
    return out


def other_half(polar: Polar, peak: np.ndarray, cols: np.ndarray, top_gain: np.ndarray, walks: list[tuple[np.ndarray, np.ndarray]]
               ) -> list[np.ndarray]:
    """Per side (above, below), bool (steps, n): the rows walked out from a wire's ``peak`` rows
    (``walks``: each side's rows, clipped, and whether the corridor may reach them) that hold the
    other polarity's ridge of a cable lit from one side: its dark half beside its bright half, touching.

    Such a ridge is another line, and the corridor stops short of it. Swallowed, the dark half of a
    cable in daylight was left across the frame in 8 of 8 frames (the wire bench's cable lit from one
    side, +2.90 dB). A ridge is the other half where it holds ``OTHER`` of the wire's gain; where the
    other polarity's excess begins within ``TOUCH`` px of where the wire's own excess falls under half
    its peak (a ridge with the background between is the scenery's: a strip 4 px under a bright wire
    at 4K took the path, -1.5 dB); not where the wire's own polarity comes back past it (the
    background between two wires of one polarity: three wires -0.36 dB); on one side only (``ONE_SIDE``:
    a sharpening halo shows on both sides and stays the wire's); where the background just past it is the
    one just past the wire's other side (``SAME``: a cable lies over one background; a strip of orange
    paint between a dark wire and a dark graffiti stripe was matted, diagonal 30 -0.37 dB); and along a
    line (``ALONG``: a texture ridge beside a wire, 1-6 px, was made a wire of its own: two strokes -1.05 dB).

    What it cannot tell from a cable's other half is scenery that touches a wire on one side, runs along
    it and has the wire's background past it (the pale edge of a path along a dark wire): that is matted
    and painted as a wire is (the bench's bmx at 60% -0.5 dB)."""
    from scipy.ndimage import uniform_filter1d

    dark_own = polar.dark[peak, cols] >= polar.bright[peak, cols]
    sign = np.where(dark_own, -1.0, 1.0).astype(np.float32)
    top = np.maximum(sign * polar.signed[peak, cols], 1e-6)
    n, at = walks[0][0].shape[0], np.arange(cols.size)
    step = np.arange(n)[:, None]  # each walked row's step index
    found, most, past_other, past_own = [], [], [], []
    for yc, ok in walks:
        other = np.where(ok, np.where(dark_own[None, :], polar.bright[yc, cols[None, :]], polar.dark[yc, cols[None, :]]), 0.0)
        own = sign[None, :] * polar.signed[yc, cols[None, :]] / top[None, :]  # the wire's excess, of its peak
        own_end = np.logical_and.accumulate(ok & (own >= 0.5), axis=0).sum(axis=0)
        begins = ok & (-own >= OTHER_ON)
        first = np.where(begins.any(axis=0), np.argmax(begins, axis=0), own_end.max(initial=0) + TOUCH + 1)
        # past it, the wire's own polarity again: that is the background between two lines of it
        back = ok & (own >= 0.5) & (step > first[None, :])
        half = (first <= own_end + TOUCH) & ~back.any(axis=0)
        found.append((other >= OTHER * top_gain[None, :]) & half[None, :])
        most.append(other.max(axis=0, initial=0.0))
        # the luminance a pixel past the other half's end, and a pixel past the wire's own
        ended = ok & (step > first[None, :]) & (-own < OTHER_ON)
        end = np.where(ended.any(axis=0), np.argmax(ended, axis=0), np.minimum(first + 1, n - 1))
        past_other.append(polar.lum[yc[np.clip(end + 1, 0, n - 1), at], cols])
        past_own.append(polar.lum[yc[np.clip(own_end + 1, 0, n - 1), at], cols])
    out = []
    for side in (0, 1):
        one = found[side].any(axis=0) & (most[1 - side] < ONE_SIDE * most[side])
        far = past_own[1 - side]  # the background past the wire's other side, and the wire's contrast over it
        one &= np.abs(past_other[side] - far) <= SAME * np.maximum(np.abs(polar.lum[peak, cols] - far), 1e-3)
        one &= uniform_filter1d(one.astype(np.float32), ALONG, mode="constant") >= 0.5
        out.append(found[side] & one[None, :])
    return out


def corridor(gain: np.ndarray, rows: np.ndarray, reach: np.ndarray, polar: Polar | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Rows (int (W,) each, >= 0) a wire's corridor spans above and below its path ``rows``:
    ``reach`` (float (W,)), unless a rival ridge lies within it. Walking out from the wire's peak
    (within 2 px of the path) its ridge ends where ``gain`` (float (H, W)) falls under ``FADE`` of
    the peak; past that, a row reaching ``RIVAL`` of the peak is another wire, and the corridor
    stops at the lowest row before it (but holds ``MARGIN`` px past the ridge). The reach is
    twice the ridge scale, and a scale read off a wire over bright texture can be the
    texture's (5 px for a 2 px wire): a rig's other wire 10 px away was swallowed, and its path
    went elsewhere. Fainter ridges in the reach (a blurred wire's lobes, texture that hugs it)
    stay inside: the next path must not find them. With ``polar`` (a luminance search's), a cable's
    other half (``other_half``) is such a rival too."""
    h, w = gain.shape
    cols = np.nonzero(rows >= 0)[0]
    out = [np.zeros(w, np.int64), np.zeros(w, np.int64)]
    if cols.size == 0:
        return out[0], out[1]
    y = rows[cols]
    near = np.stack([gain[np.clip(y + d, 0, h - 1), cols] for d in range(-2, 3)])
    peak = np.clip(y + np.argmax(near, axis=0) - 2, 0, h - 1)
    top_gain = gain[peak, cols].astype(np.float32)
    span = int(np.ceil(reach.max())) + 2
    steps = np.arange(1, span + 1)[:, None]
    lim = np.floor(reach[cols]).astype(np.int64)
    walks = []
    for sign in (-1, 1):
        yd = peak[None, :] + sign * steps              # (span, n): the rows walked, out from the peak
        dist = sign * (yd - y[None, :])                # each one's distance from the path
        ok = np.logical_and.accumulate((yd >= 0) & (yd < h) & (dist <= lim[None, :]), axis=0)
        walks.append((np.clip(yd, 0, h - 1), ok, dist))
    halves = other_half(polar, peak, cols, top_gain, [(yc, ok) for yc, ok, _ in walks]) if polar is not None else None
    for side, ((yc, ok, dist), sign) in enumerate(zip(walks, (-1, 1), strict=True)):
        g = gain[yc, cols[None, :]]
        ridge = np.logical_and.accumulate(ok & (g >= FADE * top_gain[None, :]), axis=0)
        edge = np.where(ridge.any(axis=0), np.max(np.where(ridge, dist, -h), axis=0), sign * (peak - y))
        rival = ok & ~ridge & (g >= RIVAL * top_gain[None, :])
        if halves is not None:
            rival |= halves[side]
        has = rival.any(axis=0)
        first = np.argmax(rival, axis=0)               # the first rival row's step index
        # the lowest row between the ridge and the rival (the valley); the corridor ends there
        before = ok & ~ridge & (np.arange(span)[:, None] < first[None, :])
        valley = np.where(before.any(axis=0), dist[np.argmin(np.where(before, g, np.inf), axis=0), np.arange(cols.size)],
                          edge)
        cut = np.minimum(np.maximum(valley, edge + MARGIN), dist[first, np.arange(cols.size)] - 1)
        out[side][cols] = np.maximum(np.where(has, cut, lim), 0)
    return out[0], out[1]


def end_runs(short: np.ndarray, on: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bool (W,): the runs of ``short`` (bool (W,), runs of evidence too short to be a wire alone) at
    either end of the path (within ``GAP`` columns of its first or last column, ``cols``) that lie on
    the course of the wire its long runs ``on`` hold: a parabola through their ``rows``, fitted again
    without the columns off it by more than ``END_FIT`` px, and the run's median column within that of
    it. That is the wire where it enters its stroke (the frame's edge) before the path slipped off it
    where it was hidden: a hairline hidden by a pale lamp 33 px from the frame's edge, the path on the
    lamp's rim there, and the 33 px before it dropped and left in the plate. Off that course, such a
    run is texture at the stroke's end (taken, the bench's loose hint and crossing wires lost 1.0 dB
    each)."""
    out = np.zeros(short.shape, bool)
    held = np.nonzero(on)[0]
    if held.size < 3 or not short.any():
        return out
    x, y = held.astype(np.float64), rows[held].astype(np.float64)
    fit = np.polyfit(x, y, 2)
    kept = np.abs(y - np.polyval(fit, x)) <= END_FIT  # once more without where the path slipped off the wire
    if kept.sum() >= 3:
        fit = np.polyfit(x[kept], y[kept], 2)
    for a, b in spans(short):
        if (a <= cols[0] + GAP or b > cols[-1] - GAP) and \
                float(np.median(np.abs(rows[a:b] - np.polyval(fit, np.arange(a, b))))) <= END_FIT:
            out[a:b] = True
    return out


def find_paths(gain: np.ndarray, inside: np.ndarray, scale: np.ndarray, min_len: int, texture: float = 0.0,
               max_wires: int = MAX_WIRES, lenient: bool = True, polar: Polar | None = None) -> list[WirePath]:
    """Every wire in ``gain`` inside ``inside`` (bool (H, W)), strongest first.

    ``scale`` (float (H, W)) is the ridge scale (px) at each pixel; ``texture`` the score the
    plate's texture alone reaches (``texture_score``). A path is a wire where its runs (each of at
    least ``2 * GAP + 1`` evidence columns) hold ``min_len`` evidence columns in all, and its
    median gain there reaches ``ACCEPT`` and twice
    ``texture`` (with ``lenient``, 1.5x where the runs cover ``LONG`` of the stroke: not for a
    repaired frame, whose fill may leave soft seams along the stroke). After each wire, a corridor of
    twice its scale (+ 2 px) either side of it is
    taken out of the search; a later path that crosses it is bridged there. ``polar``: the gains by
    polarity (``Polar``), which the corridor reads for a cable's other half (``other_half``).
    """
    from scipy.ndimage import median_filter, uniform_filter1d

    h, w = gain.shape
    work = np.where(inside, gain, 0.0).astype(np.float32)
    taken = np.zeros((h, w), bool)
    yy = np.arange(h)[:, None]
    column = max(EVIDENCE, texture)
    accept = max(ACCEPT, 2.0 * texture)
    long_accept = 1.5 * max(1.0, texture) if lenient else accept  # most of the stroke: less margin
    found: list[WirePath] = []
    steer = np.float32(STEER * column)
    whole = work.copy()  # the gain as it was, for the tracker: ``work`` loses each wire's corridor
    if polar is not None:
        polar = Polar(np.where(inside, polar.dark, 0.0), np.where(inside, polar.bright, 0.0), polar.signed, polar.lum)
    course = stroke_course(inside)
    for _ in range(max_wires):
        # the path is steered by the gain seen through a soft ceiling: on a wire thousands of times
        # the texture's level, the sideways penalty is nothing next to the gain, and the path swaps
        # to the stroke's other wire wherever that one is a little stronger (the swap is then cut
        # as a hop, and both wires keep a stub)
        rows = trace(steer * np.tanh(work / steer), inside)
        cols = np.nonzero(rows >= 0)[0]
        if cols.size == 0:
            break
        ev = np.zeros(w, np.float32)
        ev[cols] = best_near(work, rows[cols], cols)
        raw = ev.copy()
        ev[cols] = uniform_filter1d(ev[cols], 2 * GAP + 1, mode="nearest")  # a wire's gain dips; texture's stays low
        bridge = np.zeros(w, bool)
        bridge[cols] = taken[rows[cols], cols]
        hop = hops(rows, course=course) & ~bridge  # crossing an earlier wire's corridor is bridging, not swapping
        ev[hop] = 0.0
        # a column holds evidence where most of its neighbourhood does: each column counts at most
        # twice the level (the tails of a strong wire just outside its corridor, thousands of times a
        # flat wall's floor in a few columns, are no run of their own)
        held = np.zeros(w, np.float32)
        held[cols] = uniform_filter1d(np.minimum(raw[cols], 2.0 * column), 2 * GAP + 1, mode="nearest")
        held[hop] = 0.0
        # the runs once, the shortest counted: those long enough are a wire alone; a shorter one at the
        # stroke's end, cut off from the rest by a hop, is the wire where it enters the stroke (the
        # frame's edge), before the path slipped off it where it was hidden
        evidence = held >= column
        short = runs(evidence, bridge & ~hop, GAP, 2 * GAP + 1, breaks=hop)
        on = np.zeros(w, bool)
        for a, b in spans(short):
            on[a:b] = int(evidence[a:b].sum()) >= max(2 * GAP + 1, min_len // 2)
        on |= end_runs(short & ~on, on, rows, cols)
        if int((on & (held >= column)).sum()) < min_len:  # a wire may be cut (a crossing, a foreground) but not short
            on[:] = False
        path = WirePath(rows, on, ev)
        if not (path.score >= accept or (path.score >= long_accept and on.sum() >= LONG * cols.size)):
            break
        if lenient:
            on = extend(on, rows, raw, WEAK * column, hop)
            path = WirePath(rows, on, ev)
        # each wire followed on past where its DP path left it; its corridor (and its
        # continuation's) is taken out before the next search, so no later path picks up its pieces
        for part in [path] + (track(whole, inside, path, column) if lenient else []):
            found.append(part)
            pc = np.nonzero(part.rows >= 0)[0]
            r = np.zeros(w, np.float32)
            r[pc] = median_filter(2.0 * scale[part.rows[pc], pc], size=9, mode="nearest") + 2.0
            up, down = corridor(whole, part.rows, r, polar)
            band = part.on[None, :] & (yy >= (part.rows - up)[None, :]) & (yy <= (part.rows + down)[None, :])
            taken |= band
            work[band] = 0.0
    return found
