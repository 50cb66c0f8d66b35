"""One clean background frame for a shot, in the reference frame's framing.

Every frame is aligned to the reference (``align``), up to ``max_frames`` of them, spread
evenly over the shot, are resampled onto the reference frame, optionally refined locally by
dense flow against a first estimate (parallax the global model cannot explain), and a robust
temporal estimate (``temporal``) drops whatever moves. Pixels no frame showed clean are
reported in ``seen``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.cleanplate.align import ShotAlignment, align_shot, coverage, warp_image
from inference_server.engines.cleanplate.temporal import TemporalEstimate, robust_temporal_estimate
from inference_server.engines.wire.flow import consistency_mask, dense_flow, warp
from inference_server.engines.wire.spatial import push_pull

ProgressFn = Callable[[int, int, str], None]
MIN_PARALLAX = 0.75      # px: residual motion below this is left alone


@dataclass(frozen=True)
class CleanPlate:
    """``image`` (Hc, Wc, C) float32 and ``seen`` (Hc, Wc) bool on a canvas in the reference
    frame's coordinates: canvas pixel (u, v) is reference pixel (u + x0, v + y0), ``offset``
    = (x0, y0). With the reference canvas, offset is (0, 0) and the size is the frame's."""

    image: np.ndarray
    seen: np.ndarray
    support: np.ndarray
    alignment: ShotAlignment
    used: tuple[int, ...]
    offset: tuple[int, int] = (0, 0)


def sample_indices(n: int, reference: int, max_frames: int) -> list[int]:
    """Up to ``max_frames`` frame indices spread evenly over ``n`` frames, always with the reference."""
    if max_frames < 2:
        raise ValueError(f"a clean plate needs at least 2 frames to compare, max_frames is {max_frames}")
    if n <= max_frames:
        return list(range(n))
    picks = set(np.round(np.linspace(0, n - 1, max_frames - 1)).astype(int).tolist())
    picks.add(reference)
    return sorted(picks)


