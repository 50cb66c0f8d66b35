"""Wire matte refinement: from the artist's rough hint to a tight, soft matte on the wire.

Oriented ridge filtering: the Hessian of the (log-)luminance at several scales; a thin dark
line has one large positive eigenvalue across it and ~0 along it (a bright line the reverse),
so blobs and flat texture respond weakly. The wire is then followed along the stroke by
dynamic programming (the best smooth path through the ridge response inside the hint), so
texture ridges that do not continue are ignored and a wire that fades, blurs or is briefly
occluded is bridged. The wire's extent either side of the path comes from how far pixels stay
darker (brighter) than their morphological background; it is smoothed along the path, grown
by a pixel and feathered.
"""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.flow import luminance

SCALES = (0.8, 1.2, 1.8, 2.6, 3.6, 5.0)
FRACTION = 0.25
EDGE_WEIGHT = 0.5
PENALTY = 1.5  # per pixel of sideways step, in units of the texture's ridge response
HINT_INSIDE = 0.05  # a hint value above this is inside the artist's stroke


def _analysis_luma(image: np.ndarray) -> np.ndarray:
    lum = luminance(image)
    if float(np.percentile(lum, 99.5)) > 1.5 or float(lum.min()) < 0.0:  # scene-linear: work in log
        return np.log2(np.maximum(lum, 1e-4) + 0.01).astype(np.float32)
    return lum


