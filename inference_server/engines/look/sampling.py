"""Pixel pairs for look fitting: validation, stratified sampling, and colour binning.

Frames are (H, W, C) uint8/uint16/float16/float32 code values; samples come back as
float32 (M, 3) RGB in the frames' own colour space.
"""

from __future__ import annotations

import numpy as np

from inference_server.frames import to_float

MIN_CONTENT_CORRELATION = 0.2


def rgb_view(pixels: np.ndarray, what: str) -> np.ndarray:
    """(H, W, C) pixels as (H, W, 3): grey is repeated, alpha and extra channels dropped."""
    if not isinstance(pixels, np.ndarray) or pixels.ndim not in (2, 3):
        raise ValueError(f"{what}: expected an (H, W, C) image array, got {getattr(pixels, 'shape', type(pixels))}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    if pixels.shape[2] < 3:
        raise ValueError(f"{what}: expected 1, 3 or 4 channels, got {pixels.shape[2]}")
    return pixels[:, :, :3]


def check_pair(src: np.ndarray, dst: np.ndarray, what: str) -> None:
    """Refuse a pair whose frames differ in size or plainly show different pictures."""
    if src.shape[:2] != dst.shape[:2]:
        raise ValueError(f"{what}: source is {src.shape[1]}x{src.shape[0]} but graded is "
                         f"{dst.shape[1]}x{dst.shape[0]}; a pair must be the same frame before and after the grade")
    if src.shape[0] * src.shape[1] < 64:
        raise ValueError(f"{what}: frames of {src.shape[1]}x{src.shape[0]} are too small to learn a look from")
    corr = content_correlation(src, dst)
    if corr < MIN_CONTENT_CORRELATION:
        raise ValueError(f"{what}: source and graded frames do not show the same picture "
                         f"(brightness rank correlation {corr:.2f}, need >= {MIN_CONTENT_CORRELATION})")


def content_correlation(src: np.ndarray, dst: np.ndarray) -> float:
    """Spearman correlation of the two frames' brightness on a ~64-pixel-wide thumbnail."""
    step = max(1, max(src.shape[:2]) // 64)
    a = to_float(rgb_view(src, "source")[::step, ::step]).mean(axis=2).ravel()
    b = to_float(rgb_view(dst, "graded")[::step, ::step]).mean(axis=2).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) < 16 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 1.0  # flat frames carry no structure to compare
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def sample_pair(src: np.ndarray, dst: np.ndarray, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified random pixels: one jittered pick per stretch of the frame; (k, 3) float32 each.

    Pixels where either frame is not finite are dropped.
    """
    s = rgb_view(src, "source")
    d = rgb_view(dst, "graded")
    total = s.shape[0] * s.shape[1]
    count = max(1, min(count, total))
    step = total / count
    rng = np.random.default_rng(seed)
    flat = np.minimum((np.arange(count) * step + rng.random(count) * step).astype(np.int64), total - 1)
    rows, cols = np.divmod(flat, s.shape[1])
    xs = to_float(s[rows, cols])
    ys = to_float(d[rows, cols])
    ok = np.isfinite(xs).all(axis=1) & np.isfinite(ys).all(axis=1)
    return np.ascontiguousarray(xs[ok]), np.ascontiguousarray(ys[ok])


def bin_samples(key: np.ndarray, *values: np.ndarray, bins: int = 128) -> tuple[np.ndarray, ...]:
    """Average samples whose ``key`` coordinates (M, 3) in [0, 1] share a cell of a bins^3 grid.

    Returns the per-cell mean of ``key`` and of each (M, 3) array in ``values`` (float64
    (K, 3) each), then the per-cell count (K,). Big flat areas collapse into few heavy
    samples, which makes the fits fast without losing colours.
    """
    q = np.clip((np.asarray(key) * bins).astype(np.int64), 0, bins - 1)
    code = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    uniq, inv = np.unique(code, return_inverse=True)
    count = np.bincount(inv, minlength=len(uniq)).astype(np.float64)

    def mean(a: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(inv, a[:, c], minlength=len(uniq)) for c in range(3)], axis=1) / count[:, None]

    return (mean(key), *(mean(v) for v in values), count)
