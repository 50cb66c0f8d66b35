"""Foreground matte: a frame against its re-projected clean plate, refined to a soft matte.

The difference is taken in CIE Lab (perceived lightness and colour, ``to_lab``) with a small
shift tolerance (the best of the 3x3 neighbours of the clean plate, so a pixel of residual
misalignment on background edges is not foreground), normalised by the plate's own noise,
turned into a hard core by a threshold, its outer ring snapped to the unblurred difference
(``EDGE_SNAP``), cleaned of specks and of pinholes (only small ones:
background seen through an object, inside a wheel or between an arm and a body, stays
background), and then refined by a guided filter steered by the frame so that the soft edge
follows the object's real edge (hair, motion blur).
"""

from __future__ import annotations

import numpy as np

# Edge snap: the two 3x3 blurs that keep grain out of the decision also spread every edge of
# the object by about a pixel (a bike tube 3 px wide comes out 5 px). The matte's outer pixel
# ring is kept only where the unblurred difference still exceeds this fraction of the
# threshold: half, since one unblurred pixel is noisier than the blurred estimate.
EDGE_SNAP = 0.5


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, (H, W[, C]) float32, edges normalised."""
    import cv2

    k = 2 * radius + 1
    return cv2.blur(image, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide: (H, W) float32 guide and source -> (H, W).

    ``radius`` in pixels; ``eps`` the edge-preservation regulariser (variance units of the
    guide, e.g. 1e-3 for guides 0-1). Output follows the guide's edges.
    """
    if guide.shape != source.shape or guide.ndim != 2:
        raise ValueError(f"guided_filter needs (H, W) guide and source of one size, got {guide.shape} "
                         f"and {source.shape}")
    if radius < 1 or not eps > 0:
        raise ValueError(f"guided_filter needs radius >= 1 and eps > 0, got {radius} and {eps}")
    i = guide.astype(np.float32)
    p = source.astype(np.float32)
    mi, mp = box_mean(i, radius), box_mean(p, radius)
    cov = box_mean(i * p, radius) - mi * mp
    var = box_mean(i * i, radius) - mi * mi
    a = cov / (var + np.float32(eps))
    b = mp - a * mi
    return box_mean(a, radius) * i + box_mean(b, radius)


