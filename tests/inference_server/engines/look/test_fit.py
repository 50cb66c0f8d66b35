"""Look fitting: recover known CDLs, fit LUTs, refuse bad pairs and unknown colour spaces."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.look import spaces
from inference_server.engines.look.cdl import Cdl, apply_cdl, fit_cdl
from inference_server.engines.look.fit import bake_cdl, cdl_chain, fit_look
from inference_server.engines.look.lattice import eval_lattice, fit_residual_lattice


def scene(h: int = 90, w: int = 120, seed: int = 0) -> np.ndarray:
    """Smooth ACEScct-like picture (H, W, 3) float32 in [0.1, 0.9] with varied hues."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w, yy / h
    img = np.stack([0.15 + 0.7 * xx, 0.15 + 0.7 * yy, 0.5 + 0.35 * np.sin(7 * xx + 5 * yy + seed)], axis=2)
    return np.clip(img + rng.normal(0, 0.01, img.shape), 0.1, 0.9).astype(np.float32)


def grade(img: np.ndarray, cdl: Cdl, in_space: str = "ACEScct") -> np.ndarray:
    cpu = spaces.config().getProcessor(cdl_chain(cdl, in_space, "ACEScct")).getDefaultCPUProcessor()
    return spaces.apply_processor(cpu, img)


KNOWN = Cdl((1.15, 1.0, 0.9), (0.02, -0.01, -0.03), (0.95, 1.05, 1.1), 1.2)


def test_fit_cdl_recovers_known_values() -> None:
    x = scene().reshape(-1, 3).astype(np.float64)
    got = fit_cdl(x, apply_cdl(x, KNOWN))
    assert np.allclose(got.vector(), KNOWN.vector(), atol=2e-3)


def test_fit_look_recovers_cdl_and_lut_in_acescct() -> None:
    pairs = [(scene(seed=s), grade(scene(seed=s), KNOWN)) for s in range(2)]
    fit = fit_look(pairs, "ACEScct", lut_size=17)
    assert np.allclose(fit.cdl.vector(), KNOWN.vector(), atol=5e-3)
    assert fit.shaper is None and fit.lut.shape == (17, 17, 17, 3)
    test = scene(seed=7).reshape(-1, 3)
    err = np.abs(fit.apply_exact(test) - grade(test, KNOWN)).max()
    assert err < 2e-3
    assert fit.stats["lut_rms"] < 1e-3


def test_lut_learns_what_a_cdl_cannot() -> None:
    src = scene(seed=3)
    # A hue-dependent twist: no CDL can do this, a 3D LUT can.
    out = src.copy()
    out[:, :, 0] += 0.08 * np.sin(6 * src[:, :, 2])
    fit = fit_look([(src, out)], "ACEScct", lut_size=33)
    lut_err = np.abs(fit.apply_exact(src.reshape(-1, 3)) - out.reshape(-1, 3)).mean()
    cdl_err = fit.stats["cdl_rms"]
    assert lut_err < 0.004 < cdl_err


def test_linear_input_gets_a_shaper_and_fits() -> None:
    lin = spaces.convert(scene(seed=1), "ACEScct", "ACEScg")
    fit = fit_look([(lin, grade(lin, KNOWN, "ACEScg"))], "ACEScg", lut_size=33)
    assert fit.shaper is not None
    assert np.allclose(fit.cdl.vector(), KNOWN.vector(), atol=5e-3)
    test = spaces.convert(scene(seed=4), "ACEScct", "ACEScg").reshape(-1, 3)
    got, want = fit.apply_exact(test), grade(test, KNOWN, "ACEScg")
    assert np.abs(spaces.lin_to_cct(got) - spaces.lin_to_cct(want)).max() < 5e-3


