"""Media I/O: sequences, single images, movies, native dtypes, atomic writes, overwrite refusal."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from inference_server import media


def _ramp(h: int, w: int, c: int, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.random((h, w, c), dtype=np.float32)
    if dtype == "uint8":
        return (x * 255).astype(np.uint8)
    if dtype == "uint16":
        return (x * 65535).astype(np.uint16)
    return x.astype(dtype)


@pytest.mark.parametrize(("ext", "dtype"), [("png", "uint8"), ("png", "uint16"), ("tif", "uint16"),
                                            ("exr", "float16"), ("exr", "float32"), ("tif", "float32")])
def test_write_read_roundtrip_keeps_dtype_and_values(tmp_path: Path, ext: str, dtype: str) -> None:
    pixels = _ramp(6, 7, 3, dtype)
    path = tmp_path / f"img.{ext}"
    media.write_image(path, pixels)
    back = media.read_image(path)
    assert back.dtype.name == dtype
    assert back.shape == (6, 7, 3)
    np.testing.assert_array_equal(back, pixels)
    assert [p.name for p in tmp_path.iterdir()] == [f"img.{ext}"]  # no temporary left


def test_write_like_format_dtype_name_and_reference_file(tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    media.write_image(ref, _ramp(4, 4, 3, "uint16"))
    media.write_image(tmp_path / "a.png", _ramp(4, 4, 3, "uint8"), like_format=str(ref))
    assert media.read_image(tmp_path / "a.png").dtype == np.uint16
    media.write_image(tmp_path / "b.exr", _ramp(4, 4, 3, "float32"), like_format="float16")
    assert media.read_image(tmp_path / "b.exr").dtype == np.float16


def _exr(path: Path, pixels: np.ndarray, names: tuple[str, ...], compression: str) -> None:
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "half")
    spec.channelnames = names
    spec.attribute("compression", compression)
    spec.attribute("Make", "ARRI")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_image(pixels) and out.close()


def test_written_like_a_plate_keeps_its_header_and_channel_names(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    plate = (_ramp(16, 20, 4, "float32") * 3).astype(np.float16)
    _exr(tmp_path / "rgbz.exr", plate, ("R", "G", "B", "Z"), "piz")
    media.write_image(tmp_path / "out.exr", plate, like_format=str(tmp_path / "rgbz.exr"))
    spec = oiio.ImageInput.open(str(tmp_path / "out.exr")).spec()
    assert tuple(spec.channelnames) == ("R", "G", "B", "Z")        # depth stays depth, not alpha
    assert spec.get_string_attribute("compression") == "piz" and spec.get_string_attribute("Make") == "ARRI"
    # one channel fewer: the names are not the plate's to give, the header still is
    media.write_image(tmp_path / "rgb.exr", plate[:, :, :3], like_format=str(tmp_path / "rgbz.exr"))
    spec = oiio.ImageInput.open(str(tmp_path / "rgb.exr")).spec()
    assert tuple(spec.channelnames) == ("R", "G", "B") and spec.get_string_attribute("Make") == "ARRI"
    # a lossy plate (DWAA) is written back losslessly: its pixels come back exactly
    _exr(tmp_path / "dwaa.exr", plate[:, :, :3], ("R", "G", "B"), "dwaa:45")
    read = media.read_image(tmp_path / "dwaa.exr")
    media.write_image(tmp_path / "again.exr", read, like_format=str(tmp_path / "dwaa.exr"))
    spec = oiio.ImageInput.open(str(tmp_path / "again.exr")).spec()
    assert not spec.get_string_attribute("compression").startswith("dwa")
    np.testing.assert_array_equal(media.read_image(tmp_path / "again.exr"), read)


def test_single_channel_reads_as_hwc(tmp_path: Path) -> None:
    media.write_image(tmp_path / "m.png", _ramp(5, 3, 1, "uint8"))
    assert media.read_image(tmp_path / "m.png").shape == (5, 3, 1)


def test_write_rejects_bad_arrays_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="float64"):
        media.write_image(tmp_path / "x.exr", np.zeros((2, 2, 3)))
    with pytest.raises(FileNotFoundError, match="nope"):
        media.write_image(tmp_path / "nope" / "x.exr", np.zeros((2, 2, 3), np.float32))


def _write_seq(folder: Path, name: str, numbers: range, dtype: str = "uint16") -> list[np.ndarray]:
    out = []
    for n in numbers:
        px = _ramp(4, 6, 3, dtype) + np.array(n % 7, dtype=dtype)
        media.write_image(folder / f"{name}.{n:04d}.png", px)
        out.append(px)
    return out


@pytest.mark.parametrize("pattern", ["plate.####.png", "plate.%04d.png", "plate.#.png"])
def test_open_sequence_patterns(tmp_path: Path, pattern: str) -> None:
    truth = _write_seq(tmp_path, "plate", range(1001, 1006))
    seq = media.open_sequence(str(tmp_path / pattern))
    assert seq.numbers == [1001, 1002, 1003, 1004, 1005]
    assert seq.paths is not None and seq.paths[0].endswith("plate.1001.png")
    assert (seq.info.width, seq.info.height, seq.info.channels, seq.info.dtype, seq.info.format) == (6, 4, 3, "uint16", "png")
    np.testing.assert_array_equal(seq[2].pixels, truth[2])
    assert seq[-1].number == 1005
    assert [f.number for f in seq[1:3]] == [1002, 1003]


def test_open_sequence_range_and_missing(tmp_path: Path) -> None:
    _write_seq(tmp_path, "plate", range(1001, 1006))
    seq = media.open_sequence(str(tmp_path / "plate.####.png"), frames=(1002, 1003))
    assert seq.numbers == [1002, 1003]
    with pytest.raises(ValueError, match="missing frame.*1006"):
        media.open_sequence(str(tmp_path / "plate.####.png"), frames=(1004, 1007))
    with pytest.raises(FileNotFoundError, match="other"):
        media.open_sequence(str(tmp_path / "other.####.png"))
    os.unlink(tmp_path / "plate.1003.png")
    with pytest.raises(ValueError, match="gaps.*1003"):
        media.open_sequence(str(tmp_path / "plate.####.png"))


def test_single_image_stands_for_a_range(tmp_path: Path) -> None:
    px = _ramp(4, 5, 1, "uint8")
    media.write_image(tmp_path / "hint.png", px)
    seq = media.open_sequence(str(tmp_path / "hint.png"), frames=(10, 12))
    assert seq.numbers == [10, 11, 12]
    np.testing.assert_array_equal(seq[2].pixels, px)
    assert media.open_sequence(str(tmp_path / "hint.png")).numbers == [0]
    # a still named as a sequence's frame carries that frame's number (the output and the grain seed
    # are the sequence's frame 1003's); a number without the frame's dot is part of the name
    media.write_image(tmp_path / "plate.1003.png", px)
    media.write_image(tmp_path / "IMG_4512.png", px)
    assert media.open_sequence(str(tmp_path / "plate.1003.png")).numbers == [1003]
    assert media.open_sequence(str(tmp_path / "IMG_4512.png")).numbers == [0]


def test_movie_frames_are_lazy_and_numbered_from_one(tmp_path: Path) -> None:
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as box:
        stream = box.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(6):
            img = np.full((48, 64, 3), 30 + 40 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    seq = media.open_sequence(str(path))
    assert seq.numbers == [1, 2, 3, 4, 5, 6] and seq.paths is None
    assert seq.info.dtype == "uint8" and seq.info.width == 64
    levels = [float(seq[i].pixels.mean()) for i in (4, 1, 5)]  # backward access re-decodes
    assert levels == pytest.approx([190, 70, 230], abs=6)
    part = media.open_sequence(str(path), frames=(3, 4))
    assert float(part[0].pixels.mean()) == pytest.approx(110, abs=6)


def test_output_path_and_parse_range() -> None:
    assert media.output_path("/o/rep.####.exr", 1001) == "/o/rep.1001.exr"
    assert media.output_path("/o/rep.%06d.exr", 7) == "/o/rep.000007.exr"
    assert media.output_path("/o/still.png", 5) == "/o/still.png"
    with pytest.raises(ValueError, match="movie"):
        media.output_path("/o/out.mov", 1)
    assert media.parse_frame_range("1001-1050") == (1001, 1050)
    assert media.parse_frame_range("7") == (7, 7)
    with pytest.raises(ValueError, match="A-B"):
        media.parse_frame_range("a-b")


def test_refuse_overwrite(tmp_path: Path) -> None:
    plate = str(tmp_path / "plate.####.exr")
    with pytest.raises(FileExistsError, match="plate"):
        media.refuse_overwrite([plate], str(tmp_path / "plate.%04d.exr"))
    with pytest.raises(FileExistsError):
        media.refuse_overwrite([str(tmp_path / "plate.1001.exr")], str(tmp_path / "./plate.####.exr"))
    with pytest.raises(FileExistsError):
        media.refuse_overwrite([plate], str(tmp_path / "plate.1001.exr"))
    with pytest.raises(FileExistsError):
        media.refuse_overwrite([str(tmp_path / "a.mov")], str(tmp_path / "a.mov"))
    media.refuse_overwrite([plate, str(tmp_path / "hint.####.exr")], str(tmp_path / "repair.####.exr"))
    media.refuse_overwrite([plate], str(tmp_path / "sub" / "plate.####.exr"))


def test_overwrite_guard_ignores_case_where_the_file_system_does(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(media.paths, "CASE_BLIND", True)
    with pytest.raises(FileExistsError, match="overwrite the input"):
        media.refuse_overwrite([str(tmp_path / "Plate.####.exr")], str(tmp_path / "plate.####.exr"))
    monkeypatch.setattr(media.paths, "CASE_BLIND", False)
    media.refuse_overwrite([str(tmp_path / "Plate.####.exr")], str(tmp_path / "plate.####.exr"))


def test_read_image_refuses_an_oversized_header_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    media.write_image(path, np.zeros((8, 40, 3), np.uint8))
    with pytest.raises(media.ImageTooLarge, match="40x8x3"):
        media.read_image(path, max_side=32)
    with pytest.raises(media.ImageTooLarge):
        media.read_image(path, max_bytes=8 * 40 * 3 * 4 - 1)
    assert media.read_image(path, max_side=40, max_bytes=8 * 40 * 3 * 4).shape == (8, 40, 3)


def test_straight_alpha_is_kept_in_its_own_format_and_associated_for_exr(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    px = np.zeros((2, 3, 4), np.uint8)
    px[..., 0], px[..., 3] = 200, 128
    px[0, 0, 3] = 0                                        # colour under alpha 0: kept as stored
    media.write_image(tmp_path / "straight.png", px, like_format="uint8")   # no reference: associated
    cfg = oiio.ImageSpec()
    cfg.attribute("oiio:UnassociatedAlpha", 1)
    spec = oiio.ImageSpec(3, 2, 4, "uint8")
    spec.attribute("oiio:UnassociatedAlpha", 1)
    out = oiio.ImageOutput.create(str(tmp_path / "s.png"))
    assert out.open(str(tmp_path / "s.png"), spec) and out.write_image(px) and out.close()
    read = media.read_image(tmp_path / "s.png")
    np.testing.assert_array_equal(read, px)                # read as stored
    media.write_image(tmp_path / "again.png", read, like_format=str(tmp_path / "s.png"))
    np.testing.assert_array_equal(media.read_image(tmp_path / "again.png"), px)   # PNG to PNG: as it was
    media.write_image(tmp_path / "as.exr", read, like_format=str(tmp_path / "s.png"))
    exr = media.read_image(tmp_path / "as.exr").astype(np.float32)
    # EXR holds associated alpha: the colour multiplied by the alpha, as reading the PNG by default gives
    np.testing.assert_allclose(exr[0, 1, 0], 200 / 255 * 128 / 255, atol=1 / 255)   # in 8 bit, as read
    assert exr[0, 0, 0] == 0.0


def test_each_frame_keeps_its_own_header(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    for n in (1, 2):
        spec = oiio.ImageSpec(4, 4, 3, "half")
        spec.attribute("smpte:TimeCode", oiio.TypeDesc("timecode"), (0x01000000 + n, 0))
        out = oiio.ImageOutput.create(str(tmp_path / f"p.{n}.exr"))
        assert out.open(str(tmp_path / f"p.{n}.exr"), spec) and out.write_image(np.zeros((4, 4, 3), np.float16))
        out.close()
        media.write_image(tmp_path / f"o.{n}.exr", np.ones((4, 4, 3), np.float16), like_format=str(tmp_path / f"p.{n}.exr"))
    codes = [oiio.ImageInput.open(str(tmp_path / f"o.{n}.exr")).spec().getattribute("smpte:TimeCode")[0] for n in (1, 2)]
    assert codes == [0x01000001, 0x01000002]


def test_store_straight_leaves_the_callers_pixels_alone() -> None:
    import OpenImageIO as oiio

    from inference_server.writers import store_straight

    a = np.full((1, 1, 4), 0.8, np.float32)
    a[..., 3] = 0.5
    out = store_straight(a, oiio.ImageSpec(1, 1, 4, "float"), ".exr")
    np.testing.assert_allclose(out[0, 0], [0.4, 0.4, 0.4, 0.5], rtol=1e-6)
    np.testing.assert_array_equal(a[0, 0], np.float32([0.8, 0.8, 0.8, 0.5]))   # the caller's, unchanged
