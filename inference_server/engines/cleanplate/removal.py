"""Object and rig removal under a matte, over a moving camera.

For frame ``t`` and its matte (the hole), other frames of the shot are resampled onto frame
``t`` through the shot alignment, only inside a region of interest around the hole. Each
sample shows background where it is inside its own frame and outside its own matte (the
object has moved, or the camera has). Samples are taken nearest in time first, skipping
those that reveal nothing new, until every hole pixel is seen ``VOTES`` times (or
``max_samples`` frames are borrowed). Optionally the residual parallax of each sample is
corrected by smooth dense flow measured around the hole and carried into it.

A robust temporal estimate (``temporal``) votes all reveals of a pixel and averages its
``per_pixel`` nearest inliers (near frames match lighting and parallax best); pixels no
frame revealed are filled spatially. The temporal fill's brightness is matched to the frame
by a smooth offset taken from the ring around the hole, and the patch is regrained for the
grain the average removed. Spatial fill and grain are the wire-removal engine's
``fill_spatial``, ``estimate_grain`` and ``apply_grain``. Pixels where the matte is 0 come
back exactly as given; soft matte values blend the repair over the original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.cleanplate.align import ShotAlignment, coverage, warp_image
from inference_server.engines.cleanplate.plate import local_flow
from inference_server.engines.cleanplate.temporal import robust_temporal_estimate

MAX_CANDIDATES = 48      # frames looked at per output frame
VOTES = 12               # reveals per hole pixel wanted for the outlier vote
RING_SIGMA = 3.0         # px: smoothing of the brightness offset measured around the hole
RING_MAX = 0.2           # ring pixels off by more (mean code value) are something else moving


@dataclass(frozen=True)
class Removal:
    """``image`` (H, W, C) float32 repaired frame; ``revealed``/``hole`` (H, W) bool."""

    image: np.ndarray
    hole: np.ndarray
    revealed: np.ndarray
    samples: int


def roi_box(hole: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) bounding box of ``hole`` (H, W) bool grown by ``pad``, clipped to the frame."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    return (max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad),
            min(w, int(xs.max()) + 1 + pad), min(h, int(ys.max()) + 1 + pad))


def smooth_fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill (h, w, C) float32 ``values`` where ``known`` (h, w) bool is False with a smooth
    membrane (the wire engine's push-pull diffusion); for offsets and flow, not detail."""
    from inference_server.engines.wire.spatial import push_pull

    return push_pull(np.ascontiguousarray(values, np.float32), known.astype(np.float32))


def _grey(image: np.ndarray) -> np.ndarray:
    return image.mean(axis=2) if image.ndim == 3 else image


def remove_object(frames: Sequence[np.ndarray], mattes: Sequence[np.ndarray], alignment: ShotAlignment,
                  index: int, *, max_samples: int = 24, per_pixel: int = 4, rejection: float = 2.5,
                  refine: bool = True, regrain: float = 1.0, window: int = 0, seed: int = 0) -> Removal:
    """Remove what ``mattes[index]`` covers from ``frames[index]``.

    ``frames``: (H, W, C) float32 per frame (may be lazy); ``mattes``: (H, W) float32 0-1 per
    frame, > 0 over the object (the hole); ``alignment``: the shot's camera motion.
    ``max_samples``: most other frames borrowed; ``per_pixel``: how many of them, nearest in
    time first, are voted at each pixel (near frames match lighting and parallax best; a few
    let the vote drop a bad one). ``window``: frames either side searched (0: the whole shot).
    ``regrain``: 0 leaves the patch smooth, 1 matches the plate's grain.
    """
    n = len(frames)
    if len(mattes) != n:
        raise ValueError(f"got {len(mattes)} matte frames for {n} plate frames")
    if not 0 <= index < n:
        raise ValueError(f"frame index {index} is outside the shot's {n} frames")
    if max_samples < 1 or per_pixel < 1:
        raise ValueError(f"max_samples and per_pixel must be at least 1, got {max_samples} and {per_pixel}")
    image = np.asarray(frames[index], np.float32)
    h, w = alignment.size
    if image.shape[:2] != (h, w) or image.ndim != 3:
        raise ValueError(f"frame index {index} is {image.shape}, the shot is (H, W, C) with H, W = {h}, {w}")
    alpha = np.asarray(mattes[index], np.float32)
    if alpha.shape != (h, w):
        raise ValueError(f"matte for frame index {index} is {alpha.shape}, the plate is {(h, w)}")
    hole = alpha > 0
    if not hole.any():
        return Removal(image.copy(), hole, np.zeros_like(hole), 0)
    pad = max(16, int(0.15 * max(np.ptp(np.nonzero(hole)[0]), np.ptp(np.nonzero(hole)[1]))))
    x0, y0, x1, y1 = roi_box(hole, pad)
    size, offset = (y1 - y0, x1 - x0), (x0, y0)
    t_roi = image[y0:y1, x0:x1]
    t_hole = hole[y0:y1, x0:x1]
    stack, valid = _gather(frames, mattes, alignment, index, t_roi, t_hole, size, offset,
                           max_samples, min(max(VOTES, per_pixel), max_samples), window, refine)
    filled = t_roi.copy()
    revealed = np.zeros_like(t_hole)
    grain_gain = t_hole.astype(np.float32)
    if stack:
        est = robust_temporal_estimate(np.stack(stack), np.stack(valid), rejection, nearest=per_pixel)
        revealed = t_hole & est.seen
        ring = _ring(t_hole, 6) & est.seen
        if ring.any():
            est_img = est.image + _ring_offset(t_roi - est.image, ring)
        else:
            est_img = est.image
        filled[revealed] = est_img[revealed]
        # a mean of k frames keeps 1/sqrt(k) of their grain: add only what is missing
        k = np.maximum(est.support, 1).astype(np.float32)
        grain_gain = np.where(revealed, np.sqrt(1.0 - 1.0 / k), grain_gain).astype(np.float32)
    rest = t_hole & ~revealed
    if rest.any():
        from inference_server.engines.wire.spatial import fill_spatial

        filled = np.asarray(fill_spatial(filled, rest.astype(np.float32)), np.float32)
    if regrain > 0:
        from inference_server.engines.wire.regrain import apply_grain, estimate_grain

        model = estimate_grain(t_roi, (_ring(t_hole, 2) | t_hole).astype(np.float32))
        filled = np.asarray(apply_grain(filled, grain_gain, model, regrain, seed + index),
                            np.float32)
    a = alpha[y0:y1, x0:x1, None]
    out = image.copy()
    out[y0:y1, x0:x1] = np.where(t_hole[..., None], t_roi * (1.0 - a) + filled * a, t_roi)
    full_rev = np.zeros_like(hole)
    full_rev[y0:y1, x0:x1] = revealed
    return Removal(out, hole, full_rev, len(stack))


