"""Two-layer look fit: per-shot balance statistics, the joint fit, the estimator and its files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.look import files, spaces
from inference_server.engines.look.apply import apply_look, balanced_processor
from inference_server.engines.look.balance import (
    GREENER,
    LUMA_AP1,
    PRIOR_ALPHA,
    STOP,
    WARMER,
    BalanceModel,
    auto_balance,
    balance_cdl,
    components,
    compose,
    learn_model,
    shot_statistics,
)
from inference_server.engines.look.cdl import Cdl, apply_cdl
from inference_server.engines.look.fit import fit_look
from inference_server.engines.look.summary import balance_line, describe_cdl
from inference_server.engines.look.two_layer import fit_balances

LOOK = Cdl((1.1, 1.0, 0.92), (0.01, 0.0, -0.02), (1.1, 1.0, 0.9), 1.2)


def scene(seed: int, h: int = 90, w: int = 120) -> np.ndarray:
    """The same set (ACEScct), a different take: grain and a reframe (a pan) change per seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / w
    img = np.stack([0.3 + 0.3 * xx + 0.08 * np.sin(5 * yy), 0.32 + 0.25 * yy, 0.34 + 0.1 * np.sin(7 * xx)], axis=2)
    img = np.roll(img, 9 * seed, axis=1)
    return (img + rng.normal(0, 0.01, img.shape)).astype(np.float32)


def graded(img: np.ndarray) -> np.ndarray:
    return apply_cdl(img.reshape(-1, 3), LOOK).reshape(img.shape).astype(np.float32)


def offset(stops: float, warm: float) -> np.ndarray:
    """An ACEScct offset: ``stops`` of exposure and ``warm`` (ACEScct units) more red, less blue
    (green takes up the luminance so that the warmth alone leaves AP1 luminance as it was)."""
    cast = warm * np.array([1.0, -(LUMA_AP1[0] - LUMA_AP1[2]) / LUMA_AP1[1], -1.0])
    return np.asarray(stops * STOP + cast)


