"""Grain: estimate a plate's grain (per channel, level-dependent, with grain size and
inter-channel correlation) away from the repair, and add matching grain inside it.

Images are float32 (H, W, C) in the plate's own units; the model's levels are in those units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inference_server.engines.wire.flow import luminance

SIZES = (0.0, 0.5, 0.8, 1.2, 1.8)
_BASE_SIGMA = 1.5


@dataclass(frozen=True)
class GrainModel:
    """levels (B,) in image units; sigma (C, B) grain std per channel at each level;
    size: Gaussian sigma (pixels) of the grain; channel_corr: 0..1 shared part between channels."""

    levels: np.ndarray
    sigma: np.ndarray
    size: float
    channel_corr: float

    def std_at(self, level: np.ndarray, channel: int) -> np.ndarray:
        return np.interp(level, self.levels, self.sigma[channel]).astype(np.float32)


def _blur(img: np.ndarray, s: float) -> np.ndarray:
    import cv2

    if s <= 0:
        return img
    if img.ndim == 3 and img.shape[2] > 4:
        return np.dstack([cv2.GaussianBlur(np.ascontiguousarray(img[:, :, c]), (0, 0), s) for c in range(img.shape[2])])
    out = cv2.GaussianBlur(img, (0, 0), s)
    return out if out.ndim == img.ndim else out[:, :, None]


def _unit_grain(shape: tuple[int, int], size: float, rng: np.random.Generator) -> np.ndarray:
    n = rng.standard_normal(shape, dtype=np.float32)
    if size > 0:
        n = _blur(n, size)
        n /= np.float32(_blur_gain(size))
    return n


TILE = 64


def _anchored_grain(shape: tuple[int, int], origin: tuple[int, int], size: float, key: tuple[int, int]) -> np.ndarray:
    """Unit grain of ``shape`` at frame position ``origin`` (y, x) that is the same wherever it is cut
    from: white noise in TILE x TILE tiles seeded by their place in the frame and ``key``, then sized."""
    pad = int(np.ceil(3 * size)) + 1 if size > 0 else 0
    y0, x0 = origin[0] - pad, origin[1] - pad
    y1, x1 = origin[0] + shape[0] + pad, origin[1] + shape[1] + pad
    ty0, tx0 = y0 // TILE, x0 // TILE
    ty1, tx1 = -(-y1 // TILE), -(-x1 // TILE)
    big = np.empty(((ty1 - ty0) * TILE, (tx1 - tx0) * TILE), np.float32)
    for ty in range(ty0, ty1):
        for tx in range(tx0, tx1):
            rng = np.random.default_rng([key[0], key[1], ty + (1 << 20), tx + (1 << 20)])
            big[(ty - ty0) * TILE:(ty - ty0 + 1) * TILE, (tx - tx0) * TILE:(tx - tx0 + 1) * TILE] = \
                rng.standard_normal((TILE, TILE), dtype=np.float32)
    n = big[y0 - ty0 * TILE:y1 - ty0 * TILE, x0 - tx0 * TILE:x1 - tx0 * TILE]
    if size > 0:
        n = (_blur(n, size) / np.float32(_blur_gain(size))).astype(np.float32)
    return np.ascontiguousarray(n[pad:pad + shape[0], pad:pad + shape[1]])


@lru_cache(maxsize=16)
def _blur_gain(size: float) -> float:
    n = np.random.default_rng(7).standard_normal((256, 256), dtype=np.float32)
    return float(_blur(n, size)[16:-16, 16:-16].std())


@lru_cache(maxsize=1)
def _calibration() -> tuple[tuple[float, float, float], ...]:
    """(size, highpass std ratio, highpass lag-1 correlation) for each candidate grain size."""
    rows = []
    for size in SIZES:
        n = _unit_grain((256, 256), size, np.random.default_rng(11))
        r = (n - _blur(n, _BASE_SIGMA))[8:-8, 8:-8]
        rho = float(np.mean(r[:, 1:] * r[:, :-1]) / np.mean(r * r))
        rows.append((size, float(r.std()), rho))
    return tuple(rows)


def estimate_grain(image: np.ndarray, exclude_mask: np.ndarray | None = None, bins: int = 6) -> GrainModel:
    """Estimate grain from flat areas of ``image`` (float32 (H, W, C)) where ``exclude_mask`` is ~0."""
    import cv2

    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"estimate_grain expects float32 (H, W, C), got shape {image.shape} dtype {image.dtype}")
    h, w, c = image.shape
    valid = np.ones((h, w), bool)
    if exclude_mask is not None:
        if exclude_mask.shape != (h, w):
            raise ValueError(f"estimate_grain: exclude_mask shape {exclude_mask.shape} does not match {(h, w)}")
        valid = cv2.dilate((exclude_mask > 1e-3).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    valid[:4, :] = valid[-4:, :] = False
    valid[:, :4] = valid[:, -4:] = False
    base = _blur(image, _BASE_SIGMA)
    resid = image - base
    level = luminance(base)
    gy, gx = np.gradient(_blur(level[:, :, None], 2.0)[:, :, 0])
    grad = np.hypot(gx, gy)
    if valid.sum() < 64:
        return GrainModel(np.array([0.0, 1.0], np.float32), np.zeros((c, 2), np.float32), 0.0, 0.0)
    flat = valid & (grad <= np.percentile(grad[valid], 50))
    r = resid[flat]
    lv = level[flat]
    # grain size from the residual's lag-1 correlation (horizontal neighbours, both flat)
    pair = flat[:, 1:] & flat[:, :-1]
    r0, r1 = resid[:, :-1][pair], resid[:, 1:][pair]
    rho = float(np.mean(r0 * r1) / max(float(np.mean(r0 * r0)), 1e-20)) if pair.any() else 0.0
    calib = _calibration()
    size, ratio, _ = min(calib, key=lambda row: abs(row[2] - rho))
    edges = np.unique(np.percentile(lv, np.linspace(0, 100, bins + 1)))
    if edges.size < 2:
        edges = np.array([lv.min(), lv.min() + 1e-6])
    centres, sig = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (lv >= lo) & (lv <= hi)
        if sel.sum() < 16:
            continue
        rs = r[sel]
        mad = np.median(np.abs(rs - np.median(rs, axis=0)), axis=0)
        centres.append(float(np.median(lv[sel])))
        sig.append(1.4826 * mad / ratio)
    if not centres:
        centres, sig = [float(lv.mean())], [1.4826 * np.median(np.abs(r), axis=0) / ratio]
    corr = 0.0
    chans = r[:, : min(c, 3)]
    if c >= 2 and r.shape[0] > 16 and bool((chans.std(axis=0) > 1e-8).all()):  # flat or clipped: no correlation
        cm = np.corrcoef(chans.T)
        corr = float(np.clip(np.nan_to_num(np.mean(cm[np.triu_indices(cm.shape[0], 1)])), 0.0, 1.0))
    return GrainModel(np.array(centres, np.float32), np.array(sig, np.float32).T.copy(), float(size), corr)


def apply_grain(image: np.ndarray, mask: np.ndarray, model: GrainModel, amount: float = 1.0, seed: int = 0,
                anchor: tuple[int, int] | None = None) -> np.ndarray:
    """``image`` plus grain from ``model`` scaled by ``amount * mask`` (mask float32 (H, W), 0..1).

    Deterministic for a given ``seed``; pixels with mask 0 come back unchanged. With ``anchor``,
    the frame position (y, x) of ``image``'s top-left pixel, the grain belongs to the frame, not to
    the crop: for one seed, a frame pixel gets the same grain whatever crop it is added through
    (grain that holds still from frame to frame, as a locked-off plate's own texture does).
    """
    if image.ndim != 3 or image.dtype != np.float32:
        raise ValueError(f"apply_grain expects float32 (H, W, C), got shape {image.shape} dtype {image.dtype}")
    if mask.shape != image.shape[:2]:
        raise ValueError(f"apply_grain: mask shape {mask.shape} does not match {image.shape[:2]}")
    if model.sigma.shape[0] != image.shape[2]:
        raise ValueError(f"apply_grain: model has {model.sigma.shape[0]} channels, image has {image.shape[2]}")
    out = image.copy()
    ys, xs = np.nonzero(mask > 0)
    if amount == 0 or ys.size == 0:
        return out
    pad = 8
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + pad + 1, image.shape[0])
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + pad + 1, image.shape[1])
    seed %= 1 << 63  # numpy seeds are non-negative; a frame numbered below 0 gives a negative one
    rng = np.random.default_rng(seed)
    shape = (y1 - y0, x1 - x0)

    def unit(stream: int) -> np.ndarray:
        if anchor is None:
            return _unit_grain(shape, model.size, rng)
        return _anchored_grain(shape, (anchor[0] + y0, anchor[1] + x0), model.size, (seed, stream))

    common = unit(0)
    crop = image[y0:y1, x0:x1]
    level = luminance(_blur(crop, 1.0))
    a, b = np.float32(np.sqrt(model.channel_corr)), np.float32(np.sqrt(1.0 - model.channel_corr))
    m = mask[y0:y1, x0:x1] * np.float32(amount)
    for ch in range(image.shape[2]):
        noise = a * common + b * unit(ch + 1)
        out[y0:y1, x0:x1, ch] += m * model.std_at(level, ch) * noise
    return out
