"""Global camera motion: every frame of a shot aligned to one reference frame.

Features (ORB; AKAZE, or SIFT on OpenCV 5, where ORB finds too few) are matched between
consecutive frames and fitted with RANSAC. The motion model is chosen once per shot: both
are fitted, and the homography is taken where it lines the shot's frames up with each other
better than the affine, and no part of the shot worse (``_better_model``: a pan or tilt seen
in perspective); the affine otherwise (steadier on small or shaky moves). For each model,
consecutive motions are chained to the reference, then each frame that still overlaps the
reference is re-fitted against it directly with matches guided by the chained estimate, which
removes the drift of the chain (``_fit_chain``). Last, every frame is polished by intensity
alignment (ECC) against the reference, or against a polished frame nearer the reference where
the camera has moved too far (``_polish``).

A matrix ``A[i]`` (3x3 float64) maps pixel coordinates (x, y, 1) of frame ``i`` to the
reference frame's pixel coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from inference_server.engines.wire.spatial import push_pull
from inference_server.frames import to_float

Model = Literal["auto", "homography", "affine"]
MODELS = ("auto", "homography", "affine")

WORK_SIZE = 960          # features are found on frames scaled so the long side is at most this
RANSAC_PX = 2.5          # inlier distance at work size
MIN_MATCHES = 12
ECC_SIZE = 480           # intensity refinement runs with the long side at most this
JUDGED = 12              # frames the model choice is judged at (``_better_model``) ...
GAPS = (2, 6)            # ... each against the frames this many either side of it
JUDGED_SHARE = 0.05      # of the frame a pair must share to be judged
PREFER_AFFINE = 0.97     # a homography must line the shot up this much better than the affine ...
WORST_RATIO = 1.1        # ... and no judged frame's pairs more than this much worse


@dataclass(frozen=True)
class Features:
    """Keypoints of one frame: ``points`` (K, 2) float32 in full-size pixels, ``descriptors``."""

    points: np.ndarray
    descriptors: np.ndarray | None
    binary: bool


@dataclass(frozen=True)
class ShotAlignment:
    """Per-frame matrices to the reference frame and how they were found."""

    matrices: np.ndarray      # (N, 3, 3) float64, frame i -> reference pixel coordinates
    model: str                # "homography" or "affine"
    reference: int            # index of the reference frame
    inliers: np.ndarray       # (N,) int, inlier matches behind each frame's estimate
    direct: np.ndarray        # (N,) bool, True where fitted directly against the reference
    size: tuple[int, int]     # (height, width) of the frames

    def between(self, src: int, dst: int) -> np.ndarray:
        """3x3 matrix taking frame ``src`` pixel coordinates to frame ``dst`` coordinates."""
        m = np.linalg.inv(self.matrices[dst]) @ self.matrices[src]
        return m / m[2, 2]

    def to_summary(self) -> dict[str, Any]:
        return {"model": self.model, "reference_index": self.reference,
                "min_inliers": int(self.inliers.min()) if len(self.inliers) else 0,
                "direct_fits": int(self.direct.sum())}


def to_gray8(image: np.ndarray) -> np.ndarray:
    """(H, W[, C]) float 0-1 or integer image -> (H, W) uint8 luma for feature detection."""
    img = np.asarray(image)
    if img.ndim == 3:
        img = img[:, :, :3] if img.shape[2] >= 3 else img[:, :, :1]
    f = to_float(img)
    if f.max(initial=0.0) > 1.5:   # scene-linear highlights (integers never are): compress so features still see edges
        f = f / (1.0 + np.maximum(f, 0.0))
    if f.ndim == 3:
        f = f @ np.array([0.299, 0.587, 0.114], np.float32) if f.shape[2] == 3 else f[:, :, 0]
    return np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)


def detect_features(gray: np.ndarray, exclude: np.ndarray | None = None, count: int = 3000) -> Features:
    """ORB keypoints on a (H, W) uint8 luma image, away from ``exclude`` (H, W) bool/float > 0."""
    import cv2

    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"detect_features expects (H, W) uint8 luma, got {gray.shape} {gray.dtype}")
    h, w = gray.shape
    scale = min(1.0, WORK_SIZE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else gray
    mask = None
    if exclude is not None:
        if exclude.shape != gray.shape:
            raise ValueError(f"feature exclusion matte is {exclude.shape}, frame is {gray.shape}")
        keep0 = (np.asarray(exclude) <= 0).astype(np.uint8) * 255
        keep = cv2.resize(keep0, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
        mask = cv2.erode(keep, np.ones((9, 9), np.uint8))
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=count, fastThreshold=10, edgeThreshold=15, patchSize=15)
    kps, desc = orb.detectAndCompute(small, mask)
    binary = True
    if len(kps) < 4 * MIN_MATCHES:   # low texture: AKAZE (OpenCV 4) or SIFT (OpenCV 5) copes better
        make = getattr(cv2, "AKAZE_create", None)
        fallback = make(threshold=1e-4) if make is not None else cv2.SIFT_create(  # type: ignore[attr-defined]
            nfeatures=count)
        kps2, desc2 = fallback.detectAndCompute(small, mask)
        if len(kps2) > len(kps):
            kps, desc, binary = kps2, desc2, make is not None
    pts = np.array([k.pt for k in kps], np.float32).reshape(-1, 2) / np.float32(scale)
    return Features(pts, desc, binary)


def _hide(gray: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
    """(H, W) uint8 luma with the ``exclude`` pixels (> 0) smoothed over from around them: what
    is left out of tracking must not steer it through the pixels beside it either (a feature's
    descriptor, the intensity alignment's blur and pyramid read a neighbourhood that reaches in)."""
    if exclude is None:
        return gray
    hidden = np.asarray(exclude) > 0
    if hidden.shape != gray.shape:
        raise ValueError(f"feature exclusion matte is {hidden.shape}, frame is {gray.shape}")
    if not hidden.any() or hidden.all():
        return gray
    smooth = push_pull(gray.astype(np.float32)[..., None], (~hidden).astype(np.float32))[..., 0]
    return np.where(hidden, np.clip(smooth + 0.5, 0, 255), gray).astype(np.uint8)


def _match(a: Features, b: Features) -> tuple[np.ndarray, np.ndarray]:
    """Ratio-tested matches: (M, 2) points in ``a`` and the matching (M, 2) points in ``b``."""
    import cv2

    if a.descriptors is None or b.descriptors is None or len(a.points) < 2 or len(b.points) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    if a.binary != b.binary or a.descriptors.shape[1] != b.descriptors.shape[1]:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING if a.binary else cv2.NORM_L2)
    pairs = matcher.knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    ia = np.array([m.queryIdx for m in good], int)
    ib = np.array([m.trainIdx for m in good], int)
    return a.points[ia].reshape(-1, 2), b.points[ib].reshape(-1, 2)


