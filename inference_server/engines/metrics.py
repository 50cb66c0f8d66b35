"""Image quality figures shared by the engines' tests, the training and the benchmarks."""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray, region: np.ndarray | None = None) -> float:
    """PSNR in dB (peak 1.0) of two arrays of 0-1 values.

    With ``region``, only where it is > 0.5; an (H, W) region applies to every channel of
    (H, W, C) arrays, and one that selects nothing raises ValueError.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if region is not None:
        r = np.asarray(region) > 0.5
        if r.ndim == a.ndim - 1:
            r = r[..., None]
        r = np.broadcast_to(r, a.shape)
        if not r.any():
            raise ValueError("psnr: the region selects no pixels")
        a, b = a[r], b[r]
    mse = float(np.mean((a - b) ** 2))
    return float(10.0 * np.log10(1.0 / max(mse, 1e-12)))
