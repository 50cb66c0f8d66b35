"""Dense optical flow (OpenCV DIS) with forward/backward consistency, and warping.

Flow convention: ``flow = dense_flow(a, b)`` gives, for each pixel x of ``a``, the offset
(dx, dy) such that ``b[x + flow(x)] ~= a[x]``. Arrays are float32 (H, W, 2).
"""

from __future__ import annotations

import numpy as np


def luminance(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 luma of an (H, W, C) image (Rec.709 weights on RGB, mean otherwise)."""
    if image.ndim == 2:
        return image.astype(np.float32, copy=False)
    if image.shape[2] >= 3:
        f = image.astype(np.float32, copy=False)
        out = f[:, :, 0] * np.float32(0.2126)
        out += f[:, :, 1] * np.float32(0.7152)
        out += f[:, :, 2] * np.float32(0.0722)
        return out
    return image.astype(np.float32).mean(axis=2)


FLOW_MIN = 32  # px: the least height DIS flow is run on (``dense_flow``)


def _to_u8(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    both = np.concatenate([a.ravel()[::7], b.ravel()[::7]])
    lo, hi = np.percentile(both, [0.5, 99.5])
    scale = 255.0 / max(float(hi - lo), 1e-6)
    conv = [np.clip((x - lo) * scale, 0, 255).astype(np.uint8) for x in (a, b)]
    return conv[0], conv[1]


def dense_flow(a: np.ndarray, b: np.ndarray, preset: str = "fast") -> np.ndarray:
    """Flow from ``a`` to ``b`` (float32 (H, W, 2)); inputs (H, W) or (H, W, C), any range.

    Two uint8 (H, W) images are used as they are; anything else is normalised jointly to 8 bits.
    """
    import cv2

    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"dense_flow: image sizes differ, {a.shape[:2]} vs {b.shape[:2]}")
    if min(a.shape[:2]) < 8:
        raise ValueError(f"dense_flow: images of size {a.shape[:2]} are too small (need 8 x 8)")
    if a.dtype == np.uint8 and b.dtype == np.uint8 and a.ndim == b.ndim == 2:
        ga, gb = a, b
    else:
        ga, gb = _to_u8(luminance(a) if a.ndim == 3 else a, luminance(b) if b.ndim == 3 else b)
    presets = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
    if preset not in presets:
        raise ValueError(f"dense_flow: unknown preset {preset!r}; use {', '.join(presets)}")
    # OpenCV's DIS reads past a frame under FLOW_MIN px tall (a segmentation fault, not an error: it
    # took the whole process down on a 31 x 641 frame, and on 8-31 px tall frames 40-600 px wide); so
    # it is given one that tall at least, its rows repeated past the edges, and its flow cropped back
    h = ga.shape[0]
    top = max(FLOW_MIN - h, 0) // 2
    pad = (top, max(FLOW_MIN - h, 0) - top)
    if pad[0] or pad[1]:
        ga, gb = (cv2.copyMakeBorder(g, pad[0], pad[1], 0, 0, cv2.BORDER_REPLICATE) for g in (ga, gb))
    dis = cv2.DISOpticalFlow_create(presets[preset])  # type: ignore[attr-defined]
    flow = dis.calc(ga, gb, None)
    return np.asarray(flow[pad[0]:pad[0] + h], np.float32)


def warp(image: np.ndarray, flow: np.ndarray, border_value: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``image`` at x + flow(x) (bilinear); returns (warped, inside) with inside (H, W) bool."""
    import cv2

    h, w = flow.shape[:2]
    mx = flow[:, :, 0] + np.arange(w, dtype=np.float32)[None, :]
    my = flow[:, :, 1] + np.arange(h, dtype=np.float32)[:, None]
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    src = np.ascontiguousarray(image)
    if src.ndim == 3 and src.shape[2] > 4:
        out = np.dstack([cv2.remap(np.ascontiguousarray(src[:, :, c]), mx, my, cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE) for c in range(src.shape[2])])
    else:
        out = cv2.remap(src, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if src.ndim == 3 and out.ndim == 2:
            out = out[:, :, None]
    return out, inside


def consistency_mask(forward: np.ndarray, backward: np.ndarray, tol: float = 0.75, rel: float = 0.05) -> np.ndarray:
    """1 where following ``forward`` then ``backward`` returns within tol + rel*|flow| pixels, else 0.

    ``forward`` is flow a->b and ``backward`` b->a, both (H, W, 2); returns float32 (H, W).
    """
    if forward.shape != backward.shape or forward.ndim != 3 or forward.shape[2] != 2:
        raise ValueError(f"consistency_mask expects two (H, W, 2) flows of one size, got {forward.shape} and {backward.shape}")
    back_at, inside = warp(backward, forward)
    err = np.hypot(forward[:, :, 0] + back_at[:, :, 0], forward[:, :, 1] + back_at[:, :, 1])
    mag = np.hypot(forward[:, :, 0], forward[:, :, 1])
    return ((err <= tol + rel * mag) & inside).astype(np.float32)
