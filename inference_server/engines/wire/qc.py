"""Where a repair may have left a wire: the stretches of a stroke that hold fewer of the wires
found in it than most of the stroke does.

A wire runs on through the artist's stroke; it does not stop in the middle of it. Where the
matte follows two wires along most of a stroke and one of them for 80 px, the other one is
either hidden there (behind a foreground) or was missed and is still in the plate. The line
search of the repaired frame (``repair.WireRemover._residual``) cannot see the second case: it
judges lines by the same measure the first search did, and the wire it missed scored under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from inference_server.engines.wire.components import components
from inference_server.engines.wire.matte import HINT_INSIDE, WHOLE_STROKE_WIDEST

GAP_FLAG = 30  # px: a stretch of a stroke this long with a wire fewer than along most of it is named
TOUCHED = 0.5  # a line the repaired frame's search finds is the repair's when half of it lies by what it changed
KEEPS_OFFSET = 1.5  # px: a wire's rest keeps its distance from the wire found (a fringe, the wire brought back) to this
KEEPS_ALONG = 0.8   # ...along this share of its length at least
ONE_WIRE = 2  # px: a step of a wire's rest lies by one wire: its pixels' nearest centre-line pixels this close across
LINE_STEP = 0.03  # a line stands out of the plate from both its sides by this (working code) at least
ALONG_REACH = 32  # px: no line farther than this from every wire found runs along one


@dataclass(frozen=True)
class FrameQC:
    """What a repaired frame's own check found.

    residual: the strongest line still standing out inside the hint after the repair, as its
    median ridge response over the plate's texture around the hint (0 = none stands out); with
    the classical matte, of the lines that are the repair's to mend (``lines_of_the_repair``);
    repaired: the fraction of the hint that was repaired; passes: repairs run (1 = the first
    matte held everything); gap: the longest stretch (columns of its stroke's box along the longer
    side) where the matte holds fewer wires than along most of the stroke (``wire_gaps``: a wire
    missed, or hidden there; one the last resort repaired counts still), and ``gap_at`` its box
    (x0, y0, x1, y1); left_at: the box (x0, y0, x1, y1) of the longest stretch of a stroke where
    no wire stood out and nothing was repaired, left as it was (``unfound``: broader there than
    ``matte.WHOLE_STROKE_WIDEST``), or None; flagged: residual >= ``repair.QC_THRESHOLD``, gap >=
    GAP_FLAG or a stroke left, a frame the artist should check."""

    residual: float
    repaired: float
    passes: int
    flagged: bool
    gap: int = 0
    gap_at: tuple[int, int, int, int] | None = None
    left_at: tuple[int, int, int, int] | None = None

    def as_dict(self) -> dict[str, object]:
        return {"residual": round(self.residual, 3), "repaired": round(self.repaired, 3),
                "passes": self.passes, "flagged": self.flagged, "gap": self.gap,
                "gap_at": list(self.gap_at) if self.gap_at else None,
                "left_at": list(self.left_at) if self.left_at else None}


def unfound(hint: np.ndarray, matte: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of the longest stretch (at least ``GAP_FLAG`` columns along its
    stroke's longer side) of a stroke of ``hint`` (H, W) broader there than
    ``matte.WHOLE_STROKE_WIDEST`` where ``matte`` (H, W) holds nothing: no wire stood out and the
    stroke was too broad to repaint whole (a wire left for the artist to see to, with a tighter
    stroke); None where there is none. By columns, not whole strokes: a stroke is searched band by
    band, and one that broadens along its length is repainted whole where narrow and left where
    broad (a tapering stroke left from x 560 on was named nowhere)."""
    longest, where = 0, None
    for (ys, xs), ins, tall in strokes(hint):
        held = (np.asarray(matte[ys, xs]) > 0) & ins
        if tall:
            ins, held = ins.T, held.T
        cols = np.nonzero(ins.any(axis=0))[0]
        bare = (ins[:, cols].sum(axis=0) > WHOLE_STROKE_WIDEST) & ~held[:, cols].any(axis=0)
        span, at = _longest_run(bare, cols, ins, (ys, xs), tall, max(longest, GAP_FLAG - 1))
        if at is not None:
            longest, where = span, at
    return where


