"""A wire the matte lost for a stretch of its stroke, carried across that stretch.

A wire runs on through the artist's stroke. Where the matte follows it up to a dark backpack
and again from past it, but not over it (a dark wire over dark cloth: the ridge there stands
out too little from the texture to hold a path of its own), the wire is still in the plate
over the backpack, and over the few columns either side where a piece too short to be judged
alone was dropped. The two pieces are the same wire when one continues the other's course;
the stretch between them is matted along that course where the wire's line still runs
there: it stands out from its two sides more than the same course moved off the wire does,
in the polarity both ends show, or else in the polarity a wire of the ends' own luminance has
against what it crosses there (a grey cable found dark against a pale curtain is a bright line
over a dark shirt). A wire hidden behind a foreground shows no line along its course and stays
unmatted (the foreground is not the repair's). A wire's end that no piece continues, where the
stroke holds a wire fewer past it (the pale wire of a rig lost where it turns from bright over a
car to dark over the sky), is carried on the same way, step by step, while the line shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference_server.engines.wire.components import components
from inference_server.engines.wire.matte import feathered
from inference_server.engines.wire.qc import counts, lengthwise, stroke_boxes, usual

MAX_BRIDGE = 200  # px: the longest stretch a wire is carried across
ENDS = 24         # columns of a piece's end its course and width are read from
MIN_PIECE = 12    # columns a piece needs before its course is trusted
SLOPE_TOL = 0.12  # rows per column two pieces' courses may differ by (a sagging wire bends a little)
PAD = 32          # px around a stroke's box read for the line's sides
SHOWN = 0.65      # of the stretch's columns where the line must stand out from both its sides, ...
EDGE_STEP = 0.03  # ... or lie on an edge (one side brighter than it by this much, the other darker) ...
OWN_TOL = 0.04    # ... holding the wire's own luminance to this (analysis luminance)
STEP = 16         # columns a wire is carried at a time into a stretch of its stroke with a wire fewer
BENDS = (-0.08, -0.04, 0.0, 0.04, 0.08)  # rows per column a carried course may turn by, each step
MISSES = 2        # steps without a line crossed from the end (kept only if it shows after them)
OVER = 2.0        # a carried line stands out this many times more than the best course moved off it
ENDED = 3         # columns at a step's end where no line stands out: the carried wire ends there
SHIFT = 3         # px a carried course may move across at its first step, or after a miss
LONG_PIECE = 64   # columns a piece needs before its end is carried on (a fragment may be texture's)
SHARE = 0.25      # and the share of its stroke's length
CARRY = True      # carry an end no piece continues on into such a stretch (``carry_ends``)


@dataclass(frozen=True)
class Piece:
    """One found wire's centre line in a stroke (oriented along x): its columns and rows."""

    cols: np.ndarray
    rows: np.ndarray

    def tail(self, right: bool) -> tuple[np.ndarray, np.ndarray]:
        """(columns, rows) of its last ``ENDS`` columns at its right (left) end."""
        sel = self.cols >= self.cols.max() - ENDS if right else self.cols <= self.cols.min() + ENDS
        return self.cols[sel], self.rows[sel]

    def end(self, right: bool) -> tuple[int, float, float]:
        """(column, row, slope) at its right (left) end, the slope fitted over its last ``ENDS`` columns."""
        c, r = self.tail(right)
        slope = float(np.polyfit(c, r, 1)[0]) if np.ptp(c) >= 2 else 0.0
        at = int(c.max() if right else c.min())
        return at, float(np.mean(r[c == at])), slope


def pieces(mid: np.ndarray) -> list[Piece]:
    """The centre lines (bool (H, W), along x) as pieces of at least ``MIN_PIECE`` columns, one row
    (the mean) per column."""
    out = []
    for ys, xs in components(mid)[1]:
        cols, inv = np.unique(xs, return_inverse=True)
        if cols.size >= MIN_PIECE:
            out.append(Piece(cols, np.bincount(inv, ys).astype(np.float32) / np.bincount(inv)))
    return out