def fit_model(src: np.ndarray, dst: np.ndarray, model: str, threshold: float) -> tuple[np.ndarray | None, int]:
    """RANSAC fit of ``model`` taking ``src`` (M, 2) to ``dst`` (M, 2): (3x3 matrix or None, inliers)."""
    import cv2

    if len(src) < MIN_MATCHES:
        return None, 0
    if model == "homography":
        m, inl = cv2.findHomography(src, dst, cv2.RANSAC, threshold, maxIters=2000, confidence=0.995)
        if m is None or not _plausible(m):
            return None, 0
        return m / m[2, 2], int(inl.sum())
    # feature fits use the steadier 4-parameter similarity; ECC then frees the full affine
    a, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=threshold,
                                         maxIters=2000, confidence=0.995)
    if a is None:
        return None, 0
    return np.vstack([a, [0.0, 0.0, 1.0]]), int(inl.sum())


def _plausible(m: np.ndarray) -> bool:
    """Reject homographies that fold or explode the frame (strong perspective, flips)."""
    m = m / m[2, 2]
    det = np.linalg.det(m[:2, :2])
    return bool(0.2 < det < 5.0 and abs(m[2, 0]) < 5e-3 and abs(m[2, 1]) < 5e-3)


def align_shot(images: Sequence[np.ndarray], reference: int = 0, model: str = "auto",
               exclude: Sequence[np.ndarray | None] | None = None) -> ShotAlignment:
    """Align every frame of ``images`` to ``images[reference]``.

    ``images``: (H, W[, C]) frames of one size (float 0-1 or integer; may be a lazy sequence,
    each frame is read once). ``exclude``: optional per-frame (H, W) mattes of moving objects
    whose features must not steer the camera estimate. ``model``: auto, homography or affine.
    """
    n = len(images)
    if n == 0:
        raise ValueError("align_shot needs at least one frame, got none")
    if not 0 <= reference < n:
        raise ValueError(f"reference frame index {reference} is outside the shot's {n} frames")
    if model not in MODELS:
        raise ValueError(f"alignment model {model!r} is not one of {', '.join(MODELS)}")
    if exclude is not None and len(exclude) != n:
        raise ValueError(f"got {len(exclude)} exclusion mattes for {n} frames")
    feats: list[Features] = []
    smalls: list[tuple[np.ndarray, np.ndarray | None, float]] = []
    size: tuple[int, int] | None = None
    for i in range(n):
        img = np.asarray(images[i])
        if size is None:
            size = (img.shape[0], img.shape[1])
        elif (img.shape[0], img.shape[1]) != size:
            raise ValueError(f"frame index {i} is {img.shape[1]}x{img.shape[0]}, the shot is {size[1]}x{size[0]}")
        gray = to_gray8(img)
        if exclude is not None:
            gray = _hide(gray, exclude[i])
        feats.append(detect_features(gray, None if exclude is None else exclude[i]))
        smalls.append(_ecc_image(gray, None if exclude is None else exclude[i]))
    assert size is not None
    scale = min(1.0, WORK_SIZE / max(size))
    thr = RANSAC_PX / scale
    pairs = [_match(feats[i], feats[i - 1]) for i in range(1, n)]
    to_ref = [_match(feats[i], feats[reference]) if i != reference else None for i in range(n)]
    fits = {m: _fit_chain(pairs, to_ref, reference, m, thr, size, len(feats[reference].points), smalls)
            for m in (("affine", "homography") if model == "auto" else (model,))}
    chosen = _better_model(fits, smalls) if model == "auto" else model
    mats, inliers, direct = fits[chosen]
    _polish(mats, smalls, reference, chosen, size)
    mats = mats / mats[:, 2:3, 2:3]
    return ShotAlignment(mats, chosen, reference, inliers, direct, size)


