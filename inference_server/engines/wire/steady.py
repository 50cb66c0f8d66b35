"""A wire's fill held steady over a still background: each frame's repair, averaged with its neighbours'.

Over a locked-off shot a slow wire hides nearly the same background frame after frame, and what no
neighbour shows is painted from each frame's own hole, whose shape moves with the wire: the paint
changed from frame to frame over a background that held still (the wire bench's upright stroke,
flicker x4.54 the truth's). In a band whose background the temporal fill found holding still, a
pixel of a frame's hole takes the mean of the frame's own repair and those of the ``2 * STEADY`` frames
nearest it (``STEADY`` each side; at a shot's ends, all on the side there is) that hold still with it
there: the background is the same in all of them, and what each
repair got wrong differs, so the mean changes less from frame to frame and lies nearer the
background. A frame counts in a band only where the two plates hold still (``still_pair``: moved
less than ``STILL_SHIFT`` px, and differ at few pixels) and, pixel by pixel, farther than
``STILL_REACH`` from a patch where they differ (``still_between``: a subject that moved).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STEADY = 4           # frames each side whose repairs a frame's fill is averaged with (twice that on one side at an end)
STILL_REACH = 12     # px: a frame's repair counts no nearer a patch of the plate that differs from the frame's
NOISE_K = 3.0        # ... by more than this many times their noise
STILL_PAIR = 0.12    # a frame whose plate differs so from the frame's at more than this share of the pixels
NEAR = 24            # ... within this many px of the hole (off both mattes) is no still frame for it (handheld)
STILL_SHIFT = 0.2    # px: the background moved less than this between two frames that hold still
APART = 2            # px around either frame's matte left out of that test (a wire's faint edge differs there)


def still_pair(lum: np.ndarray, other: np.ndarray, known: np.ndarray, agree: float) -> bool:
    """Whether the background holds still between two frames' luminances over the ``known`` pixels: it
    moved less than ``STILL_SHIFT`` px (one Lucas-Kanade step over them all; a small pan or a handheld
    drift over smooth texture differs by less than the noise the frames' differences give, so a count of
    pixels differing alone misses it), and differs by more than ``agree`` at no more than ``STILL_PAIR``
    of them (a large move, which one step does not measure)."""
    import cv2

    if known.sum() < 64:
        return False
    if float(np.mean(np.abs(other - lum)[known] > agree)) > STILL_PAIR:
        return False
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    # summed in float64 by numpy's own pairwise sum, not a BLAS dot: the same sums whatever threads BLAS runs on
    gx, gy, gt = (v[known].astype(np.float64) for v in (gx, gy, other - lum))
    a = np.array([[np.sum(gx * gx), np.sum(gx * gy)], [np.sum(gx * gy), np.sum(gy * gy)]])
    b = -np.array([np.sum(gx * gt), np.sum(gy * gt)])
    if np.linalg.det(a) <= 1e-12 * max(float(np.trace(a)) ** 2, 1e-30):
        return True  # no texture to move: what moved there cannot show in a fill either
    return float(np.hypot(*np.linalg.solve(a, b))) <= STILL_SHIFT


def still_between(lum: np.ndarray, other: np.ndarray, known: np.ndarray, agree: float) -> np.ndarray:
    """Bool (H, W): farther than ``STILL_REACH`` px from any patch of the ``known`` pixels where luminance
    ``other`` differs from ``lum`` by more than ``agree`` (a patch: most of the pixels within a Gaussian
    of sigma 1.5 differ, so the noise's lone pixels are none), and with known pixels near (a Gaussian
    of sigma ``STILL_REACH``'s weight of 1% at least). A subject that moved shows as such a patch beside
    the hole; farther than that, the frames show the same background there."""
    import cv2

    k = known.astype(np.float32)
    differ = (np.abs(other - lum) > agree).astype(np.float32) * k
    patch = cv2.GaussianBlur(differ, (0, 0), 1.5) > 0.5 * np.maximum(cv2.GaussianBlur(k, (0, 0), 1.5), 1e-6)
    patch &= known
    size = 2 * STILL_REACH + 1
    moved = cv2.dilate(patch.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))) > 0
    return ~moved & (cv2.GaussianBlur(k, (0, 0), STILL_REACH) > 0.01)


def mean_where(own: np.ndarray, others: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """((H, W, C) the mean of ``own`` and of each other image where its bool (H, W) mask holds, bool
    (H, W) where any other counted). ``others``: (image (H, W, C), mask)."""
    acc = own.astype(np.float32).copy()
    n = np.ones(own.shape[:2], np.float32)
    for image, ok in others:
        acc[ok] += image[ok]
        n += ok
    return acc / n[:, :, None], n > 1
