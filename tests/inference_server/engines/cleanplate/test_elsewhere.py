"""A donor that does not show the frame's background around the hole is not taken inside it: a
mover of the background (a truck the camera followed) that stood over the hole's place in every
other frame, gone in this one, is not pasted back, neither borrowed nor carried from a key; a
donor of the same scene in a little other light, or a few pixels off, still is."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.removal import (
    LIGHT_MOST,
    MISMATCH,
    MISMATCH_FLOOR,
    _elsewhere,
    band_texture,
    grow,
    light_step,
    remove_object,
)
from inference_server.engines.cleanplate.structure import KeyFills
from inference_server.engines.cleanplate.synthetic import textured_background

MAGENTA = np.array([1.0, 0.0, 1.0], np.float32)
H, W, N, PAN = 72, 104, 9, 2


def _smooth_scene() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W + PAN * (N - 1)].astype(np.float32)
    return np.stack([0.45 + 0.15 * np.sin(xx / 23.0 + c) * np.cos(yy / 17.0) for c in range(3)], axis=2)


def _shot(scene: np.ndarray, truck: np.ndarray | None, light: float = 1.0
          ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """N frames panning PAN px a frame over ``scene``; a magenta object over frame 4's hole;
    ``truck`` (the scene's size) painted over the hole's place and 20 px round it in every frame
    but 4; every frame but 4 in ``light`` times the light. Returns (frames, mattes, frame 4's
    hole, frame 4's truth)."""
    rng = np.random.default_rng(5)
    place = np.zeros(scene.shape[:2], bool)
    place[2:70, 10 + 4 * PAN:94 + 4 * PAN] = True
    frames = []
    for t in range(N):
        sc = scene.copy()
        if t != 4:
            if truck is not None:
                sc[place] = truck[place]
            sc = sc * np.float32(light)
        grain = rng.normal(0, 0.004, (H, W, 3))
        frames.append(np.clip(sc[:, PAN * t:PAN * t + W] + grain, 0, 1).astype(np.float32))
    truth = frames[4].copy()
    hole = np.zeros((H, W), np.float32)
    hole[22:50, 32:72] = 1.0
    frames[4][hole > 0] = MAGENTA
    return frames, [hole if t == 4 else np.zeros_like(hole) for t in range(N)], hole > 0, truth


def _remove(frames: list[np.ndarray], mattes: list[np.ndarray], key: bool = False):  # type: ignore[no-untyped-def]
    al = align_shot(frames, 4, exclude=[m > 0 for m in mattes])
    keys = KeyFills(al)
    if key:
        keys.add(3, frames[3], np.ones(frames[3].shape[:2], bool))   # a key holding what frame 3 shows
    return remove_object(frames, mattes, al, 4, regrain=0.0, margin=3, keys=keys)


def test_a_dark_truck_round_the_hole_in_the_other_frames_is_not_pasted_back() -> None:
    scene = textured_background(H, W + PAN * (N - 1), 6)
    truck = np.empty_like(scene)
    truck[:] = np.float32([0.08, 0.06, 0.05])
    frames, mattes, hole, truth = _shot(scene, truck)
    rem = _remove(frames, mattes, key=True)
    assert not rem.revealed[hole].any()
    assert rem.carried is None or not rem.carried[hole].any()
    assert rem.painted is not None and rem.painted[hole].all()
    # painted from round it, in the tone round it (the truck's is 0.35 and more off it)
    ring = grow(hole, 12) & ~grow(hole, 3)
    assert np.abs(rem.image[hole].mean(axis=0) - truth[ring].mean(axis=0)).max() < 0.15
    assert np.abs(truck[0, 0] - truth[ring].mean(axis=0)).min() > 0.35


def test_a_busy_truck_in_the_same_light_is_told_by_its_texture() -> None:
    """The truck's light is the scene's (so no light step tells it), its stripes are not."""
    scene = _smooth_scene()
    yy, xx = np.mgrid[0:H, 0:W + PAN * (N - 1)]
    stripes = (((xx // 3) + (yy // 5)) % 2).astype(np.float32)[..., None]
    truck = scene.mean(axis=(0, 1)) + (stripes - 0.5) * np.float32(0.5)
    frames, mattes, hole, truth = _shot(scene, truck.astype(np.float32))
    assert light_step(truth, frames[3], grow(hole, 20) & ~grow(hole, 4)) < 0.2
    rem = _remove(frames, mattes)
    assert not rem.revealed[hole].any()
    assert np.abs(rem.image[hole] - truth[hole]).mean() < 0.05      # the smooth scene, painted


def test_the_same_scene_in_a_little_other_light_is_still_borrowed() -> None:
    frames, mattes, hole, truth = _shot(_smooth_scene(), None, light=0.75)   # 0.4 stop darker
    rem = _remove(frames, mattes)
    assert rem.revealed[hole].all()
    assert np.abs(rem.image[hole] - truth[hole]).mean() < 0.01


def test_elsewhere_is_measured_against_the_band_texture_and_the_light() -> None:
    off = np.full((6, 8), 0.05, np.float32)
    off[0, :] = np.inf                                             # blocks with too little band
    assert _elsewhere(off, 0.0, 0.05 / (MISMATCH + 1))            # far beyond the surroundings' own texture
    assert not _elsewhere(off, 0.0, 0.05 / (MISMATCH - 1))
    assert _elsewhere(off, LIGHT_MOST + 0.1, 0.05)                # matched, but from another light
    assert _elsewhere(np.full((6, 8), 1.1 * MISMATCH * MISMATCH_FLOOR, np.float32), 0.0, 0.0)  # flat: the floor
    assert not _elsewhere(np.full((6, 8), 0.9 * MISMATCH * MISMATCH_FLOOR, np.float32), 0.0, 0.0)
    off[:4] = 0.0                                                  # most blocks match: a mover beside the hole
    assert not _elsewhere(off, 0.0, 0.05 / (MISMATCH + 1))
    assert not _elsewhere(np.full((3, 3), np.inf, np.float32), 0.0, 0.001)   # nothing measured: no word


def test_light_step_and_texture_read_the_band_only() -> None:
    band = np.zeros((40, 40), bool)
    band[:8] = True
    grey = np.full((40, 40, 3), 0.4, np.float32)
    assert abs(light_step(grey, grey * 0.5, band) - 0.95) < 0.05    # a stop, less the floor's share
    darker = grey.copy()
    darker[:8, :12] = 0.05                                           # a dark mover over part of the band
    assert light_step(grey, darker, band) < 0.05
    obj = grey.copy()
    obj[12:30, 10:30] = MAGENTA                                      # the object beside the band is not its texture
    known = np.ones((40, 40), bool)
    known[10:32, 8:32] = False
    assert band_texture(obj, band, known) < 1e-4
    assert band_texture(obj, band, np.ones((40, 40), bool)) > 1e-3
