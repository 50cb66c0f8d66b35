"""Look files: every export read back by OpenColorIO within the stated tolerance; bad files refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.look import files, spaces
from inference_server.engines.look.apply import apply_look, look_processor
from inference_server.engines.look.cdl import Cdl, apply_cdl
from inference_server.engines.look.fit import LookFit, bake_cdl, default_shaper
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
CDL = Cdl((1.1, 0.95, 0.9), (0.02, 0.0, -0.02), (0.9, 1.0, 1.1), 1.15)


def need(path: Path) -> Path:
    assert path.exists(), f"missing test data: {path.resolve()}"
    return path


def random_fit(n: int, linear: bool) -> LookFit:
    """A deliberately rough lattice (random wiggles over a CDL) so ordering mistakes show."""
    base = bake_cdl(CDL, "ACEScg" if linear else "ACEScct", lut_size=n)
    rng = np.random.default_rng(n)
    base.lut = (base.lut * (1 + 0.05 * rng.standard_normal(base.lut.shape))).astype(np.float32)
    return base


def ocio_apply(path: Path, x: np.ndarray) -> np.ndarray:
    _, cpu = files.look_transform(path)
    return spaces.apply_processor(cpu, x)


def probe(linear: bool) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.random((4000, 3)).astype(np.float32)
    return (np.exp2(x * 16 - 10)).astype(np.float32) if linear else x


@pytest.mark.parametrize("n", [17, 33, 65])
def test_cube_and_clf_read_back_exactly_without_shaper(tmp_path: Path, n: int) -> None:
    fit = random_fit(n, linear=False)
    x = probe(False)
    (tmp_path / "a.cube").write_text(files.cube_text(fit.lut, "t", fit.shaper))
    (tmp_path / "a.clf").write_text(files.clf_text(fit, "d"))
    for name in ("a.cube", "a.clf"):
        assert np.abs(ocio_apply(tmp_path / name, x) - fit.apply_exact(x)).max() < 1e-5, name


def test_cube_and_clf_with_shaper_within_tolerance(tmp_path: Path) -> None:
    fit = random_fit(33, linear=True)
    assert fit.shaper is not None
    x = probe(True)
    (tmp_path / "a.cube").write_text(files.cube_text(fit.lut, "t", fit.shaper))
    (tmp_path / "a.clf").write_text(files.clf_text(fit, "d"))
    want = fit.apply_exact(x)
    for name in ("a.cube", "a.clf"):
        got = ocio_apply(tmp_path / name, x)
        # Stated tolerance: 2e-3 on the ACEScct scale (about 0.035 stop).
        assert np.abs(spaces.lin_to_cct(got) - spaces.lin_to_cct(want)).max() < 2e-3, name


def test_cube_layout(tmp_path: Path) -> None:
    lut = np.zeros((2, 2, 2, 3), np.float32)
    lut[1, 0, 0] = (1, 0, 0)
    lut[0, 1, 0] = (0, 1, 0)
    text = files.cube_text(lut, 'My "look"')
    lines = text.splitlines()
    assert lines[0] == "TITLE \"My 'look'\"" and "LUT_3D_SIZE 2" in lines
    rows = [ln for ln in lines if ln and ln[0].isdigit()]
    assert rows[1] == "1 0 0" and rows[2] == "0 1 0"   # red changes fastest
    shaped = files.cube_text(lut, "t", default_shaper())
    assert "LUT_1D_INPUT_RANGE" in shaped and "LUT_3D_INPUT_RANGE 0 1" in shaped


@pytest.mark.parametrize("ext", [".cc", ".ccc", ".cdl"])
def test_cdl_files_read_back(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"look{ext}"
    files.write_atomic(path, files.cdl_text(CDL, ext, "working space ACEScct"))
    x = probe(False) * 0.9 + 0.05
    assert np.abs(ocio_apply(path, x) - apply_cdl(x, CDL)).max() < 5e-5  # OCIO uses a fast float32 pow
    assert "working space ACEScct" in path.read_text()


def test_cdl_applied_in_working_space_for_other_inputs(tmp_path: Path) -> None:
    path = tmp_path / "look.cc"
    path.write_text(files.cdl_text(CDL, ".cc"))
    img = (0.3 + 0.4 * np.random.default_rng(2).random((8, 9, 3))).astype(np.float32)
    got = apply_look(img, look_processor(path, "sRGB Encoded Rec.709 (sRGB)"))
    cct = spaces.convert(img, "sRGB Encoded Rec.709 (sRGB)", "ACEScct").reshape(-1, 3)
    want = spaces.convert(apply_cdl(cct, CDL).astype(np.float32), "ACEScct", "sRGB Encoded Rec.709 (sRGB)")
    assert np.allclose(got.reshape(-1, 3), want, rtol=1e-3, atol=1e-4)


def test_apply_keeps_dtype_and_alpha(tmp_path: Path) -> None:
    path = tmp_path / "look.cube"
    path.write_text(files.cube_text(bake_cdl(CDL, lut_size=17).lut))
    proc = look_processor(path)
    img = np.random.default_rng(3).random((6, 7, 4)).astype(np.float32)
    for dtype, scale in ((np.uint8, 255), (np.uint16, 65535), (np.float16, 1), (np.float32, 1)):
        raw = (img * scale).astype(dtype)
        out = apply_look(raw, proc)
        assert out.dtype == dtype and out.shape == raw.shape
        assert np.array_equal(out[:, :, 3], raw[:, :, 3])
        assert not np.array_equal(out[:, :, :3], raw[:, :, :3])


def test_rewritten_file_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / "look.cube"
    x = np.full((1, 3), 0.5, np.float32)
    path.write_text(files.cube_text(bake_cdl(CDL, lut_size=5).lut))
    first = ocio_apply(path, x)
    path.write_text(files.cube_text(bake_cdl(Cdl(), lut_size=5).lut))
    assert np.abs(ocio_apply(path, x) - 0.5).max() < 1e-6 and np.abs(first - 0.5).max() > 0.01


@pytest.mark.parametrize("name", ["error_truncated_file.3dl", "error_truncated_file.lut", "error_unknown_format.txt"])
def test_malformed_ocio_fixtures_name_the_file(name: str) -> None:
    path = need(DATA / "colour/ocio-test-files" / name)
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        look_processor(path)


def test_own_malformed_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.cube"
    bad.write_text("LUT_3D_SIZE 3\n0 0 0\n1 1 1\n")
    with pytest.raises(ValueError, match="broken.cube: cannot read this look file"):
        look_processor(bad)
    bad_cc = tmp_path / "broken.cc"
    bad_cc.write_text("<ColorCorrection><SOPNode><Slope>1 1</Slope></SOPNode></ColorCorrection>")
    with pytest.raises(ValueError, match="broken.cc"):
        look_processor(bad_cc)
    with pytest.raises(FileNotFoundError, match="nope.cube"):
        look_processor(tmp_path / "nope.cube")


def test_real_look_files_load() -> None:
    x = np.array([[0.2, 0.4, 0.6]], np.float32)
    for p in [need(DATA / "colour/looks/nilut-LUT01.cube"), need(DATA / "colour/looks/REDlogFilm_to_REDgamma.cube")]:
        out = ocio_apply(p, x)
        assert np.isfinite(out).all() and np.abs(out - x).max() > 1e-3


def test_write_atomic_leaves_no_temporaries(tmp_path: Path) -> None:
    files.write_atomic(tmp_path / "a.cc", "x")
    files.write_atomic(tmp_path / "a.cc", "y")
    assert [p.name for p in tmp_path.iterdir()] == ["a.cc"] and (tmp_path / "a.cc").read_text() == "y"
    with pytest.raises(FileNotFoundError):
        files.write_atomic(tmp_path / "missing" / "a.cc", "x")
