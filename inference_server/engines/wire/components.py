"""The connected components of a mask, each read inside its own box."""

from __future__ import annotations

import numpy as np


def components(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """(int32 labels (H, W) of the connected components of ``mask``, 0 off them; per component
    k = 1, 2...: its rows and its columns, in the order ``np.nonzero(labels == k)`` gives them).

    Each component is read inside its own box (OpenCV's stats): comparing the whole frame's labels
    once per component was a frame-sized pass each, slow where a mask holds many pieces."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(np.asarray(mask).astype(np.uint8),
                                                                connectivity=connectivity)
    out = []
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k, :4])
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == k)
        out.append((ys + y, xs + x))
    return labels, out
