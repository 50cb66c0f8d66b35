"""`rushes look fit`, `rushes look apply`, `rushes shot-match` on small synthetic images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.cli import main
from inference_server.engines.look import files, spaces
from inference_server.engines.look.cdl import Cdl, apply_cdl

GRADE = Cdl((1.1, 1.0, 0.9), (0.02, 0.0, -0.02), (1.0, 1.0, 1.0), 1.1)
DATA = Path(__file__).resolve().parents[3] / "../shared/data"


pytestmark = pytest.mark.usefixtures("in_process")


def picture(seed: int = 0, h: int = 48, w: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([0.2 + 0.6 * xx, 0.2 + 0.6 * yy, 0.5 + 0.3 * np.sin(8 * xx + seed)], axis=2)
    return img.astype(np.float32)


def write_pair(folder: Path, seed: int, ext: str = ".exr") -> tuple[str, str]:
    src = picture(seed)
    grd = apply_cdl(src.reshape(-1, 3), GRADE).reshape(src.shape).astype(np.float32)
    a, b = folder / f"src{seed}{ext}", folder / f"grd{seed}{ext}"
    media.write_image(a, src)
    media.write_image(b, grd)
    return str(a), str(b)


def test_fit_writes_cube_cdl_clf_and_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p0, p1 = write_pair(tmp_path, 0), write_pair(tmp_path, 1)
    out, cdl, clf = tmp_path / "look.cube", tmp_path / "look.cdl", tmp_path / "look.clf"
    code = main(["look", "fit", "--pair", *p0, "--pair", *p1, "--out", str(out), "--cdl", str(cdl),
                 "--clf", str(clf), "--size", "17"])
    assert code == 0
    text = capsys.readouterr().out
    assert "slope 1.10" in text and "stop warmer" in text and "saturation +10%" in text
    assert out.read_text().startswith('TITLE "Rushes look"') and "LUT_3D_SIZE 17" in out.read_text()
    x = picture(5).reshape(-1, 3)
    for path in (out, cdl, clf):
        _, cpu = files.look_transform(path)
        assert np.abs(spaces.apply_processor(cpu, x) - apply_cdl(x, GRADE)).max() < 5e-3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_apply_grades_through_ocio(tmp_path: Path) -> None:
    cc = tmp_path / "look.cc"
    cc.write_text(files.cdl_text(GRADE, ".cc"))
    src, _ = write_pair(tmp_path, 0)
    out = tmp_path / "out.exr"
    assert main(["look", "apply", str(cc), src, str(out)]) == 0
    got = media.read_image(out)
    want = apply_cdl(picture(0).reshape(-1, 3), GRADE).reshape(got.shape)
    assert np.abs(got - want).max() < 1e-3
    # A sequence in, a sequence out, 8-bit kept.
    for n in (1001, 1002):
        media.write_image(tmp_path / f"plate.{n}.png", (picture(n) * 255).astype(np.uint8))
    assert main(["look", "apply", str(cc), str(tmp_path / "plate.####.png"), str(tmp_path / "graded.####.png"),
                 "--in-space", "sRGB Encoded Rec.709 (sRGB)"]) == 0
    g = media.read_image(tmp_path / "graded.1002.png")
    assert g.dtype == np.uint8 and g.shape == (48, 64, 3)


def test_shot_match_writes_a_cdl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shot, hero = write_pair(tmp_path, 2)
    out = tmp_path / "match.cc"
    assert main(["shot-match", shot, hero, "--out", str(out)]) == 0
    assert "Exposure" in capsys.readouterr().out
    _, cpu = files.look_transform(out)
    assert np.isfinite(spaces.apply_processor(cpu, picture(3).reshape(-1, 3))).all()


def test_errors_are_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, grd = write_pair(tmp_path, 0)
    small = tmp_path / "small.exr"
    media.write_image(small, picture(0, 24, 32))
    cases = [
        (["look", "fit", "--pair", src, str(small), "--out", str(tmp_path / "l.cube")], "pair 1:"),
        (["look", "fit", "--pair", src, grd, "--out", str(tmp_path / "l.cube"), "--in-space", "LogC5"],
         "unknown colour space 'LogC5'"),
        (["look", "fit", "--pair", src, grd, "--out", grd], "must end in .cube"),
        (["look", "fit", "--pair", src, grd, "--out", str(tmp_path / "l.cube"), "--cdl", src], "must end in"),
        (["look", "apply", str(DATA / "colour/ocio-test-files/error_truncated_file.3dl"), src,
          str(tmp_path / "o.exr")], "error_truncated_file.3dl"),
        (["look", "apply", str(tmp_path / "none.cube"), src, str(tmp_path / "o.exr")], "none.cube"),
        (["shot-match", src, grd, "--out", str(tmp_path / "m.txt")], "must end in"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("rushes: error:") and message in err, (argv, err)


def test_never_overwrites_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, grd = write_pair(tmp_path, 0)
    cube = tmp_path / "look.cube"
    cube.write_text(files.cube_text(np.zeros((2, 2, 2, 3), np.float32)))
    before = Path(src).read_bytes()
    assert main(["look", "apply", str(cube), src, src]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert Path(src).read_bytes() == before