def _longest_run(run: np.ndarray, cols: np.ndarray, ins: np.ndarray, box: tuple[slice, slice], tall: bool,
                 longer_than: int) -> tuple[int, tuple[int, int, int, int] | None]:
    """The longest run of ``run`` (a flag per column ``cols`` of a stroke's bool ``ins``, read along
    its longer side: transposed where ``tall``; ``box``: the stroke's (rows, columns) in the frame)
    spanning more than ``longer_than`` columns: (its span, its box (x0, y0, x1, y1) in the frame),
    or (``longer_than``, None)."""
    ys, xs = box
    longest, where = longer_than, None
    edges = np.flatnonzero(np.diff(np.r_[0, run.astype(np.int8), 0]))
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        span = int(cols[b - 1] - cols[a]) + 1
        if span <= longest:
            continue
        lo, hi = int(cols[a]), int(cols[b - 1]) + 1
        rows = np.nonzero(ins[:, lo:hi].any(axis=1))[0]
        r0, r1 = int(rows[0]), int(rows[-1]) + 1
        longest = span
        where = (xs.start + r0, ys.start + lo, xs.start + r1, ys.start + hi) if tall else \
            (xs.start + lo, ys.start + r0, xs.start + hi, ys.start + r1)
    return longest, where


def counts(centres: np.ndarray) -> np.ndarray:
    """Per column of bool (H, W) ``centres``: how many separate lines cross it (runs of rows, so
    two wires meeting at a crossing count once only where they touch)."""
    edges = np.diff(np.pad(centres.astype(np.int8), ((1, 0), (0, 0))), axis=0)
    return np.asarray((edges == 1).sum(axis=0))


def usual(n: np.ndarray) -> int:
    """The count of wires a stroke's columns hold most often, among those that hold any (``n``: per
    column, ``counts``; at least one nonzero)."""
    values, often = np.unique(n[n > 0], return_counts=True)
    return int(values[np.argmax(often)])


def strokes(hint: np.ndarray) -> list[tuple[tuple[slice, slice], np.ndarray, bool]]:
    """Each stroke of ``hint``: (its box, bool inside it, whether it is taller than wide)."""
    import cv2

    inside = hint > HINT_INSIDE
    out = []
    for ys, xs in components(cv2.dilate(inside.astype(np.uint8), np.ones((3, 3), np.uint8)))[1]:
        held = inside[ys, xs]
        ys, xs = ys[held], xs[held]
        if ys.size:
            y0, x0 = int(ys.min()), int(xs.min())
            box = (slice(y0, int(ys.max()) + 1), slice(x0, int(xs.max()) + 1))
            stroke = np.zeros((box[0].stop - y0, box[1].stop - x0), bool)
            stroke[ys - y0, xs - x0] = True
            out.append((box, stroke, bool(np.ptp(ys) > np.ptp(xs))))
    return out


def stroke_boxes(hint: np.ndarray, pad: int) -> list[tuple[tuple[slice, slice], np.ndarray, bool]]:
    """Each stroke of ``hint`` (``strokes``) with ``pad`` px of room around its box, cut at the frame's
    edge: (that box, bool inside the stroke within it, whether the stroke is taller than wide)."""
    h, w = hint.shape
    out = []
    for (ys, xs), ins, tall in strokes(hint):
        y0, y1, x0, x1 = max(ys.start - pad, 0), min(ys.stop + pad, h), max(xs.start - pad, 0), min(xs.stop + pad, w)
        inner = np.zeros((y1 - y0, x1 - x0), bool)
        inner[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0] = ins
        out.append(((slice(y0, y1), slice(x0, x1)), inner, tall))
    return out


def lengthwise(tall: bool) -> Callable[[np.ndarray], np.ndarray]:
    """The crop of a stroke laid along x: transposed (and contiguous) when the stroke is taller than
    wide, as it is otherwise; applied again, it lays a result back."""
    return (lambda a: np.ascontiguousarray(a.T)) if tall else (lambda a: a)


