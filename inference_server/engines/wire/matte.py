"""Wire matte refinement: from the artist's rough hint to a tight, soft matte on every wire in it.

Oriented ridge filtering (``ridges``): the Hessian of the (log-)luminance at several scales; a thin dark
line has one large positive eigenvalue across it and ~0 along it (a bright line the reverse),
so blobs and flat texture respond weakly. Both polarities are measured and each is divided by
the texture's own ridge response just outside the hint (its "floor"), so a pixel's gain says
how far it stands out from the plate's texture whatever the wire's polarity; a cable that is
lit against a dark wall and dark against the sky keeps a gain along its whole length.
For the first matte the response only counts ridges that run along the axis being followed
(weighted by cos^4 of the angle; along a diagonal stroke, by the angle to the stroke's own
direction: ``Direction``), and a ridge loses half the other polarity's peak nearby (a
wire's own side lobes): the stripes, window frames and leaf edges that cross a stroke no longer
set the floor a faint wire must clear, nor draw the path off it.

Every wire is then followed along the stroke by dynamic programming: the best smooth path
through the gain inside the hint is kept where it runs long enough on evidence (a column of
the path shows a wire where its gain reaches ``EVIDENCE``); its corridor is taken out and the
next path is searched, until no path holds evidence. A stroke may so cover several wires of
either polarity, wires may cross (a later path bridges the corridor of an earlier one), leave
the hint and come back, or pass behind a foreground (columns without evidence are not matted
unless a short gap is bridged; a found wire is followed on through weaker columns that continue
its line). Each connected stroke is followed along its own long axis, and
across it as well where it is curved or wide enough to hold a wire running the other way
(a sagging wire's steep ends). A wire's extent
either side of its path comes from how far pixels stay darker (brighter, by the polarity of
that column) than their surroundings' median (and their morphological background); it is
smoothed along the path, grown by a pixel and feathered.

A coloured rope need not stand out in luminance (a red rope over a grey wall is darker than
the wall by a third of a dark cable's contrast). With ``polarity="auto"`` the first matte also
searches two opponent channels (``analysis_chroma``), each ridge measured against the higher of
its own floor and luminance's, before the luminance search: a path found there is kept as a colour
line (``colour_lines`` judges it) only where it stands out more in colour than in luminance, is more
saturated than what lies beside it and differs from its two sides more than they differ from each
other (a strip of grass between a banner and a wall is a boundary); its extent is measured in
colour, and luminance is not searched again on it. A line less saturated than what it crosses (a
grey wire or a dull rope over graffiti; a neutral wire over a blue banner too) is taken in colour
only where it keeps one colour along its length while the paint beside it changes, and luminance's
search found no path along it. A wire luminance's search finds is measured across in colour too
(``_colour_core``): where its extent in colour runs on a body's width past luminance's, over one
background, along a stretch of it (a lit cable's grey body beside its bright edge, over a blue
banner), the matte takes that too. The search of a repaired frame (the QC) reads luminance only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from inference_server.engines.wire.colour_lines import colour_line, dull_columns, dull_line
from inference_server.engines.wire.components import components
from inference_server.engines.wire.paths import (
    GAP,
    STEEP,
    Polar,
    WirePath,
    best_near,
    find_paths,
    hops,
    lean,
    runs,
    spans,
    stroke_course,
    trace,
)
from inference_server.engines.wire.ridges import SCALES, Along, Direction, analysis_chroma, luma_and_linear, ridge_responses

FRACTION = 0.25
PLATEAU = 0.05       # of a wire's excess: past its flank, a fall over two rows under this ends its extent ...
PLATEAU_BELOW = 0.9  # ... where the excess is under this share of the wire's (``_extent``; the first matte's)
RECENTRE = 3     # px: a wire's core is also measured from a row this near its path (``_wire_matte``) ...
WEAK_ON = 0.5     # ... where the line's contrast on the path falls under this share of its median
BACK_ON = 0.8     # ... and that row holds this share of it
TEXTURE_CAP = 1.5  # the texture score counted at most (a fence beside a stroke must not hide the wire in it)

ORIENTED = True  # ridges weighted by how well they run along the stroke's axis (``ridge_response``)
SIDE_LOBE = 0.5  # of the other polarity's peak nearby taken off a ridge (``ridge_response``)
BEYOND_SHARE = 0.5  # a wire's core is followed past the hint's edge when it scores this share of the best found
HINT_INSIDE = 0.05  # a hint value above this is inside the artist's stroke
# px: a stroke where no wire stands out is repaired whole up to this width (8 of the coarsest ridge
# scale: room for any wire the search reads, and its margins); a broader one is left as it was, and
# the frame named (``qc.unfound``). Repainted whole, a 75 px stroke round a faintly smeared wire
# over a pan and a player was 18.9 dB against the plate's 31.0: the player's legs smeared away
WHOLE_STROKE_WIDEST = 40.0
RAW = "raw"  # a stroke memo's key for what a floors-only pass measured, taken by the search that follows
CHROMA = ":"  # the opponent channels' gains are named "rg:dark", ... (``line_gains``)
DULL_FOUND = 1 / 3  # a dull line of colour is luminance's where a path of its runs along this share of the line
JOINT_HELD = 1 / 4  # of a joint line's run must run along lines found for the rest to be taken (``_joint_lines``)
# a dull line's candidate: (axis, path, its (gains, peak scales, excess, inside) along that axis, the
# transpose to that axis, and for a joint line (``_joint_lines``) its columns judged by ``dull_columns``, else None)
Dull = tuple[int, WirePath, tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray],
             Callable[[np.ndarray], np.ndarray], np.ndarray | None]
GAPS_DROPPED = True  # no path along the background between two lines (``between_lines``)
EDGE_PATHS = True    # no path along one side of an edge (``stands_across``)
EDGE_STEP = 0.1  # of a plane's spread over a core: how far a path's line stands out of both sides (``stands_across``)
GAP_TOUCH = 4     # px: a path's core this near the cores of lines either side of it lies between them (``between_lines``)
GAP_SHARE = 0.25  # of the contrast of the lines either side
GAP_LINE = 24     # px: the thickest line either side read
COLOUR_STEP = 0.1      # a luminance wire's path stands out in an opponent channel by this at least (``_colour_core``) ...
COLOUR_BESIDE = 5.0    # ... and this many times what lies just past its extent there
COLOUR_FRACTION = 0.5  # of the path's excess in that channel: its extent in colour ends under this
COLOUR_MORE = 2        # px: colour widens a column's core only where it reaches this much past luminance's ...
COLOUR_RUN = 32        # ... over this many columns in a row (a cable's body along it; not a fleck of paint beside it)
FLOOR = "floor-"  # a stroke memo's keys for the texture's floors start so (``_gains``)

def hint_width(hint: np.ndarray) -> float:
    """A stroke's width in px from bool (H, W) ``hint``: twice the median distance to its edge
    over its widest tenth."""
    import cv2

    if hint.all():  # no edge to measure from (a stroke over the whole crop): as wide as the crop
        return float(min(hint.shape))
    dist = cv2.distanceTransform(hint.astype(np.uint8), cv2.DIST_L2, 3)
    peak = dist[dist >= np.percentile(dist[hint], 90)] if hint.any() else dist
    return float(2.0 * np.median(peak)) if peak.size else 1.0


def _extent(excess: np.ndarray, path: np.ndarray, limit: np.ndarray, plateau: bool = False,
            fraction: float = FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """How far (up, down) from the path each column's excess stays above a fraction of its peak,
    at most ``limit`` (int (W,)) pixels. With ``plateau`` (the first matte), it also ends, 3 px or
    more from the path, where the excess is under ``PLATEAU_BELOW`` of the peak's and fell by less
    than ``PLATEAU`` of it over the last two rows: past a wire's flank, something flat and darker
    than the surroundings' median lies beside it (a car's body under the dark wire, a wristband),
    and was matted to the limit and painted over. A thick or blurred wire's flat middle stands at
    its peak's excess, and its ramp keeps falling: both are kept (without ``PLATEAU_BELOW``, the
    thick 10 px class lost 8.2 dB and motion blur 7.6). Wire bench: 16 classes +0.1 to +0.7 dB
    (4K +0.5, 3 wires +0.5, running car at 30% +0.7), wire over a moving subject -0.6 (a
    wristband's edge the tighter matte left beside the wire, which the QC then repaired over)."""
    from scipy.ndimage import median_filter

    h, w = excess.shape
    cols = np.nonzero(path >= 0)[0]
    up = np.zeros(w, np.float32)
    down = np.zeros(w, np.float32)
    if cols.size == 0:
        return up, down
    py = path[cols]
    centre = np.max([excess[np.clip(py + d, 0, h - 1), cols] for d in (-1, 0, 1)], axis=0)
    thr = fraction * centre
    for direction, out in ((-1, up), (1, down)):
        going = np.ones(cols.size, bool)
        lim = limit[cols]
        seen = [centre, centre]  # the excess one and two rows back
        for k in range(1, int(lim.max()) + 1):
            yy = py + direction * k
            ok = (yy >= 0) & (yy < h) & (k <= lim)
            val = np.where(ok, excess[np.clip(yy, 0, h - 1), cols], 0.0)
            going &= ok & (val > thr)
            if plateau and k >= 3:  # no fall over two rows, well under the wire's own: a region beside it
                going &= (val < seen[0] - PLATEAU * centre) | (val >= PLATEAU_BELOW * centre)
            out[cols[going]] = k
            seen = [seen[1], val]
    size = min(15, max(3, cols.size // 4 * 2 + 1))
    up[cols] = median_filter(up[cols], size=size, mode="nearest")
    down[cols] = median_filter(down[cols], size=size, mode="nearest")
    return up, down


def _excess(lum: np.ndarray, width: float) -> dict[str, np.ndarray]:
    """How much darker ("dark") / brighter ("bright") each pixel is than its morphological
    background, over a structuring element a little wider than a wire the hint could hold; and
    ("dark-median", "bright-median") than the median of the same surroundings, at most the first.

    The morphological background is an envelope: every textured pixel is brighter than the
    opening (darker than the closing) by its texture's amplitude, so next to a wire over a wall
    the excess stays a quarter of the wire's for rows on end, and a wire's extent (``_extent``)
    ran through the texture to its limit. Half the surroundings lie at or beyond their median:
    a wire's extent measured on the median excess stops at the wire's own edge. (A 4 px bright
    wire over a schoolyard wall: the wall's excess over the opening 15-33 code values beside the
    wire's 75, a quarter of which is 19; over the median 0-6.)"""
    import cv2

    size = min(int(width * 0.6 + 3), 41) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    dark = cv2.morphologyEx(lum, cv2.MORPH_CLOSE, ker) - lum
    bright = lum - cv2.morphologyEx(lum, cv2.MORPH_OPEN, ker)
    # the surroundings' median, on 256 levels over the crop's range (OpenCV's large-kernel median
    # is 8-bit only; a level is 1/255 of the range, fine next to a wire's excess)
    lo, hi = (float(v) for v in np.percentile(lum, [0.1, 99.9]))
    step = max(hi - lo, 1e-6) / 255.0
    med = cv2.medianBlur(np.clip(np.rint((lum - lo) / step), 0, 255).astype(np.uint8), size).astype(np.float32) * step + lo
    return {"dark": dark, "bright": bright,
            "dark-median": np.minimum(dark, np.maximum(med - lum, 0.0)),
            "bright-median": np.minimum(bright, np.maximum(lum - med, 0.0))}


def texture_floor(resp: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The texture's ridge response around the hint, per column (float32 (W,)): the 90th
    percentile of ``resp`` over the stroke's surroundings, the same for every column (a floor
    measured block by block dropped on flat stretches and raised texture paths to wire scores:
    measured on the bench, 2-4 dB worse on single wires)."""
    level = float(np.percentile(resp[outside], 90)) if outside.sum() > 100 else float(np.percentile(resp, 50))
    return np.full(resp.shape[1], max(level, 1e-6), np.float32)


def line_gains(image: np.ndarray, inside: np.ndarray, polarity: str, width: float, excess: dict[str, np.ndarray],
               memo: dict[str, Any] | None = None, alongs: tuple[Along, ...] = (None,), side_lobe: float = 0.0,
               responses: dict[Along, tuple[np.ndarray, ...]] | None = None, prefix: str = ""
               ) -> dict[Along, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """{along: ({polarity: ridge response / the texture's floor}, {polarity: peak scale})} for the
    polarities asked for and each ridge direction of ``alongs`` (``ridge_responses``); the floor
    is the texture's response around the hint, column by column.

    A ridge counts only where the pixel really is darker (brighter) than its background
    (``excess``, ``_excess``): beside a bright wire the Hessian also answers "dark ridge" on
    both flanks, though nothing there is darker than the wall behind it. The gate opens fully
    at twice the texture's median excess. ``memo`` keeps the floors: a repaired frame is
    measured against the plate's texture. ``responses``: ``stroke_responses`` already taken.
    ``prefix``: the responses and ``excess`` are an opponent channel's (``analysis_chroma``), named
    so ("rg:dark", ...); both its polarities count where ``polarity`` is "auto", none otherwise."""
    import cv2

    near = int(2 * width) | 1  # the surroundings: a stroke's width either side of it
    outside = cv2.dilate(inside.astype(np.uint8), np.ones((near, near), np.uint8)).astype(bool)
    outside &= ~cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if responses is None:
        responses = stroke_responses(image, width, alongs, side_lobe)
    # a direction's floors are keyed without its angle: each band of a stroke reads its own, and
    # the bands' floors are pooled by key (``pooled_floors``)
    return {along: _gains(resp, outside, polarity, excess, memo,  # type: ignore[arg-type]
                          f"{_floor_tag(along)}-{side_lobe}", prefix)
            for along, resp in responses.items()}


def _floor_tag(along: Along) -> str:
    """How ``along`` names its floors: a direction without its angle (``line_gains``)."""
    if isinstance(along, Direction):
        return "across" if along.across else "direction"
    return str(along)


def stroke_responses(image: np.ndarray, width: float, alongs: tuple[Along, ...], side_lobe: float
                     ) -> dict[Along, tuple[np.ndarray, ...]]:
    """``ridge_responses`` at the scales a stroke ``width`` px wide can hold."""
    scales = tuple(s for s in SCALES if s <= max(width / 4.0, SCALES[1]))
    return ridge_responses(image, scales, alongs, side_lobe)  # type: ignore[return-value]


def _gains(resp: tuple[np.ndarray, ...], outside: np.ndarray, polarity: str,
           excess: dict[str, np.ndarray], memo: dict[str, Any] | None, tag: str, prefix: str = ""
           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``line_gains`` for one ridge direction: ``resp`` as ``ridge_responses`` gives it. The floor
    is read from the whole responses (a gap between two lines counted): taken off the texture's own
    close lines too, it lowered the floor, and a cloud's soft edge beside a wire rose to a wire's
    score (motion blur -0.8 dB)."""
    dark, bright, dark_s, bright_s, whole_d, whole_b = resp
    gains, peak = {}, {}
    for sign, r, sc, whole in (("dark", dark, dark_s, whole_d), ("bright", bright, bright_s, whole_b)):
        if polarity not in ("auto", sign) or (prefix and polarity != "auto"):
            continue
        name = prefix + sign
        key = _floor_key(name, tag)
        if memo is None or key not in memo:
            typical = float(np.median(excess[name][outside])) if outside.sum() > 100 else 0.0
            floor = (texture_floor(whole, outside), max(typical, 1e-3))
            if memo is not None:
                memo[key] = floor
        else:
            floor = memo[key]
        gate = np.clip((excess[name] - floor[1]) / np.float32(floor[1]), 0.0, 1.0)
        level = floor[0]
        if prefix:  # a colour line must stand out as far as a line of luminance would, whichever floor is higher
            luma = [memo[k][0] for k in (_floor_key("dark", tag), _floor_key("bright", tag)) if memo is not None and k in memo]
            level = np.maximum(level, np.max(luma, axis=0)) if luma else level
        gains[name] = r / level[None, :] * gate
        peak[name] = sc
    return gains, peak


def _floor_key(name: str, tag: str) -> str:
    """A stroke memo's key for the floors of gain ``name`` ("dark", "rg:bright", ...) in ridge direction ``tag``."""
    return f"{FLOOR}{name}-{tag}"


def pooled_floors(memos: Sequence[dict[Any, Any]]) -> dict[str, tuple[float, float]]:
    """{floor key: (ridge floor, typical excess)}: the floors that ``find_wire_matte`` kept in each
    band's memo (per stroke), averaged over the bands, weighted by the width each was measured over."""
    acc: dict[str, list[float]] = {}
    for memo in memos:
        for stroke in memo.values():
            for name, (level, typical) in ((n, v) for n, v in stroke.items() if str(n).startswith(FLOOR)):
                a = acc.setdefault(name, [0.0, 0.0, 0.0])
                a[0] += float(level[0]) * level.size
                a[1] += float(typical) * level.size
                a[2] += level.size
    return {name: (a[0] / a[2], a[1] / a[2]) for name, a in acc.items() if a[2] > 0}


def share_floors(memo: dict[Any, Any], pooled: dict[str, tuple[float, float]]) -> None:
    """Put the pooled floors (``pooled_floors``) in place of a band's own, in its memo.

    The floor is the 90th percentile of the ridges around the stroke, the same for every column:
    measured band by band (512 px), it rose by 43% over the snow and the car at the right of a
    car-pan frame, and a white wire the whole stroke's search held over all its length was left
    there for 171 px."""
    for stroke in memo.values():
        for name, (level, _) in [(n, v) for n, v in stroke.items() if str(n).startswith(FLOOR)]:
            if name in pooled:
                stroke[name] = (np.full(level.shape, pooled[name][0], np.float32), pooled[name][1])


def forget_raw(memo: dict[Any, Any]) -> None:
    """Drop what a floors-only pass kept in a band's memo (``RAW``), searched or not: it is the
    plate's, and a later search of the same band (the QC's, of the repaired frame) must not read it."""
    for stroke in memo.values():
        stroke.pop(RAW, None)


def _wire_matte(path: WirePath, gains: dict[str, np.ndarray], peak: dict[str, np.ndarray],
                excess: dict[str, np.ndarray], width: float, grow: int, inside: np.ndarray, recentre: bool = True,
                colour: tuple[dict[str, np.ndarray], list[np.ndarray]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Binary core (bool (H, W)) of one wire along ``path``: per column, the polarity that
    stands out there, and the extent its excess keeps either side of the path; and that core
    only in the columns where no more of it lies outside the hint (``inside``) than inside:
    the path runs along a wire's middle, so a wire that crosses the hint's edge has at most
    half of its width outside (a core mostly outside is a region beyond the edge, not wire)."""
    from scipy.ndimage import median_filter

    h, w = next(iter(gains.values())).shape
    cols = np.nonzero(path.on)[0]
    rows = path.rows[cols]
    names = list(gains)
    at = np.stack([best_near(gains[n], rows, cols) for n in names])
    pick = median_filter(np.argmax(at, axis=0), size=9, mode="nearest") if len(names) > 1 else np.zeros(cols.size, int)
    sigma = np.zeros(w, np.float32)
    sig = np.choose(pick, [peak[n][rows, cols] for n in names])
    sigma[cols] = median_filter(sig, size=9, mode="nearest")
    limit = np.minimum(np.ceil(1.6 * sigma) + 1, max(int(width / 2), 2)).astype(np.int64)
    chosen = np.zeros((h, w), np.float32)
    for k, n in enumerate(names):
        sel = cols[pick == k]
        chosen[:, sel] = excess[f"{n}-median"][:, sel]  # the extent: where it stands out from its surroundings
    core = _core(chosen, rows, cols, limit, grow, recentre)  # the first matte's ends at a flat region beside it
    if RECENTRE and recentre and cols.size:
        # the DP path runs where the gain (a ridge response over the texture's) peaks; beside a faint
        # wire over patterned cloth or along a path's edge that can be a ridge a few px off the wire,
        # and the extent measured from there stops short of it. A wire keeps its contrast along its
        # length: where the path's falls under ``WEAK_ON`` of its median and the row within
        # ``RECENTRE`` px where the line stands out most holds ``BACK_ON`` of it, the core measured
        # from that row (median over 9 columns) is added (never taken from the path's: a matte that
        # shrank by a pixel let the neighbours lend a thin wire's fringe, the 1 px class -2.7 dB)
        shifts = np.arange(-RECENTRE, RECENTRE + 1)
        read = np.stack([chosen[np.clip(rows + d, 0, h - 1), cols] for d in shifts])
        pick = np.argmax(read, axis=0)
        typical = float(np.median(read[RECENTRE]))
        move = np.where((read[RECENTRE] < WEAK_ON * typical) & (read[pick, np.arange(cols.size)] >= BACK_ON * typical),
                        shifts[pick], 0)
        move = median_filter(move, size=9, mode="nearest")
        if move.any():
            core |= _core(chosen, np.clip(rows + move, 0, h - 1), cols, limit, grow, True)
    if colour:  # what luminance's extent left of the wire's body, where colour shows it (``_colour_core``)
        extra = _colour_core(colour, rows, cols, limit, grow) & ~core
        wide = median_filter((extra.sum(axis=0) >= COLOUR_MORE).astype(np.uint8), size=9, mode="nearest") > 0
        core |= extra & runs(wide, np.zeros_like(wide), 0, COLOUR_RUN)[None, :]  # unbridged runs of COLOUR_RUN
    half = (core & ~inside).sum(axis=0) <= (core & inside).sum(axis=0)
    return core, core & half[None, :]


def _colour_core(colour: tuple[dict[str, np.ndarray], list[np.ndarray]], rows: np.ndarray, cols: np.ndarray,
                 limit: np.ndarray, grow: int) -> np.ndarray:
    """Bool (H, W): a luminance path's extent in colour. ``colour``: (each opponent channel's median
    excess, both polarities, ``_excess``; the opponent channels themselves), all (H, W).

    A lit cable over a blue banner is a bright specular stripe along a grey body of about the paint's
    own luminance: luminance's search follows the stripe and its extent ends at the stripe's edge,
    while the body, 2-4 px more, differs from the paint in colour only. Left, it was a grey line
    along the whole banner in every frame (the wire bench's lit grey cable; the gap search found it
    later only past 2 px of the matte, and a sliver stayed). In colour the stripe and the body are one
    line over the blue. Measured per channel from the path's rows, as luminance's extent is (to
    ``COLOUR_FRACTION`` of the path's excess, at most ``limit``), in the columns where the path stands
    out in that channel by ``COLOUR_STEP`` and ``COLOUR_BESIDE`` times what lies 2-6 px past the limit,
    and over one background: in the opponent channels the pixel on the path differs from the mean of
    its two sides more than they differ (a path along the edge of a patch of paint has two sides that
    differ). A pixel is taken only where its colour lies nearer the path's own than its sides' (the
    paint between two wires is not the line). The caller keeps it only where it reaches ``COLOUR_MORE``
    px past luminance's core along ``COLOUR_RUN`` columns: chroma blurred a pixel past a sharp wire, a
    fleck of paint beside it, is no body (each such pixel changed the fills near it: the polarity class
    lost 0.5-0.9 dB to them)."""
    from scipy.ndimage import median_filter

    excess, raw = colour
    h, w = next(iter(excess.values())).shape
    core = np.zeros((h, w), bool)
    reach = limit[cols]

    def beside(plane: np.ndarray, side: int) -> np.ndarray:
        return np.median(np.stack([plane[np.clip(rows + side * (reach + d), 0, h - 1), cols] for d in range(2, 7)]), axis=0)

    on = np.stack([p[rows, cols] for p in raw])
    above, below = (np.stack([beside(p, s) for p in raw]) for s in (-1, 1))
    one = np.linalg.norm(on - 0.5 * (above + below), axis=0) > np.linalg.norm(above - below, axis=0)
    for plane in excess.values():
        centre = np.max([plane[np.clip(rows + d, 0, h - 1), cols] for d in (-1, 0, 1)], axis=0)
        near = 0.5 * (beside(plane, -1) + beside(plane, 1))
        strong = (centre >= COLOUR_STEP) & (centre >= COLOUR_BESIDE * near) & one
        strong = median_filter(strong.astype(np.uint8), size=9, mode="nearest") > 0
        if strong.any():
            core |= _core(plane, rows[strong], cols[strong], limit, grow, fraction=COLOUR_FRACTION)
    # and of the line's colour: nearer the pixel on the path than its sides' (not the paint between two wires)
    here = np.stack(raw)[:, :, cols]
    like = np.linalg.norm(here - on[:, None, :], axis=0) < np.linalg.norm(here - 0.5 * (above + below)[:, None, :], axis=0)
    core[:, cols] &= like
    return core


def _stands_out(path: WirePath, gain: np.ndarray) -> float:
    """The median along ``path``'s columns of the best ``gain`` within a row of it."""
    cols = np.nonzero(path.on & (path.rows >= 0))[0]
    return float(np.median(best_near(gain, path.rows[cols], cols))) if cols.size else 0.0


def _core(chosen: np.ndarray, rows: np.ndarray, cols: np.ndarray, limit: np.ndarray, grow: int, plateau: bool = False,
          fraction: float = FRACTION) -> np.ndarray:
    """Bool (H, W): the extent (``_extent``) either side of the centre ``rows`` at ``cols``, ``grow`` px wider."""
    h, w = chosen.shape
    only = np.full(w, -1, np.int64)
    only[cols] = rows
    up, down = _extent(chosen, only, limit, plateau, fraction)
    yy = np.arange(h, dtype=np.float32)[:, None]
    py = only.astype(np.float32)[None, :]
    return np.asarray((only >= 0)[None, :] & (yy >= py - up[None, :] - grow) & (yy <= py + down[None, :] + grow))


def texture_score(gain: np.ndarray, inside: np.ndarray, width: float) -> float:
    """What the texture alone scores: the median gain along the best path through the hint's
    shape moved off the hint, above and below it (the higher of the two); 0 where there is no room."""
    import cv2

    h, w = gain.shape
    near = cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    best = 0.0
    shift = int(np.ceil(width)) + 3
    for dy in (-shift, shift):
        if shift >= h:  # a stroke as wide as the crop: no texture beside it to measure
            continue
        moved = np.zeros_like(inside)
        if dy < 0:
            moved[:h + dy] = inside[-dy:]
        else:
            moved[dy:] = inside[:h - dy]
        moved &= ~near
        if moved.sum() < 0.5 * inside.sum():
            continue
        rows = trace(gain, moved)
        cols = np.nonzero(rows >= 0)[0]
        if cols.size:
            best = max(best, float(np.median(gain[rows[cols], cols])))
    return best


def _axis_cores(image: np.ndarray, inside: np.ndarray, width: float, polarity: str, grow: int, lum: np.ndarray,
                cross: bool, memo: dict[str, Any] | None, lenient: bool, floors_only: bool = False,
                chroma: dict[str, np.ndarray] | None = None
                ) -> tuple[np.ndarray, np.ndarray, list[WirePath], np.ndarray]:
    """(wire cores (bool (H, W)) along x (and, with ``cross``, along y too) inside ``inside``, a
    stroke ``width`` px wide; the cores of the columns where they are lines (``_wire_matte``);
    the paths; their centre lines (int32 (H, W): path k's row in the columns it holds set to k + 1,
    k its place in the paths, 0 elsewhere)).
    ``floors_only``: measure the texture's floors into ``memo`` and keep
    what was measured there (``RAW``) for the search that follows; no search. ``chroma``: the crop's
    opponent channels (``analysis_chroma``), searched beside ``lum`` (a red rope over a grey wall
    stands out there three times as far as in luminance)."""
    import cv2
    from scipy.ndimage import median_filter

    if memo is None:  # the chroma's gains read the luminance's floors from it (``_gains``)
        memo = {}
    raw = memo.pop(RAW, None)
    channels = {"": lum, **{f"{k}:": v for k, v in (chroma or {}).items()}}
    excess = raw[0] if raw is not None else {
        prefix + k: v for prefix, ch in channels.items() for k, v in _excess(ch, width).items()}
    core = np.zeros(inside.shape, bool)
    lines = np.zeros(inside.shape, bool)
    centres = np.zeros(inside.shape, np.int32)
    found: list[WirePath] = []
    # the first matte looks for ridges that run along each axis, with the other polarity's side
    # lobes taken off; the search of a repaired frame (``lenient=False``) keeps the isotropic
    # response, which the QC's thresholds were measured on (oriented, it took the fill's own seams
    # along the stroke for wires). A diagonal stroke (``lean``) is weighted by its own direction
    # instead of the axes: by its angle to an axis, a wire at 45 degrees kept a quarter of its
    # response, and texture that runs along the axes all of its own
    oriented = ORIENTED and lenient
    side_lobe = SIDE_LOBE if lenient else 0.0
    axes = (0, 1) if cross else (0,)
    diagonal = lean(inside) if oriented else None
    way: dict[int, Along] = {axis: (axis if oriented else None) for axis in axes}
    if diagonal is not None:
        slope = float(np.median(np.gradient(diagonal[0])[inside.any(axis=0)]))
        if abs(slope) >= STEEP:  # one way over most of it (a deep sag's two steep ends lean both ways)
            # along the stroke, and square to it for the search across it, which looks for wires that
            # cross it (weighted along the stroke both ways, an upright wire across a 30-degree stroke
            # was left; by the y axis, the 45-degree pair lost 1.9 dB to the across search's paths)
            way[0] = Direction(float(np.arctan(slope)))
            if 1 in way:
                way[1] = Direction(float(np.arctan(slope) + np.pi / 2), across=True)
    alongs = tuple(dict.fromkeys(way.values()))
    responses = raw[1] if raw is not None else {
        prefix: stroke_responses(ch, width, alongs, side_lobe) for prefix, ch in channels.items()}  # the frame's transfer
    measured: dict[Along, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {
        along: ({}, {}) for along in alongs}
    for prefix in channels:
        for along, (g, pk) in line_gains(image, inside, polarity, width, excess, memo, alongs, side_lobe,
                                         responses[prefix], prefix).items():
            measured[along][0].update(g)
            measured[along][1].update(pk)
    if floors_only:
        memo[RAW] = (excess, responses)
        return core, lines, found, centres
    # the opponent channels, then luminance, each searched on its own: a colour line need not stand
    # out in luminance (a red rope over a grey wall), and a wire luminance finds keeps the search it
    # had (one search over the greater of the two took the edges of coloured clothes and a strip of
    # grass atop a wall as wires, and followed a dark wire's narrower colour extent over a blue shirt)
    taken = np.zeros(inside.shape, bool)  # the colour lines' cores: no line of luminance is searched there
    # dull lines of colour (a grey wire or a dull rope over paint, and a neutral wire over a blue
    # banner): luminance's if its search finds a path along them, taken in colour after it where not
    dull: list[Dull] = []
    searched = np.zeros(inside.shape, bool)  # the centre lines of luminance's paths (and of dull lines taken)
    # the first matte's luminance search tells a cable lit from one side's dark half from its bright one
    # (``paths.other_half``: both polarities asked for); the search of a repaired frame does not (the QC's thresholds)
    signed = excess["bright-median"] - excess["dark-median"] if lenient and polarity == "auto" else None
    for group in (CHROMA, ""):
        group_found: list[WirePath] = []
        group_seen: list[tuple[float, np.ndarray]] = []
        for axis in axes:
            along = way[axis]
            gains, peak = ({n: v for n, v in d.items() if (CHROMA in n) == bool(group)} for d in measured[along])
            if not gains:
                continue
            gain = np.max(np.stack(list(gains.values())), axis=0)
            peak_scale = np.max(np.stack([np.where(gain == gains[n], peak[n], 0) for n in gains]), axis=0)
            polar = Polar(gains["dark"], gains["bright"], signed, lum) if not group and signed is not None else None
            if not group and taken.any():
                gain = np.where(cv2.dilate(taken.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0, 0.0, gain)
            tr, ins, gain_t, min_len, paths = _axis_search(gain, peak_scale, inside, width, axis, memo,
                                                           f"texture-{axis}-{along}-{side_lobe}{group}", lenient, polar)
            g_t, p_t = ({k: tr(v) for k, v in d.items()} for d in (gains, peak))
            e_t = {k: tr(v) for k, v in excess.items() if (CHROMA in k) == bool(group)}  # this channel's only
            if group:  # a colour line stands out more in colour than in luminance, over one background,
                # as long as a wire must be (a piece that continues a path taken for no colour line is none)
                luma = tr(np.max(np.stack([v for n, v in measured[along][0].items() if CHROMA not in n]), axis=0))
                planes, lum_t = {k: tr(v) for k, v in (chroma or {}).items()}, tr(lum)
                paths = [p for p in paths if int(p.on.sum()) >= min_len  # each piece a line of its own
                         and _stands_out(p, gain_t) > _stands_out(p, luma)]
                saturated = [colour_line(p, lum_t, planes, width) for p in paths]
                dull += [(axis, p, (g_t, p_t, e_t, ins), tr, None) for p, sat in zip(paths, saturated, strict=True)
                         if not sat and dull_line(p, lum_t, planes, width)]
                paths = [p for p, sat in zip(paths, saturated, strict=True) if sat]
            thick: list[float] = []  # the cores' thickness along the wires found (paths as long as a wire)
            # a wire luminance finds is measured across in colour too (``_colour_core``: a lit cable's grey body)
            c_t = ({k: tr(v) for k, v in excess.items() if CHROMA in k and k.endswith("-median")},
                   [tr(v) for v in chroma.values()]) if lenient and not group and chroma else None
            made = [_wire_matte(path, g_t, p_t, e_t, width, grow, ins, lenient, c_t) for path in paths]
            if not group and GAPS_DROPPED:  # no path where it runs along the background between two lines
                gaps = between_lines(paths, [w for w, _ in made], g_t, tr(lum))
                paths = [WirePath(p.rows, p.on & ~g, p.evidence) for p, g in zip(paths, gaps, strict=True)]
                made = [(wire & ~g[None, :], line & ~g[None, :]) for (wire, line), g in zip(made, gaps, strict=True)]
                made = [m for m, p in zip(made, paths, strict=True) if p.on.any()]
                paths = [p for p in paths if p.on.any()]
            if not group and lenient and EDGE_PATHS:  # no path along one side of an edge (``stands_across``)
                read = [tr(lum)] + [tr(v) for v in (chroma or {}).values()]
                count = np.sum([wire for wire, _ in made], axis=0, dtype=np.int32)  # cores over each pixel
                keep = [stands_across(p, wire, read, count - wire > 0) for p, (wire, _) in zip(paths, made, strict=True)]
                paths = [p for p, k in zip(paths, keep, strict=True) if k]
                made = [m for m, k in zip(made, keep, strict=True) if k]
            for path, (wire, line) in zip(paths, made, strict=True):
                on = np.nonzero(path.on)[0]
                if on.size >= min_len:
                    thick.append(float(np.median(wire[:, on].sum(axis=0))))
                elif thick and on.size:
                    # a shorter piece (the tracker following a wire on where the search's path left it)
                    # over a subject: what stands out beside it there is the subject's edge, not the
                    # wire; its core is kept as thick as the thickest wire found (a rider's white shirt
                    # matted 10 px wide under the bright wire, and painted from the wall: one stroke
                    # +0.85 dB, crossing +0.81, loose hint +0.78; 45-degree dark+bright -0.30)
                    near = np.abs(np.arange(wire.shape[0])[:, None] - path.rows[None, :]) <= int(np.ceil(max(thick) / 2))
                    wire, line = wire & near, line & near
                core |= tr(wire)
                group_seen.append((path.score, tr(line)))
                cols = np.nonzero(path.on & (path.rows >= 0))[0]
                at = (path.rows[cols], cols) if axis == 0 else (cols, path.rows[cols])
                # this path's place in what is returned + 1; the first kept
                centres[at] = np.where(centres[at] > 0, centres[at], len(found) + len(group_found) + 1)
                group_found.append(path)
                if group:
                    taken |= tr(wire)
                else:
                    searched[at] = True
        # a wire is followed past the hint's edge only on strong evidence: at least half the score of
        # the strongest wire this search found in the stroke (in a repair's band: the band's part of it;
        # the weaker paths are where texture passes for a wire); scores compared within a channel
        best = max((p.score for p in group_found), default=0.0)
        for score, line in group_seen:
            if score >= BEYOND_SHARE * best:
                lines |= line
        found += group_found
    if chroma and lenient:
        dull += _joint_lines(measured, excess, inside, width, lum, chroma, axes, way, memo, centres)
    # the dull lines luminance's paths do not run along (within 2 rows): not followed past the hint's
    # edge (a line found only this way is no strong evidence of a wire beyond it)
    for axis, path, (g_t, p_t, e_t, ins), tr, judged in dull:
        cols = np.nonzero(path.on & (path.rows >= 0))[0]
        joint = judged is not None
        if judged is not None:  # a joint line: the rest of a line found in pieces, where there is enough of it
            found_here = ((centres > 0) | searched).astype(np.uint8)  # the centre lines of every line found so far
            near = tr(cv2.dilate(found_here, np.ones((3, 3), np.uint8))).astype(np.float32)
            held = best_near(near, path.rows[cols], cols) > 0
            on = np.zeros_like(path.on)
            # each stretch of one line (a hop ends one; along a diagonal stroke, counted from its course as
            # the path was traced: from the level, a steep line hopped in every column and none was kept)
            for a, b in spans((path.rows >= 0) & ~hops(path.rows, course=stroke_course(ins))):
                here = (cols >= a) & (cols < b)
                if here.any() and float(np.mean(held[here])) >= JOINT_HELD:  # that holds found pieces
                    on[a:b] = path.on[a:b]
            on[cols] &= median_filter(judged.astype(np.uint8), size=9, mode="nearest") > 0  # where it is the line it keeps
            on[cols[held]] = False
            if int(on.sum()) < 2 * GAP + 1:  # a run of evidence
                continue
            path = WirePath(path.rows, on, path.evidence)
            cols = np.nonzero(on & (path.rows >= 0))[0]
        else:
            near = tr(cv2.dilate(searched.astype(np.uint8), np.ones((3, 3), np.uint8))).astype(np.float32)
            if float(np.mean(best_near(near, path.rows[cols], cols) > 0)) >= DULL_FOUND:
                continue  # luminance's (a neutral wire over a blue banner), or a dull line taken on the other axis
        wire, _ = _wire_matte(path, g_t, p_t, e_t, width, grow, ins, lenient)
        core |= tr(wire)
        at = (path.rows[cols], cols) if axis == 0 else (cols, path.rows[cols])
        searched[at] = True
        if joint:  # matted, but no wire the QC counts (``qc.wire_gaps``): a stretch where the searches
            continue  # found fewer wires than elsewhere is still searched and flagged as one
        centres[at] = np.where(centres[at] > 0, centres[at], len(found) + 1)
        found.append(path)
    return core, lines, found, np.where(inside, centres, 0)


def stands_across(path: WirePath, core: np.ndarray, planes: Sequence[np.ndarray], others: np.ndarray) -> bool:
    """Whether ``path``'s line stands out, across it, from both sides of its core (bool (H, W)): in
    one of ``planes`` ((H, W) each: luminance, the opponent channels), in half of its columns or more,
    its centre (its row or one beside it) lies beyond both rows 2 px past the core's edges, the same
    way (darker than both, or brighter), by ``EDGE_STEP`` of the plane's spread over the core; a
    column may go either way (a cable dark against the sky and lit against a wall). Columns where a
    side falls on ``others`` (the other paths' cores, a pixel wider: a crossing, a close pair) are
    not judged, and a path with under a quarter of its columns judged is kept.

    The search's paths run where a ridge response beats the texture's; along one side of an edge
    (a car's livery stripe, graffiti's outlines, a blurred wire's shoulder) that happens too, and
    its core was matted and painted over though no line was there: repaired under the true alpha,
    matting what is no wire carried half the error in the car pan, one-stroke, red rope and tennis
    classes."""
    cols = np.nonzero(path.on & (path.rows >= 0) & core.any(axis=0))[0]
    if not cols.size:
        return True
    h = core.shape[0]
    top, bottom = _edges(core, cols)
    above, below = np.clip(top - 2, 0, h - 1), np.clip(bottom + 2, 0, h - 1)
    # a side on another line's core, a pixel wider (a crossing, a close pair), says nothing
    judged = ~best_near(others, above, cols) & ~best_near(others, below, cols)
    if float(np.mean(judged)) < 0.25:
        return True
    cols, above, below = cols[judged], above[judged], below[judged]
    rows, at = path.rows[cols], np.arange(cols.size)
    for plane in planes:
        a, b, read = plane[above, cols], plane[below, cols], plane[:, cols]
        step = EDGE_STEP * float(np.std(plane[core]) + 1e-6)
        dark = -best_near(-read, rows, at) < np.minimum(a, b) - step
        bright = best_near(read, rows, at) > np.maximum(a, b) + step
        if float(np.mean(dark | bright)) >= 0.5:
            return True
    return False


def between_lines(paths: Sequence[WirePath], cores: Sequence[np.ndarray], gains: dict[str, np.ndarray],
                  lum: np.ndarray) -> list[np.ndarray]:
    """For each path, the columns (bool (W,)) where it runs along the background between two lines
    of the other polarity: its core (bool (H, W), ``_wire_matte``) meets the cores of other paths of
    the other polarity there within ``GAP_TOUCH`` px above and below, and it stands out (``lum``, the
    plate's luminance as the search reads it) from what lies past those two lines by less than
    ``GAP_SHARE`` of how far they stand out from it (a median over 9 of its columns). ``gains``:
    ``line_gains``'s, by polarity; a path's polarity in a column is the one its gain is highest for.

    The background between two dark wires some pixels apart is a bright line at the search's scales,
    and a path ran along it: its core covered the middle of that background, and the repair painted
    over what the two wires had left in sight (the wire bench's EXR class: a window's glass between
    two wires, in every frame; +0.51 dB). A bright wire between two dark ones stands out from the
    background past them as they do, and is kept: judged by the cores' places alone, the running car
    at 60% lost a wire (-1.15 dB) and the 3-wire class its middle one (-0.43); judged for a whole path
    rather than column by column, a path that ran on along a wire elsewhere took it with it. A path
    that stands out the other way (read as a bright line, darker) from what lies past the lines by more
    than ``GAP_SHARE`` of their contrast, over its median column of more than ``2 * GAP`` read, is a
    line of its own and has no gap: a grey wire between two dark ones reads as a bright line there, and
    is darker than the wall past them by a third of their contrast (three wires across a 54 px diagonal
    stroke lost the grey one in every frame; the wall between them reads within 0.01 of it). Judged
    column by column either way, the EXR class lost 0.25 dB; so judged, it loses 0.15."""
    from scipy.ndimage import median_filter

    w = lum.shape[1]
    out = [np.zeros(w, bool) for _ in paths]
    dark = [n for n in gains if n.endswith("dark")]
    bright = [n for n in gains if n.endswith("bright")]
    if not dark or not bright or len(paths) < 3:
        return out
    sides = np.zeros((len(paths), w), np.int8)  # per path and column: 1 a bright line there, -1 a dark one, 0 none
    for k, p in enumerate(paths):
        cols = np.nonzero(p.on & (p.rows >= 0))[0]
        if cols.size:
            d = np.max([best_near(gains[n], p.rows[cols], cols) for n in dark], axis=0)
            b = np.max([best_near(gains[n], p.rows[cols], cols) for n in bright], axis=0)
            sides[k, cols] = np.where(b > d, 1, -1)
    of = {sign: np.logical_or.reduce([c & (sd == sign)[None, :] for c, sd in zip(cores, sides, strict=True)])
          for sign in (-1, 1)}  # the cores of the dark (-1) and of the bright (1) lines, column by column
    for k, core in enumerate(cores):
        cols = np.nonzero((sides[k] != 0) & core.any(axis=0))[0]
        if not cols.size:
            continue
        sign = sides[k, cols].astype(np.float32)
        flank = np.where(sign[None, :] > 0, of[-1][:, cols], of[1][:, cols])  # the other polarity's lines
        top, bottom = _edges(core, cols)
        ends = [_past(flank, lum[:, cols], top, -1, sign), _past(flank, lum[:, cols], bottom, 1, sign)]
        both = ends[0][0] & ends[1][0]
        if not both.any():
            continue
        at = np.arange(cols.size)
        line = best_near(lum[:, cols] * sign[None, :], paths[k].rows[cols], at)  # the path's line, signed
        stands = line - np.maximum(sign * ends[0][1], sign * ends[1][1])
        apart = np.minimum(sign * (ends[0][1] - ends[0][2]), sign * (ends[1][1] - ends[1][2]))
        if both.sum() > 2 * GAP and float(np.median((stands + GAP_SHARE * apart)[both])) < 0.0:
            continue  # the path stands out the other way from what lies past the lines: a line of its own
        gap = both & (stands < GAP_SHARE * apart)
        out[k][cols] = median_filter(gap.astype(np.uint8), size=9, mode="nearest") > 0
    return out


def _edges(core: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row, last row) of ``core`` (bool (H, W)) in each of ``cols`` (each holding some of it)."""
    return np.argmax(core[:, cols], axis=0), core.shape[0] - 1 - np.argmax(core[::-1, cols], axis=0)


def _past(flank: np.ndarray, lum: np.ndarray, edge: np.ndarray, step: int, sign: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column by column of ``flank`` (bool (H, N)), going ``step`` from row ``edge`` (int (N,)): whether
    a line of it begins within ``GAP_TOUCH`` px and ends within ``GAP_LINE`` px more; ``lum`` (float
    (H, N)) on the first row past that line; and that line's own value that stands out most: its least
    where ``sign`` (float (N,)) is 1 (a dark line beside a bright path), its greatest where -1."""
    h, n = flank.shape
    steps = np.arange(GAP_TOUCH + GAP_LINE + 1)[:, None]  # step k reads row edge + step * (k + 1)
    yy = edge[None, :] + step * (steps + 1)
    inb = (yy >= 0) & (yy < h)
    yc = np.clip(yy, 0, h - 1)
    at = np.arange(n)[None, :]
    on = flank[yc, at] & inb
    val = lum[yc, at]
    near = on & (steps <= GAP_TOUCH)
    first = np.argmax(near, axis=0)
    after = ~on & inb & (steps > first[None, :])
    beyond = np.argmax(after, axis=0)
    within = (steps >= first[None, :]) & (steps < beyond[None, :])
    least = np.where(within, val, np.inf).min(axis=0)
    most = np.where(within, val, -np.inf).max(axis=0)
    ok = near.any(axis=0) & after.any(axis=0)
    return ok, val[beyond, np.arange(n)], np.where(sign > 0, least, most)


def _axis_search(gain: np.ndarray, peak_scale: np.ndarray, inside: np.ndarray, width: float, axis: int,
                 memo: dict[str, Any], key: str, lenient: bool = True, polar: Polar | None = None
                 ) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray, np.ndarray, int, list[WirePath]]:
    """The search of ``gain`` (peak ridge scales ``peak_scale``) along ``axis``: (the transpose to it,
    ``inside`` and ``gain`` transposed, the length a wire must hold there, the paths ``find_paths``
    follows), the texture's score kept in ``memo`` under ``key``. ``polar``: see ``find_paths``."""
    tr = (lambda a: a) if axis == 0 else (lambda a: np.ascontiguousarray(a.T))
    ins, gain_t = tr(inside), tr(gain)
    length = int(ins.any(axis=0).sum())
    min_len = max(int(2 * width), int(0.15 * length), 8) if axis == 0 else max(int(3 * width), 40)
    texture = memo[key] if key in memo else min(texture_score(gain_t, ins, width), TEXTURE_CAP)
    memo[key] = texture
    polar_t = None if polar is None else Polar(tr(polar.dark), tr(polar.bright), tr(polar.signed), tr(polar.lum))
    return tr, ins, gain_t, min_len, find_paths(gain_t, ins, tr(peak_scale), min_len, texture, lenient=lenient, polar=polar_t)


def _joint_lines(measured: dict[Along, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
                 excess: dict[str, np.ndarray], inside: np.ndarray, width: float, lum: np.ndarray,
                 chroma: dict[str, np.ndarray], axes: tuple[int, ...], way: dict[int, Along], memo: dict[str, Any],
                 centres: np.ndarray) -> list[Dull]:
    """Dull lines (``dull_line``) seen in luminance along part of their length and in colour along
    the rest: a mid-grey wire over graffiti is darker than the white paint, brighter than the black
    and, over the red, as light as the paint and only less saturated. Neither channel's search
    holds it for long enough; one over the greater of the two gains (luminance's and the opponent
    channels', each in units of the texture's floor) does. Each path found is a candidate for the
    dull lines' route (with its columns judged by ``dull_columns``), which takes the rest of a
    line found in pieces: in each stretch of the path between hops that runs along lines found
    before in ``JOINT_HELD`` of its columns, the columns away from them where it is the line it
    keeps, at least a run of evidence (``2 * GAP + 1``) in all. (A stretch that holds no found
    piece is a dull line of its own, the colour search's to find: a strip of hills between the sea
    and the grass kept one colour along it and was taken, wide, for one.) Matted, but not counted
    by the QC as a wire found. Not searched along an axis where every column of the stroke holds as
    many of the lines found (``centres``) as any does: no line was found in pieces there."""
    out: list[Dull] = []
    for axis in axes:
        gains, peak = measured[way[axis]]
        count = (centres > 0).sum(axis=axis)[inside.any(axis=axis)]  # lines found per column
        if not gains or count.size == 0 or int(count.min()) >= int(count.max()):
            continue
        stack = np.stack(list(gains.values()))
        gain = np.max(stack, axis=0)
        peak_scale = np.choose(np.argmax(stack, axis=0), list(peak.values()))
        tr, ins, _, min_len, paths = _axis_search(gain, peak_scale, inside, width, axis, memo, f"texture-{axis}-joint")
        g_t, p_t = ({k: tr(v) for k, v in d.items()} for d in (gains, peak))
        e_t = {k: tr(v) for k, v in excess.items()}
        planes, lum_t = {k: tr(v) for k, v in chroma.items()}, tr(lum)
        for p in paths:
            judged = dull_columns(p, lum_t, planes, width, off_boundary=True) if int(p.on.sum()) >= min_len else None
            if judged is not None and judged[1]:  # a dull line: the judgement of each column goes with it
                out.append((axis, p, (g_t, p_t, e_t, ins), tr, judged[0]))
    return out


def feathered(core: np.ndarray) -> np.ndarray:
    """A wire's soft matte (float32, 0..1) from its bool core: the core solid, with a feather of
    about a pixel around it (under 0.05 dropped)."""
    import cv2

    soft = cv2.GaussianBlur(core.astype(np.float32), (0, 0), 0.8)
    matte = np.maximum(core.astype(np.float32), np.clip(2.0 * soft, 0.0, 1.0))
    matte[matte < 0.05] = 0.0
    return matte


def refine_wire_matte(image: np.ndarray, hint: np.ndarray, polarity: str = "auto", grow: int = 1) -> np.ndarray:
    """Tight soft matte (float32 (H, W), 0..1, zero outside the hint) over every wire in the hint.

    ``image``: float32 (H, W, C), any colour space (scene-linear is analysed in log).
    ``hint``: float32 (H, W), the rough strokes (> HINT_INSIDE counts as inside); a stroke may
    cover several wires of either polarity. ``polarity`` is "dark", "bright" or "auto".
    Where no wire stands out from the texture in a stroke, that stroke's hint is returned, if
    the stroke is at most ``WHOLE_STROKE_WIDEST`` px wide (a broader one gets no matte).
    """
    return find_wire_matte(image, hint, polarity, grow)[0]


def find_wire_matte(image: np.ndarray, hint: np.ndarray, polarity: str = "auto", grow: int = 1,
                    whole_stroke: bool = True, memo: dict[Any, Any] | None = None,
                    floors_only: bool = False, beyond: bool = False,
                    centres: np.ndarray | None = None) -> tuple[np.ndarray, list[float]]:
    """(``refine_wire_matte``'s matte, the score of each wire found: its median gain over the
    texture's ridges; an empty list where no wire stands out). With ``whole_stroke=False`` a
    stroke where nothing stands out gets no matte, and a line must stand out by the full margin
    (what the QC of a repair asks: is a line left?). With ``beyond``, the matte also holds (at 1)
    the core of a found wire where it runs on past the hint's edge (a wire drawn along the edge of
    its stroke, or leaving it): pixels a repair must not touch, and must not read as background;
    only within 2 px of the edge, where no more of the core lies outside than inside, and for wires
    scoring at least ``BEYOND_SHARE`` of the best found (``_wire_matte``, ``_axis_cores``).
    ``centres`` (the hint's size), when given, is set where each wire found runs: its centre line,
    one pixel per column (row for a tall stroke) it holds (``qc.wire_gaps`` counts them); in a
    curved or crossed stroke, the wires followed across it add one pixel per row. A bool array is
    set True; an integer array is set to k + 1 for the wire whose score is k-th in the list returned.
    ``memo`` (a dict kept per frame and crop by the caller) keeps the texture's figures per stroke,
    so the repaired frame is measured against the plate's texture, at half the cost. With
    ``floors_only`` it only measures those floors into ``memo`` (and keeps what it measured for the
    search that follows with the same memo: see ``repair.pooled_floors``); no matte."""
    import cv2

    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"refine_wire_matte expects float32 (H, W, C), got shape {image.shape} dtype {image.dtype}")
    if hint.shape != image.shape[:2]:
        raise ValueError(f"refine_wire_matte: hint shape {hint.shape} does not match image size {image.shape[:2]}")
    if polarity not in ("auto", "dark", "bright"):
        raise ValueError(f"refine_wire_matte: polarity {polarity!r} is not auto, dark or bright")
    inside = hint > HINT_INSIDE
    out = np.zeros(hint.shape, np.float32)
    scores: list[float] = []
    if not inside.any():
        return out, scores
    lum, linear = luma_and_linear(image)
    labels, each = components(cv2.dilate(inside.astype(np.uint8), np.ones((3, 3), np.uint8)))
    h, w = hint.shape
    for k, (ys, xs) in enumerate(each, start=1):
        box = labels[max(ys.min() - 1, 0):ys.max() + 2, max(xs.min() - 1, 0):xs.max() + 2] == k
        pad = int(max(24, 1.5 * hint_width(box) + 6))  # room for the texture around the stroke
        y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, h)
        x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, w)
        sl = (slice(y0, y1), slice(x0, x1))
        ins = inside[sl] & (labels[sl] == k)
        if not ins.any():
            continue
        img, lm = image[sl], lum[sl]
        chroma = analysis_chroma(img, linear) if polarity == "auto" and whole_stroke else {}
        tall = np.ptp(ys) > np.ptp(xs)
        if tall:
            img, lm, ins = (np.ascontiguousarray(np.swapaxes(a, 0, 1)) for a in (img, lm, ins))
            chroma = {name: np.ascontiguousarray(v.T) for name, v in chroma.items()}
        width = hint_width(ins)
        cross = float(np.ptp(np.nonzero(ins)[0])) > 3.0 * width + 10  # a curved or crossed stroke
        # keyed by orientation too: two strokes in one box, one taller than wide, read it transposed
        stroke_memo = memo.setdefault((y0, y1, x0, x1, polarity, tall), {}) if memo is not None else None
        core, lines, paths, mid = _axis_cores(img, ins, width, polarity, grow, lm, cross, stroke_memo,
                                              lenient=whole_stroke, floors_only=floors_only, chroma=chroma)
        if tall:
            core, lines, ins, mid = core.T, lines.T, ins.T, mid.T
        if centres is not None:
            here = centres[sl]
            put = (mid > 0) & (here == 0)
            here[put] = True if centres.dtype == bool else mid[put] + len(scores)
        if not paths:  # nothing stands out from the texture: repair the whole stroke, a narrow one
            if whole_stroke and width <= WHOLE_STROKE_WIDEST:
                out[sl] = np.maximum(out[sl], ins * np.clip(hint[sl], 0, 1))
            continue
        scores += [p.score for p in paths]
        matte = feathered(core)
        kept = matte * ins
        if beyond:  # the wire's core past the hint's edge, within 2 px of it: seen there, not repaired there
            near = cv2.dilate(ins.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            kept = np.maximum(kept, (lines & near & ~ins).astype(np.float32))
        out[sl] = np.maximum(out[sl], kept)
    return out, scores