def shift_tolerant_difference(image: np.ndarray, clean: np.ndarray, tolerance: int = 1) -> np.ndarray:
    """Per-pixel min over shifts |dx|,|dy| <= tolerance of the summed channel |image - clean|.

    ``image``/``clean``: (H, W, C) float32 -> (H, W) float32.
    """
    import cv2

    pad = tolerance
    cp = cv2.copyMakeBorder(clean, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    if cp.ndim == 2:
        cp = cp[:, :, None]
    h, w = image.shape[:2]
    best = np.full((h, w), np.inf, np.float32)
    for dy in range(-tolerance, tolerance + 1):
        for dx in range(-tolerance, tolerance + 1):
            shifted = cp[pad + dy:pad + dy + h, pad + dx:pad + dx + w]
            best = np.minimum(best, np.abs(image - shifted).sum(axis=2))
    return best


def foreground_matte(image: np.ndarray, clean: np.ndarray, known: np.ndarray | None = None, *,
                     sensitivity: float = 1.0, softness: float = 0.5, tolerance: int = 1,
                     min_area: int = 64, edge_snap: bool = True) -> np.ndarray:
    """Soft foreground matte (H, W) float32 0-1 of ``image`` over ``clean``.

    ``image``, ``clean``: (H, W, C) float32 in the same colour space and framing (the clean
    plate already re-projected onto this frame). ``known``: (H, W) bool where the clean plate
    is valid; elsewhere the matte is 0. ``sensitivity``: higher catches fainter differences.
    ``softness``: 0 gives a hard matte, 1 a soft edge about 0.5% of the frame wide (guided
    filter radius 1 + 4 * softness px per 1000 px of the long side). ``tolerance``: pixels of
    misalignment forgiven. ``min_area``: smaller specks are dropped. ``edge_snap``: the
    noise-suppressing blur decides whether there is foreground, the unblurred difference where
    its edge is (``EDGE_SNAP``); off, the hard matte is about a pixel wider all round.
    """
    import cv2

    if image.ndim != 3 or image.shape != clean.shape:
        raise ValueError(f"foreground_matte needs two (H, W, C) images of one shape, got {image.shape} "
                         f"and {clean.shape}")
    if not sensitivity > 0:
        raise ValueError(f"matte sensitivity must be > 0, got {sensitivity}")
    if not 0.0 <= softness <= 1.0:
        raise ValueError(f"matte softness must be within 0-1, got {softness}")
    for name, arr in (("image", image), ("clean plate", clean)):
        if not np.isfinite(arr).all():
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            raise ValueError(f"foreground_matte got a non-finite {name}: {bad} NaN/Inf values")
    h, w, c = image.shape
    if known is None:
        known = np.ones((h, w), bool)
    elif known.shape != (h, w):
        raise ValueError(f"known-pixels mask is {known.shape}, the frame is {(h, w)}")
    img = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0).reshape(h, w, c)
    cln = cv2.GaussianBlur(clean.astype(np.float32), (3, 3), 0).reshape(h, w, c)
    if c == 3:                        # compare colours as they are seen
        img, cln = to_lab(img, clean), to_lab(cln, clean)
    diff = shift_tolerant_difference(img, cln, tolerance) / np.float32(c)
    diff = np.asarray(cv2.GaussianBlur(diff, (3, 3), 0), np.float32)
    vals = diff[known]
    noise = float(1.4826 * np.median(vals)) if vals.size else 0.0
    thr = max(5.0 * noise, 0.02) / sensitivity
    hard = ((diff > thr) & known).astype(np.uint8)
    hard = cv2.morphologyEx(hard, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    hard = cv2.morphologyEx(hard, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    if edge_snap:                     # after the clean-up, which would open away a snapped 2 px rim
        lab_img = to_lab(image.astype(np.float32), clean) if c == 3 else image.astype(np.float32)
        lab_cln = to_lab(clean.astype(np.float32), clean) if c == 3 else clean.astype(np.float32)
        sharp = shift_tolerant_difference(lab_img, lab_cln, tolerance) / np.float32(c)
        inner = cv2.erode(hard, np.ones((3, 3), np.uint8))
        hard = inner | (hard & (sharp > EDGE_SNAP * thr).astype(np.uint8))
    hard = _drop_specks(_fill_small_holes(hard, max(min_area, h * w // 8000)), min_area)
    if softness <= 0:
        return hard.astype(np.float32)
    grey = image.astype(np.float32).mean(axis=2)
    # edge width ~ softness x 0.5% of the frame: wide enough for hair and motion blur, narrow
    # enough that thin parts (a bicycle's rims, a rig's pole) stay over 0.5
    radius = max(1, int(round(1 + 4 * softness * max(h, w) / 1000)))
    soft = guided_filter(grey, hard.astype(np.float32), radius, 1e-4 + 2e-3 * softness)
    soft = np.clip(soft, 0.0, 1.0)
    soft[~known] = 0.0
    return soft.astype(np.float32)


def to_lab(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB float32 -> CIE Lab / 100 (L 0-1, a and b about -1..1), float32.

    Display-referred pictures (``reference`` at most 1.5) are taken as sRGB-encoded;
    scene-linear ones as linear RGB normalised by the ``reference`` image's 99th percentile
    (its white), highlights above it clipped. Differences are then weighed as they are seen: a
    change of hue counts as much as one of lightness.
    """
    import cv2

    x = np.clip(image, 0.0, None).astype(np.float32)
    top = float(np.percentile(reference, 99)) if reference.size else 1.0
    if top <= 1.5 and float(reference.max(initial=0.0)) <= 1.5:
        lab = cv2.cvtColor(np.minimum(x, 1.0), cv2.COLOR_RGB2Lab)
    else:
        lab = cv2.cvtColor(np.minimum(x / np.float32(max(top, 1e-6)), 1.0), cv2.COLOR_LRGB2Lab)
    return (lab / np.float32(100.0)).astype(np.float32)


def _drop_specks(hard: np.ndarray, min_area: int) -> np.ndarray:
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(hard, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels].astype(np.uint8)


def _fill_small_holes(hard: np.ndarray, max_area: int) -> np.ndarray:
    """Fill background islands enclosed by the matte smaller than ``max_area`` pixels."""
    out = hard.copy()
    out[enclosed(hard != 0, max_area)] = 1
    return out


def enclosed(region: np.ndarray, max_area: int | None = None) -> np.ndarray:
    """(h, w) bool: the pixels outside ``region`` (h, w) bool that it encloses (no path of pixels
    outside it, 4-connected, reaches the border), in islands under ``max_area`` pixels if given."""
    import cv2

    count, label, stats, _ = cv2.connectedComponentsWithStats((~region).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([label[0], label[-1], label[:, 0], label[:, -1]]))
    inside = np.ones(count, bool)
    inside[edge] = False
    inside[0] = False  # label 0 is the region itself
    if max_area is not None:
        inside &= stats[:, cv2.CC_STAT_AREA] < max_area
    return inside[label] & ~region


def matte_iou(matte: np.ndarray, truth: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """IoU of ``matte`` > 0.5 against ``truth`` > 0.5, both (H, W); ``ignore`` pixels left out.

    Empty union (nothing in either) scores 1.0. Raises ValueError when the shapes differ.
    """
    if matte.shape != truth.shape or matte.ndim != 2:
        raise ValueError(f"matte_iou needs two (H, W) mattes of one shape, got matte {matte.shape} "
                         f"and truth {truth.shape}")
    if ignore is not None and ignore.shape != matte.shape:
        raise ValueError(f"matte_iou ignore mask is {ignore.shape}, the mattes are {matte.shape}")
    a, b = matte > 0.5, truth > 0.5
    if ignore is not None:
        a, b = a & ~ignore, b & ~ignore
    union = int((a | b).sum())
    return 1.0 if union == 0 else float((a & b).sum()) / union
