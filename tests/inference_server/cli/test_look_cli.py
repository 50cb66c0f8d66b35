"""`rushes look fit`, `rushes look apply`, `rushes shot-match` on small synthetic images."""

from __future__ import annotations

import re
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
    slope = re.search(r"slope ([-\d.]+) ([-\d.]+) ([-\d.]+)", text)
    assert slope is not None and np.allclose([float(v) for v in slope.groups()], GRADE.slope, atol=2e-3)
    assert "stop warmer" in text and "saturation +10%" in text
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


def shifted_pair(folder: Path, name: str, roll: int, shift: tuple[float, float, float]) -> tuple[str, str]:
    """One take of the same set, exposed/balanced off by ``shift`` (ACEScct offsets), and its grade."""
    base = np.roll(picture(0, 60, 80), roll, axis=1)
    src = (base + np.array(shift, np.float32)).astype(np.float32)
    grd = apply_cdl(base.reshape(-1, 3), GRADE).reshape(base.shape).astype(np.float32)
    a, b = folder / f"{name}.exr", folder / f"{name}_graded.exr"
    media.write_image(a, src)
    media.write_image(b, grd)
    return str(a), str(b)


def test_two_layer_fit_writes_balances_and_apply_balances_a_new_shot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = [shifted_pair(tmp_path, "A001", 0, (0.05, 0.05, 0.05)),
             shifted_pair(tmp_path, "A002", 15, (-0.04, -0.04, -0.01)),
             shifted_pair(tmp_path, "A003", 30, (0.0, 0.0, 0.0))]
    cube, ccc = tmp_path / "show.cube", tmp_path / "balances.ccc"
    argv = ["look", "fit", "--out", str(cube), "--balances", str(ccc), "--size", "17"]
    for p in pairs:
        argv += ["--pair", *p]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Balances:" in out and "pair 1 (frame 1): -0.8" in out and "node 1" in out
    assert ccc.read_text().count("<ColorCorrection id=") == 3
    a001 = files.read_cdl(tmp_path / "A001.balance.cc")
    assert a001.offset[0] == pytest.approx(-0.05 + np.mean([0.05, -0.04, 0.0]), abs=0.006)
    # The hero through its own .cc then the look lands on its grade.
    graded_out = tmp_path / "A001_look.exr"
    assert main(["look", "apply", str(cube), pairs[0][0], str(graded_out),
                 "--balance", str(tmp_path / "A001.balance.cc")]) == 0
    assert "from " in capsys.readouterr().out
    want = media.read_image(pairs[0][1])
    assert np.abs(media.read_image(graded_out) - want).mean() < 5e-3
    # A new take, a stop under and warmer: auto (the default for this look) brings it back,
    # none leaves it off.
    new_src, new_grd = shifted_pair(tmp_path, "B001", 45, (-0.05, -0.06, -0.075))
    auto_out, none_out = tmp_path / "B001_auto.exr", tmp_path / "B001_none.exr"
    assert main(["look", "apply", str(cube), new_src, str(auto_out)]) == 0
    said = capsys.readouterr().out
    assert "Balance (estimated" in said and "+" in said.split("stop")[0]
    assert main(["look", "apply", str(cube), new_src, str(none_out), "--balance", "none"]) == 0
    target = media.read_image(new_grd)
    err_auto = np.abs(media.read_image(auto_out) - target).mean()
    err_none = np.abs(media.read_image(none_out) - target).mean()
    assert err_auto < 0.4 * err_none and err_none > 0.03


def test_balance_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, grd = write_pair(tmp_path, 0)
    plain = tmp_path / "plain.cube"
    plain.write_text(files.cube_text(np.stack(np.meshgrid(*[np.linspace(0, 1, 2)] * 3, indexing="ij"), -1)
                                     .astype(np.float32)))
    cases = [
        (["look", "apply", str(plain), src, str(tmp_path / "o.exr"), "--balance", "auto"],
         "carries no balance model"),
        (["look", "apply", str(plain), src, str(tmp_path / "o.exr"), "--balance", str(tmp_path / "b.cc")],
         "CDL file not found"),
        (["look", "apply", str(plain), src, str(tmp_path / "o.exr"), "--balance", str(plain)],
         "a balance must be an ASC CDL file"),
        (["look", "fit", "--pair", src, grd, "--out", str(tmp_path / "l.cube"), "--balances",
          str(tmp_path / "b.cc")], "must end in .ccc"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("rushes: error:") and message in err, (argv, err)
    assert not (tmp_path / "o.exr").exists() and not (tmp_path / "l.cube").exists()
    # A plain LUT with no --balance applies as before (no balance).
    assert main(["look", "apply", str(plain), src, str(tmp_path / "o.exr")]) == 0
    np.testing.assert_allclose(media.read_image(tmp_path / "o.exr"), media.read_image(src), atol=1e-5)
