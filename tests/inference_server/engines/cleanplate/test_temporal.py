"""Robust temporal estimate: outliers (whatever moves) are voted out, invalid samples ignored."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.cleanplate.temporal import robust_temporal_estimate


def test_moving_object_is_voted_out_and_grain_averaged() -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.2, 0.8, (12, 16, 3)).astype(np.float32)
    stack = truth[None] + rng.normal(0, 0.01, (9, 12, 16, 3)).astype(np.float32)
    for k in range(3):                                  # an object over a third of the samples
        stack[k * 3, 2:8, 3:9] = 0.95
    valid = np.ones(stack.shape[:3], bool)
    est = robust_temporal_estimate(stack, valid)
    assert np.abs(est.image - truth).max() < 0.03
    assert np.abs(est.image - truth).mean() < 0.006     # mean of inliers: grain averaged down
    assert est.support[4, 5] <= 8 and est.support[0, 0] >= 7
    assert est.seen.all()


def test_invalid_samples_are_ignored_and_unseen_reported() -> None:
    stack = np.zeros((4, 5, 6, 1), np.float32)
    stack[:] = np.arange(4, dtype=np.float32)[:, None, None, None] / 10
    valid = np.ones((4, 5, 6), bool)
    valid[:2] = False                                   # only samples 2 and 3 count
    valid[:, 0, 0] = False                              # no sample at all here
    est = robust_temporal_estimate(stack, valid)
    assert est.image[1, 1, 0] == pytest.approx(0.25)
    assert est.samples[1, 1] == 2 and est.samples[0, 0] == 0
    assert not est.seen[0, 0] and est.seen[1, 1]
    assert est.image[0, 0, 0] == 0.0


def test_integer_stacks_come_back_scaled() -> None:
    stack = np.full((3, 2, 2, 3), 51, np.uint8)
    est = robust_temporal_estimate(stack, np.ones((3, 2, 2), bool))
    assert est.image.dtype == np.float32
    np.testing.assert_allclose(est.image, 0.2, atol=1e-6)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="must be \\(N, H, W, C\\)"):
        robust_temporal_estimate(np.zeros((3, 4, 4)), np.ones((3, 4, 4), bool))
    with pytest.raises(ValueError, match="validity mask is"):
        robust_temporal_estimate(np.zeros((3, 4, 4, 1)), np.ones((2, 4, 4), bool))
    with pytest.raises(ValueError, match="outlier rejection must be > 0"):
        robust_temporal_estimate(np.zeros((3, 4, 4, 1)), np.ones((3, 4, 4), bool), rejection=0)


def test_spread_measures_the_grain_of_the_averaged_samples() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.2, 0.8, (20, 24, 3)).astype(np.float32)   # static texture: no spread
    stack = truth[None] + rng.normal(0, 0.02, (8, 20, 24, 3)).astype(np.float32)
    valid = np.ones(stack.shape[:3], bool)
    valid[1:, 0, 0] = False                                         # one sample: no spread measured
    est = robust_temporal_estimate(stack, valid, nearest=4)
    assert est.spread[0, 0] == 0.0
    assert np.median(est.spread[1:]) == pytest.approx(0.02 ** 2, rel=0.3)
    assert est.spread.dtype == np.float32 and est.spread.shape == (20, 24)


def test_where_computes_only_the_pixels_asked_and_the_same_values() -> None:
    rng = np.random.default_rng(3)
    stack = (0.5 + 0.05 * rng.standard_normal((7, 20, 24, 3))).astype(np.float32)
    stack[2, 5:12, 6:14] = 0.95                                  # a mover in one sample
    valid = rng.random((7, 20, 24)) > 0.2
    where = np.zeros((20, 24), bool)
    where[4:15, 3:18] = True
    whole = robust_temporal_estimate(stack, valid, nearest=3)
    part = robust_temporal_estimate(stack, valid, nearest=3, where=where)
    for name in ("image", "support", "samples", "seen", "spread"):
        np.testing.assert_allclose(getattr(part, name)[where], getattr(whole, name)[where], rtol=1e-5, atol=1e-6)
    assert not part.seen[~where].any() and not part.image[~where].any()
    with pytest.raises(ValueError, match="'where'"):
        robust_temporal_estimate(stack, valid, where=where[:5])


def test_prefer_picks_which_inliers_are_averaged_but_not_the_vote() -> None:
    stack = np.zeros((6, 2, 3, 1), np.float32)
    stack[:, :, :, 0] = np.array([0.50, 0.51, 0.52, 0.53, 0.54, 0.95], np.float32)[:, None, None]
    valid = np.ones((6, 2, 3), bool)
    plain = robust_temporal_estimate(stack, valid, nearest=2, noise_floor=0.01)
    assert plain.image[0, 0, 0] == pytest.approx(0.505)                # the first two inliers
    prefer = np.tile(np.array([5, 4, 3, 0, 1, -9], np.float32)[:, None, None], (1, 2, 3))
    prefer[:, 1, 2] = 0.0                                               # all equal here: the stack's order
    est = robust_temporal_estimate(stack, valid, nearest=2, noise_floor=0.01, prefer=prefer)
    assert est.image[0, 0, 0] == pytest.approx(0.535)                   # samples 3 and 4; the outlier 5 is
    assert est.image[1, 2, 0] == pytest.approx(0.505)                   # voted out however preferred
    assert est.support[0, 0] == 2
    part = robust_temporal_estimate(stack, valid, nearest=2, noise_floor=0.01, prefer=prefer,
                                    where=np.ones((2, 3), bool))
    np.testing.assert_allclose(part.image, est.image)
    with pytest.raises(ValueError, match="'prefer'"):
        robust_temporal_estimate(stack, valid, nearest=2, prefer=prefer[:3])



def test_a_group_the_vote_rejects_is_taken_from_across_the_frame_when_as_near_and_all_preferred() -> None:
    # four frames after the frame show a leg that stepped in, three before it show the wall it has
    # now; beside the hole, every wall frame matches the frame better than any leg frame
    stack = np.zeros((7, 1, 3, 1), np.float32)
    stack[:, :, :, 0] = np.array([0.05, 0.55, 0.06, 0.07, 0.56, 0.05, 0.55], np.float32)[:, None, None]
    valid = np.ones((7, 1, 3), bool)
    side = np.array([2, -1, 3, 4, -3, 5, -4])     # frame offsets: a wall frame is the nearest
    prefer = np.tile(np.array([0.07, 0.05, 0.08, 0.09, 0.06, 0.09, 0.05], np.float32)[:, None, None], (1, 1, 3))
    prefer[4, 0, 1] = 0.2                         # here one wall frame matches worse than any leg frame
    est = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer, side=side)
    assert est.image[0, 0, 0] == pytest.approx(0.5533, abs=1e-4)   # the wall: its three frames, averaged
    assert est.support[0, 0] == 3
    assert est.image[0, 1, 0] == pytest.approx(0.0575)      # not every one preferred, nor on the mean: the vote stands
    same = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer,
                                    side=np.arange(1, 8))
    assert same.image[0, 0, 0] == pytest.approx(0.0575)     # all on one side: a moment's mover, the vote stands
    later = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer,
                                     side=np.array([1, -4, 2, 3, -5, 6, -6]))
    assert later.image[0, 0, 0] == pytest.approx(0.0575)    # the wall frames further in time: the vote stands
    two = valid.copy()
    two[6] = False                                          # two wall frames: no group (a blur tail in two frames)
    assert robust_temporal_estimate(stack, two, nearest=4, noise_floor=0.01, prefer=prefer,
                                    side=side).image[0, 0, 0] == pytest.approx(0.0575)
    part = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer, side=side,
                                    where=np.array([[True, False, True]]))
    assert part.image[0, 0, 0] == pytest.approx(0.5533, abs=1e-4)
    plain = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer)
    assert plain.image[0, 0, 0] == pytest.approx(0.0575)    # without sides, the majority
    with pytest.raises(ValueError, match="'side'"):
        robust_temporal_estimate(stack, valid, prefer=prefer, side=side[:3])


def test_a_split_vote_is_settled_by_the_mean_preference_from_across_the_frame() -> None:
    # a locked-off shot: a child's arm is down (0.30) in the four frames 5-8 before the frame and
    # raised (0.80) in the five frames 4-8 after it; beside the hole, the frames before match the
    # frame better on the mean, though one of them matches worse than the best kept
    stack = np.zeros((9, 1, 4, 1), np.float32)
    stack[:, :, :, 0] = np.array([0.80, 0.30, 0.81, 0.31, 0.80, 0.30, 0.79, 0.31, 0.80], np.float32)[:, None, None]
    valid = np.ones((9, 1, 4), bool)
    side = np.array([4, -5, 5, -6, 6, -7, 7, -8, 8])
    prefer = np.tile(np.array([0.05, 0.04, 0.06, 0.03, 0.07, 0.045, 0.08, 0.05, 0.09], np.float32)[:, None, None],
                     (1, 1, 4))
    prefer[:, 0, 1] = np.array([0.05, 0.07, 0.06, 0.08, 0.07, 0.075, 0.08, 0.09, 0.09])   # the after frames preferred
    est = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer, side=side)
    assert est.image[0, 0, 0] == pytest.approx(0.305)      # the arm down: the frames before, 4 against 5
    assert est.support[0, 0] == 4
    assert est.image[0, 1, 0] == pytest.approx(0.80, abs=0.006)   # where the frames after match better, the vote stands
    far = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer,
                                   side=np.array([2, -5, 3, -6, 4, -7, 5, -8, 6]))
    assert far.image[0, 0, 0] == pytest.approx(0.80, abs=0.006)   # the frames before over twice as far: the vote stands
    few = valid.copy()
    few[[1, 3], :, 2:] = False                              # two frames before left: no group
    few[5, :, 3] = False                                    # ... or one
    alone = robust_temporal_estimate(stack, few, nearest=4, noise_floor=0.01, prefer=prefer, side=side)
    assert alone.image[0, 2, 0] == pytest.approx(0.80, abs=0.006)
    assert alone.image[0, 3, 0] == pytest.approx(0.80, abs=0.006)
    many = np.concatenate([stack, np.full((4, 1, 4, 1), 0.80, np.float32)])     # nine after: 4 is under half
    many_est = robust_temporal_estimate(many, np.ones((13, 1, 4), bool), nearest=4, noise_floor=0.01,
                                        prefer=np.concatenate([prefer, np.full((4, 1, 4), 0.09, np.float32)]),
                                        side=np.concatenate([side, [9, 10, 11, 12]]))
    assert many_est.image[0, 0, 0] == pytest.approx(0.80, abs=0.006)
    one_side = robust_temporal_estimate(stack, valid, nearest=4, noise_floor=0.01, prefer=prefer,
                                        side=np.abs(side))
    assert one_side.image[0, 0, 0] == pytest.approx(0.80, abs=0.006)   # all after the frame: a moment's mover