def wire_gaps(centres: np.ndarray, hint: np.ndarray, matte: np.ndarray | None = None
              ) -> tuple[int, tuple[int, int, int, int] | None, np.ndarray]:
    """(the longest stretch, in columns of the stroke's box along its longer side, where fewer
    wires run than along most of the stroke; its box (x0, y0, x1, y1), or None where there is
    none; bool (H, W): the hint in every such stretch, however short).

    ``centres``: (H, W), nonzero on the centre line of every wire found, one pixel per column
    (``find_wire_matte(centres=)``, ``matte_centres``); ``hint``: float32 (H, W), the strokes (>
    ``HINT_INSIDE`` is inside); ``matte`` (uint8 or float, H x W), when given: a column whose hint
    it covers nearly whole (9 in 10 pixels) was repaired whole and leaves no gap (a band of the
    stroke where no wire stood out). "Most of the stroke" is the count of wires its columns hold
    most often, among the columns that hold any: a stroke where no wire was found has no gap.
    Counted column by column, a curved stroke whose two arms share columns (a hook, a U) shows
    no gap where one arm lost its wire; and a weak texture path the search took for a wire beside
    the real one counts as one (the review found 2 of 8 diagonal strokes flagged so).
    """
    if centres.shape != hint.shape or (matte is not None and matte.shape != hint.shape):
        raise ValueError(f"wire_gaps: centres {centres.shape} / matte {None if matte is None else matte.shape} "
                         f"do not match hint shape {hint.shape}")
    longest, where = 0, None
    missing = np.zeros(hint.shape, bool)
    for (ys, xs), ins, tall in strokes(hint):
        mid = (centres[ys, xs] != 0) & ins
        whole = (np.asarray(matte[ys, xs], np.float32) >= (128 if matte.dtype == np.uint8 else 0.5)) & ins \
            if matte is not None else np.zeros(ins.shape, bool)
        gone = missing[ys, xs]
        if tall:
            mid, ins, whole, gone = mid.T, ins.T, whole.T, gone.T
        cols = np.nonzero(ins.any(axis=0))[0]
        n = counts(mid)[cols]
        if not n.any():
            continue
        repaired = whole[:, cols].sum(axis=0) >= 0.9 * ins[:, cols].sum(axis=0)
        low = (n < usual(n)) & ~repaired
        gone[:, cols[low]] |= ins[:, cols[low]]  # a view of ``missing``
        span, at = _longest_run(low, cols, ins, (ys, xs), tall, longest)
        if at is not None:
            longest, where = span, at
    return longest, where, missing