def ridge_response(image: np.ndarray,
                   scales: tuple[float, ...] = SCALES) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scale-normalised (dark, bright) ridge strength, each float32 (H, W), for (H, W, C) float32,
    and the scale (Gaussian sigma, px) at which each peaked."""
    import cv2

    lum = _analysis_luma(image)
    dark = np.zeros(lum.shape, np.float32)
    bright = np.zeros(lum.shape, np.float32)
    dark_s = np.full(lum.shape, scales[0], np.float32)
    bright_s = np.full(lum.shape, scales[0], np.float32)
    for s in scales:
        g = cv2.GaussianBlur(lum, (0, 0), s)
        lxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3)
        lyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3)
        lxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
        half = 0.5 * (lxx + lyy)
        root = np.sqrt((0.5 * (lxx - lyy)) ** 2 + lxy**2)
        big, small = half + root, half - root
        norm = np.float32(s * s)
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) * np.float32(0.125)
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) * np.float32(0.125)
        edge = np.float32(EDGE_WEIGHT * s) * np.sqrt(gx * gx + gy * gy)  # a line's centre has no slope; an edge's foot does
        d = np.maximum(norm * np.maximum(big - np.abs(small), 0.0) - edge, 0.0)
        b = np.maximum(norm * np.maximum(-small - np.abs(big), 0.0) - edge, 0.0)
        dark_s[d > dark] = s
        bright_s[b > bright] = s
        np.maximum(dark, d, out=dark)
        np.maximum(bright, b, out=bright)
    return dark, bright, dark_s, bright_s


def _hint_width(hint: np.ndarray) -> float:
    import cv2

    dist = cv2.distanceTransform(hint.astype(np.uint8), cv2.DIST_L2, 3)
    peak = dist[dist >= np.percentile(dist[hint], 90)] if hint.any() else dist
    return float(2.0 * np.median(peak)) if peak.size else 1.0


def _trace(gain: np.ndarray, inside: np.ndarray, max_step: int = 2, penalty: float = PENALTY) -> np.ndarray:
    """Row of the best smooth path through ``gain`` per column (int (W,)); -1 where no hint."""
    h, w = gain.shape
    cols = inside.any(axis=0)
    idx = np.nonzero(cols)[0]
    path = np.full(w, -1, np.int64)
    if idx.size == 0:
        return path
    x0, x1 = int(idx[0]), int(idx[-1]) + 1
    g = np.where(inside, gain, -1e6).astype(np.float32)
    g[:, ~cols] = 0.0
    acc = g[:, x0].copy()
    back = np.zeros((h, x1 - x0), np.int8)
    span = 2 * max_step + 1
    cost = (penalty * np.abs(np.arange(max_step, -max_step - 1, -1, dtype=np.float32)))[:, None]
    shifts = np.arange(max_step, -max_step - 1, -1, dtype=np.int8)
    pad = np.full(h + 2 * max_step, -np.inf, np.float32)
    rows = np.arange(h)
    for x in range(x0 + 1, x1):
        pad[max_step:max_step + h] = acc
        cand = np.lib.stride_tricks.sliding_window_view(pad, h)[:span] - cost  # row j: acc[y - shift_j]
        arg = np.argmax(cand, axis=0)
        back[:, x - x0] = shifts[arg]
        acc = cand[arg, rows] + g[:, x]
    y = int(np.argmax(acc))
    for x in range(x1 - 1, x0 - 1, -1):
        path[x] = y
        y -= int(back[y, x - x0]) if x > x0 else 0
        y = min(max(y, 0), h - 1)
    path[~cols] = -1
    return path


def _extent(excess: np.ndarray, path: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far (up, down) from the path each column's excess stays above a fraction of its peak,
    at most ``limit`` (int (W,)) pixels."""
    from scipy.ndimage import median_filter

    h, w = excess.shape
    cols = np.nonzero(path >= 0)[0]
    up = np.zeros(w, np.float32)
    down = np.zeros(w, np.float32)
    if cols.size == 0:
        return up, down
    py = path[cols]
    centre = np.max([excess[np.clip(py + d, 0, h - 1), cols] for d in (-1, 0, 1)], axis=0)
    thr = FRACTION * centre
    for direction, out in ((-1, up), (1, down)):
        going = np.ones(cols.size, bool)
        lim = limit[cols]
        for k in range(1, int(lim.max()) + 1):
            yy = py + direction * k
            ok = (yy >= 0) & (yy < h) & (k <= lim)
            val = np.where(ok, excess[np.clip(yy, 0, h - 1), cols], 0.0)
            going &= ok & (val > thr)
            out[cols[going]] = k
    size = min(15, max(3, cols.size // 4 * 2 + 1))
    up[cols] = median_filter(up[cols], size=size, mode="nearest")
    down[cols] = median_filter(down[cols], size=size, mode="nearest")
    return up, down


def refine_wire_matte(image: np.ndarray, hint: np.ndarray, polarity: str = "auto", grow: int = 1) -> np.ndarray:
    """Tight soft wire matte (float32 (H, W), 0..1, zero outside the hint).

    ``image``: float32 (H, W, C), any colour space (scene-linear is analysed in log).
    ``hint``: float32 (H, W), the rough stroke (> HINT_INSIDE counts as inside), one wire per stroke.
    ``polarity`` is "dark", "bright" or "auto". Where no wire stands out from the texture
    around the hint, the hint itself is returned.
    """
    import cv2

    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"refine_wire_matte expects float32 (H, W, C), got shape {image.shape} dtype {image.dtype}")
    if hint.shape != image.shape[:2]:
        raise ValueError(f"refine_wire_matte: hint shape {hint.shape} does not match image size {image.shape[:2]}")
    if polarity not in ("auto", "dark", "bright"):
        raise ValueError(f"refine_wire_matte: polarity {polarity!r} is not auto, dark or bright")
    inside = hint > HINT_INSIDE
    if not inside.any():
        return np.zeros(hint.shape, np.float32)
    ys, xs = np.nonzero(inside)
    if np.ptp(ys) > np.ptp(xs):  # follow the stroke along its long axis
        flipped = refine_wire_matte(np.ascontiguousarray(image.transpose(1, 0, 2)), np.ascontiguousarray(hint.T),
                                    polarity, grow)
        return np.ascontiguousarray(flipped.T)
    width = _hint_width(inside)
    scales = tuple(s for s in SCALES if s <= max(width / 4.0, SCALES[1]))
    dark, bright, dark_s, bright_s = ridge_response(image, scales)
    responses = {"dark": (dark, dark_s), "bright": (bright, bright_s)}
    outside = ~cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    lum = _analysis_luma(image)
    size = min(int(width * 0.6 + 3), 41) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    names: tuple[str, ...] = (polarity,)
    if polarity == "auto":  # trace both only when the ridge strengths inside the hint are close
        pd, pb = (float(np.percentile(responses[n][0][inside], 97)) for n in ("dark", "bright"))
        names = ("dark", "bright") if max(pd, pb) < 1.5 * min(pd, pb) else ("dark" if pd > pb else "bright",)
    best: tuple[float, str, np.ndarray] | None = None
    for name in names:
        resp = responses[name][0]
        floor = float(np.percentile(resp[outside], 90)) if outside.sum() > 100 else float(np.percentile(resp, 50))
        gain = resp / max(floor, 1e-6)
        path = _trace(gain, inside)
        cols = np.nonzero(path >= 0)[0]
        score = float(np.median(gain[path[cols], cols])) if cols.size else 0.0
        if best is None or score > best[0]:
            best = (score, name, path)
    assert best is not None
    score, name, path = best
    if score < 1.0:
        return (inside * np.clip(hint, 0, 1)).astype(np.float32)
    excess = (cv2.morphologyEx(lum, cv2.MORPH_CLOSE, ker) - lum) if name == "dark" else \
             (lum - cv2.morphologyEx(lum, cv2.MORPH_OPEN, ker))
    from scipy.ndimage import median_filter

    cols = np.nonzero(path >= 0)[0]
    sigma = np.zeros(path.shape, np.float32)
    sigma[cols] = median_filter(responses[name][1][path[cols], cols], size=9, mode="nearest")
    limit = np.minimum(np.ceil(1.6 * sigma) + 1, max(int(width / 2), 2)).astype(np.int64)
    up, down = _extent(excess, path, limit)
    yy = np.arange(hint.shape[0], dtype=np.float32)[:, None]
    valid = (path >= 0)[None, :]
    py = path.astype(np.float32)[None, :]
    core = valid & (yy >= py - up[None, :] - grow) & (yy <= py + down[None, :] + grow)
    soft = cv2.GaussianBlur(core.astype(np.float32), (0, 0), 0.8)
    matte = np.maximum(core.astype(np.float32), np.clip(2.0 * soft, 0.0, 1.0))
    matte[matte < 0.05] = 0.0
    return (matte * inside).astype(np.float32)
