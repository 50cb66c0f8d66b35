"""What `wire-remove` and `clean-plate --mask` do with inputs a compositor really hands them: mattes
numbered off the plate, strokes saved with a solid alpha, plates with an alpha channel, a 16-bit frame
in an 8-bit shot, one frame, an output name no format writes, and a render whose last step fails."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.cli import main
from inference_server.cli.outputs import StagedOutputs
from inference_server.engines.cleanplate.synthetic import panning_shot
from inference_server.engines.wire.synthetic import wire_shot
from inference_server.frames import matte_values

pytestmark = pytest.mark.usefixtures("in_process")


def _wire(folder: Path, n: int = 3, first: int = 1001, alpha: bool = False) -> list[np.ndarray]:
    """A wire shot as 8-bit PNGs (RGBA with a varying alpha when ``alpha``); returns the hints."""
    _, plates, hints = wire_shot(n, drift=5.0)
    for i, (p, h) in enumerate(zip(plates, hints, strict=True)):
        px = np.rint(p * 255).astype(np.uint8)
        if alpha:
            a = np.full(px.shape[:2] + (1,), 255, np.uint8)
            a[::2, ::3] = 0                            # a textured alpha: data, not picture to fill; the
            a[1::4] = 90                               # colour under it is kept as stored (straight PNG)
            px = np.concatenate([px, a], axis=2)
        media.write_image(folder / f"plate.{first + i:04d}.png", px)
        media.write_image(folder / f"hint.{first + i:04d}.png", np.rint(h[:, :, None] * 255).astype(np.uint8))
    return hints


def _removal(folder: Path, n: int = 4) -> list[np.ndarray]:
    shot = panning_shot(n, size=(96, 128), pan=(5.0, 1.0), seed=0)
    for i, (p, m) in enumerate(zip(shot.plates, shot.mattes, strict=True)):
        media.write_image(folder / f"plate.{1001 + i:04d}.png", np.rint(p * 255).astype(np.uint8))
        media.write_image(folder / f"mask.{1001 + i:04d}.png", np.rint(m[:, :, None] * 255).astype(np.uint8))
    return list(shot.mattes)


def test_a_matte_is_read_by_alpha_only_where_its_alpha_varies() -> None:
    stroke = np.zeros((8, 8, 4), np.uint8)
    stroke[2:5, :, :3] = 255
    stroke[:, :, 3] = 255                              # a stroke saved as RGB with a solid alpha
    assert matte_values(stroke).tolist() == (stroke[:, :, 0] / 255.0).tolist()
    stroke[:, :, 3] = 0
    stroke[6, :, 3] = 255                              # a real alpha matte
    assert matte_values(stroke).tolist() == (stroke[:, :, 3] / 255.0).tolist()
    assert matte_values(np.full((4, 4, 2), 0.5, np.float16)).tolist() == [[0.5] * 4] * 4


def test_hint_and_mask_frames_pair_with_the_plate_by_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _wire(tmp_path)
    for n in range(1001, 1004):                        # the hint rendered one frame late: 1002-1004
        shutil.copy(tmp_path / f"hint.{n:04d}.png", tmp_path / f"late.{n + 1:04d}.png")
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "o" / "r.####.png"),
                 "--hint", str(tmp_path / "late.####.png")])
    err = capsys.readouterr().err
    assert code == 2 and "the hint:" in err and "missing frame(s) 1001 of 1001-1003" in err
    assert not (tmp_path / "o").exists()
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "o" / "r.####.png"),
                 "--mask", str(tmp_path / "late.####.png")])
    err = capsys.readouterr().err
    assert code == 2 and "the mask:" in err and "missing frame(s) 1001" in err
    # a longer hint is fine: the plate's frames take theirs
    shutil.copy(tmp_path / "hint.1003.png", tmp_path / "hint.1004.png")
    assert main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "r.####.png"),
                 "--hint", str(tmp_path / "hint.####.png"), "--mode", "spatial"]) == 0
    assert sorted(p.name for p in tmp_path.glob("r.*.png")) == ["r.1001.png", "r.1002.png", "r.1003.png"]


def test_a_hint_over_the_whole_frame_is_refused_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _wire(tmp_path, 2)
    full = np.full(media.read_image(tmp_path / "hint.1001.png").shape, 255, np.uint8)
    media.write_image(tmp_path / "hint.1002.png", full)
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "r.####.png"),
                 "--hint", str(tmp_path / "hint.####.png")])
    err = capsys.readouterr().err
    assert code == 2 and "the hint covers the whole of frame 1002" in err and "Traceback" not in err
    assert not list(tmp_path.glob("r.*"))


def test_a_stroke_saved_with_a_solid_alpha_is_the_stroke(tmp_path: Path) -> None:
    hints = _wire(tmp_path, 2)
    for i, h in enumerate(hints):                      # RGB stroke, alpha 255 everywhere
        rgb = np.repeat(np.rint(h[:, :, None] * 255).astype(np.uint8), 3, axis=2)
        media.write_image(tmp_path / f"rgba.{1001 + i:04d}.png",
                          np.concatenate([rgb, np.full(h.shape + (1,), 255, np.uint8)], axis=2))
    assert main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "m.####.png"),
                 "--hint", str(tmp_path / "rgba.####.png"), "--output", "matte", "--mode", "spatial"]) == 0
    m = media.read_image(tmp_path / "m.1001.png")[:, :, 0]
    assert m.max() == 255 and (m[hints[0] == 0] == 0).all()    # the wire inside the stroke, nothing outside


def test_wire_removal_passes_the_plate_alpha_through(tmp_path: Path) -> None:
    hints = _wire(tmp_path, 3, alpha=True)
    assert main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "r.####.png"),
                 "--hint", str(tmp_path / "hint.####.png"), "--mode", "spatial"]) == 0
    rep, src = media.read_image(tmp_path / "r.1002.png"), media.read_image(tmp_path / "plate.1002.png")
    assert rep.shape == src.shape == (96, 160, 4)
    np.testing.assert_array_equal(rep[:, :, 3], src[:, :, 3])
    inside = hints[1] > 0
    np.testing.assert_array_equal(rep[~inside], src[~inside])   # colour under alpha 0 included
    assert np.abs(rep[:, :, :3][inside].astype(int) - src[:, :, :3][inside]).max() > 40   # the wire went


def test_object_removal_passes_the_plate_alpha_through(tmp_path: Path) -> None:
    mattes = _removal(tmp_path)
    for n in range(1001, 1005):
        px = media.read_image(tmp_path / f"plate.{n}.png")
        a = np.full(px.shape[:2] + (1,), 200, np.uint8)
        a[::2] = 255
        media.write_image(tmp_path / f"rgba.{n}.png", np.concatenate([px, a], axis=2))
    assert main(["clean-plate", str(tmp_path / "rgba.####.png"), str(tmp_path / "r.####.png"),
                 "--mask", str(tmp_path / "mask.####.png")]) == 0
    rep, src = media.read_image(tmp_path / "r.1002.png"), media.read_image(tmp_path / "rgba.1002.png")
    np.testing.assert_array_equal(rep[:, :, 3], src[:, :, 3])
    hole = mattes[1] > 0
    assert hole.any() and (rep[:, :, :3][hole] != src[:, :, :3][hole]).any()


def test_a_frame_of_another_bit_depth_is_refused_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _removal(tmp_path)
    deep = media.read_image(tmp_path / "plate.1003.png").astype(np.uint16) * 257
    media.write_image(tmp_path / "plate.1003.png", deep)
    code = main(["clean-plate", str(tmp_path / "plate.####.png"), str(tmp_path / "r.####.png"),
                 "--mask", str(tmp_path / "mask.####.png")])
    err = capsys.readouterr().err
    assert code == 2 and "plate frame 1003" in err and "uint16" in err and "uint8" in err
    assert not list(tmp_path.glob("r.*"))


def test_one_frame_removal_is_checked_not_passed_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _removal(tmp_path)
    monkeypatch.setenv("RUSHES_SUMMARY_FILE", str(tmp_path / "summary.jsonl"))
    code = main(["clean-plate", str(tmp_path / "plate.1002.png"), str(tmp_path / "one.png"),
                 "--mask", str(tmp_path / "mask.1002.png")])
    err = capsys.readouterr().err
    assert code == 0 and "camera model none" in err and "QC: " in err
    summary = json.loads((tmp_path / "summary.jsonl").read_text().splitlines()[-1])["summary"]
    (row,) = summary["qc"]["frames"]
    # the one frame is painted and scored by the same check as a shot's frames, not passed as 0.0
    assert row["painted"] == 1.0 and 0.0 < row["value"] < 1.0


def test_an_output_no_format_writes_is_refused_before_any_work(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _wire(tmp_path, 1)
    for out in ("r.####", "r.####.xyz", "o"):
        (tmp_path / "o").mkdir(exist_ok=True)
        code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / out),
                     "--hint", str(tmp_path / "hint.####.png")])
        err = capsys.readouterr().err
        assert code == 2 and "output" in err and ".rushes-staging" not in err, (out, err)


def test_commit_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "r.1001.png").write_bytes(b"earlier render")
    (tmp_path / "r.1003.png").mkdir()                 # a folder where a frame goes
    frame = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(FileExistsError, match="r.1003.png: a folder has that name"):
        with StagedOutputs() as staged:
            for n in (1001, 1002, 1003):
                staged.write(str(tmp_path / f"r.{n}.png"), frame, None, n)
            staged.commit()
    assert (tmp_path / "r.1001.png").read_bytes() == b"earlier render" and not (tmp_path / "r.1002.png").exists()
    (tmp_path / "r.1003.png").rmdir()
    # a move that fails part way puts back what was there
    real = os.replace
    calls: list[str] = []

    def failing(src: str, dst: str) -> None:
        calls.append(os.fspath(dst))
        if os.fspath(dst).endswith("r.1003.png"):
            raise PermissionError(13, "Permission denied")
        real(src, dst)

    with StagedOutputs() as staged:
        for n in (1001, 1002, 1003):
            staged.write(str(tmp_path / f"r.{n}.png"), frame, None, n)
        monkeypatch.setattr(os, "replace", failing)
        with pytest.raises(OSError, match=r"r\.1003\.png could not be put in place"):
            staged.commit()
        monkeypatch.setattr(os, "replace", real)
    assert any(c.endswith("r.1002.png") for c in calls)   # frames before it had moved
    assert (tmp_path / "r.1001.png").read_bytes() == b"earlier render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.1001.png"]


def test_a_still_plate_keeps_its_frame_number(tmp_path: Path) -> None:
    _wire(tmp_path, 3)
    assert main(["wire-remove", str(tmp_path / "plate.1003.png"), str(tmp_path / "one.####.png"),
                 "--hint", str(tmp_path / "hint.1003.png"), "--mode", "spatial"]) == 0
    assert sorted(p.name for p in tmp_path.glob("one.*")) == ["one.1003.png"]


def test_a_movie_plate_pairs_a_hint_sequence_by_number_with_frames_and_in_order_without(tmp_path: Path) -> None:
    """A farm chunk runs `wire-remove plate.mp4 ... --frames 2-4`: the hint's frames 2-4 (a movie's
    frames count from 1, as the hint rendered for it does); without --frames, in order."""
    import av

    _, plates, hints = wire_shot(6, drift=5.0)
    h, w = plates[0].shape[:2]
    with av.open(str(tmp_path / "plate.mp4"), "w") as box:
        stream = box.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for p in plates:
            frame = av.VideoFrame.from_ndarray(np.rint(p[:, :, :3] * 255).astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    for i, hh in enumerate(hints):
        media.write_image(tmp_path / f"hint.{i + 1:04d}.png", np.rint(hh[:, :, None] * 255).astype(np.uint8))
    assert main(["wire-remove", str(tmp_path / "plate.mp4"), str(tmp_path / "r.####.png"), "--hint",
                 str(tmp_path / "hint.####.png"), "--frames", "2-4", "--mode", "spatial"]) == 0
    assert sorted(p.name for p in tmp_path.glob("r.*.png")) == ["r.0002.png", "r.0003.png", "r.0004.png"]
    got = media.read_image(tmp_path / "r.0003.png")
    plate = media.open_sequence(str(tmp_path / "plate.mp4"))[2].pixels
    np.testing.assert_array_equal(got[hints[2] == 0], plate[hints[2] == 0])   # hint frame 3 over plate frame 3
    assert main(["wire-remove", str(tmp_path / "plate.mp4"), str(tmp_path / "all.####.png"), "--hint",
                 str(tmp_path / "hint.####.png"), "--mode", "spatial"]) == 0
    assert len(list(tmp_path.glob("all.*.png"))) == 6


def test_each_repaired_frame_keeps_its_plate_frames_timecode_and_a_matte_is_named_alpha(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    _, plates, hints = wire_shot(3, drift=5.0)
    for i, (p, hh) in enumerate(zip(plates, hints, strict=True)):
        rgbz = np.concatenate([p, np.full(p.shape[:2] + (1,), 50.0, np.float32)], axis=2).astype(np.float16)
        spec = oiio.ImageSpec(rgbz.shape[1], rgbz.shape[0], 4, "half")
        spec.channelnames = ("R", "G", "B", "Z")
        spec.attribute("smpte:TimeCode", oiio.TypeDesc("timecode"), (0x01000000 + i, 0))
        path = str(tmp_path / f"plate.{1001 + i}.exr")
        out = oiio.ImageOutput.create(path)
        assert out.open(path, spec) and out.write_image(rgbz) and out.close()
        media.write_image(tmp_path / f"hint.{1001 + i}.png", np.rint(hh[:, :, None] * 255).astype(np.uint8))
    assert main(["wire-remove", str(tmp_path / "plate.####.exr"), str(tmp_path / "r.####.exr"), "--hint",
                 str(tmp_path / "hint.####.png"), "--mode", "spatial"]) == 0
    codes = [oiio.ImageInput.open(str(tmp_path / f"r.{n}.exr")).spec().getattribute("smpte:TimeCode")[0]
             for n in (1001, 1002, 1003)]
    assert codes == [0x01000000, 0x01000001, 0x01000002]
    assert main(["wire-remove", str(tmp_path / "plate.####.exr"), str(tmp_path / "m.####.exr"), "--hint",
                 str(tmp_path / "hint.####.png"), "--mode", "spatial", "--output", "repair-matted"]) == 0
    spec = oiio.ImageInput.open(str(tmp_path / "m.1002.exr")).spec()
    assert tuple(spec.channelnames)[-1] == "A", spec.channelnames   # the wire matte, not the plate's Z


def test_a_straight_alpha_plate_written_to_exr_is_associated_and_to_tiff_stays_straight(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    hints = _wire(tmp_path, 2, alpha=True)           # straight RGBA PNGs: colour under alpha 0 and 90
    for ext in ("exr", "tif"):
        assert main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / f"r.####.{ext}"),
                     "--hint", str(tmp_path / "hint.####.png"), "--mode", "spatial"]) == 0
    src = media.read_image(tmp_path / "plate.1001.png").astype(np.float64) / 255
    outside = hints[0] == 0
    exr = media.read_image(tmp_path / "r.1001.exr").astype(np.float64)
    # EXR holds associated alpha: the colour multiplied by it, as a default read of the PNG gives
    np.testing.assert_allclose(exr[outside][:, :3], (src[..., :3] * src[..., 3:])[outside], atol=1 / 255 + 1e-3)
    tif = media.read_image(tmp_path / "r.1001.tif")
    np.testing.assert_array_equal(tif[outside], media.read_image(tmp_path / "plate.1001.png")[outside])
    cfg = oiio.ImageSpec()
    cfg.attribute("oiio:UnassociatedAlpha", 1)
    assert oiio.ImageInput.open(str(tmp_path / "r.1001.tif"), cfg).spec().get_int_attribute("oiio:UnassociatedAlpha") == 1