def test_statistics_follow_exposure_and_cast_but_not_a_coloured_object() -> None:
    w = scene(0).reshape(-1, 3).astype(np.float64)
    base = shot_statistics(w)
    shifted = shot_statistics(w + offset(0.7, 0.015))
    np.testing.assert_allclose(shifted - base, offset(0.7, 0.015), atol=2e-3)
    # A saturated blue object over a third of the frame: grey-world's mean moves, ours hardly.
    blue = w.copy()
    blue[: len(w) // 3] += np.array([-0.12, -0.02, 0.15])
    grey_world = (blue.mean(axis=0) - blue.mean(axis=0) @ LUMA_AP1) - (w.mean(axis=0) - w.mean(axis=0) @ LUMA_AP1)
    ours = shot_statistics(blue) - shot_statistics(w)
    ours_cast = ours - ours @ LUMA_AP1
    assert np.abs(grey_world).max() > 0.04
    assert np.abs(ours_cast).max() < 0.4 * np.abs(grey_world).max()
    with pytest.raises(ValueError, match=r"\(M, 3\) working-space pixels, got \(10,\)"):
        shot_statistics(np.zeros(10))


def test_joint_fit_recovers_each_pairs_balance_with_mean_zero() -> None:
    shifts = [offset(0.8, 0.0), offset(-0.5, 0.02), offset(0.0, -0.015), offset(-0.3, 0.0)]
    xs = [scene(i).reshape(-1, 3).astype(np.float64) for i in range(4)]
    ys = [apply_cdl(x, LOOK) for x in xs]
    got = fit_balances([x + s for x, s in zip(xs, shifts)], ys)
    want = -(np.array(shifts) - np.mean(shifts, axis=0))
    np.testing.assert_allclose(got, want, atol=3e-3)
    np.testing.assert_allclose(got.mean(axis=0), 0.0, atol=1e-6)
    assert np.abs(fit_balances(xs[:1], ys[:1])).max() == 0.0      # one pair: nothing differs


def test_model_learns_how_much_balances_follow_statistics() -> None:
    stats = [np.full(3, 0.40) - np.array([0.04, 0, -0.04]), np.full(3, 0.45), np.full(3, 0.35) + np.array([0.04, 0, -0.04])]
    follow = [np.mean(stats, axis=0) - s for s in stats]
    m = learn_model(stats, follow, "ACEScct")
    assert m.alpha[0] > 0.9 and m.alpha[1] > 0.5
    content = learn_model(stats, [np.zeros(3)] * 3, "ACEScct")
    assert content.alpha[0] < 0.1 and content.alpha[1] < 0.1
    # Balances that lie on no slope (the joint fit gave them out of step with the keys) say little:
    # the exposure's alpha stays near the prior's half, where a plain least-squares slope said 0.
    scattered = [np.full(3, v) for v in (0.03, 0.0, -0.03)]
    loose = learn_model(stats, scattered, "ACEScct")
    d = np.array([float((np.mean(stats, axis=0) - s) @ LUMA_AP1) for s in stats])
    assert float(d @ np.array([0.03, 0.0, -0.03])) < 0.0          # least squares alone: a negative slope, kept at 0
    assert 0.2 < loose.alpha[0] < 0.5 and abs(loose.alpha[1]) < 1e-9
    # One hero teaches nothing: the prior holds, half of a difference in key is exposure and
    # a difference in warmth is content (a new shot's exposure goes half way, its warmth stays).
    lone = learn_model(stats[:1], [np.zeros(3)], "ACEScct")
    assert lone.alpha == PRIOR_ALPHA == (0.5, 0.0)
    moved = components(lone.offset(stats[1]))
    half = 0.5 * float((stats[0] - stats[1]) @ LUMA_AP1)   # (the redescending taper keeps a little more back)
    assert 0.9 * abs(half) < abs(moved[0]) <= abs(half) and np.sign(moved[0]) == np.sign(half) and abs(moved[1]) < 1e-12
    # A difference far beyond an exposure error (a night scene among day scenes) is mostly content.
    assert abs(m.offset(np.full(3, 0.40) - 3.0 * STOP)[1]) < 0.5 * 3.0 * STOP
    back = BalanceModel.from_text("TITLE x\n# " + m.comment() + "\n0 0 0\n")
    assert back == BalanceModel(*(tuple(round(v, 6) for v in m.target), tuple(round(v, 4) for v in m.alpha)),
                                "ACEScct", 3)  # type: ignore[call-arg]
    assert BalanceModel.from_text("TITLE x\n# made elsewhere\n") is None
    with pytest.raises(ValueError, match="balance model is malformed"):
        BalanceModel.from_text('# rushes-balance {"target": [1, 2]}')


def test_two_layer_look_carries_to_a_new_shot_through_the_files(tmp_path: Path) -> None:
    """Heroes of one set, each exposed and balanced differently, graded with one look: the
    .cube and the estimated .cc bring a new, differently shifted take to its grade."""
    shifts = [offset(0.9, 0.0), offset(-0.6, 0.015), offset(0.2, -0.02)]
    pairs = [(scene(i) + s.astype(np.float32), graded(scene(i))) for i, s in enumerate(shifts)]
    fit = fit_look(pairs, lut_size=17, balance=True)
    assert fit.balance_model is not None and min(fit.balance_model.alpha) > 0.5
    for b, s in zip(fit.balances, shifts):     # each hero's balance undoes its own shift (mean zero)
        np.testing.assert_allclose(b.offset, -(s - np.mean(shifts, axis=0)), atol=0.012)
    cube = tmp_path / "look.cube"
    cube.write_text(files.cube_text(fit.lut, "t", fit.shaper, (fit.balance_model.comment(),)))
    model = files.look_balance_model(cube)
    assert model == BalanceModel.from_dict(fit.balance_model.to_dict())
    for (src, grd), b in zip(pairs, fit.balances):   # look(balance_i(source_i)) ~ graded_i
        cc = tmp_path / "hero.cc"
        cc.write_text(files.cdl_text(b, ".cc"))
        out = apply_look(src, balanced_processor(cube, files.read_cdl(cc)))
        assert np.abs(out - grd).mean() < 4e-3
    new = scene(7) + offset(-1.2, 0.02).astype(np.float32)
    est = auto_balance([new], model, "ACEScct")
    carried = apply_look(new, balanced_processor(cube, est))
    unbalanced = apply_look(new, balanced_processor(cube, balance_cdl(np.zeros(3))))
    target = graded(scene(7))
    assert np.abs(carried - target).mean() < 0.25 * np.abs(unbalanced - target).mean()
    assert np.abs(carried - target).mean() < 0.02     # a third of a stop: alpha and the taper are cautious


def test_balanced_processor_in_camera_log_matches_the_chain(tmp_path: Path) -> None:
    cc = tmp_path / "look.cc"
    cc.write_text(files.cdl_text(LOOK, ".cc"))
    logc = spaces.convert(spaces.convert(scene(1), "ACEScct", "ACEScg"), "ACEScg", "ARRI LogC4")
    bal = balance_cdl(offset(0.5, 0.01))
    got = apply_look(logc, balanced_processor(cc, bal, "ARRI LogC4"))
    cct = spaces.convert(logc, "ARRI LogC4", "ACEScct").reshape(-1, 3)
    want = spaces.convert(apply_cdl(apply_cdl(cct, bal), LOOK).astype(np.float32), "ACEScct", "ARRI LogC4")
    np.testing.assert_allclose(got.reshape(-1, 3), want, atol=2e-4)


def test_balance_files_and_words(tmp_path: Path) -> None:
    a = balance_cdl(offset(1.0, 0.0), "A001")
    b = balance_cdl(offset(-0.5, 0.02), "A002")
    ccc = tmp_path / "shots.ccc"
    ccc.write_text(files.ccc_text([(a, "one stop up"), (b, "warmer")]))
    assert files.read_cdl(ccc, "A002").offset == pytest.approx(b.offset, abs=1e-6)
    assert files.read_cdl(ccc).offset == pytest.approx(a.offset, abs=1e-6) and files.read_cdl(ccc).id == "A001"
    assert "<Description>warmer</Description>" in ccc.read_text()
    with pytest.raises(ValueError, match="distinct ids"):
        files.ccc_text([(a, ""), (a, "")])
    with pytest.raises(FileNotFoundError, match="CDL file not found"):
        files.read_cdl(tmp_path / "none.cc")
    with pytest.raises(ValueError, match="a balance must be an ASC CDL file"):
        files.read_cdl(ccc.with_suffix(".cube").write_text("x") and ccc.with_suffix(".cube"))
    with pytest.raises(ValueError, match=r"three finite offsets"):
        balance_cdl([0.0, float("nan"), 0.0])
    up = balance_line(describe_cdl(a), "A001")
    assert up.startswith("A001: +1.00 stop;") and "neutral (warmth)" in up
    warm = balance_line(describe_cdl(b), "A002")
    assert float(warm.split(": ")[1].split(" stop")[0]) == pytest.approx(-0.5, abs=0.05) and "stop warmer" in warm
    cool = balance_line(describe_cdl(balance_cdl(offset(0.0, -0.02) + np.array([0, 0.01, 0]))), "A003")
    assert "exposure unchanged" in cool or "stop" in cool
    assert "stop cooler" in cool and "toward green" in cool


def _daylight_shift(stops: float, kelvin: float) -> np.ndarray:
    """ACES2065-1 matrix of a shot exposed ``stops`` off and white-balanced from 6500 K to
    6500 K + ``kelvin`` (CAT02 along the CIE daylight locus), as bench/look_match.py shifts shots."""
    import colour

    ap0 = colour.RGB_COLOURSPACES["ACES2065-1"]
    d65 = colour.xy_to_XYZ(colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])
    t = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(6500.0 + kelvin))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(d65, t, transform="CAT02")
    return np.asarray(np.linalg.inv(ap0.matrix_RGB_to_XYZ) @ cat @ ap0.matrix_RGB_to_XYZ * 2.0**stops)


