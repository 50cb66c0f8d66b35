"""A mover of the host that the borrowed frames show where the background behind the hole is seen
is no background (``removal._passing``): the camera follows a player standing beside the removed
object, so the frames that reveal the background behind the object show the player there (and
only he is seen there by any frame). Borrowed, he came back inside the hole, a ghost of a person
the truth does not have there. Each sample is aligned on the background, so the player moves
from sample to sample and the background does not."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.align import ShotAlignment
from inference_server.engines.cleanplate.removal import _passing, grow, remove_object
from inference_server.engines.cleanplate.structure import KeyFills
from inference_server.engines.cleanplate.synthetic import follow_shot, textured_background

N, H, W = 12, 120, 160
PLAYER = (slice(32, 88), slice(114, 138))   # off the object's side (x 60-100), holding his place in frame


def _green(img: np.ndarray) -> np.ndarray:
    """How green each pixel is (the player is; the grey background is not)."""
    return img[..., 1] - 0.5 * (img[..., 0] + img[..., 2])


def _shot() -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    shot = follow_shot(N, size=(H, W), pan=(4.0, 0.0), box=(60, 30, 40, 60), halo=1.0)
    # green, in soft upright stripes: texture enough for the flow to see him move
    stripes = np.sin(np.arange(W, dtype=np.float32) / 3.0)[None, :] * np.ones((H, 1), np.float32)
    player = np.stack([0.2 + 0.05 * stripes, 0.65 + 0.25 * stripes, 0.15 + 0.05 * stripes], axis=2)
    truths, plates = [], []
    for tr, pl in zip(shot.truth, shot.plates):
        tr, pl = tr.copy(), pl.copy()
        tr[PLAYER] = player[PLAYER]
        pl[PLAYER] = player[PLAYER]
        truths.append(tr)
        plates.append(pl)
    return plates, list(shot.mattes), truths


def test_a_player_the_camera_follows_beside_the_hole_is_not_borrowed_into_it() -> None:
    plates, mattes, truths = _shot()
    # the camera's true move (4 px a frame): the removal is tested here, not the tracking
    matrices = np.stack([np.array([[1, 0, 4.0 * (i - N // 2)], [0, 1, 0], [0, 0, 1]]) for i in range(N)])
    al = ShotAlignment(matrices, "affine", N // 2, np.full(N, 100), np.ones(N, bool), (H, W))
    t = N - 1   # the last frame: every frame that reveals its hole reveals it from the player's side
    rem = remove_object(plates, mattes, al, t, regrain=0.0, margin=4, keys=KeyFills(al))
    hole = rem.hole
    assert _green(truths[t])[hole].max() < 0.1                      # the truth behind the object is grey
    green = _green(rem.image)[hole]
    assert (green > 0.2).mean() < 0.01, (green > 0.2).mean()         # no piece of the player inside
    assert np.abs(rem.image[hole] - truths[t][hole]).mean() < 0.12


def _moving_block(seed: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Four samples of a 64 x 80 region whose background lines up sample to sample, with a 16 px
    block moving 5 px a sample: (stack, valid, the background, the block's texture)."""
    rng = np.random.default_rng(seed)
    bg = textured_background(64, 80, 4)
    patch = textured_background(16, 16, 9)[::-1] * 0.6
    stack, valid = [], []
    for t in range(4):
        img = bg + rng.normal(0, 0.005, bg.shape).astype(np.float32)
        img[24:40, 10 + 5 * t:26 + 5 * t] = patch
        stack.append(img.reshape(-1, 3).astype(np.float32))
        valid.append(np.ones(64 * 80, bool))
    return stack, valid, bg, patch


def test_what_moves_against_the_background_is_left_out_of_a_sample_and_the_background_kept() -> None:
    h, w = 64, 80
    want = np.ones((h, w), bool)
    stack, valid, bg, _ = _moving_block(3)
    out = _passing(stack, valid, [0, 1, 2, 3], want, bg, np.zeros((h, w), bool), 8)
    for t, v in enumerate(out):
        kept = v.reshape(h, w)
        block = np.zeros((h, w), bool)
        block[24:40, 10 + 5 * t:26 + 5 * t] = True
        assert not kept[block].any(), t                     # the block is left out where it is
        # the background is kept, but for a spill of the flow round the block
        assert kept[~grow(block, 24)].all(), t
        assert kept[~grow(block, 2)].mean() > 0.85, (t, kept[~grow(block, 2)].mean())


def test_samples_are_left_as_they_were_where_the_frame_shows_a_mover_of_its_own_beside_the_hole() -> None:
    h, w = 64, 80
    want = np.ones((h, w), bool)
    stack, valid, bg, patch = _moving_block(4)
    beside = np.zeros((h, w), bool)
    beside[20:44, 40:64] = True                  # round the hole: the frame shows the block there
    target = bg.copy()
    target[24:40, 44:60] = patch
    kept = _passing(stack, valid, [0, 1, 2, 3], want, target, beside, 8)
    assert all(k.all() for k in kept)            # a mover of its own: the samples are not judged
    plain = _passing(stack, valid, [0, 1, 2, 3], want, bg, beside, 8)
    assert not any(k.all() for k in plain)       # the same beside the hole without it: they are


def test_a_mover_the_nearest_sample_does_not_show_is_found_against_the_other_side() -> None:
    # held out, a tennis player's hand at the edge of the region: the sample nearest in time had it
    # hidden by its object, so against that one it was no mover, and it came back in the hole
    h, w = 64, 80
    want = np.ones((h, w), bool)
    stack, valid, bg, _ = _moving_block(5)
    valid[0] = valid[0].reshape(h, w).copy()
    valid[0][:, :44] = False                      # sample 0 (time 0) shows nothing left of x 44
    valid[0] = valid[0].reshape(-1)
    out = _passing(stack, valid, [0, 1, 2, 3], want, bg, np.zeros((h, w), bool), 8)
    kept = out[1].reshape(h, w)                   # time 1: times 0 and 2 are as near; 0 comes first
    block = np.zeros((h, w), bool)
    block[24:40, 15:31] = True
    assert not kept[block].any(), kept[block].mean()
    assert kept[~grow(block, 24)].all()           # the background beyond is kept
