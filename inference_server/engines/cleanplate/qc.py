"""Never worse than doing nothing: a per-frame check of an object removal, and the QC report.

The surroundings of the hole (a ring just outside the object's guard band) predict what the
background inside should look like at large scale: their values are carried inwards as a
smooth membrane. The fill is scored by how far it strays from that prediction (RMS over the
hole, grain blurred away) and so is the object that was there. ``value`` is
fill distance / max(object distance, natural variation of the surroundings): at or above 1
the fill is no closer to its surroundings than the object was, and the frame is flagged.

The report follows the shared per-frame QC schema (``/work/brief/QC.md``): ``measure``,
``threshold``, ``frames`` (one dict per frame), ``flagged`` (frame numbers), ``note``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inference_server.engines.wire.spatial import push_pull

THRESHOLD = 1.0
MEASURE = "fill's distance from its surroundings relative to the object's (1 = no better than leaving it in)"
RING = 8              # px: width of the surroundings ring


def fill_check(before: np.ndarray, after: np.ndarray, hole: np.ndarray, guard: np.ndarray) -> float:
    """Distance ratio of the fill ``after`` vs the object ``before`` inside ``hole``.

    ``before``/``after``: (h, w, C) float32 the frame with the object and the repaired frame;
    ``hole`` (h, w) bool where it was repaired; ``guard`` (h, w) bool the hole grown by its
    margin (the ring is taken just outside it). 0 when there is nothing to compare.
    """
    import cv2

    if before.shape != after.shape or before.ndim != 3:
        raise ValueError(f"fill_check needs two (H, W, C) images of one shape, got {before.shape} and {after.shape}")
    if hole.shape != before.shape[:2] or guard.shape != hole.shape:
        raise ValueError(f"fill_check masks are {hole.shape} and {guard.shape}, the frame is {before.shape[:2]}")
    if not hole.any():
        return 0.0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    ring = (cv2.dilate(guard.astype(np.uint8), k) > 0) & ~guard
    if ring.sum() < 16:
        return 0.0
    smooth_a = cv2.GaussianBlur(after, (0, 0), 2.0).reshape(after.shape)
    smooth_b = cv2.GaussianBlur(before, (0, 0), 2.0).reshape(before.shape)
    membrane = push_pull(np.ascontiguousarray(smooth_b, np.float32), ring.astype(np.float32))
    d_fill = float(np.sqrt(np.mean((smooth_a[hole] - membrane[hole]) ** 2)))
    d_obj = float(np.sqrt(np.mean((smooth_b[hole] - membrane[hole]) ** 2)))
    # how far the surroundings themselves stray from a membrane fitted through their outer half
    outer = ring & ~(cv2.dilate(guard.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (RING + 1, RING + 1))) > 0)
    inner = ring & ~outer
    if outer.sum() >= 16 and inner.sum() >= 16:
        m2 = push_pull(np.ascontiguousarray(smooth_b, np.float32), outer.astype(np.float32))
        natural = float(np.sqrt(np.mean((smooth_b[inner] - m2[inner]) ** 2)))
    else:
        natural = 0.0
    return d_fill / max(d_obj, natural, 1e-4)


def qc_report(frames: Sequence[dict[str, Any]], threshold: float = THRESHOLD,
              measure: str = MEASURE) -> dict[str, Any]:
    """The "qc" dict of a task result from per-frame dicts holding "frame" and "value"."""
    rows = []
    for f in frames:
        if "frame" not in f or "value" not in f:
            raise ValueError(f"a QC frame entry needs 'frame' and 'value', got keys {sorted(f)}")
        rows.append({**f, "value": round(float(f["value"]), 3), "flagged": bool(f["value"] >= threshold)})
    flagged = [int(r["frame"]) for r in rows if r["flagged"]]
    note = (f"{len(flagged)} frame(s) to check: {', '.join(map(str, flagged))}" if flagged
            else f"all {len(rows)} frame(s) pass")
    return {"measure": measure, "threshold": threshold, "frames": rows, "flagged": flagged, "note": note}
