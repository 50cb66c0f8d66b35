"""Object and rig removal under a matte, over a moving camera, without ghosts.

Invariant (the ghost rule): **donors are background only.** A pixel of frame ``j`` may fill
frame ``i`` only where, after alignment (and the parallax flow, when used), it lies outside
frame ``j``'s matte grown by ``margin`` pixels (room for motion blur, matte softness and the
resampling kernel) and inside frame ``j``. Nothing later brings object pixels back: the
brightness offset is measured on a ring outside the target's own grown matte against
background-only samples; the spatial fill copies only from pixels outside the grown matte
(or already filled from background); the carried key fills hold background only; regrain
adds synthetic grain, not pixels; and the repair *replaces* the plate wherever the matte is
above 0 (a soft matte edge is removed, not blended back over the object). Nor may the object's
pixels steer the fill: the camera estimate (``align._hide``), the parallax flow (``_refine``) and
the paint's order (``structure._fill_offsets``) are measured with the mattes smoothed over, and
the same shot with the object in other colours gives the same fill, bit for bit. (The flow was
measured with the object in: its edges bent the flow beside the hole, and a held-out girl crossing
a snow cloud changed the fill at 80% of her hole when only her colours changed.)

And a donor must show the frame's own scene beside the hole (``_elsewhere``): a sample, or a
carried key, whose light there is more than ``LIGHT_MOST`` stops off the frame's, or whose
residual there once its light is matched stands ``MISMATCH`` times beyond the band's own
texture, shows another place or time (a truck the camera followed stood there in the other
frames and has gone in this one: pasted back, it was a truck-shaped patch over the snow, worse
than leaving the object in). It is not taken; what nothing else shows is painted. Where the frame
itself holds, on both sides of the hole, what the frames that reveal the hole do not show beside it
(``_mover_across``: a truck under the removed rider, moving with the camera, so that the rider
hides the same part of it in every frame), what those frames show there is the background the
truck hides: it is neither borrowed nor carried from a key, and the hole is continued from the
frame's own surroundings (``_bridge``).

Nor is a mover of the host background (``_passing``): what a borrowed frame shows moving against
the background (its dense flow to the sample nearest it in time, both aligned on the background)
is left out of that sample. A tennis player the camera follows, standing where the frames that
reveal the background behind the hole show it, was voted in as background: his leg inside the hole
of a frame where he stands elsewhere. Not where the frame shows a mover of its own beside the hole:
that one may stand behind it too.

For frame ``t`` and its matte (the hole), other frames of the shot are resampled onto frame
``t`` through the shot alignment (which was measured on the background only: the mattes are left
out of tracking), only inside a region of interest around the hole. Samples are taken nearest in
time first, skipping those that reveal nothing new, until every pixel of the grown hole is seen
``VOTES`` times (or ``max_samples`` frames are borrowed). Optionally the residual parallax of
each sample is corrected by smooth dense flow measured around the hole; each sample's light is
matched to the frame's around the hole by a smooth gain (``_gain_field``: far frames saw that
background through another part of the lens). A robust temporal estimate (``temporal``) votes
all reveals of a pixel and averages ``per_pixel`` of the inliers: those that, light matched, lie
nearest the frame itself on the band beside the hole near the pixel (``_preference``: a far
frame's parallax, a mover crossing the hole's edge show there), nearest in time among equals;
where three or more frames the vote rejects agree among themselves, come from a side of the
frame it keeps none from, as near in time as the nearest it keeps, and every one of them lies
nearer the frame beside the hole than every one it keeps, they are taken instead
(``temporal._better_matched``: the scene changed on one side); its brightness is
matched to the frame by a smooth offset from the ring around the grown hole, and the patch is
regrained for the grain the average removed (``_missing_grain``). Where the samples it keeps
disagree with each other far beyond the shot's grain (``_disagreeing``), no frame really
showed that background (a far frame's parallax, a mover the vote could not outnumber):
it is carried from a key's paint or bridged from around it, not filled with a blend of what the
frames show there (a ghost) nor with one frame's plate.

Background that no borrowed frame reveals (the object holds its place in frame) is taken
from the shot's key fills (``structure.KeyFills``): painted once, with structure
(``structure.exemplar_fill``), on the first frame that needs it, and carried to the others
through the alignment so the painted area does not boil. ``Removal.check`` is the per-frame
never-worse-than-nothing figure (``qc.fill_check``). Pixels where the matte is 0 come back
exactly as given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from inference_server.engines.cleanplate.align import ShotAlignment, coverage, warp_image
from inference_server.engines.cleanplate.matte import enclosed
from inference_server.engines.cleanplate.plate import local_flow
from inference_server.engines.cleanplate.qc import fill_check
from inference_server.engines.cleanplate.structure import ENDS_DISAGREE, KeyFills, exemplar_fill, layout_and_ends
from inference_server.engines.cleanplate.temporal import TemporalEstimate, measured_noise, robust_temporal_estimate, scatter
from inference_server.engines.wire.flow import dense_flow, luminance, warp
from inference_server.engines.wire.regrain import GrainModel, apply_grain, estimate_grain
from inference_server.engines.wire.spatial import fill_spatial, push_pull, resize

MAX_CANDIDATES = 48      # frames looked at per output frame
VOTES = 8                # reveals per hole pixel wanted for the outlier vote
FLOW_HEIGHT = 256        # px: parallax flow is smooth; it is measured on the region scaled to this height
RING_SIGMA = 3.0         # px: smoothing of the brightness offset measured around the hole
RING_MAX = 0.2           # ring pixels off by more (mean code value) are something else moving
THIN = 6                 # px: a never-revealed area this close to background everywhere is bridged, not synthesised
KERNEL = 2               # px: reach of the bicubic resampling kernel, added to the donor guard
BAND = 16                # px: width of the band around the grown hole where each donor's brightness is matched
BAND_SIGMA = 8.0         # px: smoothing of that match (exposure and vignetting are smooth)
BAND_STEP = 4            # the match is measured and continued at 1/4 size
PREFER_SIGMA = 1.0       # BAND_STEP blocks: smoothing of a sample's residual beside the hole before it is continued in
GAIN_SPREAD = 0.2        # band blocks whose log ratio is this far from the band's median are something moving
STILL_CAMERA = 1.0       # px: a sample's frame moved less than this is the camera held still (no parallax, samples line up)
DISAGREE = 6.0           # the kept samples' spread about their mean, in the shot's grain, past which they disagree
DISAGREE_SIGMA = 2.0     # px: smoothing of that spread (one sample's grain is no disagreement)
DISAGREE_SIDE = 4        # guard margins: a region of disagreement narrower than this square is kept as borrowed
BRIDGE_SIDE = 96         # px: a doubted region's crop is laid out (carried across) at most this size, then enlarged
BRIDGE_PAD = 32          # px around a doubted region where its surroundings are looked for
MISMATCH = 4.0          # a donor whose residual beside the hole is this many times the band's own texture shows elsewhere
LIGHT_MOST = 1.0        # stops: a donor lighter or darker than this beside the hole is something else there
MISMATCH_FLOOR = 2 / 255  # ... and that texture is taken as at least this (code values: flat sky, grain)
PASSING = 2.0            # px: a sample whose flow to the sample nearest it in time moves this much shows a mover there
PASSING_HEIGHT = 480     # px: the flow that finds movers is measured on the region scaled to this height
PASSING_MATCH = 0.08     # mean |difference| (0-1) past which the frame beside the hole shows other than the still background
PASSING_OWN = 0.5        # x reach^2 px: that much of it is a mover of the frame's own (grain and edges are less)
PASSING_UNSHOWN = 0.05   # of a sample's shown pixels its nearest frame does not show: the other side's nearest is asked too
PASSING_GROW = 2         # px: what moves is grown by this (its blur, the flow's edge)
DRIFT = 2.0              # BAND_STEP blocks a sample may lie misplaced beside the hole and still show the frame's scene


@dataclass(frozen=True)
class Removal:
    """``image`` (H, W, C) float32 repaired frame; (H, W) bool masks: ``hole`` (matte > 0),
    ``revealed`` (filled from other frames), ``carried`` (from a key fill), ``painted``
    (painted on this frame, which became a key, or bridged where the frames disagreed:
    ``_disagreeing``); ``check``: ``qc.fill_check`` (>= 1: no better
    than leaving the object in)."""

    image: np.ndarray
    hole: np.ndarray
    revealed: np.ndarray
    samples: int
    carried: np.ndarray | None = None
    painted: np.ndarray | None = None
    check: float = 0.0

    @property
    def never_revealed(self) -> float:
        """Fraction of the hole no other frame revealed (carried or painted)."""
        n = int(self.hole.sum())
        return 0.0 if n == 0 else float((self.hole & ~self.revealed).sum()) / n


def default_margin(size: tuple[int, int]) -> int:
    """Guard band (px) around a matte for motion blur and softness: 0.6% of the long side, >= 3."""
    return max(3, int(round(0.006 * max(size))))


def roi_box(hole: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) bounding box of ``hole`` (H, W) bool grown by ``pad``, clipped to the frame."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    return (max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad),
            min(w, int(xs.max()) + 1 + pad), min(h, int(ys.max()) + 1 + pad))


def smooth_fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill (h, w, C) float32 ``values`` where ``known`` (h, w) bool is False with a smooth
    membrane (the wire engine's push-pull diffusion); for offsets and flow, not detail."""
    return push_pull(np.ascontiguousarray(values, np.float32), known.astype(np.float32))


