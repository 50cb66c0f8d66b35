"""Spatial fill: interpolate across a hole from the pixels around it.

Two stages, both pure numpy/OpenCV on float32 images in any colour space (values are
interpolated as given; scene-linear and display-referred both work):

1. edge-directed ray interpolation: for each hole pixel, rays in several directions find the
   nearest known pixel on both sides; the interpolation between the two ends is weighted by
   how well they agree, so lines and edges that cross a thin hole (a wire) carry straight on;
2. multi-scale push-pull diffusion (mask-weighted Gaussian pyramid) for pixels far from any
   edge of the hole, and as the smooth base for everything.
"""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.compiled import compiled

HOLE_EPS = 1e-3
ENDPOINT_BLUR = 0.3   # px; endpoints are read almost raw
COST_FLOOR = 0.05     # added to the normalised end-to-end disagreement
SPAN_POWER = 6.0      # short spans (across the wire) dominate long oblique ones


def _check(image: np.ndarray, mask: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"{name} expects a float32 (H, W, C) image, got shape {image.shape} dtype {image.dtype}")
    if mask.shape != image.shape[:2]:
        raise ValueError(f"{name}: mask shape {mask.shape} does not match image size {image.shape[:2]}")
    return image, mask.astype(np.float32, copy=False)


def channels_op(img: np.ndarray, fn: object) -> np.ndarray:
    """Apply a 2-D OpenCV op channel by channel when there are more than 4 channels."""
    f = fn  # type: ignore[assignment]
    if img.ndim == 2 or img.shape[2] <= 4:
        out = f(img)  # type: ignore[operator]
        return out if out.ndim == img.ndim else out[:, :, None]
    return np.dstack([f(np.ascontiguousarray(img[:, :, c])) for c in range(img.shape[2])])  # type: ignore[operator]