def _fit_chain(pairs: Sequence[tuple[np.ndarray, np.ndarray]],
               to_ref: Sequence[tuple[np.ndarray, np.ndarray] | None], reference: int, model: str, thr: float,
               size: tuple[int, int], ref_points: int,
               smalls: Sequence[tuple[np.ndarray, np.ndarray | None, float]] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matrices to the reference, inliers, fitted directly) of one ``model`` from the matches
    between consecutive frames (``pairs``) and of each frame with the reference (``to_ref``):
    consecutive motions chained to the reference, then each frame that still overlaps it
    re-fitted directly with matches guided by the chained estimate (no drift). Frames are placed
    outward from the reference; the direct fit replaces the chain where it lines the frame up at
    least as well with the frames ``GAPS`` away already placed nearer the reference (the frames
    its fill borrows; ``smalls``, ``_pair_errors``), or, where too little is shared to judge,
    where it holds half the matches of the step the chain rests on. (Judged against the
    reference alone, over running-car's mostly flat overlap with a reference 16 frames away,
    frame 2's direct fit was refused and the frame then lined up with frame 1 at 2.4 code values
    against 1.7.)

    A chained frame rests on the step that links it toward the reference: its own step (to the
    frame before) after the reference, the next frame's before it. Frame 0 has no step of its own
    and was counted as 0 matches: any 12-match direct fit replaced its chain, and over
    running-car 22 matches on a snowmobile turned the frame by 3.4 degrees. Counts alone do not
    tell either: a frame far from the reference shares fewer features with it, its direct fit
    holding under half the step's matches and lining up better (the drift it removes)."""
    n = len(pairs) + 1
    step = np.tile(np.eye(3), (n, 1, 1))      # step[i]: frame i -> frame i-1
    inliers = np.zeros(n, int)
    for i in range(1, n):
        m, k = fit_model(*pairs[i - 1], model, thr)
        if m is not None:
            step[i], inliers[i] = m, k
    _steady(step, inliers, size)
    mats = np.tile(np.eye(3), (n, 1, 1))
    for i in range(reference + 1, n):
        mats[i] = mats[i - 1] @ step[i]
    for i in range(reference - 1, -1, -1):
        mats[i] = mats[i + 1] @ np.linalg.inv(step[i + 1])
    inliers = np.concatenate([inliers[1:reference + 1], [ref_points], inliers[reference + 1:]])
    direct = np.zeros(n, bool)
    direct[reference] = True
    for i in sorted(range(n), key=lambda f: (abs(f - reference), f)):  # outward: the frames nearer are placed
        matched = to_ref[i]
        if i == reference or matched is None or len(matched[0]) < MIN_MATCHES:
            continue
        src, dst = matched
        pred = _apply(mats[i], src)
        near = np.linalg.norm(pred - dst, axis=1) < 6.0 * thr
        m, k = fit_model(src[near], dst[near], model, thr)
        if m is None or k < MIN_MATCHES:
            continue
        placed = [j for j in (i - g * s for g in GAPS for s in (-1, 1))
                  if 0 <= j < n and abs(j - reference) < abs(i - reference)] or [reference]
        judged = []
        for j in placed:
            if smalls is None:
                break
            back = np.linalg.inv(mats[j])      # frame j's coordinates: where the fill borrows from
            e = _pair_errors([back @ mats[i], back @ m], smalls, i, j)
            if e is not None:
                judged.append(e)
        if (sum(e[1] for e in judged) <= sum(e[0] for e in judged)) if judged else k >= 0.5 * inliers[i]:
            mats[i], inliers[i], direct[i] = m, k, True
    return mats, inliers, direct


