"""Synthetic wire plates (no external data) for tests, the demo and benchmarks."""

from __future__ import annotations

import numpy as np


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth-but-detailed float32 (h, w, 3) texture in 0..1."""
    import cv2

    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.random((h // 8 + 2, w // 8 + 2, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 1.5)
    img = 0.75 * coarse + 0.25 * (fine - fine.mean() + 0.5)
    return np.clip(img, 0.02, 0.98).astype(np.float32)


def wire_shot(n: int = 5, h: int = 96, w: int = 160, pan: float = 0.0, noise: float = 0.0,
              seed: int = 0, drift: float = 1.5) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(truth, plates, hints): float32 frames, a dark 3 px catenary wire drifting down
    ``drift`` px a frame, 12 px wide hints; ``pan`` moves the camera that many px a frame."""
    rng = np.random.default_rng(seed)
    big = texture(h, w + int(abs(pan) * n) + 4, seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    truth, plates, hints = [], [], []
    for t in range(n):
        x0 = int(round(abs(pan) * t))
        g = big[:, x0:x0 + w].copy()
        if noise:
            g = np.clip(g + rng.normal(0, noise, g.shape), 0, 1).astype(np.float32)
        centre = h * 0.35 + h * 0.25 * ((xx - w / 2) / (w / 2)) ** 2 + drift * t
        d = np.abs(yy - centre)
        wire = np.clip(2.0 - d, 0.0, 1.0)[:, :, None]
        plates.append((g * (1 - 0.85 * wire) + 0.03 * wire).astype(np.float32))
        truth.append(g)
        hints.append((d < 6).astype(np.float32))
    return truth, plates, hints