def grow(mask: np.ndarray, radius: int) -> np.ndarray:
    """(H, W) bool ``mask`` dilated by a disc of ``radius`` px."""
    import cv2

    m = np.asarray(mask).astype(bool)
    if radius <= 0 or not m.any():
        return m
    # A disc through the distance transform, on the mask's box only: the cost no
    # longer grows with the radius (a 2K frame's 30 px guard as a kernel was ~0.3 s a call).
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    h, w = m.shape
    y0, y1 = max(0, rows[0] - radius), min(h, rows[-1] + radius + 1)
    x0, x1 = max(0, cols[0] - radius), min(w, cols[-1] + radius + 1)
    dist = cv2.distanceTransform((~m[y0:y1, x0:x1]).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    out = np.zeros_like(m)
    out[y0:y1, x0:x1] = dist <= radius + 0.5   # the footprint OpenCV's (2r+1) ellipse kernel had
    return out


@dataclass(frozen=True)
class Gathered:
    """What ``remove_object`` takes from the other frames of the shot, before any key fill is
    read: ``gather``'s result, the same whichever keys the shot holds by then, so a frame's may be
    gathered while another frame paints the key (``remove_in_order``'s ``prepare``). ``image``
    (H, W, C), ``hole`` and ``guard`` (H, W) its hole grown by the margin; the ROI ``box``
    (y0, y1, x0, x1) and ``band`` cropped to it (``crops``: the frame's, hole's and guard's); ``texture``
    (``band_texture``); ``filled``: the ROI with what the samples reveal (``revealed``) in;
    ``doubted`` (``_disagreeing``), ``across`` (``_mover_across``), ``est`` the temporal estimate
    (None without samples) and ``samples`` how many frames lent."""

    index: int
    image: np.ndarray
    hole: np.ndarray
    guard: np.ndarray
    box: tuple[int, int, int, int]
    band: np.ndarray
    texture: float
    filled: np.ndarray
    revealed: np.ndarray
    doubted: np.ndarray
    across: np.ndarray
    est: TemporalEstimate | None
    samples: int

    def crops(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The frame, hole and guard cropped to ``box`` (views)."""
        y0, y1, x0, x1 = self.box
        return self.image[y0:y1, x0:x1], self.hole[y0:y1, x0:x1], self.guard[y0:y1, x0:x1]


def gather(frames: Sequence[np.ndarray], mattes: Sequence[np.ndarray], alignment: ShotAlignment, index: int, *,
           max_samples: int = 24, per_pixel: int = 4, rejection: float = 2.5, refine: bool = True, window: int = 0,
           margin: int | None = None) -> Gathered | Removal:
    """The part of ``remove_object`` (same arguments) that reads no key fill: the checks of its
    input, the samples the other frames lend and what they reveal (``Gathered``); or the frame's
    ``Removal`` itself where its matte is empty (nothing to remove)."""
    n = len(frames)
    if len(mattes) != n:
        raise ValueError(f"got {len(mattes)} matte frames for {n} plate frames")
    if not 0 <= index < n:
        raise ValueError(f"frame index {index} is outside the shot's {n} frames")
    if max_samples < 1 or per_pixel < 1:
        raise ValueError(f"max_samples and per_pixel must be at least 1, got {max_samples} and {per_pixel}")
    image = np.asarray(frames[index], np.float32)
    h, w = alignment.size
    if image.shape[:2] != (h, w) or image.ndim != 3:
        raise ValueError(f"frame index {index} is {image.shape}, the shot is (H, W, C) with H, W = {h}, {w}")
    alpha = np.asarray(mattes[index], np.float32)
    if alpha.shape != (h, w):
        raise ValueError(f"matte for frame index {index} is {alpha.shape}, the plate is {(h, w)}")
    margin = default_margin((h, w)) if margin is None else margin
    if margin < 0:
        raise ValueError(f"matte margin must be >= 0 px, got {margin}")
    hole = alpha > 0
    if not hole.any():
        return Removal(image.copy(), hole, np.zeros_like(hole), 0)
    guard = grow(hole, margin)
    if guard.all():
        raise ValueError(f"the matte of frame index {index} grown by {margin} px covers the whole frame")
    ys, xs = np.nonzero(hole)
    pad = margin + max(24, int(0.25 * max(np.ptp(ys), np.ptp(xs))))
    x0, y0, x1, y1 = roi_box(hole, pad)
    offset = (x0, y0)
    t_roi = image[y0:y1, x0:x1]
    t_hole = hole[y0:y1, x0:x1]
    t_guard = guard[y0:y1, x0:x1]
    ring = _ring(t_guard, 6)
    want = t_guard | ring
    band = _ring(t_guard, BAND)
    texture = band_texture(t_roi, band, ~t_guard)
    stack, valid, prefer, moved, colour, sources = _gather(
        frames, mattes, alignment, index, t_roi, t_guard, want, offset, max_samples,
        min(max(VOTES, per_pixel), max_samples), window, refine, margin, band, texture)
    if len(stack) >= 3:   # what a borrowed frame shows passing through is no background (``_passing``)
        valid = _passing(stack, valid, sources, want, t_roi, want & ~t_guard, 4 * margin)
    across = np.zeros_like(t_hole)  # where the frame holds a mover on both sides of the hole (``_mover_across``)
    if stack and moved >= STILL_CAMERA:
        across = _mover_across(*colour, t_hole.shape)
        # out to the band across the guard: its pixels in the band's blocks would be the ends the bridge carries in
        across |= grow(across, BAND_STEP) & t_guard & ~t_hole
    filled = t_roi.copy()
    revealed = np.zeros_like(t_hole)
    doubted = np.zeros_like(t_hole)  # shown, but by samples that disagree (``_disagreeing``)
    est: TemporalEstimate | None = None
    if stack:
        samples, shows = np.stack(stack)[:, :, None], np.stack(valid)[:, :, None]
        grain = measured_noise(samples, shows, 1.0)
        est = scatter(robust_temporal_estimate(samples, shows, rejection, noise_floor=grain, nearest=per_pixel,
                                               prefer=None if prefer is None else prefer[:, :, None],
                                               side=np.asarray(sources) - index), want)
        revealed = t_guard & est.seen
        if moved >= STILL_CAMERA:  # a locked-off shot's samples line up: they differ where the scene moves (``_disagreeing``)
            doubted = _disagreeing(est, grain, revealed, (DISAGREE_SIDE * margin) ** 2) | (revealed & across)
            revealed &= ~doubted
        est_img = est.image + _ring_offset(t_roi - est.image, ring & est.seen) if (ring & est.seen).any() \
            else est.image
        filled[revealed] = est_img[revealed]
    return Gathered(index, image, hole, guard, (y0, y1, x0, x1), band, texture, filled, revealed, doubted, across,
                    est, len(stack))


def remove_object(frames: Sequence[np.ndarray], mattes: Sequence[np.ndarray], alignment: ShotAlignment,
                  index: int, *, max_samples: int = 24, per_pixel: int = 4, rejection: float = 2.5,
                  refine: bool = True, regrain: float = 1.0, window: int = 0, seed: int = 0,
                  margin: int | None = None, keys: KeyFills | None = None,
                  gathered: Gathered | Removal | None = None) -> Removal:
    """Remove what ``mattes[index]`` covers from ``frames[index]``.

    ``frames``: (H, W, C) float32 per frame (may be lazy); ``mattes``: (H, W) float32 0-1 per
    frame, > 0 over the object (the hole, replaced in full); ``alignment``: the shot's camera
    motion. ``max_samples``: most other frames borrowed; ``per_pixel``: how many of the samples
    the vote keeps at a pixel are averaged there (the frame's best matches beside it).
    ``window``: frames either side searched (0: the whole shot). ``regrain``: 0 leaves the patch
    smooth, 1 gives it back the measured grain it lacks. ``margin``: px the mattes are grown by
    before a donor pixel counts as background (default ``default_margin``). ``keys``: the shot's
    key fills; never-revealed background is carried from them, and a frame that has to paint is
    added to them. ``gathered``: ``gather``'s result for this frame, given the same arguments (taken
    ahead of the keys: ``remove_in_order``'s ``prepare``); gathered here when None.
    """
    g = gathered if gathered is not None else gather(
        frames, mattes, alignment, index, max_samples=max_samples, per_pixel=per_pixel, rejection=rejection,
        refine=refine, window=window, margin=margin)
    if isinstance(g, Removal):
        return g
    if g.index != index:
        raise ValueError(f"frame index {index} was given what was gathered for frame index {g.index}")
    image, hole, guard, (t_roi, t_hole, t_guard) = g.image, g.hole, g.guard, g.crops()
    band, texture, filled, revealed, doubted, across, est = (g.band, g.texture, g.filled.copy(), g.revealed,
                                                             g.doubted, g.across, g.est)
    y0, y1, x0, x1 = g.box
    size, offset = (y1 - y0, x1 - x0), (x0, y0)
    rest = t_guard & ~revealed
    carried = np.zeros_like(t_hole)
    painted = np.zeros_like(t_hole)
    if rest.any() and keys is not None and keys.keys:
        img_k, cov = keys.carry(index, size, offset, np.ones(size, bool), painted_only=doubted)
        carried = cov & rest & ~across   # a key holds the background; across, the frame holds a mover there
        kb = band & cov
        if carried.any() and kb.sum() >= 16 and _elsewhere(*_match_light(t_roi, img_k.copy(), kb), texture):
            carried = np.zeros_like(carried)   # the key shows another scene there (``_elsewhere``)
        if carried.any():
            near = cov & (~t_guard | revealed) & grow(carried, 8)
            off = _ring_offset(filled - img_k, near) if near.any() else np.zeros_like(img_k)
            filled[carried] = (img_k + off)[carried]
    todo = rest & ~carried
    # what the samples disagree on and no key painted: bridged from around it, never taken from one
    # frame's plate (a key frame's own pixels there were its tennis player's shirt: a white blot)
    bridged = todo & (doubted | across)
    if (bridged & t_hole).any():
        filled = _bridge(filled, bridged, (~t_guard | revealed | carried) & ~todo)
    todo &= ~bridged
    if (todo & t_hole).any():
        filled = paint(filled, todo, (~t_guard | revealed | carried | bridged) & ~todo, ~t_guard)
        painted = todo
        if keys is not None:
            key = image.copy()
            key[y0:y1, x0:x1][t_guard] = filled[t_guard]
            good = ~guard
            good[y0:y1, x0:x1] |= t_guard
            keys.add(index, key, good, _full(todo, guard, offset))
    if regrain > 0:
        model = estimate_grain(t_roi, t_guard.astype(np.float32))
        gain = (t_hole & revealed).astype(np.float32)
        if est is not None and revealed.any():
            gain = np.where(t_hole & revealed, _missing_grain(est, revealed, t_hole, model, filled), 0.0)
        filled = np.asarray(apply_grain(filled, gain.astype(np.float32), model, regrain, seed + index), np.float32)

    check = fill_check(t_roi, np.where(t_hole[..., None], filled, t_roi), t_hole, t_guard)
    out = image.copy()
    out[y0:y1, x0:x1][t_hole] = filled[t_hole]
    return Removal(out, hole, _full(revealed & t_hole, hole, offset), g.samples,
                   _full(carried & t_hole, hole, offset), _full((painted | bridged) & t_hole, hole, offset), check)


def remove_in_order(remove: Callable[..., Removal], order: Sequence[int], keys: KeyFills | None,
                    prepare: Callable[[int], object] | None = None) -> Iterator[tuple[int, Removal]]:
    """``(i, remove(i, keys))`` for each frame index of ``order``, in that order, exactly as one
    after another (results, keys added and errors alike), but two frames at a time on two
    threads (the first, the key frame, alone).

    A frame's removal may paint and add a key that later frames carry, so the second frame of
    each pair works on a snapshot of the keys: when the first added a key, the second is
    removed again with it (what one after another gives; an error the snapshot run raised is
    dropped with it); otherwise a key the second added is kept, and an error it raised is
    raised after the first frame is given. Measured on the 2K bench shot, two threads remove
    x1.34-1.44 faster than one (numpy's and OpenCV's large operations run outside the GIL).

    ``prepare(i)``: the part of frame ``i``'s removal that reads no key (``gather``), which is
    then the same whenever it runs; with it, ``remove`` is called as ``remove(i, keys, prepared)``.
    A third thread prepares the frames ahead, in order, a pair ahead of the pair being removed (the
    first pair while the key frame is removed alone); a frame whose preparation has not begun when
    its turn comes is prepared by its removal (``prepared`` None; one prepared ahead is not prepared
    again), and no core waits idle while there is a frame to prepare (the key frame alone left one
    idle for about a quarter of the bench's 8-frame 2K shot). At most four frames' preparations
    (ROI-sized) are held at once. An error ``prepare`` raised is raised where that
    frame's removal would have raised it. On the clean plate bench's 2K shot, results bit for bit:
    1.93-1.99 -> 1.50-1.60 s/frame (three runs each).
    """
    if not order:
        return
    with ThreadPoolExecutor(max_workers=1) as ahead, ThreadPoolExecutor(max_workers=2) as pool:
        early: dict[int, Future[object]] = {}

        asked: set[int] = set()

        def look_ahead(upto: int) -> None:   # frames order[1:upto] prepared ahead, in order, one at a time
            for i in order[1:upto]:
                if prepare is not None and i not in asked:
                    asked.add(i)
                    early[i] = ahead.submit(prepare, i)

        def run(i: int, k: KeyFills | None) -> Removal:
            if prepare is None:
                return remove(i, k)
            f = early.get(i)
            # begun or done ahead: its result; not begun (cancelled now): the removal prepares it itself
            return remove(i, k, f.result() if f is not None and not f.cancel() else None)

        try:
            look_ahead(3)
            yield order[0], run(order[0], keys)
            for a in range(1, len(order), 2):
                look_ahead(a + 4)                 # the next pair's, while this pair is removed
                for i in order[1:a]:
                    early.pop(i, None)            # given
                if a + 1 >= len(order):
                    yield order[a], run(order[a], keys)
                    break
                held = len(keys.keys) if keys is not None else 0
                apart = keys.snapshot() if keys is not None else None
                second = pool.submit(run, order[a + 1], apart)
                try:
                    first = run(order[a], keys)
                finally:
                    error = second.exception()        # waits: no removal runs on while this one is out
                yield order[a], first
                if keys is not None and len(keys.keys) > held:   # the first painted: the second again, with its key
                    yield order[a + 1], run(order[a + 1], keys)
                    continue
                if error is not None:
                    raise error
                if keys is not None and apart is not None:
                    keys.keys.extend(apart.keys[held:])
                yield order[a + 1], second.result()
        finally:
            for f in early.values():   # stopped early (an error, a cancel): what was not begun is not run
                f.cancel()


def paint(image: np.ndarray, todo: np.ndarray, source: np.ndarray, trusted: np.ndarray | None = None) -> np.ndarray:
    """Spatial fill of ``todo`` (h, w) bool in ``image`` (h, w, C) float32 from ``source`` pixels.

    A thin area (every pixel within ``THIN`` px of background) is bridged by the wire engine's
    edge-directed rays, which carry lines straight across; a wide one gets texture and
    continued edges by ``structure.exemplar_fill``, its layout carried from ``trusted`` pixels
    (the frame's own background, not what was borrowed around the hole). Only ``source``
    pixels are read.
    """
    import cv2

    dist = cv2.distanceTransform((~source).astype(np.uint8), cv2.DIST_L2, 3)
    if float(dist[todo].max()) <= THIN:
        filled = fill_spatial(image, (~source).astype(np.float32), max_ray=4 * THIN)
        return np.where(todo[..., None], filled, image).astype(np.float32)
    return exemplar_fill(image, todo, source, trusted=trusted)[0]


def snap(matrix: np.ndarray, size: tuple[int, int], tol: float = 0.1) -> np.ndarray:
    """``matrix`` as an exact whole-pixel shift when it is one within ``tol`` px at the corners
    of a ``size`` (h, w) frame (a locked-off camera, measured with a little noise): the samples
    are then copied, not resampled and softened."""
    shift = np.round(matrix[:2, 2])
    exact = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]], [0.0, 0.0, 1.0]])
    h, w = size
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
    a, b = corners @ matrix.T, corners @ exact.T
    return exact if np.abs(a[:, :2] / a[:, 2:] - b[:, :2]).max() <= tol else matrix


def _full(part: np.ndarray, like: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    out = np.zeros_like(like)
    x0, y0 = offset
    out[y0:y0 + part.shape[0], x0:x0 + part.shape[1]] = part
    return out


def _missing_grain(est: TemporalEstimate, revealed: np.ndarray, hole: np.ndarray, model: GrainModel,
                   filled: np.ndarray) -> np.ndarray:
    """(h, w) float32 gain on ``model``'s grain that gives the fill back the grain it lacks.

    The grain that changes from frame to frame is measured where the fill is, as the spread of
    the averaged samples about their mean (``est.spread``, pooled over the revealed pixels: a
    median, corrected for the few samples per pixel). A mean of k samples keeps var/k of it, so
    the fill lacks var * (1 - 1/k); texture that stays put from frame to frame (fine detail,
    compression patterns the spatial grain model also counts) is already in the fill and is
    not added again. Painted pixels (``hole`` but not ``revealed``) get the measured grain in
    full. Never more than the spatial model's own level (times sqrt(1 - 1/k) where revealed).
    """
    k = np.maximum(est.support, 1).astype(np.float32)
    most = np.where(revealed, np.sqrt(1.0 - 1.0 / k), hole.astype(np.float32))
    use = revealed & (est.support >= 2)
    if use.sum() < 16:
        return most.astype(np.float32)
    dof = (est.support[use] - 1).astype(np.float32)
    chi2_median = dof * (1.0 - 2.0 / (9.0 * dof)) ** 3          # Wilson-Hilferty
    var_t = float(np.median(est.spread[use] * dof / chi2_median))
    level = luminance(filled)
    var_model = np.mean([model.std_at(level, c) ** 2 for c in range(model.sigma.shape[0])], axis=0)
    lost = np.where(revealed, 1.0 - 1.0 / k, 1.0)
    gain = np.sqrt(var_t * lost / np.maximum(var_model, 1e-12))
    return np.minimum(gain, most).astype(np.float32)


def _bridge(image: np.ndarray, bridged: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``image`` (h, w, C) with ``bridged`` (h, w) bool filled from the ``known`` pixels around it,
    region by region: carried straight across (``structure.layout_and_ends``, at most
    ``BRIDGE_SIDE`` px a side) where the two ends of the line through a pixel agree, and by the
    wire engine's edge-directed rays (``fill_spatial``) where they do not, blended by how far
    apart the ends are (``structure.ENDS_DISAGREE``).

    Rays alone reach ``4 * THIN`` px: across a treeline's edge a wider region was a pale smear
    where the trees stand (the clean plate bench's follow-car, frames 15-26 of 36). Carried alone,
    a line whose ends fall in sky on one side and in ragged tree tops on the other paints a band
    of tree colour into the sky (the large class lost 0.2 dB)."""
    import cv2

    out = image.copy()
    count, label, stats, _ = cv2.connectedComponentsWithStats(bridged.astype(np.uint8), connectivity=8)
    h, w = bridged.shape
    for c in range(1, count):
        bx, by, bw, bh = (int(v) for v in stats[c, :4])
        y0, y1 = max(0, by - BRIDGE_PAD), min(h, by + bh + BRIDGE_PAD)
        x0, x1 = max(0, bx - BRIDGE_PAD), min(w, bx + bw + BRIDGE_PAD)
        if not known[y0:y1, x0:x1].any():   # unfilled all round it: its surroundings are further out
            y0, y1, x0, x1 = 0, h, 0, w
        part = label[y0:y1, x0:x1] == c
        crop, unknown = image[y0:y1, x0:x1], ~known[y0:y1, x0:x1]
        full = (crop.shape[1], crop.shape[0])
        f = min(1.0, BRIDGE_SIDE / max(crop.shape[:2]))
        if f < 1.0:   # the layout is smooth: made small, it costs the same at 2K as at 854x480
            size = (max(2, round(full[0] * f)), max(2, round(full[1] * f)))
            small = resize(crop, size, cv2.INTER_AREA)
            lay, ends = layout_and_ends(small, cv2.resize(unknown.astype(np.float32), size,
                                                          interpolation=cv2.INTER_AREA) > 0)
            lay = resize(lay, full, cv2.INTER_LINEAR)
            ends = cv2.resize(np.minimum(ends, 2 * ENDS_DISAGREE), full, interpolation=cv2.INTER_LINEAR)
        else:
            lay, ends = layout_and_ends(crop, unknown)
        carry = np.clip(1.0 - ends / ENDS_DISAGREE, 0.0, 1.0)[..., None]
        rays = fill_spatial(crop, unknown.astype(np.float32), max_ray=4 * THIN, only=part)
        out[y0:y1, x0:x1][part] = (carry * lay + (1.0 - carry) * rays)[part]
    return out


def _disagreeing(est: TemporalEstimate, grain: float, revealed: np.ndarray, least: int) -> np.ndarray:
    """(h, w) bool: the pixels of ``revealed`` where the samples the estimate averaged disagree: their
    spread about their mean (``est.spread``, smoothed over ``DISAGREE_SIGMA`` px among the pixels
    two or more samples show) is more than ``DISAGREE`` times ``grain`` (the shot's frame-to-frame
    deviation per channel, code values), in regions of ``least`` px or more.

    A pixel one sample shows (a far frame alone, at the edge of what the pan reveals) has no spread
    of its own; it takes its neighbours'. Counted as 0, such pixels diluted the disagreement beside
    them: a misplaced treeline at the last frame of follow-car, shown by one frame, was kept (25 dB
    there against Telea's 36).

    Samples of the same background differ by the grain. Far more, and they are not the same
    background: far frames of a pan over a slope and a treeline, aligned by one model, put the
    treeline a few pixels apart, and their mean was the removed rider's silhouette in sky and trees
    (the clean plate bench's follow-car, 12 dB there against Telea's 18); the host's own tennis
    player, shown in some frames and not others, left his shoe in the fill (follow-tennis). Such a
    region is no better known than one no frame showed: it is carried where a key fill painted it,
    and otherwise bridged from around it (``_bridge``), never taken from one frame's plate. A
    narrower one is kept: a mover's edge crossing the fill (a racket's swing) is an island there,
    and filled from the uncertain fill around it, it was a white blot (enter-leave -0.8 dB).
    Where they agree inside such a region, enclosed by it, they are doubted with it: it is the same
    frames' word, and a mover two of them show in one place agrees too. Kept, such islands were the
    ends the bridge carried: a truck's orange and a wheel spread over the snow (the clean plate
    bench's edge-held, frame 27; the class gained 0.26 dB, the others moved by 0.03 dB or less).

    Asked only when the camera moves (``remove_object``): a locked-off shot's samples line up, and
    where they differ the scene moves (the schoolyard's children); the frames nearest in time show
    best what is there now, and bridged, the crossing rider's 36-frame class lost 0.27 dB. Structure
    paint (exemplar) in place of the bridge nearly doubled the 2K removal's time."""
    import cv2

    # one sample has no spread of its own: it neither dilutes its neighbours' nor counts as agreement
    measured = (est.support >= 2).astype(np.float32)
    num = cv2.GaussianBlur(np.sqrt(np.maximum(est.spread, 0.0)).astype(np.float32) * measured, (0, 0), DISAGREE_SIGMA)
    den = cv2.GaussianBlur(measured, (0, 0), DISAGREE_SIGMA)
    spread = np.where(den > 0.02, num / np.maximum(den, 1e-6), 0.0)
    doubt = revealed & (spread > DISAGREE * grain)
    if not doubt.any():
        return doubt
    count, label, stats, _ = cv2.connectedComponentsWithStats(doubt.astype(np.uint8), connectivity=8)
    wide = np.zeros(count, bool)
    wide[1:] = stats[1:, cv2.CC_STAT_AREA] >= least
    doubt = wide[label]
    return doubt | (enclosed(doubt) & revealed)


def _gain_field(target: np.ndarray, sample: np.ndarray, band: np.ndarray) -> np.ndarray:
    """(h, w, C) smooth gain taking ``sample``'s brightness to ``target``'s, measured on ``band``.

    Frames far apart in time differ in brightness, and differently across the frame
    (vignetting and light falloff stay with the camera while the background slides past;
    auto exposure): in a follow shot the hole is revealed only by far frames, and averaged
    as they come the fill is a tone off its surroundings, the object's silhouette in another
    shade. Both causes multiply the light (and a gain stays a gain through a power-law
    encoding), so the match is a smooth gain field: the log ratio on the band around the hole
    is smoothed and continued inwards as ``_ring_offset`` does for offsets.
    """
    import cv2

    h, w, c = sample.shape
    # The field is smooth: it is measured and continued at a quarter of the size, from the
    # band's means over 4x4 blocks (a full-size membrane per donor doubled a 2K removal's time).
    small = (max(1, w // BAND_STEP), max(1, h // BAND_STEP))
    k = cv2.resize(band.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    known = k > 0.2
    kb = band.astype(np.float32)[..., None]
    mean_t, mean_s = resize(target * kb, small, cv2.INTER_AREA), resize(sample * kb, small, cv2.INTER_AREA)
    eps = np.float32(0.02) * np.maximum(k, 1e-6)[..., None]
    ratio = np.log(np.maximum(mean_t, 0) + eps) - np.log(np.maximum(mean_s, 0) + eps)
    if known.any():  # blocks far from the band's typical ratio are something moving (any exposure step passes)
        known &= np.abs(ratio - np.median(ratio[known], axis=0)).mean(axis=2) <= GAIN_SPREAD
    field = _ring_offset(np.where(known[..., None], ratio, 0.0).astype(np.float32), known, BAND_SIGMA / BAND_STEP,
                         most=np.inf)
    return resize(np.exp(field).astype(np.float32), (w, h), cv2.INTER_LINEAR)


def _match_light(target: np.ndarray, donor: np.ndarray, band: np.ndarray,
                 box: tuple[slice, slice] | None = None, step: float | None = None) -> tuple[np.ndarray, float]:
    """Match ``donor``'s light to ``target``'s (both (h, w, C)) on ``band`` (h, w) bool, in place
    inside ``box`` (the region later read; default the band's box): (the residual per block
    after, ``_band_residual``; the stops it was off before, ``light_step``, or ``step`` where the
    caller measured it already, as ``_colour_residual`` does)."""
    if not band.any():
        raise ValueError("_match_light needs a band with pixels in it")
    if box is None:
        rows, cols = np.flatnonzero(band.any(axis=1)), np.flatnonzero(band.any(axis=0))
        box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    if step is None:
        step = light_step(target, donor, band)
    donor[box] *= _gain_field(target[box], donor[box], band[box])
    return _band_residual(target, donor, band), step


def band_texture(image: np.ndarray, band: np.ndarray, known: np.ndarray) -> float:
    """Mean |image - its 4 px blur| over ``band`` (h, w) bool, over channels (code values), the
    blur taken over ``known`` (h, w) bool pixels only (the object's contrast is not the
    surroundings'): how much the surroundings themselves vary at the scale a misplaced donor shows."""
    import cv2

    if not band.any():
        return 0.0
    k = known.astype(np.float32)
    blur = cv2.GaussianBlur(image * k[..., None], (0, 0), 4).reshape(image.shape) / np.maximum(
        cv2.GaussianBlur(k, (0, 0), 4), 1e-6)[..., None]
    return float(np.abs(image - blur).mean(axis=2)[band].mean())


def light_step(target: np.ndarray, sample: np.ndarray, band: np.ndarray) -> float:
    """How many stops ``sample`` (h, w, C) is lighter or darker than ``target`` beside the hole:
    over the ``BAND_STEP`` blocks mostly in ``band`` (h, w) bool, the median per channel of
    log2((mean target + 0.02) / (mean sample + 0.02)), its size averaged over channels (a mover
    over part of the band is not the band's light). 0 when no block is."""
    mean_t, k = _block_means(target, band)
    mean_s, _ = _block_means(sample, band)
    return float(np.abs(_median_ratio(mean_t, mean_s, k > 0.2)).mean())


def _block_means(image: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((hs, ws, C) means of ``image`` over the ``band`` pixels of each ``BAND_STEP`` block, (hs, ws)
    the share of each block in ``band``)."""
    import cv2

    hs, ws = _small(band.shape)
    k = cv2.resize(band.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA).reshape(hs, ws)
    sums = resize(image * band.astype(np.float32)[..., None], (ws, hs), cv2.INTER_AREA).reshape(hs, ws, -1)
    return sums / np.maximum(k, 1e-6)[..., None], k


def _median_ratio(mean_t: np.ndarray, mean_s: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """(C,) float32: the median over ``blocks`` of log2((target + 0.02) / (sample + 0.02)) per channel."""
    if not blocks.any():
        return np.zeros(mean_t.shape[-1], np.float32)
    eps = np.float32(0.02)
    ratio = np.log2(np.maximum(mean_t[blocks], 0) + eps) - np.log2(np.maximum(mean_s[blocks], 0) + eps)
    return np.median(ratio, axis=0).astype(np.float32)


def _colour_residual(target: np.ndarray, sample: np.ndarray, band: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, float]:
    """How far ``sample``'s colour lies from ``target``'s on ``band`` (h, w) bool, per ``BAND_STEP``
    block: ((hs, ws) float32 the mean |difference| of the block means over channels, code values,
    the sample's light matched by one gain per channel (``light_step``'s), not by a field: a
    smooth gain field makes a dark truck of the snow it stood over, and what is left is the
    snow's texture; (hs, ws) float32 how far the sample's own block means change to the next
    block, the most over the four sides: what a background misplaced by a block differs by; the
    ``light_step`` the gain was taken from). inf where a block holds too little band."""
    mean_t, k = _block_means(target, band)
    mean_s, _ = _block_means(sample, band)
    blocks = k > 0.2
    ratio = _median_ratio(mean_t, mean_s, blocks)
    mean_s = mean_s * np.exp2(ratio)
    off = np.where(blocks, np.abs(mean_t - mean_s).mean(axis=2), np.inf).astype(np.float32)
    step = np.zeros(blocks.shape, np.float32)
    for grid, seen, flip in ((mean_s, blocks, False), (mean_s.transpose(1, 0, 2), blocks.T, True)):
        d = np.where(seen[:, 1:] & seen[:, :-1], np.abs(np.diff(grid, axis=1)).mean(axis=2), 0.0)
        most = np.maximum(np.pad(d, ((0, 0), (0, 1))), np.pad(d, ((0, 0), (1, 0))))
        step = np.maximum(step, most.T if flip else most)
    return off, np.where(blocks, step, np.inf).astype(np.float32), float(np.abs(ratio).mean())


def _elsewhere(off: np.ndarray, step: float, texture: float) -> bool:
    """Whether a donor shows another place (or time) than the frame beside the hole: its light is
    ``step`` stops off the frame's there (``light_step``), more than ``LIGHT_MOST``, or its
    residual once its light is matched (``off``, ``_band_residual``) has a median over blocks above
    ``MISMATCH`` times the band's own ``texture`` (``band_texture``; at least ``MISMATCH_FLOOR``).

    The light first: a smooth gain field matches a flat dark truck to the snow it stood over,
    and what is left is the snow's own texture; no exposure drift within a shot is that far.
    The residual then: a textured truck over flat snow stands far beyond the snow's texture,
    where the same background, misplaced a few pixels by parallax, differs by about its texture.
    Both are medians over the band's blocks: a mover crossing part of the band is not the whole
    band. A real exposure jump of more than a stop (a light switched on) is taken for another
    scene: those frames are not borrowed, and what the others do not show is painted."""
    if step > LIGHT_MOST:
        return True
    finite = np.isfinite(off)
    return bool(finite.any()) and float(np.median(off[finite])) > MISMATCH * max(texture, MISMATCH_FLOOR)


def _small(size: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of a (h, w) region measured in BAND_STEP blocks."""
    return max(1, size[0] // BAND_STEP), max(1, size[1] // BAND_STEP)


def _band_residual(target: np.ndarray, sample: np.ndarray, band: np.ndarray) -> np.ndarray:
    """How far ``sample`` (h, w, C), its light matched, lies from ``target`` on ``band`` (h, w)
    bool: the mean |difference| (code values, over channels) per BAND_STEP block, inf where the
    block holds too little band."""
    import cv2

    hs, ws = _small(band.shape)
    k = cv2.resize(band.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA)
    r = np.abs(sample - target).mean(axis=2) * band
    mean = cv2.resize(r.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA) / np.maximum(k, 1e-6)
    return np.where(k > 0.2, mean, np.inf).astype(np.float32)


def _preference(offs: list[np.ndarray], want: np.ndarray) -> np.ndarray | None:
    """(N, P) float32 for the pixels of ``want`` (h, w): how much further each sample lies from
    the target around the hole near the pixel than the sample lying nearest there
    (``_band_residual``, less the least of them block by block, continued inwards as
    ``_ring_offset`` continues offsets), plus a tie-break in the stack's order.

    Lower is preferred among the samples the vote keeps: beside the hole, a sample that misses
    the target's background (a far frame's parallax, what moved) shows there that it misses it
    inside too, while the vote decides what is background, unless a group it rejects, from across
    the frame and as near in time, is preferred to all it keeps, one and all
    (``temporal._better_matched``: a host's mover that stepped in just after the frame, shown by
    most frames nearest in time). Its limit: where the background's depth changes inside the hole,
    what lines up beside it need not line up inside (the clean plate bench's parallax class lost
    0.1-0.7 dB against nearest in time first, the classes with movers and light gained 0.4-1.4).
    ``None`` for no samples."""
    import cv2

    if not offs:
        return None
    best = np.min(np.stack(offs), axis=0)
    h, w = want.shape
    out = np.empty((len(offs), int(want.sum())), np.float32)
    for k, off in enumerate(offs):
        seen = np.isfinite(off)
        field = np.zeros(off.shape, np.float32)
        if seen.any():
            rel = np.where(seen, off - np.where(seen, best, 0.0), 0.0).astype(np.float32)[..., None]
            field = _ring_offset(rel, seen, PREFER_SIGMA, most=np.inf)[..., 0]
        full = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w)
        out[k] = full[want] + np.float32(1e-4 * k)
    return out


def _mover_across(offs: list[np.ndarray], steps: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """(h, w) bool of a (h, w) region: where the frame holds, on both sides of the hole along a row or
    a column, something the frames that reveal the hole do not show beside it: a mover the hole
    lies across (a truck under the removed rider, moving with the camera, which the rider hides
    in every frame). What those frames show there is the background the mover hides; the hole is
    continued from the frame's own surroundings instead (``_disagreeing``'s doubt, then the
    carried key or the bridge).

    ``offs``: each sample's colour residual on the band per ``BAND_STEP`` block
    (``_colour_residual``, inf where unmeasured); ``steps``: each sample's own change from block
    to block there. A block, seen by 3 samples or more, holds what they do not show where the
    median residual is beyond ``DRIFT`` times their median change (a background misplaced by
    that many blocks, a treeline's edge among the far frames of a pan) and beyond ``MISMATCH``
    times ``MISMATCH_FLOOR`` (grain, flat sky).

    Both sides: a mover on one side only (the host's tennis player beside the rider) may end at
    the hole or inside it; continued across, he was smeared over the wall the other frames
    showed right (the clean plate bench's follow-tennis lost 1.5 dB, frames 3-5 and 19-22).
    Read along rows and columns only: a mover the hole cuts on the slant is taken as not across."""
    import cv2

    o = np.stack(offs)
    finite = np.isfinite(o)
    judged = finite.sum(axis=0) >= 3
    held = np.zeros(judged.shape, bool)
    if judged.any():
        med = np.nanmedian(np.where(finite, o, np.nan)[:, judged], axis=0)
        step = np.nanmedian(np.where(finite, np.stack(steps), np.nan)[:, judged], axis=0)
        held[judged] = med > np.maximum(DRIFT * step, MISMATCH * MISMATCH_FLOOR)
    if not held.any():
        return np.zeros(size, bool)
    across = np.zeros(judged.shape, bool)
    for grid_held, grid_judged, flip in ((held, judged, False), (held.T, judged.T, True)):
        both = _last_seen(grid_held, grid_judged) & _last_seen(grid_held[:, ::-1], grid_judged[:, ::-1])[:, ::-1]
        across |= (both.T if flip else both) & ~judged
    # rows and columns each say it of their own: a gap of a block between them is no edge of the mover
    across = cv2.morphologyEx(across.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool) & ~judged
    h, w = size
    return cv2.resize(across.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


def _passing(stack: list[np.ndarray], valid: list[np.ndarray], sources: list[int], want: np.ndarray,
             target: np.ndarray, beside: np.ndarray, reach: int) -> list[np.ndarray]:
    """``valid`` less what each sample shows moving against the background: a mover of the host
    is no background, and borrowed it is a ghost.

    A tennis player the camera follows stood, in the frames that reveal the background behind
    the removed girl, where that background is: several frames show him there, the vote took him
    for the background, and his leg came back inside the hole in a frame where he stands
    elsewhere. Each sample is aligned on the background, so what stands still in the world lies
    still from sample to sample (the parallax flow took out what depth adds); where the dense
    flow to the sample nearest it in time moves more than ``PASSING`` px (or the flow to the
    nearest on the other side in time, where the two differ, when the nearest does not show
    ``PASSING_UNSHOWN`` of it), the sample shows something moving. It is left out there, by
    ``PASSING_GROW`` px round it, and by up to ``reach`` px over what the nearest did not show
    (the object hid it there, so the flow could not see the mover go on); what no sample is left
    to show is never-revealed background (carried, bridged or painted).

    Unless the frame shows a mover of its own beside the hole (``_own_mover``): the player whose
    legs show below the removed girl, a truck all round the removed rider. Then he may well
    stand behind the hole too, and the samples are left as they were: his other poses, displaced
    and blended by the vote, lay nearer the truth there than the background behind him (left out,
    a held-out pan lost 4.5 dB, and a zoom over the truck had frames worse than the object left in).

    ``stack``: each sample's (P, C) pixels of ``want`` (h, w) bool; ``valid``: (P,) bool each;
    ``sources``: each sample's frame. The flow is measured at ``PASSING_HEIGHT``."""
    import cv2

    h, w = want.shape
    if min(h, w) < 16:
        return valid
    times = np.asarray(sources)
    scale = min(1.0, PASSING_HEIGHT / h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    shows, smalls = [], []
    for st, v in zip(stack, valid):
        img = np.zeros((h, w, st.shape[1]), np.float32)
        img[want] = st
        ok = np.zeros((h, w), bool)
        ok[want] = v
        shows.append(ok)
        smalls.append((cv2.resize(img, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1),
                       cv2.resize(ok.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.99))
    def against(k: int, nb: int) -> np.ndarray:
        (a, sa), (b, sb) = smalls[k], smalls[nb]
        if (sa & sb).sum() < 16:
            return np.zeros((h, w), bool)
        a = smooth_fill(np.where(sa[..., None], a, np.where(sb[..., None], b, 0.0)), sa | sb)
        b = np.where(sb[..., None], b, a)
        fast = np.hypot(*np.moveaxis(dense_flow(a, b, "medium"), 2, 0)) > PASSING * scale
        moving = shows[k] & shows[nb] & (cv2.resize(fast.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0)
        return cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)

    # each sample's neighbour: the sample nearest it in time; where that one leaves
    # ``PASSING_UNSHOWN`` of what it shows unshown, the nearest on the other side in time is asked
    # too, where the two differ by ``PASSING_MATCH`` (a flow's bend where they look alike is no
    # mover). Held out, a tennis player's hand that moved with the camera for a frame was still
    # against its nearest frame, and came back inside the removed girl's hole in 8 frames.
    movers, by_nearest, nearest = [], [], []   # movers; those against the nearest alone; the nearest
    for k, ok in enumerate(shows):
        order = sorted((j for j in range(len(shows)) if j != k), key=lambda j: (abs(times[j] - times[k]), j))
        nb = order[0]
        moving = against(k, nb)
        by_nearest.append(moving)
        other = [j for j in order[1:] if np.sign(times[j] - times[k]) == -np.sign(times[nb] - times[k])]
        if other and (ok & ~shows[nb]).sum() >= PASSING_UNSHOWN * ok.sum():
            differ = np.zeros((h, w), bool)
            differ[want] = np.abs(stack[k] - stack[other[0]]).mean(axis=1) > PASSING_MATCH
            moving = moving | (against(k, other[0]) & differ)
        movers.append(moving)
        nearest.append(nb)
    # whether the frame shows a mover of its own is the nearest frames' word: asked of both sides,
    # a snow bank's shadow the samples placed a few px apart read as a mover in most of them, and
    # the frame, which showed it too, was taken to hold one (the clean plate bench's follow-car lost
    # 0.12 dB)
    if _own_mover(stack, shows, by_nearest, want, target, beside, reach):
        return valid
    out = []
    for k, (ok, moving, nb) in enumerate(zip(shows, movers, nearest)):
        if moving.any():
            moving = (grow(moving, reach) & ok & ~shows[nb]) | grow(moving, PASSING_GROW)
        out.append(valid[k] & ~moving[want])
    return out


def _own_mover(stack: list[np.ndarray], shows: list[np.ndarray], movers: list[np.ndarray], want: np.ndarray,
               target: np.ndarray, beside: np.ndarray, reach: int) -> bool:
    """Whether the frame shows, beside the hole, a mover of its own: ``PASSING_OWN`` x ``reach``²
    px or more of ``beside`` (h, w) bool where ``target`` (h, w, C) lies more than
    ``PASSING_MATCH`` from the mean of the samples that show still background there (``shows``
    less ``movers``, (h, w) bool each; ``stack``: each sample's (P, C) pixels of ``want``), two
    of them at least; or where more samples show a mover than still background and the frame lies
    within ``PASSING_MATCH`` of their mean there (a truck the camera follows, all round the hole)."""
    at = beside[want]
    total = np.zeros((int(at.sum()), target.shape[2]), np.float32)
    count = np.zeros(len(total), np.int32)
    moved = np.zeros_like(total)
    passing = np.zeros(len(total), np.int32)
    for st, ok, moving in zip(stack, shows, movers):
        still, by = (ok & ~moving)[want][at], moving[want][at]
        total[still] += st[at][still]
        count += still
        moved[by] += st[at][by]
        passing += by
    here = target[want][at]
    far = (count >= 2) & (np.abs(here - total / np.maximum(count, 1)[:, None]).mean(axis=1) > PASSING_MATCH)
    # most samples show a mover there, and so does the frame: a truck the camera follows, all round the hole
    far |= (passing >= 2) & (passing > count) & (
        np.abs(here - moved / np.maximum(passing, 1)[:, None]).mean(axis=1) <= PASSING_MATCH)
    return int(far.sum()) >= PASSING_OWN * reach * reach


def _last_seen(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(r, c) bool: along each row, ``values`` at the nearest ``seen`` block at or left of each block
    (False before the first)."""
    out = np.zeros(values.shape, bool)
    last = np.zeros(values.shape[0], bool)
    for c in range(values.shape[1]):
        last = np.where(seen[:, c], values[:, c], last)
        out[:, c] = last
    return out


def _ring_offset(residual: np.ndarray, ring: np.ndarray, sigma: float = RING_SIGMA,
                 most: float = RING_MAX) -> np.ndarray:
    """Smooth (h, w, C) brightness offset continuing ``residual`` measured on ``ring`` inwards.

    Ring pixels whose residual is beyond ``most`` (something moving beside the hole) are left out.
    """
    import cv2

    mag = np.abs(residual).mean(axis=2)
    ring = ring & (mag <= most)
    k = ring.astype(np.float32)
    num = cv2.GaussianBlur(residual * k[..., None], (0, 0), sigma).reshape(residual.shape)
    den = cv2.GaussianBlur(k, (0, 0), sigma)
    known = den > 0.05
    local = np.where(known[..., None], num / np.maximum(den, 1e-6)[..., None], 0.0)
    return smooth_fill(local, known & ring)


def _ring(hole: np.ndarray, width: int) -> np.ndarray:
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    return cv2.dilate(hole.astype(np.uint8), k).astype(bool) & ~hole


def _candidates(n: int, index: int, window: int) -> list[int]:
    """Other frame indices nearest first, thinned to at most MAX_CANDIDATES spread over the window."""
    lo, hi = (0, n - 1) if window <= 0 else (max(0, index - window), min(n - 1, index + window))
    others = sorted((i for i in range(lo, hi + 1) if i != index), key=lambda i: (abs(i - index), i))
    if len(others) <= MAX_CANDIDATES:
        return others
    near = others[: MAX_CANDIDATES // 2]
    far = others[MAX_CANDIDATES // 2:]
    pick = np.round(np.linspace(0, len(far) - 1, MAX_CANDIDATES - len(near))).astype(int)
    return near + [far[i] for i in sorted(set(pick.tolist()))]


def _gather(frames: Sequence[np.ndarray], mattes: Sequence[np.ndarray], alignment: ShotAlignment, index: int,
            t_roi: np.ndarray, t_hole: np.ndarray, want: np.ndarray, offset: tuple[int, int],
            max_samples: int, need: int, window: int, refine: bool,
            margin: int, band: np.ndarray, texture: float
            ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray | None, float,
                       tuple[list[np.ndarray], list[np.ndarray]], list[int]]:
    """Aligned samples and where each shows background, chosen to cover ``t_hole``: of each
    sample only the pixels of ``want`` (ROI-sized bool), (P, C) and (P,), in row-major order;
    the samples' preference at each of those pixels, (N, P) (``_preference``; None for none);
    the largest camera move (px, ``_camera_move``) from a kept sample's frame to this one; and
    each kept sample's colour residual on ``band`` and its own change there, block by block
    (``_colour_residual``; inf blocks where it measured too little band); and each kept
    sample's frame index.
    ``band`` (ROI-sized bool): the ring beside ``t_hole`` where each sample's light is matched;
    ``texture``: its own (``band_texture``).

    The ghost rule lives here: a sample is valid only inside its own frame and outside its own
    matte grown by ``margin`` px in its own frame, then by ``KERNEL`` px once resampled; and a
    sample that shows another scene on ``band`` is not taken (``_elsewhere``).
    """
    h, w = alignment.size
    size = want.shape
    counts = np.zeros(size, np.int32)
    reads = band | t_hole           # what the estimate reads of a sample lies in here (``want`` too)
    rows, cols = np.flatnonzero(reads.any(axis=1)), np.flatnonzero(reads.any(axis=0))
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    stack: list[np.ndarray] = []
    valid: list[np.ndarray] = []
    sources: list[int] = []
    offs: list[np.ndarray] = []
    raws: list[np.ndarray] = []
    steps: list[np.ndarray] = []
    most = 0.0
    for s in _candidates(len(frames), index, window):
        if len(stack) >= max_samples or (counts[t_hole] >= need).all():
            break
        m = snap(alignment.between(s, index), (h, w))
        ok = coverage(m, (h, w), size, offset, margin=2)
        obj = grow(np.asarray(mattes[s], np.float32) > 0, margin)
        obj_w = warp_image(obj.astype(np.uint8), m, size, offset, nearest=True) > 0
        ok &= ~grow(obj_w, KERNEL)
        gain = t_hole & ok & (counts < need)
        if gain.sum() < max(4, 0.002 * t_hole.sum()):
            continue
        source = np.asarray(frames[s], np.float32)
        sample = _resample(source, m, size, offset).reshape(t_roi.shape)
        moved = _camera_move(m, (h, w))
        measured = band & ok
        if measured.sum() >= 16 and light_step(t_roi, sample, measured) > LIGHT_MOST:
            continue  # another light beside the hole (``_elsewhere``): not worth refining
        if refine and moved >= STILL_CAMERA:  # no camera move, no parallax: what the flow would see is movers
            sample, ok = _refine(t_roi, t_hole, sample, ok, source, m, offset, min(40.0, 1.0 + 0.3 * moved))
        measured = band & ok
        off = np.full(_small(size), np.inf, np.float32)
        raw = change = off
        if measured.sum() >= 16:
            raw, change, step = _colour_residual(t_roi, sample, measured)
            off, step = _match_light(t_roi, sample, measured, box, step)
            if _elsewhere(off, step, texture):
                continue
        most = max(most, moved)
        stack.append(sample[want])
        sources.append(s)
        valid.append(ok[want])
        offs.append(off)
        raws.append(raw)
        steps.append(change)
        counts += ok
    return stack, valid, _preference(offs, want), most, (raws, steps), sources


def _resample(source: np.ndarray, matrix: np.ndarray, size: tuple[int, int], offset: tuple[int, int],
              flow: np.ndarray | None = None) -> np.ndarray:
    """``source`` (H, W, C) float32 sampled (bicubic, once) for a (h, w) window at ``offset`` of
    the target frame, through ``matrix`` (source -> target coords) and then ``flow`` (h, w, 2):
    window pixel x shows the source point mapped to x + flow(x). Outside the source: edge pixels."""
    import cv2

    h, w = size
    src = np.ascontiguousarray(source)
    if flow is None and (src.ndim == 2 or src.shape[2] <= 4):  # the same map, built inside OpenCV (4x less work)
        to_window = np.array([[1, 0, -offset[0]], [0, 1, -offset[1]], [0, 0, 1]], np.float64) @ matrix
        out = cv2.warpPerspective(src, to_window, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        return out if out.ndim == 3 else out[:, :, None]
    inv = np.linalg.inv(matrix)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    xs += offset[0]
    ys += offset[1]
    if flow is not None:
        xs += flow[:, :, 0]
        ys += flow[:, :, 1]
    den = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
    mx = ((inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / den).astype(np.float32)
    my = ((inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / den).astype(np.float32)
    if src.ndim == 3 and src.shape[2] > 4:
        return np.dstack([_resample(src[:, :, c:c + 1], matrix, size, offset, flow)
                          for c in range(src.shape[2])])
    out = cv2.remap(src, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out if out.ndim == 3 else out[:, :, None]


def _camera_move(matrix: np.ndarray, size: tuple[int, int]) -> float:
    """Largest displacement (px) of a frame corner under ``matrix``."""
    h, w = size
    c = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
    p = c @ matrix.T
    return float(np.abs(p[:, :2] / p[:, 2:] - c[:, :2]).max())


def _refine(t_roi: np.ndarray, t_hole: np.ndarray, sample: np.ndarray, ok: np.ndarray, source: np.ndarray,
            matrix: np.ndarray, offset: tuple[int, int], max_shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Correct residual parallax: smooth flow measured around the hole, interpolated inside it;
    the sample is then taken again from ``source`` in one resampling (camera move plus flow).
    Parallax grows with the camera's move, so flow over ``max_shift`` px (a fraction of the
    move) is something moving on its own and is left out."""
    known = ok & ~_ring(t_hole, 8) & ~t_hole
    if known.sum() < 64 or min(t_hole.shape) < 16:
        return sample, ok
    # neither image's object may steer the flow (its edges bent it around the hole's outline): both
    # images are smoothed over where either may not be read, so neither holds texture the other has not
    hide = t_hole | ~ok
    flow = local_flow(t_roi, sample, known, max_shift=max_shift, preset="medium", height=FLOW_HEIGHT,
                      hidden=(hide, hide))
    if not flow.any():
        return sample, ok
    ok2, inside = warp(ok.astype(np.float32), flow)
    moved = _resample(source, matrix, t_hole.shape, offset, flow)
    return moved.reshape(sample.shape), (ok2 > 0.999) & inside