def course(a: tuple[int, float, float], b: tuple[int, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(columns strictly between two ends, the rows of the Hermite curve through them that leaves
    ``a`` and meets ``b`` along their slopes)."""
    (ca, ya, sa), (cb, yb, sb) = a, b
    length = float(cb - ca)
    cols = np.arange(ca + 1, cb)
    t = (cols - ca) / length
    rows = ((2 * t**3 - 3 * t**2 + 1) * ya + (t**3 - 2 * t**2 + t) * length * sa
            + (-2 * t**3 + 3 * t**2) * yb + (t**3 - t**2) * length * sb)
    return cols, rows


def _line_and_sides(lum: np.ndarray, cols: np.ndarray, yi: np.ndarray, half: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the three rows of each course's line, (3, F, n); the median of each side ``half + 2`` to
    ``half + 5`` px off, (F, n) each) for int rows ``yi`` (F, n) over ``cols`` (n,)."""
    h = lum.shape[0]
    line = _line(lum, cols, yi)
    near, far = int(np.ceil(half)) + 2, int(np.ceil(half)) + 5
    above, below = (np.median(np.stack([lum[np.clip(yi + s * d, 0, h - 1), cols] for d in range(near, far + 1)]), axis=0)
                    for s in (-1, 1))
    return line, above, below


def _line(lum: np.ndarray, cols: np.ndarray, yi: np.ndarray) -> np.ndarray:
    """The three rows of each course's line, (3, F, n), for int rows ``yi`` (F, n) over ``cols`` (n,)."""
    h = lum.shape[0]
    return np.stack([lum[np.clip(yi + d, 0, h - 1), cols] for d in (-1, 0, 1)])


def _contrasts(lum: np.ndarray, cols: np.ndarray, yi: np.ndarray, half: float) -> np.ndarray:
    """How far each course's line stands out from both its sides, many courses at once, both
    polarities: float (F, 2, n) for int rows ``yi`` (F, n) over ``cols`` (n,); [:, 0] dark, [:, 1]
    bright (``_dark_bright``: a dark line's contrast and a bright one's come from the same pixels)."""
    return np.stack(_dark_bright(*_line_and_sides(lum, cols, yi, half)), axis=1)


def _dark_bright(line: np.ndarray, above: np.ndarray, below: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(how far a line stands out as a dark one, as a bright one), (F, n) each, from
    ``_line_and_sides``: the lesser side's median less the darkest of its three rows; the brightest
    less the greater side's median."""
    return np.minimum(above, below) - np.min(line, axis=0), np.minimum(-above, -below) + np.max(line, axis=0)


def _seen(lum: np.ndarray, cols: np.ndarray, rows: np.ndarray, half: float, own: float | np.ndarray) -> np.ndarray:
    """How far the line stands out from both its sides (``_contrasts``) along a course of a wire
    whose own luminance is ``own`` (a float, or one per column), float (n,): column by column in
    the polarity it has there, dark where the mean of its two sides' medians is brighter than it,
    bright where not (``own`` -inf: dark throughout, +inf: bright). A cable's colour holds along it; what it
    lies against changes (a grey cable is dark against a pale wall and bright against a dark
    shirt), and so does which way it stands out."""
    return _seen_in(*_line_and_sides(lum, cols, np.rint(rows).astype(np.int64)[None, :], half), own)


def _seen_in(line: np.ndarray, above: np.ndarray, below: np.ndarray, own: float | np.ndarray) -> np.ndarray:
    """``_seen`` of one course already read (``_line_and_sides``, F = 1)."""
    dark, bright = _dark_bright(line, above, below)
    return np.where(0.5 * (above + below) > own, dark, bright)[0]


def _own(lum: np.ndarray, piece: Piece, right: bool) -> float:
    """A wire's own luminance at a piece's right (left) end: the median of its centre line's pixels
    over its end's columns (``Piece.tail``). On a thin soft wire the centre pixel holds some of the
    background too, which moves the figure toward it but not past it."""
    c, r = piece.tail(right)
    return float(np.median(lum[np.clip(np.rint(r).astype(np.int64), 0, lum.shape[0] - 1), c]))


def _half(matte: np.ndarray, piece: Piece, right: bool) -> float:
    """The wire's half width at a piece's end: how far the matte holds solid from its centre, to the
    nearer side (the median over the end's columns)."""
    h = matte.shape[0]
    cols, rows = piece.tail(right)
    widths = []
    for c, r in zip(cols.tolist(), np.rint(rows).astype(int).tolist(), strict=True):
        col = matte[:, c] >= 0.5
        if not col[min(max(r, 0), h - 1)]:
            continue
        up = r
        while up - 1 >= 0 and col[up - 1]:
            up -= 1
        down = r
        while down + 1 < h and col[down + 1]:
            down += 1
        widths.append(min(r - up, down - r) + 0.5)  # the nearer edge: a run may hold the stroke's other wire too
    return max(float(np.median(widths)) if widths else 1.5, 1.0)


def _owns(lum: np.ndarray, a: Piece, b: Piece, cols: np.ndarray) -> np.ndarray:
    """The wire's own luminance over ``cols`` between piece ``a``'s right end and ``b``'s left end,
    float32 (n,): from one end's (``_own``) to the other's, in proportion to the way along."""
    t = (cols - cols[0] + 1) / float(cols.size + 1)
    return np.asarray((1 - t) * _own(lum, a, True) + t * _own(lum, b, False), np.float32)


def _polarity(lum: np.ndarray, piece: Piece, right: bool, half: float) -> float:
    """1 where a piece's end is a dark line, -1 a bright one."""
    c, r = piece.tail(right)
    dark, bright = np.median(_contrasts(lum, c, np.rint(r).astype(np.int64)[None, :], half)[0], axis=1)
    return 1.0 if dark >= bright else -1.0


def _shows(lum: np.ndarray, matte: np.ndarray, cols: np.ndarray, rows: np.ndarray, half: float,
           own: float | np.ndarray, wire: np.ndarray) -> bool:
    """Whether a line of a wire whose own luminance is ``own`` runs along the course (``_seen``: in
    each column, the polarity such a wire has against what lies there; -inf or +inf: a dark or a
    bright line throughout): it stands out from both
    its sides in ``SHOWN`` of the columns, and by more (median) than the same course moved off the
    wire by two, three and four of its widths either side, wherever what such a course reads
    holds no wire matted (``matte`` >= 0.5 in a fifth of its columns: the stroke's other wire,
    beside the lost one, is a side brighter or darker than anything in the texture, and no
    measure of what the texture does). A column where the course lies on an edge, one side brighter
    than its line and the other darker (a grey wire over a white shirt, just above a racket's dark
    frame), counts where its line holds the wire's luminance there, ``wire`` (float (n,), the ends'
    own: ``_owns``), to ``OWN_TOL``, when both ends show that same luminance: no line stands out from
    both sides of an edge, wire or not, and a cable's colour holds along it. (Ends of two luminances
    are no measure: between the pale and the dark wire of a diagonal pair, a course from the one to
    the other lay on an edge all along, and some of its columns held the luminance part-way between.)"""
    line, above, below = _line_and_sides(lum, cols, np.rint(rows).astype(np.int64)[None, :], half)
    here = _seen_in(line, above, below, own)
    level = 0.0
    for step in _moved_off(half):
        if not _reads_wire(matte, cols, rows + step, half):
            level = max(level, float(np.median(_seen(lum, cols, rows + step, half, own))))
    mid, a, b = np.median(line, axis=0)[0], above[0], below[0]
    edge = (np.maximum(a, b) >= mid + EDGE_STEP) & (np.minimum(a, b) <= mid - EDGE_STEP)
    # ends of two luminances may be two wires' pieces: no one luminance for the line to hold
    held = edge & (np.abs(mid - wire) <= OWN_TOL) & (np.ptp(wire) <= OWN_TOL)
    # how far it stands out is read off the edges: on one, a wire's line stands out from neither side
    return bool(((here > 0) | held).mean() >= SHOWN and (~edge).any() and float(np.median(here[~edge])) > level)


def _moved_off(half: float) -> list[float]:
    """Offsets (rows) of the courses a line's course is compared with: two, three and four of its
    widths either side."""
    return [s * k * (2 * half + 2) for s in (-1, 1) for k in (2, 3, 4)]


def _reads_wire(matte: np.ndarray, cols: np.ndarray, rows: np.ndarray, half: float) -> bool:
    """Whether a course's reading (its line and both sides, ``half + 5`` px) touches a wire matted
    (``matte`` >= 0.5) in a fifth of its columns: no measure of what the texture does."""
    h = matte.shape[0]
    reach = int(np.ceil(half)) + 5
    y = np.rint(rows).astype(np.int64)
    read = np.max([matte[np.clip(y + d, 0, h - 1), cols] for d in range(-reach, reach + 1)], axis=0)
    return bool((read >= 0.5).mean() >= 0.2)


def bridge_stroke(mid: np.ndarray, ins: np.ndarray, matte: np.ndarray, lum: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(matte to add, float32 0..1; centre lines added, bool) in one stroke, all (H, W) along x.

    ``mid``: bool, the centre lines of the wires found; ``ins``: bool, the stroke; ``matte``: float
    0..1, the matte so far; ``lum``: the analysis luminance. Each piece's right end is joined to
    the nearest piece's left end within ``MAX_BRIDGE`` columns that continues its course (slopes
    within ``SLOPE_TOL``, and the chord between the ends with them), where no other wire found runs
    along the course and the line still shows there (``_shows``): in the polarity both ends show
    or, failing that, in the polarity a wire of the ends' own luminance has against what it
    crosses (``_owns``: a grey cable dark against a pale curtain is bright over a dark shirt)."""
    import cv2

    add = np.zeros(mid.shape, np.float32)
    centres = np.zeros(mid.shape, bool)
    found = pieces(mid)
    if len(found) < 2:
        return add, centres
    ends = [(p.end(True), p.end(False)) for p in found]
    pairs = []
    for i, (right, _) in enumerate(ends):
        for j, (_, left) in enumerate(ends):
            gap = left[0] - right[0]
            if i == j or not 1 < gap <= MAX_BRIDGE:
                continue
            chord = (left[1] - right[1]) / gap
            if abs(right[2] - left[2]) <= SLOPE_TOL and abs(chord - 0.5 * (right[2] + left[2])) <= SLOPE_TOL:
                pairs.append((gap, i, j))
    used_r: set[int] = set()
    used_l: set[int] = set()
    h = mid.shape[0]
    owner = np.zeros(mid.shape, np.int32)  # which piece (its place + 1) each centre pixel is
    for k, p in enumerate(found):
        owner[np.rint(p.rows).astype(int), p.cols] = k + 1
    for _, i, j in sorted(pairs):
        if i in used_r or j in used_l:
            continue
        cols, rows = course(ends[i][0], ends[j][1])
        y = np.rint(rows).astype(np.int64)
        if ((y < 0) | (y >= h)).any() or ins[np.clip(y, 0, h - 1), cols].mean() < 0.8:
            continue
        others = (owner > 0) & (owner != i + 1) & (owner != j + 1)
        near = cv2.dilate(others.astype(np.uint8), np.ones((5, 1), np.uint8)) > 0
        if near[y, cols].mean() > 0.25:  # another wire found runs there: this is no gap in one
            continue
        half = min(_half(matte, found[i], True), _half(matte, found[j], False))  # a wire keeps its width
        sign = _polarity(lum, found[i], True, half)
        # the ends' polarity throughout: a wire darker (brighter) than anything it crosses
        wire = _owns(lum, found[i], found[j], cols)
        kept = sign == _polarity(lum, found[j], False, half) and \
            _shows(lum, matte, cols, rows, half, -np.inf if sign > 0 else np.inf, wire)
        if not kept and not _shows(lum, matte, cols, rows, half, wire, wire):
            continue
        used_r.add(i)
        used_l.add(j)
        _mat(add, centres, ins, cols, rows, half)
    if CARRY:
        carry_ends(mid | centres, ins, matte, lum, add, centres)
    return add, centres & ins


def carry_ends(mid: np.ndarray, ins: np.ndarray, matte: np.ndarray, lum: np.ndarray, add: np.ndarray,
               centres: np.ndarray) -> None:
    """Each wire's end that runs into a stretch of the stroke holding fewer wires than most of it
    (``qc.counts``; a wire runs on through the artist's stroke) followed on into that stretch,
    ``STEP`` columns at a time, while a line still shows along its course (``_step``, in either
    polarity: a pale wire bright over a car is dark against the clipped sky). Each step may turn
    by one of ``BENDS``; where a step finds no line (the wire was lost where it crossed an edge)
    up to ``MISSES`` steps are crossed on the course and kept only if the line shows after them,
    a step after a miss (or the first) may also be moved up to ``SHIFT`` px across. Adds to
    ``add`` (matte) and ``centres`` in place, all (H, W) along x. Only pieces of ``LONG_PIECE``
    columns and ``SHARE`` of the stroke are carried: the finder holds fragments of texture beside
    the wires (a wall's capping line in a broad stroke; at 4K, a street's edges along the stroke),
    which also raise the count of wires the stroke holds most often; carried on, they took more
    of that texture for a wire (4K -0.80 dB, the broad stroke -0.47)."""
    cols_in = ins.any(axis=0)
    n = counts(mid)
    if not n[cols_in].any():
        return
    short = cols_in & (n < usual(n[cols_in]))
    w = mid.shape[1]
    long = max(LONG_PIECE, int(SHARE * cols_in.sum()))
    for piece in pieces(mid):
        if piece.cols.size < long:
            continue
        for right in (True, False):
            at, y, slope = piece.end(right)
            step = 1 if right else -1
            stop = at + step
            while 0 <= stop < w and short[stop]:
                stop += step
            if abs(stop - at) <= 2:
                continue
            half = _half(matte + add, piece, right)
            own = _own(lum, piece, right)
            last, x, grade, misses = (at, y), at, slope, 0
            while (stop - x) * step > 1:
                k = np.arange(1, min(STEP, (stop - x) * step - 1) + 1)
                cols = x + step * k
                found = _step(lum, matte + add, ins, cols, y, step * grade, k, half,
                              range(-SHIFT, SHIFT + 1) if misses or last[0] == at else (0,), own)
                if found is None:
                    misses += 1
                    if last[0] != at or misses > MISSES:  # lost again once found: it ends
                        break
                    x, y = int(cols[-1]), y + step * grade * float(k[-1])
                    continue
                rows, bent, shown = found
                keep = int(np.nonzero(shown)[0][-1]) + 1 if not shown[-ENDED:].any() else cols.size
                # the stretch crossed since the end, then this step up to where the line last stood
                # out (past that it ends: behind a foreground, or the wire itself)
                span = np.arange(last[0] + step, int(cols[0]), step)
                lead = last[1] + (rows[0] - last[1]) * (span - last[0]) / float(cols[0] - last[0])
                _mat(add, centres, ins, np.r_[span, cols[:keep]], np.r_[lead, rows[:keep]], half)
                if keep < cols.size:
                    break
                last, x, y = (int(cols[-1]), float(rows[-1])), int(cols[-1]), float(rows[-1])
                grade = 0.5 * (grade + step * bent)


def _step(lum: np.ndarray, matte: np.ndarray, ins: np.ndarray, cols: np.ndarray, y: float, grade: float,
          k: np.ndarray, half: float, shifts: Iterable[int], own: float
          ) -> tuple[np.ndarray, float, np.ndarray] | None:
    """(rows, rows per column along ``k``, bool: the columns where the line shows) of the course from
    row ``y`` over ``cols`` (``k`` columns on, turned by one of ``BENDS``, moved by one of ``shifts``)
    along which a line shows most, centred on the line, where it shows: it stands out from both sides
    (either polarity) in ``SHOWN`` of the columns, and by ``OVER`` times more than the best of the same
    family of courses moved off it by two, three and four of its widths either side (those reading no
    wire matted, as ``_shows``). The best of many courses stands out from noise somewhere; the courses
    moved off it are given the same choice, and a wire stands out from texture by more than texture
    does. Failing that, a line shows where it holds the wire's own luminance at the end carried,
    ``own`` (to ``OWN_TOL``), in ``SHOWN`` of the columns and ``OVER`` times as many as any course moved
    off it: a cable's colour holds along it where the texture it crosses, of much its luminance, does
    not (the mid-grey pair's 0.3 wire over a tree trunk of 0.15-0.5: 59% of the columns stand out)."""
    h = lum.shape[0]
    family = [(shift, bend) for shift in shifts for bend in BENDS]

    def courses_at(base: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(the family's courses moved by ``base``, (F, n); the rows of those inside the frame, (F', n)
        int; which those are, (F,) bool), or None where none is."""
        courses = np.stack([y + base + shift + (grade + bend) * k for shift, bend in family])  # (F, n)
        yi = np.rint(courses).astype(np.int64)
        ok = ~((yi < 0) | (yi >= h)).any(axis=1)
        return (courses, yi[ok], ok) if ok.any() else None

    def best(base: float) -> tuple[float, np.ndarray, float, np.ndarray, float] | None:
        at_base = courses_at(base)
        if at_base is None:
            return None
        courses, yi, ok = at_base
        both = _contrasts(lum, cols, yi, half)  # (F', 2, n): dark, bright
        levels = np.median(both, axis=2)
        # the first course of the greatest level, in the order the family is listed (dark first)
        f, s = np.unravel_index(int(np.argmax(levels)), levels.shape)
        at = int(np.nonzero(ok)[0][f])
        return float(levels[f, s]), courses[at], grade + family[at][1], both[f, s] > 0, (1.0, -1.0)[s]

    def held(base: float) -> tuple[float, np.ndarray, float, np.ndarray] | None:
        at_base = courses_at(base)
        if at_base is None:
            return None
        courses, yi, ok = at_base
        holds = np.abs(np.median(_line(lum, cols, yi), axis=0) - own) <= OWN_TOL  # (F', n)
        f = int(np.argmax(holds.mean(axis=1)))
        at = int(np.nonzero(ok)[0][f])
        return float(holds[f].mean()), courses[at], grade + family[at][1], holds[f]

    def inside(rows: np.ndarray) -> bool:
        return bool(ins[np.rint(rows).astype(np.int64), cols].mean() >= 0.8)

    def beats_moved_off(score: Callable[[float], tuple[Any, ...] | None], level: float) -> bool:
        for off in _moved_off(half):
            if _reads_wire(matte, cols, y + off + grade * k, half):
                continue
            other = score(off)
            if other is not None and other[0] * OVER >= level:
                return False
        return True

    here = best(0.0)
    if here is not None and here[3].mean() >= SHOWN and inside(here[1]) and beats_moved_off(best, here[0]):
        _, rows, bent, shown, sign = here
    else:
        same = held(0.0)
        if same is None or same[0] < SHOWN or not inside(same[1]) or not beats_moved_off(held, same[0]):
            return None
        (_, rows, bent, shown), sign = same, 0.0
    # centred on the line: each column's darkest (brightest) row within 2 px, or, held by its luminance,
    # the row nearest it
    yi = np.clip(np.rint(rows).astype(np.int64)[None, :] + np.arange(-2, 3)[:, None], 0, h - 1)
    near = lum[yi, cols[None, :]]
    at = yi[np.argmax(-sign * near if sign else -np.abs(near - own), axis=0), np.arange(cols.size)]
    fit = np.polyfit(k.astype(np.float64), at.astype(np.float64), 1) if k.size >= 3 else (0.0, float(np.mean(at - rows)))
    centred = np.polyval(fit, k) if k.size >= 3 else rows + fit[1]
    return centred.astype(np.float32), bent, shown


def _mat(add: np.ndarray, centres: np.ndarray, ins: np.ndarray, cols: np.ndarray, rows: np.ndarray,
         half: float) -> None:
    """A wire ``half`` px either side of ``rows`` over ``cols`` matted into ``add`` (feathered, inside
    ``ins``), its centre line into ``centres``."""
    yy = np.arange(add.shape[0], dtype=np.float32)[:, None]
    core = np.zeros(add.shape, bool)
    core[:, cols] = np.abs(yy - rows[None, :].astype(np.float32)) <= half
    np.maximum(add, feathered(core) * ins, out=add)
    yi = np.clip(np.rint(rows).astype(np.int64), 0, add.shape[0] - 1)
    centres[yi, cols] = True


def bridge_gaps(centres: np.ndarray, hint: np.ndarray, matte_u8: np.ndarray,
                luma: Callable[[tuple[slice, slice]], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(the matte with each stroke's lost stretches bridged, uint8 (H, W); the centre lines with the
    bridges' added, bool (H, W)). ``luma(box)``: the analysis luminance of the plate inside ``box``."""
    out, lines = matte_u8.copy(), centres.copy()
    # each stroke's box with room around it: a line's sides, and the courses moved off it
    for box, inner, tall in stroke_boxes(hint, PAD):
        mid = centres[box] & inner
        if not mid.any():
            continue
        m = matte_u8[box].astype(np.float32) / np.float32(255.0)
        tr = lengthwise(tall)
        add, put = bridge_stroke(tr(mid), tr(inner), tr(m), tr(luma(box)))
        if not put.any():
            continue
        add, put = tr(add), tr(put)
        out[box] = np.maximum(out[box], np.rint(add * 255).astype(np.uint8))
        lines[box] |= put
    return out, lines
