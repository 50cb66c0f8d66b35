"""A wire smeared by motion blur, found where the ridge search found wires along little of its stroke.

A 4 px wire smeared 14 px across its drift covers each pixel it crosses a quarter at most: a soft
band as wide as the smear, flat across its middle. The search's ridges (to 5 px) answer on such a
band's two edges, not its middle, and over a concrete wall they stood under the texture's floor:
the wire bench's dark wire smeared over a pan and a player was found in one frame of eight, and
left whole in the others (two straight edges of the scenery were matted instead).

A band stands out of its two sides: where a stroke's found wires run along less than ``FOUND`` of
it, each polarity's band of each half-width in ``HALVES`` is measured against the strips either
side of it (its mean against the nearer side's, so one side of an edge is no band), averaged along
the stroke over ``ALONG`` columns; the best smooth course through it (a cubic, fitted to the
search's path and refitted to the columns that lie on it) is a wire where its band stands out by
``LEAST`` or more in ``SHARE`` of the stroke's columns, by ``OVER`` times what the same course moved
off it by two to four of its widths does, and keeps inside the stroke all along (the artist's stroke
follows the wire; an edge of the scenery that crosses the stroke leaves it). Its band is matted
where it stands out, a pixel wider each side.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from inference_server.engines.wire.matte import feathered
from inference_server.engines.wire.paths import GAP, runs, trace
from inference_server.engines.wire.qc import lengthwise, stroke_boxes

SOFT = True          # search a stroke where the found wires run along little of it for a smeared one
HALVES = (3, 5, 7, 9)  # px: half-widths of the bands measured
ALONG = 9            # columns a band's contrast is averaged over along the stroke
FOUND = 0.5          # a stroke whose found wires' centre lines run along less than this share of its columns
LEAST = 0.02         # analysis luminance: a band stands out of both its sides by this ...
SHARE = 0.65         # ... in this share of the stroke's columns
OVER = 2.0           # ... by this many times the median of the same course moved off it
INSIDE = 0.95        # the course runs inside the stroke in this share of its columns
PAD = 32             # px around a stroke's box read for the bands' sides


def band_contrasts(lum: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"dark"/"bright": (how far a band centred on each pixel stands out of both its sides, the best of
    ``HALVES``; the half-width it is best at)}, float32 / int32 (H, W), along x: a band's mean (``2h + 1``
    rows) against each side's (``max(3, h)`` rows, a row past it), the nearer side counted."""
    from scipy.ndimage import uniform_filter1d

    best: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    h = lum.shape[0]
    rows = np.arange(h)
    for half in HALVES:
        side = max(3, half)
        mid = uniform_filter1d(lum, 2 * half + 1, axis=0, mode="nearest")
        strip = uniform_filter1d(lum, side, axis=0, mode="nearest")
        off = half + 1 + (side + 1) // 2
        above, below = strip[np.clip(rows - off, 0, h - 1)], strip[np.clip(rows + off, 0, h - 1)]
        for name, value in (("dark", np.minimum(above, below) - mid), ("bright", mid - np.maximum(above, below))):
            value = uniform_filter1d(value, ALONG, axis=1, mode="nearest").astype(np.float32)
            if name not in best:
                best[name] = (value, np.full(value.shape, half, np.int32))
            else:
                more = value > best[name][0]
                best[name][0][more] = value[more]
                best[name][1][more] = half
    return best


