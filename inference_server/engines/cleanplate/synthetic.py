"""Small synthetic shots for tests and demos: a textured background under a camera pan,
with a moving object and its matte. Everything float32 RGB 0-1 (display-referred)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SyntheticShot:
    """``background``: per-frame clean background, noise-free (H, W, 3); ``truth``: the same
    with grain; ``plates``: truth with the object; ``mattes``: (H, W) float32 0/1 object."""

    background: list[np.ndarray]
    truth: list[np.ndarray]
    plates: list[np.ndarray]
    mattes: list[np.ndarray]


def textured_background(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(h, w, 3) float32: smooth colour gradients, rectangles with hard corners, fine texture."""
    import cv2

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.35 + 0.2 * np.sin(xx / 37.0 + c) * np.cos(yy / 29.0 - c) for c in range(3)], axis=2)
    for _ in range(max(20, h * w // 900)):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(4, 30)), y0 + int(rng.integers(4, 30))
        img[y0:y1, x0:x1] = rng.uniform(0.05, 0.95, 3).astype(np.float32)
    fine = cv2.GaussianBlur(rng.normal(0, 0.06, (h, w, 3)).astype(np.float32), (0, 0), 1.2)
    return np.clip(img + fine, 0.0, 1.0).astype(np.float32)


def panning_shot(n: int = 10, size: tuple[int, int] = (96, 128), pan: tuple[float, float] = (5.0, 1.5),
                 object_speed: tuple[float, float] = (4.0, 0.5), radius: int = 14, grain: float = 0.01,
                 seed: int = 0) -> SyntheticShot:
    """``n`` frames of ``size`` (H, W) panning ``pan`` px/frame over a texture, with a disc of
    ``radius`` moving ``object_speed`` px/frame in frame coordinates."""
    import cv2

    h, w = size
    rng = np.random.default_rng(seed + 1)
    ch = h + int(abs(pan[1]) * n) + 16
    cw = w + int(abs(pan[0]) * n) + 16
    canvas = textured_background(ch, cw, seed)
    obj_tex = textured_background(2 * radius + 2, 2 * radius + 2, seed + 7)[:, :, ::-1] * 0.5 + 0.45
    bgs, truths, plates, mattes = [], [], [], []
    for t in range(n):
        ox = 8 + (pan[0] * t if pan[0] >= 0 else abs(pan[0]) * (n - 1 - t))
        oy = 8 + (pan[1] * t if pan[1] >= 0 else abs(pan[1]) * (n - 1 - t))
        m = np.array([[1, 0, -ox], [0, 1, -oy]], np.float32)
        bg = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        noise = np.asarray(rng.normal(0.0, grain, bg.shape) if grain else np.zeros(bg.shape), np.float32)
        tr = np.clip(bg + noise, 0.0, 1.0)
        cx = w * 0.5 + object_speed[0] * (t - n / 2)
        cy = h * 0.5 + object_speed[1] * (t - n / 2)
        disc = np.zeros((h, w), np.uint8)
        cv2.circle(disc, (int(round(cx)), int(round(cy))), radius, 1, -1)
        matte = disc.astype(np.float32)
        tex = cv2.resize(obj_tex, (w, h), interpolation=cv2.INTER_NEAREST)
        plate = np.where(disc[..., None] > 0, tex, tr).astype(np.float32)
        bgs.append(bg.astype(np.float32))
        truths.append(tr.astype(np.float32))
        plates.append(plate)
        mattes.append(matte)
    return SyntheticShot(bgs, truths, plates, mattes)




def follow_shot(n: int = 12, size: tuple[int, int] = (120, 160), pan: tuple[float, float] = (4.0, 0.0),
                box: tuple[int, int, int, int] = (60, 30, 40, 60), colour: tuple[float, float, float] = (1.0, 0.0, 1.0),
                drift: float = 0.0, halo: float = 1.5, grain: float = 0.005, seed: int = 0) -> SyntheticShot:
    """"Camera follows the subject": a grey textured background pans ``pan`` px/frame while an
    object of one unique ``colour`` holds its place in frame (``box`` = x, y, w, h; moving
    ``drift`` px/frame sideways). The object's edge is blurred by ``halo`` px (motion blur,
    softness) beyond its matte, which covers only the pixels at least half object."""
    import cv2

    h, w = size
    rng = np.random.default_rng(seed + 1)
    ch = h + int(abs(pan[1]) * n) + 16
    cw = w + int(abs(pan[0]) * n) + 16
    tex = textured_background(ch, cw, seed)
    canvas = (0.35 + 0.5 * tex.mean(axis=2, keepdims=True) + 0.1 * (tex - tex.mean(axis=2, keepdims=True)))
    canvas = np.clip(canvas, 0.0, 1.0).astype(np.float32) * np.ones((1, 1, 3), np.float32)
    bgs, truths, plates, mattes = [], [], [], []
    for t in range(n):
        m = np.array([[1, 0, -(8 + pan[0] * t)], [0, 1, -(8 + pan[1] * t)]], np.float32)
        bg = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        tr = np.clip(bg + np.asarray(rng.normal(0.0, grain, bg.shape), np.float32), 0.0, 1.0)
        x, y, bw, bh = box
        x = int(round(x + drift * t))
        cover = np.zeros((h, w), np.float32)
        cv2.ellipse(cover, (x + bw // 2, y + bh // 2), (bw // 2, bh // 2), 0, 0, 360, 1.0, -1)
        if halo > 0:
            cover = np.asarray(cv2.GaussianBlur(cover, (0, 0), halo), np.float32)
        plate = tr * (1.0 - cover[..., None]) + np.array(colour, np.float32) * cover[..., None]
        bgs.append(bg.astype(np.float32))
        truths.append(tr.astype(np.float32))
        plates.append(plate.astype(np.float32))
        mattes.append((cover >= 0.5).astype(np.float32))
    return SyntheticShot(bgs, truths, plates, mattes)
