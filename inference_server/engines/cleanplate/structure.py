"""Spatial fill with structure for background no frame of the shot ever revealed.

``exemplar_fill`` is exemplar-based inpainting (Criminisi, Perez and Toyama 2004): the hole
is filled from its edge inwards, one patch at a time, in the order that continues strong
edges first (priority = confidence x the strength of the picture's isophotes along the
fill front), each patch copied from the best-matching patch of known background nearby
(masked sum of squared differences, searched within ``SEARCH`` patch sides first, the
patch's mean colour held to the one expected there). The search runs at a reduced working
size; what it finds is kept as an offset per pixel and the copy is made at full resolution
(each pixel a Gaussian vote of its neighbours' offsets, which blends the seams between
patches), so the fill has the plate's own texture and grain, not a smear. The fill's coarse
tones come from a layout instead (``directional_layout``: the background around the hole
carried straight across it), which also guides the patch search: a wide hole over a tree line
continues the tree line in its own colour instead of filling with whichever layer's patches
the greedy order reached first.

``KeyFills`` keeps the painted frames (keys) of a shot so that the same area of the world
is painted once and carried to every other frame through the shot alignment, instead of
being painted again per frame (which would boil).

Images are float32 (H, W, C); masks (H, W) bool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inference_server.engines.cleanplate.align import ShotAlignment, coverage, warp_image
from inference_server.engines.wire.compiled import compiled
from inference_server.engines.wire.spatial import push_pull, resize

WORK_SIDE = 256       # long side (px) of the region the patch search runs at
PATCH = 9             # patch side at working size (odd)
GUIDE_WEIGHT = 0.5    # weight (on the difference) of the smooth expectation where a patch is still unknown
MEAN_WEIGHT = 1.0     # weight of a source patch's mean colour against the expected one, per pixel of the patch
SEARCH = 8            # patches are copied from within this many patch sides of where they go (if any is there)
VOTE = 2              # working pixels either side whose offsets vote on a full-size pixel's copy
VOTE_SIGMA = 1.0      # working px: Gaussian weight of those votes
LAYER_SIGMA = 2.0     # working px: coarser than this the layout rules, finer the copied texture
ORIENTATIONS = 24     # orientations the layout tries (7.5 degrees apart)
ENDS_DISAGREE = 0.3   # summed over channels: two ends this far apart on average are no layout of the hole
RUN = 4               # px: least run past a line's end where a hole at the frame's edge reads how the background runs on
ISOPHOTE = 2.0        # an orientation's cost x (1 + this x the edges' coherence x sin^2 of its angle to them)
ISOPHOTE_RING = 8     # px around the hole whose edges say which way the background runs (``_isophote``)
LAYOUT_PIXELS = 16384 # hole pixels the layout is made for at most (a larger hole's is made smaller)


def exemplar_fill(image: np.ndarray, fill: np.ndarray, source: np.ndarray, patch: int = PATCH,
                  work_side: int = WORK_SIDE, trusted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``image`` (H, W, C) float32 where ``fill`` (H, W) bool, copying from ``source``.

    ``source`` (H, W) bool marks background pixels patches may be copied from (whole patches
    only); pixels in neither are context that is neither copied nor filled. ``trusted`` (H, W)
    bool, optional: the pixels the layout is carried from (default: ``source``).
    Returns (filled image, (H, W) bool pixels actually filled). Pixels outside ``fill`` come
    back unchanged. Raises ValueError on mismatched shapes or when ``source`` holds no patch.
    """
    import cv2

    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"exemplar_fill needs a float32 (H, W, C) image, got {image.shape} {image.dtype}")
    if fill.shape != image.shape[:2] or source.shape != image.shape[:2] or (
            trusted is not None and trusted.shape != image.shape[:2]):
        raise ValueError(f"exemplar_fill masks are {fill.shape} and {source.shape}"
                         f"{'' if trusted is None else f' and {trusted.shape}'}, the image is {image.shape[:2]}")
    if patch < 3 or patch % 2 == 0:
        raise ValueError(f"exemplar_fill patch side must be odd and >= 3, got {patch}")
    out = image.copy()
    if not fill.any():
        return out, np.zeros_like(fill)
    source = source & ~fill
    h, w = fill.shape
    s = min(1.0, work_side / max(h, w))
    size = (max(patch + 2, round(w * s)), max(patch + 2, round(h * s)))
    sx, sy = size[0] / w, size[1] / h
    small = resize(image, size, cv2.INTER_AREA)
    fill_s = cv2.resize(fill.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    src_s = cv2.resize(source.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
    # The large-scale picture (which layer, which colour goes where) comes from the plate's own
    # background around the hole carried straight across it along the orientation in which it
    # agrees best (``directional_layout``: a tree line, a horizon, a post); the patches bring
    # the texture. Patches alone put the wrong layer's texture deep into a wide hole (sky in
    # the tree line, tree tips in the sky). ``trusted`` pixels only are carried: fills around the
    # hole (background borrowed from far frames) can hold misplaced structure it would carry.
    trusted = source if trusted is None else np.asarray(trusted, bool)
    hole_s = fill_s | (cv2.resize((~trusted).astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0)
    if hole_s.all():  # nothing trusted left at the working size: what patches may be copied from
        hole_s = ~src_s if src_s.any() else fill_s
    # its cost grows with the hole's area times its width: a hole of more than LAYOUT_PIXELS
    # working pixels is laid out smaller (the layout is coarse: LAYER_SIGMA)
    f = min(1.0, float(np.sqrt(LAYOUT_PIXELS / max(int(hole_s.sum()), 1))))
    if f < 1.0:
        lsize = (max(2, round(size[0] * f)), max(2, round(size[1] * f)))
        small_l = resize(small, lsize, cv2.INTER_AREA)
        hole_l = cv2.resize(hole_s.astype(np.float32), lsize, interpolation=cv2.INTER_AREA) > 0.5
        if hole_l.all() or not hole_l.any():
            hole_l = cv2.resize(hole_s.astype(np.float32), lsize, interpolation=cv2.INTER_NEAREST) > 0.5
        layout = np.where(hole_s[..., None], resize(directional_layout(small_l, hole_l), size, cv2.INTER_LINEAR), small)
    else:
        layout = directional_layout(small, hole_s)
    offs = _fill_offsets(small, fill_s, src_s, patch, layout)
    if offs is None:
        raise ValueError("exemplar_fill: the source region holds no whole patch to copy from")
    # Full-size copy along the offsets found at working size. Each pixel takes the copies the
    # offsets of the working pixels around it give (a Gaussian vote, as in Wexler et al. 2007):
    # where neighbours agree (inside a patch) that is the copy itself, texture and grain
    # intact; across the seam between two patches from different places it blends them, where
    # the nearest offset alone left a quilt of squares.
    ys, xs = np.nonzero(fill)
    wy = np.clip(np.floor((ys + 0.5) * sy).astype(int), 0, size[1] - 1)
    wx = np.clip(np.floor((xs + 0.5) * sx).astype(int), 0, size[0] - 1)
    acc = np.zeros((ys.size, image.shape[2]), np.float32)
    wsum = np.zeros(ys.size, np.float32)
    for dy in range(-VOTE, VOTE + 1):
        for dx in range(-VOTE, VOTE + 1):
            qy, qx = np.clip(wy + dy, 0, size[1] - 1), np.clip(wx + dx, 0, size[0] - 1)
            ty = np.rint(ys + offs[qy, qx, 0] / sy).astype(int)
            tx = np.rint(xs + offs[qy, qx, 1] / sx).astype(int)
            ok = fill_s[qy, qx] & (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
            ok[ok] &= source[ty[ok], tx[ok]]
            wt = np.float32(np.exp(-(dy * dy + dx * dx) / (2.0 * VOTE_SIGMA ** 2))) * ok
            acc[ok] += wt[ok, None] * image[ty[ok], tx[ok]]
            wsum += wt
    ok = wsum > 0
    out[ys[ok], xs[ok]] = acc[ok] / wsum[ok, None]
    rest = np.zeros_like(fill)
    rest[ys[~ok], xs[~ok]] = True
    if rest.any():       # a copy that landed off the source at full size: the working-size value
        up = resize(_apply_offsets(small, offs), (w, h), cv2.INTER_LINEAR)
        out[rest] = up[rest]
    # Two layers: the copies' own coarse tones give way to the layout's, their detail stays.
    layout_full = resize(layout, (w, h), cv2.INTER_LINEAR)
    base = np.where(fill[..., None], layout_full, image)
    sigma = LAYER_SIGMA / min(sx, sy)

    def coarse(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (0, 0), sigma).reshape(x.shape)
    out[fill] = (coarse(base) + out - coarse(out))[fill]
    return out, fill.copy()


def directional_layout(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """(H, W, C) float32: ``image`` with ``hole`` (H, W) bool filled by its surroundings carried
    straight across it, along the orientation in which they agree best (``layout_and_ends``;
    the image's border is the frame's wherever the hole touches it: ``framed``)."""
    return layout_and_ends(image, hole, framed=True)[0]


def layout_and_ends(image: np.ndarray, hole: np.ndarray, framed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(``directional_layout``'s fill, (H, W) float32 how far apart the two ends it was carried
    from are at each hole pixel: summed over channels, inf where it was not carried from both).

    ``directional_layout``: ``image`` with ``hole`` (H, W) bool filled by its surroundings carried
    straight across it, along the orientation in which they agree best.

    Each hole pixel takes the (lightly smoothed) values where the line through it leaves the
    hole on either side, weighted by inverse distance (linear across the hole; one side where
    the other leaves the frame). Of ``ORIENTATIONS`` orientations the one kept is the one whose
    two ends differ least over the hole: a tree line or a horizon carries on as a band of its
    own colour (ends in flat sky agree at any angle and choose nothing). An orientation whose
    lines find known pixels at both ends for less than half the hole is not considered. With
    ``framed`` (the image's border is the frame's where the hole touches it: a crop cut inside
    the frame says nothing past its border), a hole at the frame's edge has lines that leave the
    frame; where no orientation's two ends agree within
    ``ENDS_DISAGREE``, each line with one end is scored by how far the background changes as far
    past that end as the pixel lies before it (at least ``RUN`` px), and the orientation is chosen
    over all lines (a tree line runs on to the edge: scored on two-ended lines only, the one
    orientation that had them, upright, carried sky and snow across the trees as a pale slab;
    scored so where two ends agreed, a banner's blue across a player at the top edge, the court
    was carried up into it; scored 4 px past the end, a truck's orange was carried 100 px up a
    diagonal, as it runs on for 4 px and not for 100). The score then leaves out lines with no
    end and one-ended lines whose run past the end leaves the frame. Where no orientation has
    lines enough, or no line reaches known pixels, the smooth membrane fills.
    """
    import cv2

    known = ~hole
    membrane = push_pull(image, known.astype(np.float32))
    apart = np.full(hole.shape, np.inf, np.float32)
    if not hole.any() or not known.any():
        return membrane, apart
    kn = known.astype(np.float32)
    smooth = cv2.GaussianBlur(image * kn[..., None], (0, 0), 1.0).reshape(image.shape) / np.maximum(
        cv2.GaussianBlur(kn, (0, 0), 1.0), 1e-6)[..., None]
    ys, xs = np.nonzero(hole)
    # a hole at the frame's edge: lines that leave the frame there are judged by how the background
    # runs on past their one end (``_ends``), when no orientation's two ends agree well
    edge = framed and bool(hole[0].any() or hole[-1].any() or hole[:, 0].any() or hole[:, -1].any())
    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    one_sided: tuple[float, np.ndarray, np.ndarray, float] | None = None
    phi, coherence = _isophote(smooth, known, hole)
    for theta in np.arange(ORIENTATIONS) * np.pi / ORIENTATIONS:
        (v1, d1, r1), (v2, d2, r2) = _ends(smooth, known, ys, xs, float(theta), runs=edge)
        both = (d1 > 0) & (d2 > 0)
        diff = np.abs(v1 - v2).sum(axis=1)
        across = 1.0 + ISOPHOTE * coherence * float(np.sin(theta - phi)) ** 2  # carried across the edges around
        carried = None
        if both.sum() >= 0.5 * ys.size:
            cost = float(diff[both].mean())
            if best is None or cost * across < best[0]:
                carried = _carried(v1, d1, v2, d2, membrane[ys, xs])
                best = (cost * across, carried, np.where(both, diff, np.inf), cost)
        if edge:
            one = (d1 > 0) ^ (d2 > 0)
            run = np.where(d1 > 0, r1, r2)
            measured = both | (one & np.isfinite(run))
            if measured.sum() >= 0.5 * ys.size:
                cost = float(np.where(both, diff, run)[measured].mean())
                if one_sided is None or cost * across < one_sided[0]:
                    carried = _carried(v1, d1, v2, d2, membrane[ys, xs]) if carried is None else carried
                    one_sided = (cost * across, carried, np.where(both, diff, np.inf), cost)
    if one_sided is not None and (best is None or best[3] > ENDS_DISAGREE):
        best = one_sided
    out = membrane.copy()
    if best is not None:
        out[ys, xs] = best[1]
        apart[ys, xs] = best[2]
    return out.astype(np.float32), apart


def _isophote(smooth: np.ndarray, known: np.ndarray, hole: np.ndarray) -> tuple[float, float]:
    """(orientation, radians, of the edges in the background just around ``hole``; their coherence
    0..1): the structure tensor of ``smooth``'s luminance summed over the known pixels 2 to
    ``ISOPHOTE_RING`` px from the hole."""
    import cv2

    near = cv2.dilate(hole.astype(np.uint8), np.ones((2 * ISOPHOTE_RING + 1,) * 2, np.uint8)) > 0
    off = cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ring = near & ~off & known
    if ring.sum() < 16:
        return 0.0, 0.0
    lum = smooth.mean(axis=2).astype(np.float32)
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3)[ring]
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3)[ring]
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    if jxx + jyy <= 1e-12:
        return 0.0, 0.0
    gradient = 0.5 * np.arctan2(2.0 * jxy, jxx - jyy)
    return float(gradient + np.pi / 2), float(np.hypot(jxx - jyy, 2.0 * jxy) / (jxx + jyy))


def _carried(v1: np.ndarray, d1: np.ndarray, v2: np.ndarray, d2: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
    """The two ends' values (P, C) weighted by inverse distance (P,) (one end where the other's
    distance is 0: that line left the frame); ``otherwise`` (P, C) where neither was found."""
    w1 = np.where(d1 > 0, 1.0 / np.maximum(d1, 1), 0.0)
    w2 = np.where(d2 > 0, 1.0 / np.maximum(d2, 1), 0.0)
    den = w1 + w2
    fill = (v1 * w1[:, None] + v2 * w2[:, None]) / np.maximum(den, 1e-9)[:, None]
    return np.where((den > 0)[:, None], fill, otherwise)


def _ends(smooth: np.ndarray, known: np.ndarray, ys: np.ndarray, xs: np.ndarray, theta: float, runs: bool = True
          ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For the pixels (``ys``, ``xs``), along ``theta`` each way (+, -): the value of ``smooth``
    (H, W, C) at the first ``known`` pixel (P, C), its distance (P,) (0: the line left the frame
    first), and how far the background changes past it (P,): summed over channels, |the value as
    far past the end as the pixel lies before it (at least ``RUN`` px) - it| (inf where that is
    not known; all inf without ``runs``: only a hole at the frame's edge reads them)."""
    h, w = known.shape
    dx, dy = float(np.cos(theta)), float(np.sin(theta))
    ends = []
    for sign in (1.0, -1.0):
        hy, hx, dist = _march(known, ys, xs, sign * dy, sign * dx)
        val = np.zeros((ys.size, smooth.shape[2]), np.float32)
        got = np.flatnonzero(dist > 0)
        val[got] = smooth[hy[got], hx[got]]
        run = np.full(ys.size, np.inf, np.float32)   # how the background runs on past the end
        if runs:
            far = dist[got] + np.maximum(RUN, dist[got])
            qy = np.rint(ys[got] + sign * far * dy).astype(int)
            qx = np.rint(xs[got] + sign * far * dx).astype(int)
            ok = (qy >= 0) & (qy < h) & (qx >= 0) & (qx < w)
            ok[ok] = known[qy[ok], qx[ok]]
            run[got[ok]] = np.abs(smooth[qy[ok], qx[ok]] - val[got[ok]]).sum(axis=1)
        ends.append((val, dist, run))
    return ends


def _march_loops(known: np.ndarray, ys: np.ndarray, xs: np.ndarray, sy: float, sx: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pixel (``ys``, ``xs``), step by step along (``sy``, ``sx``) a px at a time (rounded
    to the nearest pixel): the first ``known`` (H, W bool) pixel met, (P,) its row, its column and
    the step (float32; 0 and -1, -1 where the line left the frame first)."""
    h, w = known.shape
    hy = np.full(ys.size, -1, np.int64)
    hx = np.full(ys.size, -1, np.int64)
    dist = np.zeros(ys.size, np.float32)
    for i in range(ys.size):
        for step in range(1, h + w):
            qy = int(np.rint(ys[i] + step * sy))
            qx = int(np.rint(xs[i] + step * sx))
            if qy < 0 or qy >= h or qx < 0 or qx >= w:
                break
            if known[qy, qx]:
                hy[i], hx[i], dist[i] = qy, qx, step
                break
    return hy, hx, dist


# compiled (numba, without the GIL): as numpy steps over a few hundred pixels, 24 orientations both ways, the
# march held the GIL, and the two frames removed side by side (``removal.remove_in_order``) waited on each other
_march = compiled(_march_loops)


def _best_source(im: np.ndarray, tmpl: np.ndarray, mask: np.ndarray, cost_mask: np.ndarray, py: int, px: int,
                 r: int, reach: int) -> tuple[int, int]:
    """Centre (padded coordinates) of the source patch most like ``tmpl`` (masked SSD), searched
    within ``reach`` px of the target (py, px) first: the sky is the colour it is here, not at
    the far side of the frame (copies from anywhere put grey and white squares of a distant sky
    into a blue one, and branches from another tree line into it); anywhere when the window
    holds no source patch."""
    import cv2

    hc, wc = cost_mask.shape
    for near in (True, False):
        t0, l0 = (max(0, py - r - reach), max(0, px - r - reach)) if near else (0, 0)
        t1, l1 = (min(hc, py - r + reach + 1), min(wc, px - r + reach + 1)) if near else (hc, wc)
        cm = cost_mask[t0:t1, l0:l1]
        if not np.isfinite(cm).any():
            continue
        part = np.ascontiguousarray(im[t0:t1 + 2 * r, l0:l1 + 2 * r])
        cost = cv2.matchTemplate(part, tmpl, cv2.TM_SQDIFF, mask=mask)
        if cost.ndim == 3:
            cost = cost.sum(axis=2)
        cost = np.where(np.isfinite(cost), cost, np.inf) + cm
        top, left = np.unravel_index(int(np.argmin(cost)), cost.shape)   # top-left of the source patch
        return int(top) + t0 + r, int(left) + l0 + r
    raise ValueError("exemplar_fill: no source patch left to copy from")


def _apply_offsets(small: np.ndarray, offs: np.ndarray) -> np.ndarray:
    h, w = offs.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    return small[np.clip(yy + offs[..., 0], 0, h - 1), np.clip(xx + offs[..., 1], 0, w - 1)]


def _fill_offsets(img: np.ndarray, fill: np.ndarray, source: np.ndarray, patch: int,
                  layout: np.ndarray) -> np.ndarray | None:
    """(h, w, 2) int offsets (dy, dx): pixel p of the filled image is ``img[p + offset]``;
    ``layout`` (h, w, C) is the large-scale expectation inside the hole."""
    import cv2

    r = patch // 2
    pad = ((r, r), (r, r), (0, 0))
    im = np.pad(img, pad, mode="edge").astype(np.float32)
    todo = np.pad(fill, r)
    known = ~todo & np.pad(np.ones_like(fill), r)
    src = np.pad(source, r)
    centres = cv2.erode(src.astype(np.uint8), np.ones((patch, patch), np.uint8), borderValue=0) > 0
    if not centres.any():
        return None
    cost_mask = np.where(centres[r:-r, r:-r], 0.0, np.inf).astype(np.float32)
    conf = known.astype(np.float32)
    offs = np.zeros(im.shape[:2] + (2,), np.int32)
    # copies are also matched against the layout, weakly, so a patch of the wrong brightness
    # is not carried deep in
    guide = cv2.GaussianBlur(np.pad(layout, pad, mode="edge"), (0, 0), 2.0).reshape(im.shape)
    grey = im.mean(axis=2)
    # the structure that orders the fill is the background's: where a gradient reads the hole (the
    # object still in it) there is none, and the pixels filled later keep none (the object's own
    # edges chose which front was filled first: the fill changed with what the object looked like)
    seen = cv2.erode(known.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    gx = np.where(seen, cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), 0.0).astype(np.float32)
    gy = np.where(seen, cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3), 0.0).astype(np.float32)
    k = np.ones((patch, patch), np.float32)
    # each candidate source patch's mean colour (source patches never change)
    means = cv2.blur(im, (patch, patch), borderType=cv2.BORDER_REPLICATE).reshape(im.shape)[r:-r, r:-r]
    im[todo] = 0.0
    reach = SEARCH * patch
    while todo.any():
        front = todo & (cv2.dilate((~todo & known).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
        if not front.any():
            front = todo
        valid = (cv2.erode(known.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0).astype(np.float32)
        n_valid = cv2.filter2D(valid, -1, k) + 1e-6
        jxx = cv2.filter2D(gx * gx * valid, -1, k) / n_valid
        jxy = cv2.filter2D(gx * gy * valid, -1, k) / n_valid
        jyy = cv2.filter2D(gy * gy * valid, -1, k) / n_valid
        blur = cv2.GaussianBlur(todo.astype(np.float32), (0, 0), 1.5)
        ny, nx = np.gradient(blur)
        fy, fx = np.nonzero(front)
        norm = np.hypot(nx[fy, fx], ny[fy, fx]) + 1e-9
        tx, ty = -ny[fy, fx] / norm, nx[fy, fx] / norm           # the front's tangent
        data = np.sqrt(np.maximum(tx * tx * jxx[fy, fx] + 2 * tx * ty * jxy[fy, fx] + ty * ty * jyy[fy, fx], 0))
        c = cv2.filter2D(conf, -1, k)[fy, fx] / float(patch * patch)
        best = int(np.argmax(c * (data + 1e-3)))
        py, px = int(fy[best]), int(fx[best])
        kn = known[py - r:py + r + 1, px - r:px + r + 1]
        tmpl = np.where(kn[..., None], im[py - r:py + r + 1, px - r:px + r + 1],
                        guide[py - r:py + r + 1, px - r:px + r + 1]).astype(np.float32)
        m = np.where(kn, 1.0, GUIDE_WEIGHT).astype(np.float32)
        m3 = np.repeat(m[:, :, None], im.shape[2], axis=2)
        # the patch's colour as a whole is held to what is expected there (its known part and
        # the membrane), apart from its structure: a patch matched on a tree line's edge must
        # not bring a distant sky's grey or white into a blue one
        want = (tmpl * m3).sum(axis=(0, 1)) / m3.sum(axis=(0, 1))
        tone = np.float32(MEAN_WEIGHT * patch * patch) * ((means - want) ** 2).sum(axis=2)
        qy, qx = _best_source(im, tmpl, m3, cost_mask + tone, py, px, r, reach)
        tgt = todo[py - r:py + r + 1, px - r:px + r + 1]
        im[py - r:py + r + 1, px - r:px + r + 1][tgt] = im[qy - r:qy + r + 1, qx - r:qx + r + 1][tgt]
        offs[py - r:py + r + 1, px - r:px + r + 1][tgt] = (qy - py, qx - px)
        conf[py - r:py + r + 1, px - r:px + r + 1][tgt] = c[best]
        gx[py - r:py + r + 1, px - r:px + r + 1][tgt] = gx[qy - r:qy + r + 1, qx - r:qx + r + 1][tgt]
        gy[py - r:py + r + 1, px - r:px + r + 1][tgt] = gy[qy - r:qy + r + 1, qx - r:qx + r + 1][tgt]
        known[py - r:py + r + 1, px - r:px + r + 1] |= tgt
        todo[py - r:py + r + 1, px - r:px + r + 1] = False
    return offs[r:-r, r:-r]


@dataclass
class KeyFill:
    """A painted frame: ``image`` (H, W, C) float32 holds background only where ``good`` (H, W) bool;
    ``painted`` (H, W) bool, the pixels it painted (None: not told)."""

    index: int
    image: np.ndarray
    good: np.ndarray
    painted: np.ndarray | None = None


@dataclass
class KeyFills:
    """The shot's painted key frames, carried to other frames through the alignment."""

    alignment: ShotAlignment
    keys: list[KeyFill] = field(default_factory=list)

    def add(self, index: int, image: np.ndarray, good: np.ndarray, painted: np.ndarray | None = None) -> None:
        h, w = self.alignment.size
        if image.shape[:2] != (h, w) or good.shape != (h, w) or (painted is not None and painted.shape != (h, w)):
            raise ValueError(f"key fill for frame index {index} is {image.shape}"
                             f"{'' if painted is None else f' (painted {painted.shape})'}, the shot is {(h, w)}")
        self.keys.append(KeyFill(index, image.astype(np.float32), good.astype(bool),
                                 None if painted is None else painted.astype(bool)))

    def snapshot(self) -> KeyFills:
        """The keys as they are now, apart: keys added to either later do not show in the other."""
        return KeyFills(self.alignment, list(self.keys))

    def carry(self, index: int, size: tuple[int, int], offset: tuple[int, int],
              want: np.ndarray, painted_only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Keys resampled onto a (h, w) window at ``offset`` of frame ``index``, nearest key first,
        each only where the earlier ones left ``want`` (h, w) bool uncovered: (image, covered).
        ``painted_only`` (h, w) bool: there, a key is carried only where it painted (a key that was
        not told what it painted is not carried there): elsewhere a key is its frame's own plate, one
        frame's word on what is there."""
        import cv2

        h, w = self.alignment.size
        c = self.keys[0].image.shape[2] if self.keys else 1
        out = np.zeros(size + (c,), np.float32)
        got = np.zeros(size, bool)
        for key in sorted(self.keys, key=lambda k: (abs(k.index - index), k.index)):
            if (got | ~want).all():
                break
            m = self.alignment.between(key.index, index)
            ok = coverage(m, (h, w), size, offset, margin=2)
            bad = cv2.dilate((~key.good).astype(np.uint8), np.ones((3, 3), np.uint8))
            ok &= warp_image(bad, m, size, offset, nearest=True) == 0
            if painted_only is not None and painted_only.any():
                shown = np.zeros(size, bool)
                if key.painted is not None and key.painted.any():
                    shown = warp_image(key.painted.astype(np.uint8), m, size, offset, nearest=True) > 0
                ok &= ~painted_only | shown
            use = ok & want & ~got
            if use.any():
                img = warp_image(key.image, m, size, offset).reshape(size + (c,))
                out[use] = img[use]
                got |= use
        return out, got