def shot_canvas(alignment: ShotAlignment, used: Sequence[int]) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) in reference coordinates covering every frame in ``used``,
    clipped to one frame beyond each side (a quarter above and below) to bound memory."""
    h, w = alignment.size
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    pts = []
    for i in used:
        p = np.hstack([rect, np.ones((4, 1))]) @ alignment.matrices[i].T
        pts.append(p[:, :2] / p[:, 2:3])
    allp = np.vstack(pts)
    x0 = int(np.floor(max(allp[:, 0].min(), -1.0 * w)))
    x1 = int(np.ceil(min(allp[:, 0].max(), 2.0 * w)))
    y0 = int(np.floor(max(allp[:, 1].min(), -0.25 * h)))
    y1 = int(np.ceil(min(allp[:, 1].max(), 1.25 * h)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def build_clean_plate(frames: Sequence[np.ndarray], reference: int = 0, *, model: str = "auto",
                      max_frames: int = 32, rejection: float = 2.5, refine: bool = True,
                      mattes: Sequence[np.ndarray] | None = None, alignment: ShotAlignment | None = None,
                      canvas: str = "reference", progress: ProgressFn | None = None) -> CleanPlate:
    """Clean background of ``frames`` ((H, W, C) float32 each; may be a lazy sequence).

    ``mattes``: optional (H, W) float 0-1 per frame over known moving objects; their pixels
    are never used. ``refine``: correct parallax with dense flow against a first estimate.
    ``canvas``: "reference" gives the reference frame's framing; "shot" the area the whole
    shot sees (``shot_canvas``), for re-projecting onto every frame of a long pan.
    """
    if canvas not in ("reference", "shot"):
        raise ValueError(f"canvas must be 'reference' or 'shot', got {canvas!r}")
    n = len(frames)
    if n < 2:
        raise ValueError(f"a clean plate needs at least 2 frames, got {n}")
    if mattes is not None and len(mattes) != n:
        raise ValueError(f"got {len(mattes)} matte frames for {n} plate frames")
    if alignment is None:
        alignment = align_shot(frames, reference, model,
                               None if mattes is None else [np.asarray(m) > 0 for m in mattes])
    h, w = alignment.size
    used = sample_indices(n, reference, max_frames)
    x0, y0, cw, ch = shot_canvas(alignment, used) if canvas == "shot" else (0, 0, w, h)
    first = np.asarray(frames[used[0]])
    c = first.shape[2] if first.ndim == 3 else 1
    stack = np.zeros((len(used), ch, cw, c), np.float16)
    valid = np.zeros((len(used), ch, cw), bool)
    for k, i in enumerate(used):
        img = np.asarray(frames[i], np.float32).reshape(h, w, c)
        m = alignment.matrices[i]
        stack[k] = warp_image(img, m, (ch, cw), (x0, y0)).reshape(ch, cw, c)
        ok = coverage(m, (h, w), (ch, cw), (x0, y0), margin=0 if i == reference else 2)
        if mattes is not None:
            obj = np.asarray(mattes[i], np.float32)
            if obj.shape != (h, w):
                raise ValueError(f"matte for frame index {i} is {obj.shape}, the plate is {(h, w)}")
            ok &= warp_image((obj > 0).astype(np.uint8), m, (ch, cw), (x0, y0), nearest=True) == 0
        valid[k] = ok
        if progress is not None:
            progress(k + 1, len(used) * (2 if refine else 1), f"aligned frame index {i}")
    est = robust_temporal_estimate(stack, valid, rejection)
    if refine:
        est = _refine(stack, valid, est.image, est.seen, rejection, progress)
    return CleanPlate(est.image, est.seen, est.support, alignment, tuple(used), (x0, y0))


def _refine(stack: np.ndarray, valid: np.ndarray, first: np.ndarray, seen: np.ndarray, rejection: float,
            progress: ProgressFn | None) -> TemporalEstimate:
    """Re-sample each aligned frame along dense flow towards the first estimate, then re-estimate."""
    n, h, w, c = stack.shape
    for k in range(n):
        flow = local_flow(first, stack[k].astype(np.float32), seen & valid[k], hidden=(~seen, ~valid[k]))
        moved, inside = warp(stack[k].astype(np.float32), flow)
        ok, _ = warp(valid[k].astype(np.float32), flow)
        stack[k] = moved.reshape(h, w, c)
        valid[k] = (ok > 1.0 - 1e-4) & inside   # no tap on a matte's pixel (remap's least weight is 1/1024)
        if progress is not None:
            progress(n + k + 1, 2 * n, f"refined sample {k + 1}")
    return robust_temporal_estimate(stack, valid, rejection)


def local_flow(target: np.ndarray, image: np.ndarray, known: np.ndarray, max_shift: float = 40.0,
               preset: str = "fast", height: int = 480,
               hidden: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Smooth residual motion (H, W, 2) float32 so that ``image[x + flow] ~ target[x]``.

    Flow is measured at up to ``height`` px high (480), kept where forward and backward agree, ``known``
    (H, W bool) holds and the shift is under ``max_shift`` pixels (parallax, not objects),
    filled elsewhere from its surroundings and smoothed: it bends the background, not what moves.
    Zero when the residual motion is under ``MIN_PARALLAX`` pixels. ``preset``: the DIS flow
    preset ("medium" finds the sub-pixel residuals that fine texture needs; "fast" is quicker).
    ``hidden``: (H, W) bool each, the pixels of ``target`` and of ``image`` whose values must not
    steer the flow (an object to be removed): they are smoothed over from around them first, at
    the flow's size, where any part of them falls in a pixel.
    """
    import cv2

    h, w = target.shape[:2]
    scale = min(1.0, float(height) / h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    a = cv2.resize(target, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
    b = cv2.resize(image, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
    if hidden is not None:
        a, b = (push_pull(np.ascontiguousarray(x, np.float32), (cv2.resize(
                    m.astype(np.float32), size, interpolation=cv2.INTER_AREA) == 0).astype(np.float32))
                if m.any() else x for x, m in zip((a, b), hidden, strict=True))
    fwd, bwd = dense_flow(a, b, preset), dense_flow(b, a, preset)
    good = consistency_mask(fwd, bwd, tol=1.0) > 0
    good &= np.linalg.norm(fwd, axis=2) < max_shift * scale
    good &= cv2.resize(known.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if good.mean() < 0.05:
        return np.zeros((h, w, 2), np.float32)
    if float(np.percentile(np.linalg.norm(fwd[good], axis=1), 90)) < MIN_PARALLAX * scale:
        return np.zeros((h, w, 2), np.float32)       # already aligned: flow would only add noise
    flow = push_pull(np.ascontiguousarray(fwd), good.astype(np.float32))
    flow = cv2.GaussianBlur(flow, (0, 0), 3.0)
    if scale < 1.0:
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / np.float32(scale)
    return flow.astype(np.float32)


def reproject(plate: CleanPlate, index: int, frame: np.ndarray | None = None,
              refine: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The clean plate re-projected onto frame ``index``: ((H, W, C) float32, (H, W) bool known).

    With ``frame`` ((H, W, C) float32) and ``refine``, residual parallax between the plate
    and the frame is corrected by smooth dense flow (``local_flow``).
    """
    shot = plate.alignment
    if not 0 <= index < len(shot.matrices):
        raise ValueError(f"frame index {index} is outside the shot's {len(shot.matrices)} frames")
    h, w = shot.size
    x0, y0 = plate.offset
    m = shot.between(shot.reference, index) @ np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    c = plate.image.shape[2]
    clean = warp_image(plate.image, m, (h, w)).reshape(h, w, c)
    known = coverage(m, plate.seen.shape, (h, w)) & (warp_image(plate.seen.astype(np.uint8), m, (h, w),
                                                                 nearest=True) > 0)
    if refine and frame is not None:
        if frame.shape != clean.shape:
            raise ValueError(f"frame index {index} is {frame.shape}, the clean plate is {clean.shape}")
        flow = local_flow(np.asarray(frame, np.float32), clean, known)
        clean, inside = warp(clean, flow)
        kw, _ = warp(known.astype(np.float32), flow)
        known = (kw > 0.999) & inside
    return clean.reshape(h, w, c), known