def resize(image: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """(h, w, C) ``image`` resized to ``size`` (w, h), any number of channels (OpenCV's area
    resize takes at most 4 at once)."""
    import cv2

    return channels_op(image, lambda x: cv2.resize(x, size, interpolation=interpolation)).reshape(
        size[1], size[0], image.shape[2])


def push_pull(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill pixels where ``known`` (H, W float 0..1) is 0 by mask-weighted pyramid diffusion.

    ``image`` is float32 (H, W, C); known pixels (known == 1) come back unchanged.
    """
    import cv2

    image, known = _check(image, known, "push_pull")
    if known.max() <= 0:
        return np.zeros_like(image)
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    p = image * known[:, :, None]
    w = known.copy()
    while True:
        levels.append((p, w))
        h, wd = w.shape
        if min(h, wd) <= 2 or w.min() > 0.05:
            break
        p = channels_op(p, cv2.pyrDown)
        w = cv2.pyrDown(w)
    p, w = levels[-1]
    colour = p / np.maximum(w, 1e-8)[:, :, None]
    if w.min() <= 0:
        mean = (p.sum(axis=(0, 1)) / max(float(w.sum()), 1e-8)).astype(np.float32)
        colour = np.where((w > 1e-8)[:, :, None], colour, mean)
    for i in range(len(levels) - 2, -1, -1):
        p, w = levels[i]
        up = cv2.resize(colour, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR)
        up = up if up.ndim == 3 else up[:, :, None]
        a = np.clip(w * 2.0, 0.0, 1.0) if i > 0 else w
        # (p / w) * a + up * (1 - a), in place: a full-size temporary fewer each step
        colour = p / np.maximum(w, 1e-8)[:, :, None]
        colour *= a[:, :, None]
        up *= (1.0 - a)[:, :, None]
        colour += up
    return colour.astype(np.float32, copy=False)   # a fresh array: no copy


def _rays_py(state: np.ndarray, start: np.ndarray, oys: np.ndarray, oxs: np.ndarray, wp: int, w: int,
             smooth: np.ndarray, scale: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The rays' weighted interpolation at each ray start (``_ray_fill``; flat index ``start`` into the
    padded ``state``: 0 known, 1 hole, 2 off the image). Rows 2a and 2a + 1 of the offsets (``oys``,
    ``oxs``) are one direction, both ways: each way marches until it first reaches a known pixel
    while crossing only hole. Where both ways reach one, the values of ``smooth`` (flat (H * W, C))
    at the two ends are interpolated by distance and weighted by how well they agree (their mean
    difference over ``scale``, plus ``COST_FLOOR``) and by the span to the power ``SPAN_POWER``.
    Returns (the weighted sums (N, C), the sums of the weights (N,)), float32, direction after
    direction (the order numpy summed them in when this ran as array operations)."""
    n, c = start.size, smooth.shape[1]
    acc = np.zeros((n, c), np.float32)
    wsum = np.zeros(n, np.float32)
    one = np.float32(1.0)
    floor = np.float32(COST_FLOOR)
    power = np.float32(SPAN_POWER)
    ends = np.zeros(2, np.int64)
    dist = np.zeros(2, np.float32)
    pad = oys.shape[1]  # the rays' reach: the padding each side of the image in ``state``
    for i in range(n):
        for a in range(oys.shape[0] // 2):
            for way in range(2):
                dist[way] = 0
                r = 2 * a + way
                for k in range(oys.shape[1]):
                    at = start[i] + oys[r, k] * wp + oxs[r, k]
                    if state[at] == 0:
                        dist[way] = k + 1
                        ends[way] = (at // wp - pad) * w + (at % wp - pad)  # back to the image's own index
                        break
                    if state[at] != 1:
                        break
            if dist[0] <= 0 or dist[1] <= 0:
                continue
            span = max(dist[0] + dist[1], one)
            cost = np.float32(0.0)
            for k in range(c):
                cost += abs(smooth[ends[0], k] - smooth[ends[1], k])
            cost = cost / np.float32(c) / scale
            wt = one / ((cost + floor) * span ** power)
            for k in range(c):
                acc[i, k] += (smooth[ends[0], k] * dist[1] + smooth[ends[1], k] * dist[0]) / span * wt
            wsum[i] += wt
    return acc, wsum


_rays = compiled(_rays_py)


def _ray_fill(image: np.ndarray, hole: np.ndarray, max_len: int, targets: np.ndarray,
              n_angles: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Edge-directed interpolation at ``targets`` (bool (H, W) inside the hole); returns
    (values (N, C), found (N,) bool) in np.nonzero(targets) order."""
    import cv2

    h, w = hole.shape
    known = (~hole).astype(np.float32)
    # endpoints are read from a lightly smoothed copy that ignores the hole (normalised convolution)
    num = channels_op(image * known[:, :, None], lambda a: cv2.GaussianBlur(a, (0, 0), ENDPOINT_BLUR))
    den = cv2.GaussianBlur(known, (0, 0), ENDPOINT_BLUR)
    smooth = num / np.maximum(den, 1e-6)[:, :, None]
    ys, xs = np.nonzero(targets)
    flat_smooth = smooth.reshape(h * w, image.shape[2])
    around = np.compress(~hole.ravel(), flat_smooth, axis=0)  # smooth[~hole], a tenth of the time
    scale = float(np.percentile(np.abs(around - np.median(around, axis=0)), 75)) + 1e-4
    # Every ray from pixel (y, x) visits (y + rint(k dy), x + rint(k dx)): the same offsets for
    # all pixels, so the march runs on flat indices into a copy padded by the reach, whose
    # border says "off the image" (0 known, 1 hole, 2 off): no bounds checks per step.
    wp = w + 2 * max_len
    state = np.full((h + 2 * max_len, wp), 2, np.int8)
    state[max_len:max_len + h, max_len:max_len + w] = hole
    state = state.ravel()
    start = (ys + max_len) * wp + (xs + max_len)
    steps = np.arange(1, max_len + 1)
    angles = np.pi * np.arange(n_angles) / n_angles
    # per ray (angle, sign): the offsets it visits, one row each
    oys = np.stack([np.rint(sign * steps * np.sin(a)).astype(np.int64) for a in angles for sign in (1.0, -1.0)])
    oxs = np.stack([np.rint(sign * steps * np.cos(a)).astype(np.int64) for a in angles for sign in (1.0, -1.0)])
    acc, wsum = _rays(state, start, oys, oxs, wp, w, flat_smooth, np.float32(scale))
    found = wsum > 0
    return acc / np.maximum(wsum, 1e-12)[:, None], found


def fill_spatial(image: np.ndarray, mask: np.ndarray, max_ray: int = 40, only: np.ndarray | None = None) -> np.ndarray:
    """Fill ``image`` (float32 H, W, C) where ``mask`` (float32 H, W, 0..1) is above zero.

    Pixels with mask 0 are the known surroundings and come back unchanged; the result is
    ``image * (1 - mask) + fill * mask``. Thin holes use edge-directed ray interpolation;
    holes wider than ``max_ray`` pixels fall back to pyramid diffusion in their middle.
    ``only`` (bool (H, W), optional) limits the careful interpolation to those hole pixels
    (the rest of the hole gets the diffusion fill), for callers that will not use the others.
    """
    import cv2

    image, mask = _check(image, mask, "fill_spatial")
    hole = mask > HOLE_EPS
    if not hole.any():
        return image.copy()
    if hole.all():
        raise ValueError("fill_spatial: the mask covers the whole image; nothing to fill from")
    fill = push_pull(image, (~hole).astype(np.float32))
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    near = hole & (dist <= max_ray / 2)
    if only is not None:
        if only.shape != hole.shape:
            raise ValueError(f"fill_spatial: 'only' shape {only.shape} does not match {hole.shape}")
        near &= only
    if near.any():
        # oblique rays longer than this hardly count (weights fall with span**6)
        reach = int(min(max_ray, np.ceil(3.0 * float(dist[near].max())) + 2))
        vals, found = _ray_fill(image, hole, reach, near)
        ys, xs = np.nonzero(near)
        fill[ys[found], xs[found]] = vals[found]
    out = image.copy()  # outside the hole, the image as it is
    ys, xs = np.nonzero(hole)
    m = mask[ys, xs][:, None]
    out[ys, xs] = image[ys, xs] * (1.0 - m) + fill[ys, xs] * m
    return out