def _pair_errors(candidates: Sequence[np.ndarray], smalls: Sequence[tuple[np.ndarray, np.ndarray | None, float]],
                 src: int, dst: int) -> list[float] | None:
    """For each candidate 3x3 matrix taking frame ``src``'s pixels to frame ``dst``'s, the mean
    absolute difference of ``src`` warped onto ``dst`` (small luma, ``_ecc_image``) over the
    pixels every candidate sees and both frames' mattes leave out; None where they share less
    than ``JUDGED_SHARE`` of the frame."""
    import cv2

    tmpl, tmask, scale = smalls[dst]
    h, w = tmpl.shape
    sc = np.diag([scale, scale, 1.0])
    image, imask = smalls[src][0], smalls[src][1]
    seen = np.ones(image.shape, np.uint8) if imask is None else imask
    valid = np.ones((h, w), bool) if tmask is None else tmask > 0
    warped = []
    for c in candidates:
        m = sc @ c @ np.linalg.inv(sc)
        warped.append(cv2.warpPerspective(image, m / m[2, 2], (w, h), flags=cv2.INTER_LINEAR))
        inside = cv2.warpPerspective(seen, m / m[2, 2], (w, h), flags=cv2.INTER_NEAREST)
        valid &= cv2.erode(inside, np.ones((3, 3), np.uint8)) > 0
    if valid.sum() < JUDGED_SHARE * valid.size:
        return None
    return [float(np.mean(np.abs(x - tmpl)[valid])) for x in warped]


def _better_model(fits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                  smalls: Sequence[tuple[np.ndarray, np.ndarray | None, float]]) -> str:
    """"homography" or "affine", the fit of ``fits`` (both, each (matrices to the reference, ...))
    that lines the shot's frames up with each other, as a fill borrows them: frames ``GAPS`` apart
    (around up to ``JUDGED`` frames spread over the shot) warped onto each other through the
    reference (small luma, the objects' mattes left out of both), the mean absolute difference
    over the pixels both fits see. The homography must line the pairs up better on the whole
    (by ``PREFER_AFFINE``: the affine is steadier on a tie) and worse around no judged frame by
    more than ``WORST_RATIO``: its perspective terms are free to go wrong where the features
    are few (the end of a pan), the affine's error stays bounded.

    Residuals of the features a homography chose as its own inliers favour it (its 8 parameters
    fit their noise): running-car (a zoom and pan over a tree line) was fitted with one over 16
    frames and lined frames 7 apart up with 1.5-2 times the affine's error. Judged against the
    reference alone, frames of the tennis pan well after it took homographies that lined up
    with the reference but not with each other (enter-leave frames 25-29: fills 4-9 dB worse)."""
    n = len(smalls)
    targets = sorted({round(x) for x in np.linspace(0, n - 1, min(JUDGED, n))})
    err: dict[str, list[float]] = {"affine": [], "homography": []}
    ratios: list[float] = []
    for t in targets:
        here: dict[str, list[float]] = {name: [] for name in err}
        for src in (t + d for g in GAPS for d in (-g, g)):
            if not 0 <= src < n:
                continue
            found = _pair_errors([np.linalg.inv(fits[name][0][t]) @ fits[name][0][src] for name in err], smalls, src, t)
            if found is not None:
                for name, e in zip(err, found, strict=True):
                    here[name].append(e)
        if here["affine"]:  # this part of the shot judged: how the homography does here
            ratios.append(float(np.mean(here["homography"])) / max(float(np.mean(here["affine"])), 1e-6))
            for name in err:
                err[name] += here[name]
    if not ratios:
        return "affine"
    better = float(np.mean(err["homography"])) < PREFER_AFFINE * float(np.mean(err["affine"]))
    return "homography" if better and max(ratios) <= WORST_RATIO else "affine"


