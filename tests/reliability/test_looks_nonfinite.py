"""Item 12 of issue 15: a look that makes NaN/Inf pixels, or reaches outside its folder, fails clearly."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.cli import main

TESTS = "colour/ocio-test-files"


def _image(path: Path, dtype: str) -> np.ndarray:
    ramp = np.linspace(-0.5, 4.0, 6 * 8 * 3, dtype=np.float32).reshape(6, 8, 3)
    ramp[0, 0] = 0.0
    px = (np.clip(ramp, 0, 1) * 255).astype(np.uint8) if dtype == "uint8" else ramp.astype(dtype)
    media.write_image(path, px)
    return px


def _apply(look: Path, image: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["look", "apply", str(look), str(image), str(out)])
    return code, capsys.readouterr().err


def test_cube_with_nan_is_refused_not_written_black(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cube = tmp_path / "bad.cube"
    rows = ["nan nan nan"] + [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)][1:]
    cube.write_text("LUT_3D_SIZE 2\n" + "\n".join(rows) + "\n")
    _image(tmp_path / "in.png", "uint8")
    code, err = _apply(cube, tmp_path / "in.png", tmp_path / "out.png", capsys)
    assert code == 2 and "bad.cube: line 2 holds a NaN or infinite value" in err, err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_huge_saturation_cdl_is_refused_not_written_as_inf(tmp_path: Path, dtype: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    cc = tmp_path / "sat.cc"
    cc.write_text('<ColorCorrection id="sat"><SOPNode><Slope>1e38 1e38 1e38</Slope><Offset>0 0 0</Offset>'
                  "<Power>1 1 1</Power></SOPNode><SatNode><Saturation>1e30</Saturation></SatNode></ColorCorrection>")
    _image(tmp_path / "in.exr", dtype)
    code, err = _apply(cc, tmp_path / "in.exr", tmp_path / "out.exr", capsys)
    assert code == 2 and "the look made" in err, err
    assert not (tmp_path / "out.exr").exists()


@pytest.mark.parametrize("name", ["lut1d_infinity.ctf", "lut3by1d_nan_infinity_example.clf"])
def test_ocio_infinity_and_nan_fixtures_are_refused(tmp_path: Path, shared_data: Path, name: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _image(tmp_path / "in.exr", "float16")
    code, err = _apply(shared_data / TESTS / name, tmp_path / "in.exr", tmp_path / "out.exr", capsys)
    assert code == 2 and "the look made" in err, err
    assert not (tmp_path / "out.exr").exists()


def test_reference_outside_the_look_folder_is_refused_at_once(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _image(tmp_path / "in.exr", "float32")
    looks = tmp_path / "looks"
    looks.mkdir()
    (tmp_path / "outside.ctf").write_text('<?xml version="1.0"?><ProcessList id="o" version="1.7"><Matrix '
                                          'inBitDepth="32f" outBitDepth="32f"><Array dim="3 3">1 0 0 0 1 0 0 0 1'
                                          "</Array></Matrix></ProcessList>")
    for target in ("/dev/zero", "../outside.ctf"):
        look = looks / "ref.ctf"
        look.write_text(f'<?xml version="1.0"?><ProcessList id="r" version="1.7"><Reference inBitDepth="32f" '
                        f'outBitDepth="32f" path="{target}"/></ProcessList>')
        t0 = time.monotonic()
        code, err = _apply(look, tmp_path / "in.exr", tmp_path / "out.exr", capsys)
        assert time.monotonic() - t0 < 5.0
        assert code == 2 and f"its Reference to {target!r} is not a look file in the look's folder" in err, err
        assert not (tmp_path / "out.exr").exists()


def test_reference_inside_the_look_folder_resolves_there(tmp_path: Path, shared_data: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    looks = tmp_path / "looks"
    (looks / "clf").mkdir(parents=True)
    shutil.copy(shared_data / TESTS / "reference_one_matrix.ctf", looks)
    shutil.copy(shared_data / TESTS / "clf" / "matrix_example_utf8.clf", looks / "clf")
    px = _image(tmp_path / "in.exr", "float32")
    monkeypatch.chdir(tmp_path)  # not the look's folder: references must not depend on it
    code, err = _apply(looks / "reference_one_matrix.ctf", tmp_path / "in.exr", tmp_path / "out.exr", capsys)
    assert code == 0, err
    out = media.read_image(tmp_path / "out.exr")
    assert out.shape == px.shape and np.isfinite(out).all() and not np.allclose(out, px)
