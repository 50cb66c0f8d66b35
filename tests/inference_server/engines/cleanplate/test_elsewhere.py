"""A donor that does not show the frame's background around the hole is not taken inside it: a
mover of the background (a truck the camera followed) that stood over the hole's place in every
other frame, gone in this one, is not pasted back, neither borrowed nor carried from a key."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.removal import LIGHT_MOST, MISMATCH, _elsewhere, grow, light_step, remove_object
from inference_server.engines.cleanplate.structure import KeyFills
from inference_server.engines.cleanplate.synthetic import textured_background

MAGENTA = np.array([1.0, 0.0, 1.0], np.float32)
TRUCK = np.array([0.08, 0.06, 0.05], np.float32)


def _truck_shot() -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """9 frames panning 2 px a frame over a texture; a magenta object over frame 4's hole; a dark
    truck stands over that place and 20 px round it in the scene in every frame but 4.
    Returns (frames, mattes, frame 4's hole, frame 4's truth)."""
    rng = np.random.default_rng(5)
    h, w, n, pan = 72, 104, 9, 2
    base = textured_background(h, w + pan * (n - 1), 6)
    truck = np.zeros(base.shape[:2], bool)
    truck[2:70, 10 + 4 * pan:94 + 4 * pan] = True                  # the hole's place in the scene, and round it
    frames = []
    for t in range(n):
        scene = base.copy()
        if t != 4:
            scene[truck] = TRUCK + rng.normal(0, 0.02, (int(truck.sum()), 3)).astype(np.float32)
        frames.append(np.clip(scene[:, pan * t:pan * t + w] + rng.normal(0, 0.004, (h, w, 3)), 0, 1).astype(np.float32))
    truth = frames[4].copy()
    hole = np.zeros((h, w), np.float32)
    hole[22:50, 32:72] = 1.0
    frames[4][hole > 0] = MAGENTA
    return frames, [hole if t == 4 else np.zeros_like(hole) for t in range(n)], hole > 0, truth


def test_a_donor_showing_another_scene_round_the_hole_is_not_taken() -> None:
    frames, mattes, hole, truth = _truck_shot()
    al = align_shot(frames, 4, exclude=[m > 0 for m in mattes])
    keys = KeyFills(al)
    keys.add(3, frames[3], np.ones(hole.shape, bool))              # a key holding the truck
    rem = remove_object(frames, mattes, al, 4, regrain=0.0, margin=3, keys=keys)
    assert not rem.revealed[hole].any()
    assert rem.carried is None or not rem.carried[hole].any()
    assert rem.painted is not None and rem.painted[hole].all()
    near_truck = (np.abs(rem.image[hole] - TRUCK).max(axis=1) < 0.1).mean()
    assert near_truck < 0.02, near_truck                           # pasted, it was the whole hole
    # painted from round it, in the tone round it (the truck's is 0.35 and more off it)
    ring = grow(hole, 12) & ~grow(hole, 3)
    assert np.abs(rem.image[hole].mean(axis=0) - truth[ring].mean(axis=0)).max() < 0.15
    assert np.abs(TRUCK - truth[ring].mean(axis=0)).min() > 0.35


def test_elsewhere_is_measured_against_the_band_texture_and_the_light() -> None:
    off = np.full((6, 8), 0.05, np.float32)
    off[0, :] = np.inf                                             # blocks with too little band
    assert _elsewhere(off, 0.0, 0.05 / (MISMATCH + 1))            # far beyond the surroundings' own texture
    assert not _elsewhere(off, 0.0, 0.05 / (MISMATCH - 1))
    assert _elsewhere(off, LIGHT_MOST + 0.1, 0.05)                # matched, but from another light
    off[:4] = 0.0                                                  # most blocks match: a mover beside the hole
    assert not _elsewhere(off, 0.0, 0.05 / (MISMATCH + 1))
    assert not _elsewhere(np.full((3, 3), np.inf, np.float32), 0.0, 0.001)   # nothing measured: no word
    band = np.zeros((20, 20), bool)
    band[:4] = True
    grey = np.full((20, 20, 3), 0.4, np.float32)
    assert abs(light_step(grey, grey * 0.5, band) - 1.0) < 0.1   # half the light: a stop (less the floor's share)