def _steady(step: np.ndarray, inliers: np.ndarray, size: tuple[int, int]) -> None:
    """Replace, in place, frame-to-frame steps that were not found or that jump far from the
    shot's typical step (a fit on too few background matches) by the nearest good step."""
    h, w = size
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float32)
    moves = np.array([np.abs(_apply(m, corners) - corners).max() for m in step])
    found = inliers > 0
    found[0] = False
    if found.sum() < 2:
        return
    typical = float(np.median(moves[found]))
    good = found & (moves <= typical + 0.1 * max(h, w))
    idx = np.nonzero(good)[0]
    if idx.size == 0:
        return
    for i in range(1, len(step)):
        if not good[i]:
            step[i] = step[idx[np.argmin(np.abs(idx - i))]]
            inliers[i] = 0


def _ecc_image(gray: np.ndarray, exclude: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, float]:
    """(small float32 luma, uint8 mask of usable pixels or None, scale) of (H, W) uint8 luma."""
    import cv2

    h, w = gray.shape
    scale = min(1.0, ECC_SIZE / max(h, w))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32) / np.float32(255.0)
    mask = None
    if exclude is not None:
        keep = (np.asarray(exclude) <= 0).astype(np.uint8)
        mask = cv2.erode(cv2.resize(keep, size, interpolation=cv2.INTER_NEAREST), np.ones((5, 5), np.uint8))
    return small, mask, scale


def _polish(mats: np.ndarray, smalls: list[tuple[np.ndarray, np.ndarray | None, float]], reference: int,
            model: str, size: tuple[int, int]) -> None:
    """ECC-refine every frame in place, outward from the reference.

    Each frame is lined up by intensity on an anchor: the already polished frame nearest the
    reference that still overlaps it by half (the reference itself when it can), so a long
    pan is bridged by a few sub-pixel links instead of a chain of every consecutive pair.
    """
    done = [reference]
    for i in sorted(range(len(mats)), key=lambda k: (abs(k - reference), k)):
        if i == reference:
            continue
        side = [j for j in done if (j - reference) * (i - reference) >= 0]
        anchors = sorted(side, key=lambda j: abs(j - reference))
        anchor = next((j for j in anchors if overlap(np.linalg.inv(mats[j]) @ mats[i], size) >= 0.5), None)
        if anchor is not None:
            link = np.linalg.inv(mats[anchor]) @ mats[i]
            mats[i] = mats[anchor] @ refine_ecc(smalls[anchor], smalls[i][0], link / link[2, 2], model,
                                                smalls[i][1])
        done.append(i)


def refine_ecc(ref: tuple[np.ndarray, np.ndarray | None, float], image: np.ndarray, matrix: np.ndarray,
               model: str, image_mask: np.ndarray | None = None) -> np.ndarray:
    """Polish a frame-to-reference ``matrix`` by intensity alignment (ECC) at ``ECC_SIZE``.

    ``ref`` comes from ``_ecc_image`` (reference luma, usable-pixel mask, scale); ``image`` is
    the frame's small luma and ``image_mask`` its usable pixels (uint8, or None): both frames'
    excluded objects are left out, so an object that holds its place in frame while the
    background slides cannot pull the estimate. Falls back to ``matrix`` when ECC fails.
    """
    tmpl, mask, scale = ref
    s = np.diag([scale, scale, 1.0])
    warp = s @ np.linalg.inv(matrix) @ np.linalg.inv(s)          # reference -> frame, small coords
    if image_mask is not None:
        import cv2

        inside = _warp_small(image_mask.astype(np.float32), warp / warp[2, 2], tmpl.shape) > 0.999
        seen = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8))
        mask = seen if mask is None else (mask & seen)
    found = ecc_warp(tmpl, image, warp / warp[2, 2], model, mask)
    if found is None:
        return matrix
    refined = np.linalg.inv(s) @ np.linalg.inv(found) @ s
    return refined / refined[2, 2]


