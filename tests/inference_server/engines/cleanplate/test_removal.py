"""Clean plate, object removal and foreground matte on a small synthetic panning shot."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.matte import foreground_matte, guided_filter, matte_iou
from inference_server.engines.cleanplate.plate import build_clean_plate, reproject, sample_indices
from inference_server.engines.cleanplate.removal import remove_object
from inference_server.engines.cleanplate.synthetic import SyntheticShot, panning_shot
from inference_server.engines.metrics import psnr


@pytest.fixture(scope="module")
def shot() -> SyntheticShot:
    return panning_shot(10, size=(120, 160), pan=(5.0, 1.5), seed=0)


def test_clean_plate_recovers_the_background(shot: SyntheticShot) -> None:
    cp = build_clean_plate(shot.plates, 5, refine=False)
    bg = shot.background[5]
    assert cp.image.shape == bg.shape and cp.seen.shape == bg.shape[:2]
    assert cp.seen.mean() > 0.97
    disc = shot.mattes[5] > 0
    assert psnr(cp.image[cp.seen], bg[cp.seen]) > 34.0
    assert psnr(cp.image[disc], bg[disc]) > 26.0               # the object is gone
    assert psnr(shot.plates[5][disc], bg[disc]) < 15.0          # (it was there)


def test_never_seen_clean_is_reported_under_a_matte_that_never_uncovers(shot: SyntheticShot) -> None:
    mattes = []
    for t, m in enumerate(shot.mattes):
        fixed = np.zeros((120, 160), np.float32)                # a prop fixed in the world, always matted
        x0, y0 = int(round(60 - 5.0 * (t - 5))), int(round(40 - 1.5 * (t - 5)))
        fixed[y0:y0 + 20, x0:x0 + 30] = 1.0
        mattes.append(np.maximum(m, fixed))
    cp = build_clean_plate(shot.plates, 5, refine=False, mattes=mattes)
    assert not cp.seen[42:58, 62:88].any()
    assert cp.seen[:30].all() and cp.seen[70:].all()


def test_sample_indices_keep_the_reference() -> None:
    picks = sample_indices(100, 37, 10)
    assert len(picks) <= 11 and 37 in picks and picks[0] == 0 and picks[-1] == 99
    with pytest.raises(ValueError, match="at least 2 frames"):
        sample_indices(10, 0, 1)


def test_object_removal_restores_the_background_and_leaves_the_rest_exact(shot: SyntheticShot) -> None:
    al = align_shot(shot.plates, 5, exclude=[m > 0 for m in shot.mattes])
    for i in (0, 5, 9):
        rem = remove_object(shot.plates, shot.mattes, al, i, regrain=0.0)
        hole = shot.mattes[i] > 0
        np.testing.assert_array_equal(rem.image[~hole], shot.plates[i][~hole])
        assert rem.revealed[hole].mean() > 0.95
        assert psnr(rem.image[hole], shot.truth[i][hole]) > 28.0
        assert psnr(shot.plates[i][hole], shot.truth[i][hole]) < 15.0


def test_regrain_adds_texture_only_inside_the_matte(shot: SyntheticShot) -> None:
    al = align_shot(shot.plates, 5, exclude=[m > 0 for m in shot.mattes])
    flat = remove_object(shot.plates, shot.mattes, al, 3, regrain=0.0, refine=False)
    grainy = remove_object(shot.plates, shot.mattes, al, 3, regrain=1.0, refine=False, seed=1)
    hole = shot.mattes[3] > 0
    np.testing.assert_array_equal(grainy.image[~hole], shot.plates[3][~hole])
    added = (grainy.image - flat.image)[hole]
    assert 0.002 < added.std() < 0.02                           # the plate's grain is 0.01


def test_soft_matte_is_removed_in_full_and_empty_matte_is_a_no_op(shot: SyntheticShot) -> None:
    # a soft or grey matte (a movie matte decodes white as 0.92) must not blend the object back
    al = align_shot(shot.plates, 5)
    soft = [m * 0.5 for m in shot.mattes]
    rem = remove_object(shot.plates, soft, al, 4, regrain=0.0, refine=False)
    full = remove_object(shot.plates, shot.mattes, al, 4, regrain=0.0, refine=False)
    hole = shot.mattes[4] > 0
    np.testing.assert_allclose(rem.image[hole], full.image[hole], atol=1e-6)
    assert psnr(rem.image[hole], shot.truth[4][hole]) > 28.0
    empty = [np.zeros_like(m) for m in shot.mattes]
    none = remove_object(shot.plates, empty, al, 4)
    np.testing.assert_array_equal(none.image, shot.plates[4])


def test_removal_refuses_bad_mattes(shot: SyntheticShot) -> None:
    al = align_shot(shot.plates[:4], 1)
    with pytest.raises(ValueError, match="got 3 matte frames for 4 plate frames"):
        remove_object(shot.plates[:4], shot.mattes[:3], al, 0)
    with pytest.raises(ValueError, match="matte for frame index 0 is \\(10, 10\\)"):
        remove_object(shot.plates[:4], [np.ones((10, 10), np.float32)] * 4, al, 0)
    with pytest.raises(ValueError, match="frame index 9 is outside"):
        remove_object(shot.plates[:4], shot.mattes[:4], al, 9)


def test_foreground_matte_finds_the_object(shot: SyntheticShot) -> None:
    cp = build_clean_plate(shot.plates, 5, refine=False)
    ious = []
    for i in (0, 4, 8):
        clean, known = reproject(cp, i, shot.plates[i], refine=False)
        matte = foreground_matte(shot.plates[i], clean, known)
        assert matte.dtype == np.float32 and matte.min() >= 0.0 and matte.max() <= 1.0
        ious.append(matte_iou(matte, shot.mattes[i]))
    assert min(ious) > 0.75 and np.mean(ious) > 0.8, ious


def test_hard_matte_and_bad_parameters(shot: SyntheticShot) -> None:
    img, clean = shot.plates[5], shot.background[5]
    hard = foreground_matte(img, clean, softness=0.0)
    assert set(np.unique(hard)) <= {0.0, 1.0}
    assert matte_iou(hard, shot.mattes[5]) > 0.75
    with pytest.raises(ValueError, match="softness must be within 0-1, got 2"):
        foreground_matte(img, clean, softness=2)
    with pytest.raises(ValueError, match="two \\(H, W, C\\) images of one shape"):
        foreground_matte(img, clean[:10])


def test_guided_filter_keeps_edges_of_the_guide() -> None:
    guide = np.zeros((40, 40), np.float32)
    guide[:, 20:] = 1.0
    rough = np.zeros_like(guide)
    rough[:, 17:] = 1.0                                        # a matte 3 px too wide
    out = guided_filter(guide, rough, 4, 1e-4)
    assert out[20, 10] == pytest.approx(0.0, abs=0.05) and out[20, 30] == pytest.approx(1.0, abs=0.05)
    assert out[20, 19] < 0.8 and out[20, 17] < 0.5             # the too-wide band is pulled down
    assert out[20, 20] - out[20, 19] > 0.25                    # and the edge steps where the guide's does
    with pytest.raises(ValueError, match="radius >= 1"):
        guided_filter(guide, rough, 0, 1e-3)


def test_shot_canvas_covers_every_frame_of_a_long_pan() -> None:
    long = panning_shot(12, size=(96, 128), pan=(8.0, 0.0), seed=2)     # 88 px of pan on 128 px frames
    ref_only = build_clean_plate(long.plates, 6, refine=False)
    canvas = build_clean_plate(long.plates, 6, refine=False, canvas="shot")
    assert ref_only.image.shape == (96, 128, 3) and ref_only.offset == (0, 0)
    x0, y0 = canvas.offset
    assert x0 <= -40 and canvas.image.shape[1] >= 128 + 80
    for i in (0, 11):
        clean_r, known_r = reproject(ref_only, i, refine=False)
        clean_s, known_s = reproject(canvas, i, refine=False)
        assert known_r.mean() < 0.7 and known_s.mean() > 0.95           # the far frames leave the reference's view
        disc = long.mattes[i] > 0
        keep = known_s & ~disc
        assert psnr(clean_s[keep], long.background[i][keep]) > 30.0
    with pytest.raises(ValueError, match="canvas must be 'reference' or 'shot'"):
        build_clean_plate(long.plates, 6, canvas="panorama")


def test_regrain_adds_only_the_grain_the_average_removed() -> None:
    # no grain, only fine static texture: the spatial grain model counts the texture as grain,
    # but the aligned frames agree, so the fill lacks nothing and little is added
    clean = panning_shot(10, size=(120, 160), pan=(5.0, 1.5), seed=0, grain=0.0)
    al = align_shot(clean.plates, 5, exclude=[m > 0 for m in clean.mattes])
    flat = remove_object(clean.plates, clean.mattes, al, 3, regrain=0.0, refine=False)
    grainy = remove_object(clean.plates, clean.mattes, al, 3, regrain=1.0, refine=False, seed=1)
    hole = clean.mattes[3] > 0
    assert (grainy.image - flat.image)[hole].std() < 0.004
    from inference_server.engines.wire.regrain import estimate_grain

    assert estimate_grain(clean.plates[3], clean.mattes[3]).sigma.mean() > 0.006


def test_matte_keeps_thin_rims_and_the_background_seen_through_them() -> None:
    import cv2

    rng = np.random.default_rng(5)
    clean = np.clip(0.4 + rng.normal(0, 0.01, (120, 160, 3)), 0, 1).astype(np.float32)
    ring = np.zeros((120, 160), np.uint8)
    cv2.circle(ring, (80, 60), 16, 1, 2)                      # a wheel's rim, 2 px wide
    img = clean.copy()
    img[ring > 0] = (0.1, 0.12, 0.1)
    matte = foreground_matte(img, clean)
    assert (matte[ring > 0] > 0.5).mean() > 0.95               # the whole rim is found
    assert matte_iou(matte, ring.astype(np.float32)) > 0.45     # (edges grow by the denoising blur)
    assert matte[60, 80] < 0.1                                 # the inside of the wheel stays background


def test_matte_finds_a_change_of_hue_display_referred_or_scene_linear() -> None:
    rng = np.random.default_rng(6)
    clean = np.clip(np.array([0.6, 0.35, 0.25]) + rng.normal(0, 0.004, (96, 128, 3)), 0, 1).astype(np.float32)
    box = np.zeros((96, 128), np.float32)
    box[30:60, 20:50] = 1.0
    img = clean.copy()
    img[box > 0] = (0.38, 0.42, 0.36)                           # about as light, another hue
    assert matte_iou(foreground_matte(img, clean), box) > 0.85
    linear = [np.where(x > 0.04045, ((x + 0.055) / 1.055) ** 2.4, x / 12.92).astype(np.float32) * 8.0
              for x in (img, clean)]                            # the same picture, scene-linear, peaks over 1.5
    assert max(float(linear[1].max()), float(linear[0].max())) > 1.5
    assert matte_iou(foreground_matte(linear[0], linear[1]), box) > 0.85
    from inference_server.engines.cleanplate.matte import to_lab

    lab = to_lab(clean, clean)
    assert lab.shape == clean.shape and 0.4 < float(lab[..., 0].mean()) < 0.6   # L* ~ 49 for this clay red


def test_matte_iou_refuses_mismatched_shapes_and_scores_known_overlaps() -> None:
    a = np.zeros((4, 6), np.float32)
    a[:2] = 1.0                                     # 12 pixels
    b = np.zeros((4, 6), np.float32)
    b[1:3] = 1.0                                    # 12 pixels, 6 shared
    assert matte_iou(a, b) == pytest.approx(6 / 18)
    ignore = np.zeros((4, 6), bool)
    ignore[0] = True                                # leaves 6 vs 12, 6 shared
    assert matte_iou(a, b, ignore) == pytest.approx(6 / 12)
    assert matte_iou(np.zeros((4, 6)), np.zeros((4, 6))) == 1.0
    with pytest.raises(ValueError, match=r"matte \(4, 6\) and truth \(6, 4\)"):
        matte_iou(a, b.T)
    with pytest.raises(ValueError, match=r"matte \(4, 6, 1\) and truth \(4, 6, 1\)"):
        matte_iou(a[..., None], b[..., None])
    with pytest.raises(ValueError, match=r"ignore mask is \(3, 6\), the mattes are \(4, 6\)"):
        matte_iou(a, b, ignore[:3])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_foreground_matte_refuses_non_finite_pixels_by_name(bad: float) -> None:
    img = np.full((16, 16, 3), 0.5, np.float32)
    clean = img.copy()
    broken = img.copy()
    broken[3, 4, 1] = bad
    broken[5, 5, 0] = bad
    with pytest.raises(ValueError, match="non-finite image: 2 NaN/Inf values"):
        foreground_matte(broken, clean)
    with pytest.raises(ValueError, match="non-finite clean plate: 2 NaN/Inf values"):
        foreground_matte(img, broken)
    assert float(foreground_matte(img, clean).max()) == 0.0


def test_edge_snap_keeps_the_matte_on_the_object_edge() -> None:
    import cv2

    rng = np.random.default_rng(8)
    clean = np.clip(0.45 + rng.normal(0, 0.01, (96, 128, 3)), 0, 1).astype(np.float32)
    obj = np.zeros((96, 128), np.uint8)
    cv2.rectangle(obj, (30, 20), (70, 60), 1, -1)
    cv2.line(obj, (80, 10), (80, 80), 1, 3)                    # a pole 3 px wide
    img = clean.copy()
    img[obj > 0] = (0.15, 0.2, 0.3)
    truth = obj.astype(np.float32)
    wide = foreground_matte(img, clean, softness=0.0, edge_snap=False)
    snapped = foreground_matte(img, clean, softness=0.0)
    assert (wide > 0.5).sum() > truth.sum() + 250               # the denoising blur grows every edge
    assert matte_iou(wide, truth) < 0.9
    assert matte_iou(snapped, truth) > 0.98                      # snapped back onto the real edge
    assert matte_iou(foreground_matte(img, clean), truth) > 0.98  # and the soft matte follows it
