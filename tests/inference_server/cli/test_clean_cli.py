"""`rushes clean-plate`: a clean frame plus its never-seen matte, or object removal with --mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.cli import clean, main
from inference_server.engines.cleanplate.synthetic import SyntheticShot, panning_shot
from inference_server.engines.metrics import psnr

pytestmark = pytest.mark.usefixtures("in_process")


@pytest.fixture(scope="module")
def shot() -> SyntheticShot:
    return panning_shot(7, size=(96, 128), pan=(5.0, 1.0), seed=0)


def _write(folder: Path, shot: SyntheticShot) -> None:
    for i, (p, m) in enumerate(zip(shot.plates, shot.mattes, strict=True)):
        media.write_image(folder / f"plate.{1001 + i:04d}.png", np.rint(p * 65535).astype(np.uint16))
        media.write_image(folder / f"mask.{1001 + i:04d}.png", np.rint(m[:, :, None] * 255).astype(np.uint8))


def test_clean_plate_writes_the_clean_frame_and_its_unseen_matte(tmp_path: Path, shot: SyntheticShot) -> None:
    _write(tmp_path, shot)
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "out" / "clean.png")])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clean.png", "clean_unseen.png"]
    img = media.read_image(tmp_path / "out" / "clean.png")
    assert img.dtype == np.uint16 and img.shape == (96, 128, 3)
    assert psnr(img / 65535.0, shot.background[3]) > 30.0          # reference: the middle frame
    unseen = media.read_image(tmp_path / "out" / "clean_unseen.png")
    assert unseen.shape == (96, 128, 1) and (unseen > 0).mean() < 0.05


def test_mask_removes_the_object_from_every_frame(tmp_path: Path, shot: SyntheticShot) -> None:
    _write(tmp_path, shot)
    code = main(["clean-plate", str(tmp_path / "plate.%04d.png"), str(tmp_path / "rep.####.png"),
                    "--mask", str(tmp_path / "mask.####.png"), "--frames", "1002-1006"])
    assert code == 0
    written = sorted(p.name for p in tmp_path.glob("rep.*.png"))
    assert written == [f"rep.{n}.png" for n in range(1002, 1007)]
    for n in (1002, 1004, 1006):
        rep = media.read_image(tmp_path / f"rep.{n}.png")
        src = media.read_image(tmp_path / f"plate.{n}.png")
        hole = shot.mattes[n - 1001] > 0
        assert rep.dtype == np.uint16
        np.testing.assert_array_equal(rep[~hole], src[~hole])
        assert psnr(rep[hole] / 65535.0, shot.truth[n - 1001][hole]) > 26.0


def test_clean_plate_naming_of_the_unseen_matte() -> None:
    assert clean.unseen_spec("out/clean.####.exr") == "out/clean_unseen.####.exr"
    assert clean.unseen_spec("clean.%04d.png") == "clean_unseen.%04d.png"
    assert clean.unseen_spec("bg.tif") == "bg_unseen.tif"


def test_refuses_to_overwrite_the_plate(tmp_path: Path, shot: SyntheticShot, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, shot)
    before = media.read_image(tmp_path / "plate.1001.png")
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "plate.####.png"),
                    "--mask", str(tmp_path / "mask.####.png")])
    assert code == 2
    assert "rushes: error:" in capsys.readouterr().err
    np.testing.assert_array_equal(media.read_image(tmp_path / "plate.1001.png"), before)


def test_bad_masks_are_refused_clearly(tmp_path: Path, shot: SyntheticShot, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, shot)
    (tmp_path / "mask.1007.png").unlink()
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "o" / "r.####.png"),
                    "--mask", str(tmp_path / "mask.####.png")])
    assert code == 2
    assert "the mask" in capsys.readouterr().err and not (tmp_path / "o").exists()
    for i in range(6):
        media.write_image(tmp_path / f"mask.{1001 + i:04d}.png", np.zeros((96, 128, 1), np.uint8))
    media.write_image(tmp_path / "mask.1007.png", np.zeros((96, 128, 1), np.uint8))
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "r.####.png"),
                    "--mask", str(tmp_path / "mask.####.png")])
    assert code == 2
    assert "the matte is empty in every frame" in capsys.readouterr().err
    assert not list(tmp_path.glob("r.*.png"))
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "one.png"),
                    "--mask", str(tmp_path / "mask.####.png")])
    assert code == 2
    assert "names one file but there are 7 frames" in capsys.readouterr().err


def test_mask_run_prints_the_qc_note(tmp_path: Path, shot: SyntheticShot, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, shot)
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "rep.####.png"),
                 "--mask", str(tmp_path / "mask.####.png")])
    assert code == 0
    err = capsys.readouterr().err
    assert "QC: all 7 frame(s) pass (fill's distance from its surroundings" in err
    assert "never revealed and painted" in err


def test_removal_summary_names_flagged_frames_and_copes_without_qc() -> None:
    qc = {"measure": "m", "threshold": 1.0, "frames": [], "flagged": [1003, 1004],
          "note": "2 frame(s) to check: 1003, 1004"}
    text = clean.removal_summary({"revealed_percent": 80.0, "never_revealed_percent": 20.0, "key_frames": [1002],
                                  "model": "affine", "qc": qc}, 5, "rep.####.exr")
    assert text.startswith("wrote 5 repaired frame(s) to rep.####.exr (80.0% of the masked pixels")
    assert "20.0% never revealed and painted on key frame(s) 1002" in text
    assert text.endswith("QC: 2 frame(s) to check: 1003, 1004 (m)")
    old = clean.removal_summary({"revealed_percent": 99.0, "model": "homography"}, 3, "o.exr")   # an older daemon
    assert old == "wrote 3 repaired frame(s) to o.exr (99.0% of the masked pixels taken from other frames; " \
                  "camera model homography)"
