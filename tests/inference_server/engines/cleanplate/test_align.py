"""Camera alignment: known pans are recovered to sub-pixel accuracy, the model fits the move."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.cleanplate.align import align_shot, coverage, overlap, to_gray8, warp_image
from inference_server.engines.cleanplate.synthetic import panning_shot, textured_background


def _centre_error(matrices: np.ndarray, pan: tuple[float, float], ref: int, centre: tuple[float, float]) -> np.ndarray:
    c = np.array([centre[0], centre[1], 1.0])
    errs = []
    for i, m in enumerate(matrices):
        p = m @ c
        want = np.array(centre) + np.array(pan) * (i - ref)
        errs.append(np.abs(p[:2] / p[2] - want).max())
    return np.array(errs)


def test_pan_is_recovered_with_an_affine_and_subpixel_error() -> None:
    shot = panning_shot(10, size=(120, 160), pan=(5.0, 1.5), seed=0)
    al = align_shot(shot.plates, 5, exclude=[m > 0 for m in shot.mattes])
    assert al.model == "affine"                      # a pure pan needs no perspective terms
    assert al.reference == 5 and al.size == (120, 160)
    np.testing.assert_allclose(al.matrices[5], np.eye(3), atol=1e-9)
    err = _centre_error(al.matrices, (5.0, 1.5), 5, (80, 60))
    assert err.max() < 0.6, err
    assert np.median(err) < 0.3, err


def test_between_composes_frame_to_frame() -> None:
    shot = panning_shot(6, size=(120, 160), pan=(4.0, 0.0), seed=3)
    al = align_shot(shot.plates, 2)
    m = al.between(0, 5)                             # frame 0 -> frame 5: content moves left 20 px
    p = m @ np.array([100.0, 60.0, 1.0])
    assert p[0] / p[2] == pytest.approx(80.0, abs=0.8)
    assert p[1] / p[2] == pytest.approx(60.0, abs=0.8)


def test_perspective_move_picks_a_homography() -> None:
    import cv2

    base = textured_background(200, 260, seed=5)
    frames = []
    for t in range(6):
        k = 0.0006 * t                                # growing keystone: a tilt
        h = np.array([[1.0, 0.02 * t, 4.0 * t], [0.0, 1.0 + 0.04 * t, 2.0 * t], [k, 0.0, 1.0]])
        frames.append(cv2.warpPerspective(base, h, (220, 160), flags=cv2.INTER_LINEAR))
    al = align_shot(frames, 0)
    assert al.model == "homography"
    truth = np.array([[1.0, 0.1, 20.0], [0.0, 1.2, 10.0], [0.003, 0.0, 1.0]])   # frame 5 <- base
    pts = np.array([[60.0, 50.0, 1.0], [160.0, 110.0, 1.0]])
    for p in pts:
        got = al.matrices[5] @ p
        # frame 5 pixel -> base coords -> frame 0 (identity warp at t=0)
        want = np.linalg.inv(truth) @ p
        assert np.abs(got[:2] / got[2] - want[:2] / want[2]).max() < 1.5


def test_warp_and_coverage_agree() -> None:
    img = np.ones((40, 50, 3), np.float32)
    m = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, -5.0], [0.0, 0.0, 1.0]])
    out = warp_image(img, m, (40, 50))
    cov = coverage(m, (40, 50), (40, 50), margin=0)
    assert out.shape == (40, 50, 3)
    assert cov[20, 5] == False and cov[20, 30] == True  # noqa: E712
    assert overlap(m, (40, 50)) == pytest.approx((40 * 35) / (40 * 50), abs=0.03)


def test_gray_conversion_handles_every_dtype() -> None:
    f = np.full((4, 4, 3), 0.5, np.float32)
    assert to_gray8(f)[0, 0] == 128
    assert abs(int(to_gray8((f * 65535).astype(np.uint16))[0, 0]) - 128) <= 1
    assert to_gray8(np.full((4, 4, 3), 8.0, np.float32))[0, 0] > 200    # scene-linear highlights compress


@pytest.mark.parametrize("call, message", [
    (lambda fr: align_shot([], 0), "at least one frame"),
    (lambda fr: align_shot(fr, 7), "reference frame index 7"),
    (lambda fr: align_shot(fr, 0, "perspective"), "'perspective'"),
    (lambda fr: align_shot(fr + [np.zeros((10, 10, 3), np.float32)], 0), "frame index 3"),
    (lambda fr: align_shot(fr, 0, exclude=[None]), "1 exclusion mattes for 3 frames"),
])
def test_bad_input_is_refused_by_name(call, message) -> None:  # type: ignore[no-untyped-def]
    frames = panning_shot(3, size=(64, 80)).plates
    with pytest.raises(ValueError, match=message):
        call(frames)


def _pair_error(frames: list[np.ndarray], al: object, gap: int) -> float:
    """Mean |difference| (code values) of every frame and the frame ``gap`` later, warped onto it."""
    h, w = frames[0].shape[:2]
    errs = []
    for f in range(len(frames) - gap):
        m = al.between(f + gap, f)  # type: ignore[attr-defined]
        ok = coverage(m, (h, w), (h, w), (0, 0), margin=2)
        errs.append(float(np.abs(warp_image(frames[f + gap], m, (h, w), (0, 0)) - frames[f]).mean(axis=2)[ok].mean()))
    return 255.0 * float(np.mean(errs))


def test_auto_takes_the_model_that_lines_real_frames_up_best(shared_data: Path) -> None:
    """Running-car from frame 164: a zoom and pan over a tree line, 16 frames at 854x480. The
    homography's own inliers preferred it, and it lined frames 6 apart up worse than the affine
    (15.4 against 14.6 code values): the fill then borrowed background from the
    wrong place. "auto" must take the model whose matrices line the frames up best."""
    import av
    import cv2

    frames = []
    with av.open(str(shared_data / "footage/running-car/running_car.mp4")) as box:
        for i, f in enumerate(box.decode(video=0)):
            if i >= 180:
                break
            if i >= 164:
                frames.append(cv2.resize(f.to_ndarray(format="rgb24"), (854, 480), interpolation=cv2.INTER_AREA)
                              .astype(np.float32) / np.float32(255.0))
    errors = {model: _pair_error(frames, align_shot(frames, 8, model), 6) for model in ("affine", "homography")}
    auto = align_shot(frames, 8)
    assert errors[auto.model] <= min(errors.values()) + 0.05, (auto.model, errors)
    assert errors["affine"] < errors["homography"], errors   # the case this test is about


def test_a_weak_direct_fit_does_not_replace_frame_0s_chain() -> None:
    """Frame 0 before the reference is chained through frame 1's step; its direct fit to the
    reference must beat half that step's matches to replace it. (Frame 0 has no step of its own:
    counted as 0 matches, 22 matches on a snowmobile replaced running-car's chain and turned the
    frame 3.4 degrees.)"""
    from inference_server.engines.cleanplate.align import _fit_chain

    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 400, (300, 2)).astype(np.float32)
    step = np.array([5.0, 1.0], np.float32)                 # frame i's content sits 5 px right of frame i-1's
    pairs = [(pts + step, pts) for _ in range(4)]            # frame i -> frame i-1, 300 exact matches
    few = pts[:20]
    off = np.array([4.0, -3.0], np.float32)                  # 20 matches of something else, near the chain
    to_ref = [(few, few + 2 * step + off), (pts, pts + step), None, (pts + step, pts), (pts + 2 * step, pts)]
    mats, inliers, direct = _fit_chain(pairs, to_ref, 2, "affine", 2.5, (400, 400), 3000)
    np.testing.assert_allclose(mats[0][:2, 2], 2 * step, atol=0.05)   # the chain, not the 20 matches
    assert not direct[0] and inliers[0] == 300
    assert direct[1] and direct[3] and direct[4]