def _undo(stops: float, kelvin: float) -> np.ndarray:
    """The ACEScct offset undoing ``_daylight_shift`` on 18% grey (the balance a colorist dials in)."""
    grey = np.full((1, 3), 0.18, np.float32)
    moved = (grey @ _daylight_shift(stops, kelvin).T).astype(np.float32)
    return np.asarray((spaces.convert(grey, "ACES2065-1", "ACEScct")
                       - spaces.convert(moved, "ACES2065-1", "ACEScct"))[0], dtype=np.float64)


def test_warmth_axis_is_the_daylight_locus() -> None:
    # A shot adapted to a bluer white (a higher K) came out cooler: undoing it is warmer.
    along = _undo(0.0, 300.0) - _undo(0.0, -300.0)
    along -= along @ LUMA_AP1
    cos = float(along @ WARMER / np.linalg.norm(along))
    assert cos > 0.999                                       # within 2.6 degrees
    np.testing.assert_allclose(components(compose(np.array([0.1, -0.02, 0.03]))), [0.1, -0.02, 0.03], atol=1e-12)
    assert abs(float(WARMER @ LUMA_AP1)) < 1e-8 and abs(float(GREENER @ LUMA_AP1)) < 1e-8


def test_estimator_recovers_a_known_exposure_and_white_balance_on_a_real_still(shared_data: Path) -> None:
    """Takes of one set (reframes of the Cannon still, scene-linear ACES) each exposed and white
    balanced differently (CAT02 along the daylight locus): learned from four heroes and their
    balances, the estimator brings a new take, shifted by a known exposure and colour
    temperature, to the heroes' state within 0.25 stop of exposure, 0.004 ACEScct of warmth
    (about 8 mired: 350 K at 6500 K) and 0.002 of tint, where leaving it alone is off by 0.8
    stop and 0.012 of warmth (the estimator keeps 10-20% back by design: alpha < 1 and the
    redescending taper)."""
    from inference_server import media
    from inference_server.frames import to_float

    still = np.nan_to_num(to_float(media.read_image(shared_data / "stills/openexr/Cannon.exr"))[::2, ::2, :3])
    still = np.clip(still, 0.0, 64.0)
    h, w = still.shape[:2]

    def take(k: int, stops: float, kelvin: float) -> np.ndarray:
        crop = still[k * h // 20: k * h // 20 + 4 * h // 5, k * w // 16: k * w // 16 + 4 * w // 5]
        lin = crop.reshape(-1, 3) @ _daylight_shift(stops, kelvin).T
        return spaces.convert(lin.astype(np.float32), "ACES2065-1", "ACEScct").astype(np.float64)

    heroes = [(0, 0.7, -1500.0), (1, -0.6, 1500.0), (2, 0.0, 0.0), (4, 0.3, 800.0)]
    undo = np.array([_undo(s, k) for _, s, k in heroes])
    model = learn_model([shot_statistics(take(*h_)) for h_ in heroes], list(undo - undo.mean(axis=0)), "ACEScct")
    assert min(model.alpha) > 0.75                          # one set: the statistics follow the balances
    for stops, kelvin in ((-0.8, 1200.0), (0.9, -1000.0)):
        want = _undo(stops, kelvin) - undo.mean(axis=0)
        err = components(model.offset(shot_statistics(take(3, stops, kelvin))) - want)
        assert abs(err[0]) < 0.25 * STOP and abs(err[1]) < 0.004 and abs(err[2]) < 0.002
        left_alone = components(want)
        assert abs(left_alone[0]) > 0.8 * STOP and abs(left_alone[1]) > 0.012
