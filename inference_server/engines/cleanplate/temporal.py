"""Robust per-pixel temporal estimate over aligned frames: whatever moves is dropped.

For each pixel, the valid samples (inside their source frame, not under an object matte)
give a median; samples further than ``rejection`` robust deviations from it (MAD, with a
noise floor measured over the whole image) are outliers; the estimate is the mean of the
inliers, which also averages the grain down. Work is done in row bands to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUP = 3                 # samples a group the vote rejects needs before it may be taken instead (``_better_matched``)
SPLIT = 0.5               # ... or, as a share of the samples the vote keeps, for the vote to count as split ...
SPLIT_NEAR = 2.0          # ... where its nearest frame is at most this many times as far in time as the nearest kept
BAND_PIXELS = 1 << 18     # pixels per band: memory ~ N * BAND_PIXELS * C * 4 bytes * a few


@dataclass(frozen=True)
class TemporalEstimate:
    """Result of ``robust_temporal_estimate``.

    ``image`` (H, W, C) float32; ``support`` (H, W) int32 inlier count; ``samples`` (H, W)
    int32 valid sample count; ``seen`` (H, W) bool where a clean estimate exists; ``spread``
    (H, W) float32 sample variance of the averaged inliers about their mean (mean over
    channels, code values squared; 0 where fewer than 2 were averaged): the frame-to-frame
    grain the average removed.
    """

    image: np.ndarray
    support: np.ndarray
    samples: np.ndarray
    seen: np.ndarray
    spread: np.ndarray


def _masked_median(x: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median along axis 0 of ``x`` (N, P, ...) whose invalid entries are +inf, given ``count``."""
    s = np.ascontiguousarray(np.moveaxis(x, 0, -1))   # sorted along memory: 2-3x faster than along axis 0
    s.sort(axis=-1)
    lo = np.clip((count - 1) // 2, 0, x.shape[0] - 1)
    hi = np.clip(count // 2, 0, x.shape[0] - 1)
    a = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
    b = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
    out = 0.5 * (a + b)
    return np.where(count > 0, out, 0.0)


def robust_temporal_estimate(stack: np.ndarray, valid: np.ndarray, rejection: float = 2.5,
                             min_support: int = 1, noise_floor: float | None = None,
                             nearest: int = 0, where: np.ndarray | None = None,
                             prefer: np.ndarray | None = None, side: np.ndarray | None = None) -> TemporalEstimate:
    """Robust temporal estimate of ``stack`` (N, H, W, C) over samples where ``valid`` (N, H, W).

    ``stack`` may be float16/float32 or integer code values (returned scaled 0-1 when integer).
    ``rejection``: outlier threshold in robust standard deviations (lower drops more).
    ``min_support``: inlier samples a pixel needs to count as seen clean.
    ``noise_floor``: smallest deviation treated as noise (code values 0-1); measured if None.
    ``nearest``: when > 0, only the first ``nearest`` inliers along N are averaged (order the
    stack by preference, e.g. nearest in time first): all samples vote, the best few are kept.
    ``prefer``: (N, H, W), with ``nearest``: the ``nearest`` inliers of a pixel averaged are
    those with the lowest values here (ties: the first along N), not the first along N.
    ``side``: (N,), with ``prefer``: each sample's frame less the frame estimated (< 0 before,
    > 0 after); a group the vote rejects is then kept instead where it comes from a side of the
    frame the vote keeps nothing from, as near in time as the nearest the vote keeps, and every
    one of its samples is preferred to every one the vote keeps; or, where the vote is split (the
    group at least half as many, within twice as far), preferred on the mean (``_better_matched``).
    ``where``: (H, W) bool, the pixels wanted (others are returned as not seen, zero); the noise
    floor is still measured over the whole stack, so the figures inside ``where`` do not change.
    """
    if stack.ndim != 4:
        raise ValueError(f"temporal stack must be (N, H, W, C), got shape {stack.shape}")
    if valid.shape != stack.shape[:3]:
        raise ValueError(f"validity mask is {valid.shape}, stack is {stack.shape[:3]}")
    if not rejection > 0:
        raise ValueError(f"outlier rejection must be > 0 robust deviations, got {rejection}")
    n, h, w, c = stack.shape
    if where is not None and where.shape != (h, w):
        raise ValueError(f"'where' is {where.shape}, the stack's frames are {(h, w)}")
    if prefer is not None and prefer.shape != (n, h, w):
        raise ValueError(f"'prefer' is {prefer.shape}, the stack is {(n, h, w)}")
    if side is not None and np.shape(side) != (n,):
        raise ValueError(f"'side' is {np.shape(side)}, the stack has {n} samples")
    scale = {np.dtype(np.uint8): 1 / 255.0, np.dtype(np.uint16): 1 / 65535.0}.get(stack.dtype, 1.0)
    if noise_floor is None:
        noise_floor = measured_noise(stack, valid, scale)
    if where is not None:
        ys, xs = np.nonzero(where)
        part = robust_temporal_estimate(stack[:, ys, xs][:, :, None], valid[:, ys, xs][:, :, None], rejection,
                                        min_support, noise_floor, nearest,
                                        prefer=None if prefer is None else prefer[:, ys, xs][:, :, None], side=side)
        return scatter(part, where)
    image = np.zeros((h, w, c), np.float32)
    support = np.zeros((h, w), np.int32)
    samples = np.zeros((h, w), np.int32)
    spread = np.zeros((h, w), np.float32)
    rows = max(1, BAND_PIXELS // max(w, 1))
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        x = stack[:, y0:y1].astype(np.float32) * np.float32(scale)
        v = valid[:, y0:y1]
        cnt = v.sum(axis=0)
        xi = np.where(v[..., None], x, np.inf)
        med = _masked_median(xi, cnt[..., None]).astype(np.float32)
        dev = np.abs(x - med[None]).sum(axis=3)                     # L1 over channels, (N, b, W)
        mad = _masked_median(np.where(v, dev, np.inf), cnt).astype(np.float32)
        thr = np.float32(rejection) * np.maximum(np.float32(1.4826) * mad, np.float32(noise_floor * c))
        inl = v & (dev <= thr[None])
        if prefer is not None and side is not None:
            inl = _better_matched(x, v, inl, prefer[:, y0:y1], thr, side)
        if nearest > 0 and prefer is not None:
            # stable order: equal preferences keep the stack's order, as the plain cut below does
            rank = np.argsort(np.argsort(np.where(inl, prefer[:, y0:y1], np.inf), axis=0, kind="stable"), axis=0)
            inl &= rank < nearest
        elif nearest > 0:
            inl &= np.cumsum(inl, axis=0) <= nearest
        k = inl.sum(axis=0)
        total = np.where(inl[..., None], x, 0.0).sum(axis=0)
        mean = total / np.maximum(k, 1)[..., None]
        sq = np.where(inl[..., None], (x - mean[None]) ** 2, 0.0).sum(axis=0).mean(axis=2)
        spread[y0:y1] = np.where(k > 1, sq / np.maximum(k - 1, 1), 0.0)
        image[y0:y1] = np.where(k[..., None] > 0, mean, med)
        support[y0:y1] = k
        samples[y0:y1] = cnt
    seen = (support >= max(1, min_support)) & (samples > 0)
    return TemporalEstimate(image, support, samples, seen, spread)


def _better_matched(x: np.ndarray, v: np.ndarray, inl: np.ndarray, prefer: np.ndarray, thr: np.ndarray,
                    side: np.ndarray) -> np.ndarray:
    """``inl`` (N, b, W), the samples the vote keeps; or, where the samples it rejects hold a group
    of their own (``GROUP`` or more within ``thr`` of their median) that has a frame on a side of the
    frame (``side``: frame offsets, < 0 before, > 0 after) where the vote keeps none, whose
    nearest frame is as near in time as the nearest the vote keeps, and every one of which is
    preferred to every sample the vote keeps (``prefer``, lower first), that group instead.

    The vote keeps the majority: what most frames show there. Where the scene changes on one
    side of the frame (a host's mover steps in after it, or stood there until just before it),
    that side's frames can outvote the other's; which side the frame is like, its own
    surroundings say: beside the hole, every frame of the other side matches it better than
    every frame the vote keeps (``removal._preference``). The clean plate bench's enter-leave
    gained 0.3 dB (frame 19: +4.0 dB, a white blot of the host's player on the banner gone),
    static-crossing 0.14, follow-car 0.08; no class lost.

    Each condition comes from a case that went wrong without it. A group on the same side as
    all the vote keeps is what moved there for a moment (the host's tennis player's arm, the two
    frames nearest after the frame, matched his own arm beside the hole): taken, a patch of his
    white shirt on the banner (follow-tennis frame 2, -10 dB). A group further in time than the
    frames kept (a child on the bed nine frames before, whose skirt beside the hole matched the
    frame a little better than the wall the frames after showed) put her skirt on the wall
    (handheld-interior frames 9-11, -0.5 dB each). Two samples were a group at first: on a
    held-out case with a matte too tight for the motion blur (a schoolgirl crossing at 50 px a
    frame), the blur her matte left out passes a pixel in two frames, and the frame's own blur
    beside the hole matched them: pink specks and a white blot on the wall (that frame 31.7 ->
    25.1 dB); three agree only where something stood. The price of the nearness: the schoolgirl
    who steps in four frames after frame 12 and stays outvotes, at one frame nearer, the wall the
    frames before show; her leg stays there.

    Or a split vote: where the group holds at least ``SPLIT`` times as many samples as the vote
    keeps, and its nearest frame is at most ``SPLIT_NEAR`` times as far in time as the nearest
    kept, the group is taken where it is preferred on the mean, not one and all. The count then
    says little about the frame's own state, and the surroundings say more. On the clean plate
    bench's static-crossing (locked off, every sample lines up), a child behind the crossing
    rider had her arm down in the frames 5-9 before frame 12 and raised in the frames 4-8 after
    it: five against four, the vote took the raised arm, a dark blob beside the pot where the
    truth has the wall (23.1 dB); beside the hole, the frames before matched frame 12 better on
    the mean, though not each one better than each kept: 32.4 dB. The nearness keeps out a
    state seen only much further in time than the kept one (test_temporal: a group four frames
    before against a kept frame one after); handheld-interior, the child on the bed, is unchanged
    (+7.06 -> +7.07 dB over the class)."""
    out = v & ~inl
    cnt = out.sum(axis=0)
    if not (cnt >= GROUP).any():
        return inl
    med = _masked_median(np.where(out[..., None], x, np.inf), cnt[..., None]).astype(np.float32)
    grp = out & (np.abs(x - med[None]).sum(axis=3) <= thr[None])
    worst_grp = np.where(grp, prefer, -np.inf).max(axis=0)
    best_kept = np.where(inl, prefer, np.inf).min(axis=0)
    before, after = (side < 0)[:, None, None], (side > 0)[:, None, None]
    kept_b, kept_a = (inl & before).any(axis=0), (inl & after).any(axis=0)
    other_side = ((grp & before).any(axis=0) & ~kept_b) | ((grp & after).any(axis=0) & ~kept_a)
    far = np.abs(side).astype(np.float32)[:, None, None]
    nearest_grp, nearest_kept = np.where(grp, far, np.inf).min(axis=0), np.where(inl, far, np.inf).min(axis=0)
    n_grp, n_kept = grp.sum(axis=0), inl.sum(axis=0)
    mean_grp = np.where(grp, prefer, 0.0).sum(axis=0) / np.maximum(n_grp, 1)
    mean_kept = np.where(inl, prefer, 0.0).sum(axis=0) / np.maximum(n_kept, 1)
    split = (n_grp >= SPLIT * n_kept) & (nearest_grp <= SPLIT_NEAR * nearest_kept) & (mean_grp < mean_kept)
    swap = (n_grp >= GROUP) & other_side & (((nearest_grp <= nearest_kept) & (worst_grp < best_kept)) | split)
    return np.where(swap[None], grp, inl)


def scatter(part: TemporalEstimate, where: np.ndarray) -> TemporalEstimate:
    """``part``, an estimate of the pixels of ``where`` (H, W) bool in row-major order (shaped
    (P, 1, ...)), placed in a full (H, W) estimate: not seen, zero, elsewhere."""
    h, w = where.shape
    c = part.image.shape[-1]
    full = TemporalEstimate(np.zeros((h, w, c), np.float32), np.zeros((h, w), np.int32),
                            np.zeros((h, w), np.int32), np.zeros((h, w), bool), np.zeros((h, w), np.float32))
    for name in ("image", "support", "samples", "seen", "spread"):
        getattr(full, name)[where] = getattr(part, name)[:, 0]
    return full


def measured_noise(stack: np.ndarray, valid: np.ndarray, scale: float) -> float:
    """Typical per-channel frame-to-frame deviation (code values), from a pixel subsample: the
    ``noise_floor`` ``robust_temporal_estimate`` measures when it is not given."""
    n, h, w, c = stack.shape
    if n < 2:
        return 1e-3
    step = max(1, int(np.sqrt(h * w / 20000)))
    x = stack[:, ::step, ::step].astype(np.float32) * np.float32(scale)
    v = valid[:, ::step, ::step]
    cnt = v.sum(axis=0)
    med = _masked_median(np.where(v[..., None], x, np.inf), cnt[..., None])
    dev = np.abs(x - med[None]).mean(axis=3)
    d = dev[v & (cnt >= 3)[None]]
    if d.size == 0:
        return 1e-3
    return float(max(1.4826 * np.median(d), 1e-4))