def _smooth(rows: np.ndarray, cols: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """A cubic through ``rows`` over ``cols``, refitted to the columns within 3 px of it (or its 60%
    nearest, if more), weighted by ``weight``: the course of a wire, which bends smoothly."""
    x = (cols - cols.mean()) / max(float(np.ptp(cols)), 1.0)
    w = np.maximum(weight, 0.0) + 1e-6
    fit = np.polyval(np.polyfit(x, rows, 3, w=np.sqrt(w)), x)
    for _ in range(3):
        off = np.abs(fit - rows)
        keep = off <= max(3.0, float(np.percentile(off, 60)))
        if keep.sum() < 8:
            break
        fit = np.polyval(np.polyfit(x[keep], rows[keep], 3, w=np.sqrt(w[keep])), x)
    return fit


def _along(value: np.ndarray, course: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``value`` (H, W) along a course: the most within 2 rows of it, per column."""
    h = value.shape[0]
    yi = np.clip(np.rint(course).astype(np.int64)[None, :] + np.arange(-2, 3)[:, None], 0, h - 1)
    return np.max(value[yi, cols[None, :]], axis=0)


def soft_wire(lum: np.ndarray, ins: np.ndarray, taken: np.ndarray, polarity: str = "auto"
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """(core, bool (H, W); centre line, bool (H, W)) of a smeared wire in one stroke along x, or None.
    ``lum``: the analysis luminance; ``ins``: the stroke; ``taken``: the wires already matted there."""
    import cv2

    cols_in = np.nonzero(ins.any(axis=0))[0]
    if cols_in.size < 2 * GAP + 1:
        return None
    h = lum.shape[0]
    held = cv2.dilate(taken.astype(np.uint8), np.ones((7, 1), np.uint8)) > 0
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray, int] | None = None
    for name, (value, halves) in band_contrasts(lum).items():
        if polarity not in ("auto", name):
            continue
        gain = np.where(ins & ~held, np.maximum(value, 0.0) / LEAST, 0.0).astype(np.float32)
        rows = trace(gain, ins)
        cols = np.nonzero(rows >= 0)[0]
        if cols.size < 2 * GAP + 1:
            continue
        course = _smooth(rows[cols].astype(np.float64), cols, value[rows[cols], cols])
        yi = np.clip(np.rint(course).astype(np.int64), 0, h - 1)
        if float(ins[yi, cols].mean()) < INSIDE:
            continue  # an edge of the scenery crossing the stroke, not the wire the stroke follows
        seen = _along(np.where(held, 0.0, value), course, cols)
        shown = seen >= LEAST
        if float(shown.mean()) < SHARE:
            continue
        half = int(np.median(halves[yi[shown], cols[shown]]))
        level = float(np.median(seen[shown]))
        moved = [float(np.median(_along(value, course + s * k * (2 * half + 2), cols)))
                 for s in (-1, 1) for k in (2, 3, 4)]
        if level < OVER * max(max(moved), 0.0):
            continue
        if best is None or level > best[0]:
            best = (level, cols, course, shown, half)
    if best is None:
        return None
    _, cols, course, shown, half = best
    on = runs(shown, np.zeros(shown.size, bool), GAP, 1)  # short dips (a fleck of texture) bridged
    core = np.zeros(lum.shape, bool)
    mid = np.zeros(lum.shape, bool)
    yy = np.arange(h)[:, None]
    sel = cols[on]
    core[:, sel] = np.abs(yy - course[on][None, :]) <= half + 1
    mid[np.clip(np.rint(course[on]).astype(np.int64), 0, h - 1), sel] = True
    return core & ins & ~held, mid & ins


def soft_wires(centres: np.ndarray, hint: np.ndarray, matte_u8: np.ndarray,
               luma: Callable[[tuple[slice, slice]], np.ndarray], polarity: str = "auto"
               ) -> tuple[np.ndarray, np.ndarray]:
    """(the matte with each stroke's smeared wire added, uint8 (H, W); the centre lines with theirs,
    bool (H, W)) for the strokes whose found wires (``centres``) run along less than ``FOUND`` of them.
    ``luma(box)``: the analysis luminance of the plate inside ``box``."""
    out, lines = matte_u8.copy(), centres.copy()
    for box, inner, tall in stroke_boxes(hint, PAD):
        tr = lengthwise(tall)
        mid, inside = tr(centres[box] & inner), tr(inner)
        followed = np.asarray(mid.any(axis=0))  # the columns a found wire runs through
        if float(followed[inside.any(axis=0)].mean()) >= FOUND:
            continue
        found = soft_wire(tr(luma(box)), inside, tr(matte_u8[box] >= 128), polarity)
        if found is None:
            continue
        core, line = (tr(a) for a in found)
        out[box] = np.maximum(out[box], np.rint(feathered(core) * inner * 255).astype(np.uint8))
        lines[box] |= line
    return out, lines