def matte_centres(matte: np.ndarray, hint: np.ndarray) -> np.ndarray:
    """Centre lines (bool (H, W)) of a matte's wires where only the matte is known (a learned
    matte): in each stroke of ``hint``, the middle of each run of matte >= 0.5 across it, one
    pixel per step along its longer side."""
    out = np.zeros(matte.shape, bool)
    for (ys, xs), ins, tall in strokes(hint):
        core = (matte[ys, xs] >= 0.5) & ins
        mid = np.zeros(core.shape, bool)
        c, m = (core.T, mid.T) if tall else (core, mid)
        edges = np.diff(np.pad(c.astype(np.int8), ((1, 1), (0, 0))), axis=0).T  # column by column
        cols, starts = np.nonzero(edges == 1)
        _, stops = np.nonzero(edges == -1)
        m[(starts + stops - 1) // 2, cols] = True
        out[ys, xs] |= mid
    return out


def pieces(lines: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """(int labels (H, W) of the connected pieces of bool ``lines``, 8-connected, 0 off them; per
    piece k = 1, 2...: its rows, its columns, and the one of the two its length runs along, its
    longer side)."""
    labels, each = components(lines)
    return labels, [(ys, xs, xs if np.ptp(xs) >= np.ptp(ys) else ys) for ys, xs in each]


def lines_of_the_repair(lines: np.ndarray, centres: np.ndarray, scores: list[float], changed: np.ndarray,
                        missing: np.ndarray) -> tuple[np.ndarray, float]:
    """(bool (H, W): the lines, of those the repaired frame's search found, that are the repair's
    to mend; the strongest one's score, 0 when none).

    ``lines``: bool (H, W), the search's matte over them; ``centres``: int (H, W), line k's
    centre line set to k + 1 (``find_wire_matte(centres=)``) and ``scores`` theirs; ``changed``:
    bool, the pixels the repair changed; ``missing``: bool, where the stroke holds a wire fewer
    than most of it (``wire_gaps``). A line (a connected piece of ``lines``) is the repair's where
    it comes within a pixel of a changed pixel along at least ``TOUCHED`` of its length (a seam,
    wire brought back, a fringe of the wire beside the fill), or lies in ``missing`` for that much
    (the wire the matte lost there). A line the repair left alone elsewhere was in the plate as it
    is and the matte's own search judged it there: the wall's capping line along a broad stroke,
    which the isotropic measure of the repaired frame took for a wire and repaired again,
    breaking it (the bench's broad-stroke class: +11.95 dB then, +14.85 without it)."""
    import cv2

    labels, each = pieces(lines)
    if not each:
        return np.zeros(lines.shape, bool), 0.0
    near = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    keep = np.zeros(len(each) + 1, bool)
    for k, (ys, xs, along) in enumerate(each, start=1):
        steps = np.unique(along).size
        by = np.unique(along[near[ys, xs]]).size
        lost = np.unique(along[missing[ys, xs]]).size
        keep[k] = max(by, lost) >= TOUCHED * steps
    kept = keep[labels]
    names = np.unique(centres[kept & (centres > 0)])
    worst = max((scores[n - 1] for n in names.tolist() if 0 < n <= len(scores)), default=0.0)
    return kept, float(worst)


def along_a_wire(lines: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Bool (H, W): the lines (connected pieces of bool ``lines``) that run along a wire found,
    ``found`` (bool, the first matte's centre lines): on one side of one wire, at the same offset
    from it across its course (to ``KEEPS_OFFSET`` px), along at least ``KEEPS_ALONG`` of their length.

    What a repair leaves of a wire runs with the wire: its fringe beside a matte too narrow, a
    stretch of it a neighbour lent back, lie at one offset from the wire's centre all along. A
    line of the background that the fill continued through the hole or left beside it (the stroke
    of a painted digit, a wheel's arch) mostly crosses the wire's course or curves away from it, and
    mended, it was painted out. Measured alone (with the later pass kept near its lines), mending
    only these took the bench's 4K class from +10.48 to +11.50 dB and the broad stroke from +15.02
    to +15.37. A background line that does run with the wire (a trim the wire lies along) is kept
    by the later pass's other rule: no pixel a neighbour showed is painted over
    (``repair.WireRemover._composite``).

    The offset is signed and taken to the nearest wire, and a step along the piece counts only where
    all its pixels lie nearest to one wire (``ONE_WIRE``): measured as a distance, to whichever wire
    was nearest, a moving arm 14 px wide across three wires 9 px apart, or a band 8 px wide whose
    middle drifted from one side of a wire to the other, kept a steady mean distance from the wires,
    and the later pass lent the wall over the arm (the bench's 3 wires frame 4; in wire over a moving
    subject, frame 2 lost 0.8 dB to the mend)."""
    import cv2
    from scipy.ndimage import distance_transform_edt

    out = np.zeros(lines.shape, bool)
    if not found.any() or not lines.any():
        return out
    # each pixel's nearest centre-line pixel, within the lines' box and a margin past the farthest
    # a wire's rest is looked for (beyond it no line is near a wire)
    h, w = lines.shape
    ly, lx = np.nonzero(lines)
    y0, y1 = max(int(ly.min()) - ALONG_REACH, 0), min(int(ly.max()) + ALONG_REACH + 1, h)
    x0, x1 = max(int(lx.min()) - ALONG_REACH, 0), min(int(lx.max()) + ALONG_REACH + 1, w)
    crop = found[y0:y1, x0:x1]
    if not crop.any():
        return out
    _, (ny, nx) = distance_transform_edt(~crop, return_indices=True)
    # across a wire: its rows, or its columns where it runs upright (a centre line one pixel a row)
    c8 = crop.astype(np.float32)
    upright = cv2.boxFilter(c8, -1, (1, 5), normalize=False) > cv2.boxFilter(c8, -1, (5, 1), normalize=False)
    for ys, xs, along in pieces(lines)[1]:
        cy, cx = ys - y0, xs - x0
        wy, wx = ny[cy, cx], nx[cy, cx]  # each pixel's nearest pixel of a wire's centre line
        # signed, across the wire: which side of it and how far; a line crossing from one side to the
        # other, or from one wire's side to another's, changes sign or jumps
        up = upright[wy, wx]
        off = np.where(up, cx - wx, cy - wy)
        wire_at = np.where(up, wx, wy)  # where, across, the nearest wire runs
        steps, at = np.unique(along, return_inverse=True)
        d = np.bincount(at, off) / np.bincount(at)  # per step along it: its mean signed offset
        high = np.zeros(steps.size)
        np.maximum.at(high, at, wire_at)
        low = np.full(steps.size, np.inf)
        np.minimum.at(low, at, wire_at)
        one = high - low <= ONE_WIRE  # the step's pixels all lie nearest to one wire
        at_it = np.median(d[one]) if one.any() else 0.0
        if (one & (np.abs(d - at_it) <= KEEPS_OFFSET)).sum() >= KEEPS_ALONG * steps.size:
            # a line of the plate crossing it joins it where they touch: only what lies at its offset
            near = np.abs(off - at_it) <= 2 * KEEPS_OFFSET
            out[ys[near], xs[near]] = True
    return out


def trial_lines(plate: np.ndarray, before: np.ndarray, trial: np.ndarray, where: np.ndarray, moved: float,
                thick: float, near: np.ndarray | None = None) -> np.ndarray:
    """Bool (H, W): the lines a trial repair of ``where`` took out of the plate. ``plate``,
    ``before`` (the repair before the trial), ``trial``: luminance (H, W), in the repair's working
    code. A piece of the pixels of ``where`` the trial moved by ``moved`` or more is a line taken
    out when it runs ``GAP_FLAG`` px or more, is no thicker than ``thick`` px on average (its area
    over its length: not a blotch of fill over a moving subject) and stands out of the plate from
    both its sides (``stands_as_line``: not one side of an edge the trial's fill smeared); with
    ``near`` (bool (H, W)), it must also touch it (the wires found, grown: a wire's rest goes on
    from where one stopped or runs beside one)."""
    out = np.zeros(where.shape, bool)
    changed = (np.abs(trial - before) >= moved) & where
    for ys, xs in components(changed.astype(np.uint8))[1]:
        length = max(np.ptp(ys), np.ptp(xs)) + 1
        if length >= GAP_FLAG and ys.size <= thick * length and (near is None or near[ys, xs].any()) \
                and stands_as_line(plate, ys, xs):
            out[ys, xs] = True
    return out


def stands_as_line(lum: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether the piece (``ys``, ``xs``) of ``lum`` (H, W) stands out from both its sides, the same
    way, by ``LINE_STEP`` on half its pixels or more: a line. Its sides are read across its longer
    side, its half-thickness and 2 px away; a pixel on an edge lies between them."""
    h, w = lum.shape
    length = max(np.ptp(ys), np.ptp(xs)) + 1
    k = int(np.ceil(ys.size / length / 2)) + 2
    if np.ptp(xs) >= np.ptp(ys):
        a, b = lum[np.clip(ys - k, 0, h - 1), xs], lum[np.clip(ys + k, 0, h - 1), xs]
    else:
        a, b = lum[ys, np.clip(xs - k, 0, w - 1)], lum[ys, np.clip(xs + k, 0, w - 1)]
    p = lum[ys, xs]
    dark = float((p < np.minimum(a, b) - LINE_STEP).mean())
    bright = float((p > np.maximum(a, b) + LINE_STEP).mean())
    return max(dark, bright) >= 0.5
