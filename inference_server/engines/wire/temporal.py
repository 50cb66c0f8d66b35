"""Temporal fill: take what the wire hides in one frame from neighbouring frames.

Moving scene: dense flow target -> neighbour (computed on copies with the wires painted out
by diffusion so the wire does not drag the vectors), checked forward/backward; then the
neighbour is sampled where its own wire is absent and the local match around the pixel is
good. Static scene: the same pixel in the neighbours.
All images float32 (H, W, C) in one colour space; mattes float32 (H, W) 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.wire.flow import consistency_mask, dense_flow, luminance, warp
from inference_server.engines.wire.spatial import push_pull

CAND_MATTE = 0.9  # a neighbour pixel is usable where its own wire matte is below this (not solid wire)
CLEAN = 0.5       # a hole pixel has a usable candidate once its candidates' mean cleanliness reaches this
LOCAL_K = 3.0     # local mismatch allowed, in units of the plate noise
STILL = 0.5       # px a frame: below it (median around the hole) the background holds still


@dataclass
class TemporalFill:
    """fill (H, W, C); weight (H, W) summed candidate weight; n_eff (H, W) effective frames averaged;
    clean (H, W) 0..1: how far the candidates lie from their own wires (the weighted mean of one minus
    each candidate's own matte; 0 where none); still: the background around the hole moved less than
    ``STILL`` px a frame towards the nearest neighbour; renewal 0..1: the share of the plate's grain that
    changes from frame to frame (its frame-to-frame noise, against the nearest neighbour as the fill
    aligned it, over its spatial noise, around the hole: film grain renews; a compressed plate's fine
    detail, counted as grain by a still frame, moves with the scene and does not)."""

    fill: np.ndarray
    weight: np.ndarray
    n_eff: np.ndarray
    static: bool
    clean: np.ndarray
    still: bool = False
    renewal: float = 1.0


def _prefill(image: np.ndarray, matte: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """uint8 (H, W) luma guide for flow, with the wire painted out so it does not drag the vectors."""
    lum = luminance(image)[:, :, None]
    known = (matte <= 1e-3).astype(np.float32)
    if known.min() <= 0:
        lum = push_pull(lum, known)
    return np.clip((lum[:, :, 0] - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)


def _noise_level(image: np.ndarray, known: np.ndarray) -> float:
    import cv2

    lum = luminance(image)
    hp = lum - cv2.GaussianBlur(lum, (0, 0), 1.5)
    vals = np.abs(hp[known > 0.5])
    return float(1.4826 * np.median(vals) / 0.8) if vals.size else 0.0


def fill_temporal(target: np.ndarray, matte: np.ndarray, neighbours: Sequence[np.ndarray],
                  neighbour_mattes: Sequence[np.ndarray], offsets: Sequence[int], mode: str = "auto",
                  enough: float = 1.0, tau: float = 3.0, far_from: int | None = None,
                  neighbour_seen: Sequence[np.ndarray] | None = None) -> TemporalFill:
    """Gather candidates for ``target`` from ``neighbours`` (same size), nearest ``offsets`` first.
    ``neighbour_seen`` (optional, float (H, W) each): wire seen in a neighbour where its matte is not
    (past its hint's edge): never lent, but not painted out of the neighbour's flow guide either.
    Those from index ``far_from`` on are far neighbours: looked at after the near ones, and only for the
    hole pixels no near one showed (a far frame, worse aligned, must not dilute a near frame's good pixel).

    ``mode``: "temporal" (flow: a moving scene), "static" (zero motion) or "auto" (flow, snapped to zero motion
    when the measured motion around the matte is below a quarter pixel). Stops after a pair of
    offsets (-d, +d) once 99.5% of matte pixels (every one, in a static scene) have a candidate and 95%
    have ``enough`` effective frames.
    """

    _check_inputs(target, matte, neighbours, neighbour_mattes, offsets, mode)
    if neighbour_seen is not None and (len(neighbour_seen) != len(neighbours)
                                       or any(m.shape != matte.shape for m in neighbour_seen)):
        raise ValueError(f"fill_temporal: got {len(neighbour_seen)} neighbour_seen masks for {len(neighbours)} "
                         f"neighbours (each must be {matte.shape[1]}x{matte.shape[0]})")
    h, w, c = target.shape
    acc = np.zeros((h, w, c), np.float32)
    wsum = np.zeros((h, w), np.float32)
    w2sum = np.zeros((h, w), np.float32)
    csum = np.zeros((h, w), np.float32)
    region = _region(target, matte)
    hole = region.hole
    static = mode == "static"
    guide_t = None if static else _prefill(target, matte, region.lo, region.hi)
    far_from = len(offsets) if far_from is None else far_from
    order = sorted(range(len(offsets)), key=lambda i: (i >= far_from, abs(offsets[i]), offsets[i]))
    seen: np.ndarray | None = None  # pixels the near neighbours (before ``far_from``) already showed
    still: bool | None = None
    renewal = 1.0
    for pos, i in enumerate(order):
        if seen is None and i >= far_from:
            seen = (csum >= CLEAN * wsum) & (wsum > 0)
            if not (hole & ~seen).any():
                break
            if guide_t is not None:  # a slow pan looks still a frame away: the farthest frame must hold still too
                k = max(order[pos:], key=lambda j: abs(offsets[j]))
                if _ring_motion(guide_t, neighbours[k], neighbour_mattes[k], region) > STILL:
                    break
        donor_m = neighbour_mattes[i] if neighbour_seen is None else np.maximum(neighbour_mattes[i], neighbour_seen[i])
        cand, ok, cand_m, static, motion = _candidate(guide_t, neighbours[i], neighbour_mattes[i], region, mode, static,
                                                      donor_m)
        holds = motion / max(abs(offsets[i]), 1) < STILL  # the surroundings mostly hold still towards this one
        if not static and holds:  # flows (something moves by), but holds still around it
            cand, ok, cand_m = _still_where_it_matches(target, cand, ok, cand_m, neighbours[i], donor_m, region)
        if still is None:  # the nearest neighbour tells whether the background holds still, and how much
            still = holds  # of the plate's grain renews from frame to frame
            renewal = _renewal(target, cand, ok & (cand_m < 0.02), region)
        wt = _candidate_weight(target, cand, ok, cand_m, region, offsets[i], tau)
        if seen is not None:
            wt = wt * ~seen
        acc += cand * wt[:, :, None]
        wsum += wt
        w2sum += wt * wt
        csum += wt * (1.0 - np.clip(cand_m, 0.0, 1.0))
        pair_done = pos + 1 == len(order) or abs(offsets[order[pos + 1]]) != abs(offsets[i])
        if not (pair_done and hole.any()):
            continue
        # a static scene's next neighbours cost nothing to look at: stop only once every hole pixel
        # has a candidate (the last half percent is often a wire's fringe the next frames show)
        covered = (csum[hole] >= CLEAN * wsum[hole]) & (wsum[hole] > 0)  # a candidate off its own wire, not its fringe
        if float(np.mean(covered)) >= (1.0 if static else 0.995):
            n_eff = wsum * wsum / np.maximum(w2sum, 1e-12)
            if float(np.percentile(n_eff[hole], 5)) >= enough:
                break
    fill = acc / np.maximum(wsum, 1e-12)[:, :, None]
    n_eff = wsum * wsum / np.maximum(w2sum, 1e-12)
    clean = csum / np.maximum(wsum, 1e-12)
    return TemporalFill(fill.astype(np.float32), wsum, n_eff.astype(np.float32), static, clean.astype(np.float32),
                        bool(still), renewal)


def _check_inputs(target: np.ndarray, matte: np.ndarray, neighbours: Sequence[np.ndarray],
                  neighbour_mattes: Sequence[np.ndarray], offsets: Sequence[int], mode: str) -> None:
    if target.ndim != 3 or target.dtype != np.float32:
        raise ValueError(f"fill_temporal expects float32 (H, W, C) target, got shape {target.shape} dtype {target.dtype}")
    if matte.shape != target.shape[:2]:
        raise ValueError(f"fill_temporal: matte shape {matte.shape} does not match {target.shape[:2]}")
    if not len(neighbours) == len(neighbour_mattes) == len(offsets):
        raise ValueError(f"fill_temporal: got {len(neighbours)} neighbours, {len(neighbour_mattes)} mattes, "
                         f"{len(offsets)} offsets; they must match")
    if mode not in ("auto", "temporal", "static"):
        raise ValueError(f"fill_temporal: mode {mode!r} is not auto, temporal or static")
    for n in neighbours:
        if n.shape != target.shape:
            raise ValueError(f"fill_temporal: neighbour shape {n.shape} differs from target {target.shape}")


@dataclass
class _Region:
    """What fill_temporal measures once on the target: the hole, the known pixels around it, the ring
    where motion is measured, the plate noise, the local mismatch allowed, and the guides' luma range."""

    hole: np.ndarray
    known: np.ndarray
    ring: np.ndarray
    noise: float
    allowed: float
    lo: float
    hi: float


def _region(target: np.ndarray, matte: np.ndarray) -> _Region:
    import cv2

    hole = matte > 1e-3
    known = (cv2.dilate(hole.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0).astype(np.float32)
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((25, 25), np.uint8)) > 0) & (known > 0)
    noise = max(_noise_level(target, known), 1e-3 * float(np.abs(target).mean() + 1e-3))
    # target[known > 0], read as rows of the flat image (a 3-D boolean index took ten times as long)
    level = float(np.abs(np.compress(known.ravel() > 0, target.reshape(known.size, -1), axis=0)).mean()) \
        if known.any() else 0.0
    allowed = LOCAL_K * noise + 0.02 * level  # local mismatch tolerated around a candidate
    lo, hi = (float(v) for v in np.percentile(luminance(target)[::2, ::2], [0.5, 99.5]))
    return _Region(hole, known, ring, noise, allowed, lo, hi)


def _candidate(guide_t: np.ndarray | None, nb: np.ndarray, nm: np.ndarray, region: _Region, mode: str,
               static: bool, dm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, float]:
    """One neighbour as a candidate for the target: (pixels, usable mask, its wire not to lend (``dm``),
    static, the median motion around the hole in pixels), moved by flow unless the scene is static
    ("auto" turns static when the ring barely moves); its flow guide paints out ``nm``."""
    h, w = nm.shape[:2]
    if static:
        return nb, np.ones((h, w), bool), dm, True, 0.0
    assert guide_t is not None
    guide_n = _prefill(nb, nm, region.lo, region.hi)
    fwd = dense_flow(guide_t, guide_n)  # the guides have the wires painted out
    bwd = dense_flow(guide_n, guide_t)
    moving = _ring_speeds(fwd, region)
    if mode == "auto" and moving is not None and np.percentile(moving, 90) < 0.25:
        return nb, np.ones((h, w), bool), dm, True, 0.0
    cons = consistency_mask(fwd, bwd) > 0
    cand, inside = warp(nb, fwd)
    cand_m, _ = warp(dm, fwd)
    return cand, inside & cons, cand_m, False, float(np.median(moving)) if moving is not None else float("inf")


def _ring_speeds(fwd: np.ndarray, region: _Region) -> np.ndarray | None:
    """Length (px) of the flow ``fwd`` at each ring pixel around the hole; None without a ring."""
    return np.hypot(fwd[:, :, 0][region.ring], fwd[:, :, 1][region.ring]) if region.ring.any() else None


def _ring_motion(guide_t: np.ndarray, nb: np.ndarray, nm: np.ndarray, region: _Region) -> float:
    """Median motion (px) around the hole from the target to neighbour ``nb``; inf without a ring."""
    if not region.ring.any():
        return float("inf")
    speeds = _ring_speeds(dense_flow(guide_t, _prefill(nb, nm, region.lo, region.hi)), region)
    assert speeds is not None
    return float(np.median(speeds))


def _renewal(target: np.ndarray, cand: np.ndarray, usable: np.ndarray, region: _Region) -> float:
    """Frame-to-frame noise of the plate around the hole over its spatial noise (both on the ring's
    flattest half, as ``regrain.estimate_grain`` measures grain), 0..1, from the nearest neighbour as the
    fill aligned it (a moving object in the ring, or a misaligned pixel, counts only through the median;
    an alignment that misses raises it towards 1, the grain renewed in full, as before it was measured)."""
    import cv2

    sel = region.ring & usable
    if sel.sum() < 64:
        return 1.0
    lum = luminance(target)
    smooth = cv2.GaussianBlur(lum, (0, 0), 1.5)
    gy, gx = np.gradient(cv2.GaussianBlur(lum, (0, 0), 2.0))
    grad = np.hypot(gx, gy)
    flat = sel & (grad <= np.percentile(grad[sel], 50))  # the grain, not the texture: flat pixels only
    spatial = 1.4826 * float(np.median(np.abs(lum - smooth)[flat])) / 0.945  # white grain: high-pass keeps 0.945 of it
    temporal = 1.4826 * float(np.median(np.abs(luminance(cand) - lum)[flat])) / np.sqrt(2.0)
    return float(np.clip(temporal / max(spatial, 1e-6), 0.0, 1.0))


def _local_mismatch(target: np.ndarray, cand: np.ndarray, cand_m: np.ndarray, region: _Region) -> np.ndarray:
    """(H, W) how far a candidate's known pixels around each pixel (a Gaussian of 3 px) are from the target's."""
    import cv2

    both = region.known * (cand_m < 0.02)
    err = luminance(np.abs(cand - target)) * both
    return cv2.GaussianBlur(err, (0, 0), 3.0) / np.maximum(cv2.GaussianBlur(both, (0, 0), 3.0), 1e-3)


def _still_where_it_matches(target: np.ndarray, cand: np.ndarray, ok: np.ndarray, cand_m: np.ndarray, nb: np.ndarray,
                            dm: np.ndarray, region: _Region) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flow candidate (``cand``, ``ok``, ``cand_m``) with the neighbour's own pixels (``nb``, its wire
    ``dm``) where those match the target's surroundings at least as well: the still wall behind a
    passer-by, in a band that flows because someone walks past but mostly holds still (the caller
    asks only then: in a pan, a wire that holds its place in frame matches its own unmatted fringe
    unwarped). Flow is estimated on guides with the wires painted out, and around a hole it is the
    least sure (the paint differs between the frames): it bent a still sign's edge into the fill and
    blurred a wall's texture, differently each frame (the fill crawled: the schoolgirls classes'
    flicker was x1.13 and x1.17 the truth's)."""
    still = _local_mismatch(target, nb, dm, region) <= _local_mismatch(target, cand, cand_m, region)
    return (np.where(still[:, :, None], nb, cand).astype(np.float32), ok | still,
            np.where(still, dm, cand_m).astype(np.float32))


def _candidate_weight(target: np.ndarray, cand: np.ndarray, ok: np.ndarray, cand_m: np.ndarray, region: _Region,
                      offset: int, tau: float) -> np.ndarray:
    """(H, W) weight of a candidate: usable, not its own wire, matching the target locally; nearer frames
    and better local matches weigh more."""
    local = _local_mismatch(target, cand, cand_m, region)
    good = ok & (cand_m < CAND_MATTE) & (local < region.allowed)
    fringe = np.square(1.0 - np.clip(cand_m, 0.0, 1.0))  # a pixel in its own matte's feather is part wire
    return good * fringe * np.float32(np.exp(-abs(offset) / tau)) / (1.0 + local / region.noise)


def seam_correction(target: np.ndarray, fill: np.ndarray, weight: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """Low-frequency difference (target - fill) measured around the matte, diffused into it.

    Adding it to ``fill`` removes exposure flicker and small colour shifts between the
    borrowed pixels and the frame (a membrane / Poisson-style blend). Returns (H, W, C).
    """
    import cv2

    hole = (matte > 1e-3).astype(np.uint8)
    near = cv2.dilate(hole, np.ones((9, 9), np.uint8)) > 0
    ring = near & (hole == 0) & (weight > 0)
    if not ring.any():
        return np.zeros_like(target)
    diff = np.where(ring[:, :, None], target - fill, 0.0).astype(np.float32)
    smooth_num = cv2.GaussianBlur(diff, (0, 0), 2.0)
    smooth_den = cv2.GaussianBlur(ring.astype(np.float32), (0, 0), 2.0)
    smooth_num = smooth_num if smooth_num.ndim == 3 else smooth_num[:, :, None]
    measured = smooth_num / np.maximum(smooth_den, 1e-4)[:, :, None]
    return push_pull(np.where(ring[:, :, None], measured, 0).astype(np.float32), ring.astype(np.float32))