def test_camera_log_input() -> None:
    logc = spaces.convert(spaces.convert(scene(seed=2), "ACEScct", "ACEScg"), "ACEScg", "ARRI LogC4")
    fit = fit_look([(logc, grade(logc, KNOWN, "ARRI LogC4"))], "ARRI LogC4", lut_size=33)
    assert fit.in_space == "ARRI LogC4" and fit.shaper is None
    assert np.allclose(fit.cdl.vector(), KNOWN.vector(), atol=5e-3)


def test_lut_is_finite_monotonic_on_neutral_axis_and_falls_back_to_cdl() -> None:
    src = scene(seed=5) * 0.3 + 0.35        # only mid-tones are seen
    fit = fit_look([(src, grade(src, KNOWN))], "ACEScct", lut_size=33)
    assert np.isfinite(fit.lut).all()
    n = fit.lut.shape[0]
    diag = fit.lut[np.arange(n), np.arange(n), np.arange(n)]
    assert (np.diff(diag, axis=0) >= 0).all()
    # Far from the data the LUT is the CDL again (within a few hundredths).
    far = np.array([[0.05, 0.05, 0.05], [0.95, 0.95, 0.95], [0.9, 0.1, 0.1]])
    baked = bake_cdl(fit.cdl, "ACEScct", lut_size=33)
    assert np.abs(fit.apply_exact(far) - baked.apply_exact(far)).max() < 0.03


def test_residual_lattice_solver_reaches_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((20000, 3))
    r = np.stack([0.05 * np.sin(4 * x[:, 0]), 0.03 * x[:, 1] ** 2, -0.02 * x[:, 2]], axis=1)
    lat = fit_residual_lattice(x, r, 17)
    assert np.abs(eval_lattice(lat, x) - r).mean() < 5e-4


@pytest.mark.parametrize("n", [2, 3, 6])
def test_normal_matrix_matches_explicit_trilinear_rows(n: int) -> None:
    import scipy.sparse as sp

    from inference_server.engines.look.lattice import _data_matrix, trilinear_weights

    x = np.random.default_rng(n).random((300, 3))
    cell, idx, w = trilinear_weights(x, n)
    a = sp.csr_matrix((w.ravel(), idx.ravel(), np.arange(0, 8 * 300 + 1, 8)), shape=(300, n**3))
    assert abs(_data_matrix(cell, w, n, np.ones(300)) - (a.T @ a)).max() < 1e-12
    lat = np.random.default_rng(0).random((n, n, n, 3))
    assert np.allclose(eval_lattice(lat, x), a @ lat.reshape(-1, 3))


def test_unknown_colour_space_lists_close_matches() -> None:
    with pytest.raises(ValueError, match=r"unknown colour space 'ARRI LogC5'.*'ARRI LogC4'"):
        fit_look([(scene(), scene())], "ARRI LogC5")
    with pytest.raises(ValueError, match="unknown colour space"):
        spaces.resolve_space("not a space at all")
    assert spaces.resolve_space("acescct") == "ACEScct"  # aliases and case are fine


def test_pairs_of_different_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"pair 2: source is 120x90 but graded is 60x90"):
        fit_look([(scene(), scene()), (scene(), scene()[:, :60])])


def test_pairs_showing_different_pictures_are_refused() -> None:
    a = scene(seed=0)
    b = np.ascontiguousarray(a[::-1, ::-1])
    with pytest.raises(ValueError, match="pair 1: source and graded frames do not show the same picture"):
        fit_look([(a, b)])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one"):
        fit_look([])
    with pytest.raises(ValueError, match="LUT size"):
        fit_look([(scene(), scene())], lut_size=1)


def test_integer_and_rgba_frames() -> None:
    src = scene() * 0.7 + 0.1
    graded = grade(src, KNOWN)
    assert graded.max() < 1.0
    rgba = np.concatenate([src, np.ones_like(src[:, :, :1])], axis=2)
    fit = fit_look([((rgba * 65535).astype(np.uint16), (np.clip(graded, 0, 1) * 65535).astype(np.uint16))])
    assert np.allclose(fit.cdl.slope, KNOWN.slope, atol=0.01)
