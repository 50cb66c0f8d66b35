"""A mover the hole lies across (``_mover_across``): where the frame holds, on both sides of the hole,
something the frames that reveal the hole do not show beside it (a truck under the removed rider,
moving with the camera), the hole there is not filled with the background those frames show, but
continued from the frame's own surroundings; a mover on one side only does not stop the borrowing."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.removal import DRIFT, MISMATCH, MISMATCH_FLOOR, _mover_across, remove_object
from inference_server.engines.cleanplate.synthetic import textured_background

MAGENTA = np.array([1.0, 0.0, 1.0], np.float32)
TRUCK = np.array([0.08, 0.06, 0.05], np.float32)
H, W, N, PAN = 72, 104, 9, 2


def _scene() -> np.ndarray:
    """A mid-grey background with texture enough to align on, its light well above the truck's."""
    tex = textured_background(H, W + PAN * (N - 1), 4)
    return (0.5 + 0.35 * (tex - tex.mean())).astype(np.float32)


def _shot_with_a_truck(cols: slice) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """N frames panning PAN px a frame; in frame 4 only, a dark truck over rows 14-58 and ``cols``,
    and a magenta object over the hole (rows 22-50, columns 32-72). Returns (frames, mattes,
    frame 4's hole, frame 4's truth)."""
    rng = np.random.default_rng(3)
    scene = _scene()
    frames = []
    for t in range(N):
        frame = scene[:, PAN * t:PAN * t + W].copy()
        if t == 4:
            frame[14:58, cols] = TRUCK
        frames.append(np.clip(frame + rng.normal(0, 0.004, (H, W, 3)), 0, 1).astype(np.float32))
    truth = frames[4].copy()
    hole = np.zeros((H, W), np.float32)
    hole[22:50, 32:72] = 1.0
    frames[4][hole > 0] = MAGENTA
    return frames, [hole if t == 4 else np.zeros_like(hole) for t in range(N)], hole > 0, truth


def _remove(frames: list[np.ndarray], mattes: list[np.ndarray]):  # type: ignore[no-untyped-def]
    al = align_shot(frames, 4, exclude=[m > 0 for m in mattes])
    return remove_object(frames, mattes, al, 4, regrain=0.0, margin=3)


def test_the_hole_across_a_truck_only_this_frame_holds_is_continued_from_the_truck() -> None:
    """The truck runs from above the hole to below it over its left part: the rider stands on it."""
    frames, mattes, hole, truth = _shot_with_a_truck(slice(20, 52))
    rem = _remove(frames, mattes)
    under = np.zeros_like(hole)
    under[26:46, 34:46] = True                      # deep in the truck's part of the hole
    assert not rem.revealed[under].any()            # the frames that show the scene there are not taken
    fill = rem.image[under].mean(axis=0)
    scene = frames[3][under].mean(axis=0)           # what the other frames show there (the pan is 2 px)
    assert np.abs(fill - TRUCK).mean() < 0.5 * np.abs(scene - TRUCK).mean()   # continued from the truck
    clear = np.zeros_like(hole)
    clear[24:48, 62:72] = True                      # the scene's part, far from the truck: still borrowed
    assert rem.revealed[clear].all()
    assert np.abs(rem.image[clear] - truth[clear]).mean() < 0.02


def test_a_truck_on_one_side_of_the_hole_only_does_not_stop_the_borrowing() -> None:
    frames, mattes, hole, truth = _shot_with_a_truck(slice(14, 31))   # ends a pixel short of the hole
    rem = _remove(frames, mattes)
    inner = hole.copy()
    inner[:, :36] = False                           # the hole but its edge beside the truck
    assert rem.revealed[inner].all()
    assert np.abs(rem.image[inner] - truth[inner]).mean() < 0.02


def _ring_offs(n: int, off: float = 0.0) -> list[np.ndarray]:
    """n samples' residuals on a band two blocks wide round a 6 x 6 block hole (inf: no band)."""
    out = []
    for _ in range(n):
        o = np.full((10, 10), off, np.float32)
        o[2:8, 2:8] = np.inf
        out.append(o)
    return out


SIZE = (40, 40)
STEPS = _ring_offs(5, 0.01)                        # the samples' own change from block to block
MISS = max(DRIFT * 0.01, MISMATCH * MISMATCH_FLOOR) + 0.1   # far beyond what that change and the floor allow


def _miss(offs: list[np.ndarray], cols: slice) -> None:
    for o in offs:
        o[:, cols] = MISS
        o[2:8, 2:8] = np.inf


def test_a_mover_held_on_both_sides_of_the_hole_is_across_it() -> None:
    offs = _ring_offs(5)
    _miss(offs[:3], slice(0, 2))                   # three of five miss the frame left of the hole...
    _miss(offs[:3], slice(8, 10))                  # ... and right of it
    across = _mover_across(offs, STEPS, SIZE)
    assert across[8:32, 8:32].all()                # the hole (blocks 2-7), row by row
    assert not across[:8].any() and not across[32:].any() and not across[:, :8].any()   # the band itself


def test_a_mover_on_one_side_or_in_a_few_samples_or_a_busy_band_is_not_across() -> None:
    offs = _ring_offs(5)
    _miss(offs[:3], slice(0, 2))                   # left of the hole only
    assert not _mover_across(offs, STEPS, SIZE).any()
    offs = _ring_offs(5)
    _miss(offs[:2], slice(0, 2))
    _miss(offs[:2], slice(8, 10))                  # two of five: the frame shares its band with most
    assert not _mover_across(offs, STEPS, SIZE).any()
    few = [np.full((10, 10), np.inf, np.float32) for _ in range(3)]
    few[0] = _ring_offs(1, MISS)[0]
    few[1] = _ring_offs(1, MISS)[0]                # two measured: no word
    assert not _mover_across(few, STEPS[:3], SIZE).any()
    offs = _ring_offs(5)
    _miss(offs[:3], slice(0, 2))
    _miss(offs[:3], slice(8, 10))
    busy = _ring_offs(5, MISS)                     # the samples' own blocks change that much: misplacement
    assert not _mover_across(offs, busy, SIZE).any()