def _ring_offset(residual: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Smooth (h, w, C) brightness offset continuing ``residual`` measured on ``ring`` inwards.

    Ring pixels whose residual is an outlier (something moving beside the hole) are left out.
    """
    import cv2

    mag = np.abs(residual).mean(axis=2)
    ring = ring & (mag <= RING_MAX)
    k = ring.astype(np.float32)
    num = cv2.GaussianBlur(residual * k[..., None], (0, 0), RING_SIGMA).reshape(residual.shape)
    den = cv2.GaussianBlur(k, (0, 0), RING_SIGMA)
    known = den > 0.05
    local = np.where(known[..., None], num / np.maximum(den, 1e-6)[..., None], 0.0)
    return smooth_fill(local, known & ring)


def _ring(hole: np.ndarray, width: int) -> np.ndarray:
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    return cv2.dilate(hole.astype(np.uint8), k).astype(bool) & ~hole


def _candidates(n: int, index: int, window: int) -> list[int]:
    """Other frame indices nearest first, thinned to at most MAX_CANDIDATES spread over the window."""
    lo, hi = (0, n - 1) if window <= 0 else (max(0, index - window), min(n - 1, index + window))
    others = sorted((i for i in range(lo, hi + 1) if i != index), key=lambda i: (abs(i - index), i))
    if len(others) <= MAX_CANDIDATES:
        return others
    near = others[: MAX_CANDIDATES // 2]
    far = others[MAX_CANDIDATES // 2:]
    pick = np.round(np.linspace(0, len(far) - 1, MAX_CANDIDATES - len(near))).astype(int)
    return near + [far[i] for i in sorted(set(pick.tolist()))]


def _gather(frames: Sequence[np.ndarray], mattes: Sequence[np.ndarray], alignment: ShotAlignment, index: int,
            t_roi: np.ndarray, t_hole: np.ndarray, size: tuple[int, int], offset: tuple[int, int],
            max_samples: int, need: int, window: int, refine: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Aligned samples (ROI-sized) and where each reveals background, chosen to cover the hole."""
    import cv2

    h, w = alignment.size
    counts = np.zeros(size, np.int32)
    stack: list[np.ndarray] = []
    valid: list[np.ndarray] = []
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for s in _candidates(len(frames), index, window):
        if len(stack) >= max_samples or (counts[t_hole] >= need).all():
            break
        m = alignment.between(s, index)
        ok = coverage(m, (h, w), size, offset, margin=2)
        obj = np.asarray(mattes[s], np.float32) > 0
        obj_w = warp_image(obj.astype(np.uint8), m, size, offset, nearest=True)
        ok &= cv2.dilate(obj_w, grow) == 0
        gain = t_hole & ok & (counts < need)
        if gain.sum() < max(4, 0.002 * t_hole.sum()):
            continue
        sample = warp_image(np.asarray(frames[s], np.float32), m, size, offset).reshape(t_roi.shape)
        if refine:
            sample, ok = _refine(t_roi, t_hole, sample, ok)
        stack.append(sample)
        valid.append(ok)
        counts += ok
    return stack, valid


def _refine(t_roi: np.ndarray, t_hole: np.ndarray, sample: np.ndarray,
            ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correct residual parallax: smooth flow measured around the hole, interpolated inside it."""
    from inference_server.engines.wire.flow import warp

    known = ok & ~_ring(t_hole, 8) & ~t_hole
    if known.sum() < 64 or min(t_hole.shape) < 16:
        return sample, ok
    flow = local_flow(t_roi, sample, known)
    if not flow.any():
        return sample, ok
    moved, inside = warp(sample, flow)
    ok2, _ = warp(ok.astype(np.float32), flow)
    return moved.reshape(sample.shape), (ok2 > 0.999) & inside