def ecc_warp(template: np.ndarray, image: np.ndarray, start: np.ndarray, model: str,
             mask: np.ndarray | None = None, max_move: float = 8.0) -> np.ndarray | None:
    """Robust ECC: the 3x3 warp (template -> image coordinates) that best lines ``image`` up.

    ``template``, ``image``: (h, w) float32 luma; ``start``: 3x3 first guess; ``mask``: (h, w)
    uint8, nonzero where the template may be used. A second pass leaves out the pixels that
    disagree most (whatever moves against the camera). None when ECC fails or moves a corner
    more than ``max_move`` pixels from ``start`` (a sign it slid onto something else).
    """
    import cv2

    motion = cv2.MOTION_HOMOGRAPHY if model == "homography" else cv2.MOTION_AFFINE
    first = (start if model == "homography" else start[:2]).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        usable = mask if mask is not None else np.ones(template.shape, np.uint8)
        _, found = cv2.findTransformECC(template, image, first.copy(), motion, criteria, usable, 3)
        back = _warp_small(image, found, template.shape)
        resid = cv2.GaussianBlur(np.abs(back - template), (0, 0), 2.0)
        inside = (_warp_small(np.ones_like(image), found, template.shape) > 0.99) & (usable > 0)
        if inside.sum() < 0.2 * inside.size:
            return None
        keep = (inside & (resid < 3.0 * np.median(resid[inside]) + 1e-3)).astype(np.uint8)
        _, found = cv2.findTransformECC(template, image, found, motion, criteria, keep, 3)
    except cv2.error:
        return None
    if found.shape[0] == 2:
        found = np.vstack([found, [0.0, 0.0, 1.0]])
    found = found.astype(np.float64)
    h, w = template.shape
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float32)
    if np.abs(_apply(found, corners) - _apply(start, corners)).max() > max_move:
        return None
    # keep ECC's answer only when it lines the usable pixels up better than the start did
    both = (usable > 0) & (_warp_small(np.ones_like(image), found, template.shape) > 0.99) \
        & (_warp_small(np.ones_like(image), start, template.shape) > 0.99)
    if both.sum() >= 64:
        r_found = float(np.mean(np.abs(_warp_small(image, found, template.shape) - template)[both]))
        r_start = float(np.mean(np.abs(_warp_small(image, start, template.shape) - template)[both]))
        if r_found > r_start:
            return None
    return found / found[2, 2]


def overlap(matrix: np.ndarray, size: tuple[int, int]) -> float:
    """Fraction of the reference frame (``size`` (h, w)) covered by a frame mapped by ``matrix``."""
    import cv2

    h, w = size
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    poly = _apply(matrix, rect)
    area, _ = cv2.intersectConvexConvex(rect, poly)
    return float(area) / float(w * h)


def _warp_small(image: np.ndarray, warp: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``image`` sampled at ``warp`` (2x3 or 3x3, template -> image coords) over a template grid."""
    import cv2

    h, w = shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if warp.shape[0] == 2:
        return cv2.warpAffine(image, warp, (w, h), flags=flags)
    return cv2.warpPerspective(image, warp, (w, h), flags=flags)


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Apply a 3x3 matrix to (M, 2) points."""
    h = np.hstack([pts.astype(np.float64), np.ones((len(pts), 1))]) @ m.T
    return (h[:, :2] / h[:, 2:3]).astype(np.float32)


def warp_image(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
               offset: tuple[int, int] = (0, 0), nearest: bool = False) -> np.ndarray:
    """Resample ``image`` by ``matrix`` (its coords -> target coords) into a (h, w) window.

    ``size`` is (h, w) of the output window whose top-left is ``offset`` (x0, y0) in target
    coordinates. Outside the source the result is 0. Works for (H, W) and (H, W, C) float32.
    """
    import cv2

    x0, y0 = offset
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
    m = shift @ matrix
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    h, w = size
    src = np.ascontiguousarray(image)
    if src.ndim == 3 and src.shape[2] > 4:
        return np.stack([warp_image(src[:, :, c], matrix, size, offset, nearest)
                         for c in range(src.shape[2])], axis=2)
    out = cv2.warpPerspective(src, m, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if src.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def coverage(matrix: np.ndarray, src_size: tuple[int, int], size: tuple[int, int],
             offset: tuple[int, int] = (0, 0), margin: int = 2) -> np.ndarray:
    """(h, w) bool: target pixels that ``matrix`` fills from inside the source frame.

    ``margin`` pixels at the source's edge are left out (resampling there mixes in black).
    """
    sh, sw = src_size
    ones = np.zeros((sh, sw), np.uint8)
    ones[margin:sh - margin, margin:sw - margin] = 1
    return warp_image(ones, matrix, size, offset, nearest=True).astype(bool)
