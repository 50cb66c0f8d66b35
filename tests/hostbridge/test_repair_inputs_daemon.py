"""The repairs through a real daemon, as a host sends them: mattes numbered off the plate, a Nuke
Roto whose bounding box runs off the frame, an RGBA PNG plate, a frame that is not the file it
claims to be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.errors import BadFrame, BadInput, FrameTooLarge
from hostbridge.frames import array_frame, encoded_frame, file_frame
from inference_server.codec import decode_bytes, encode_pixels
from inference_server.engines.wire.synthetic import wire_shot


def _shot(n: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    _, plates, hints = wire_shot(n, drift=5.0)
    return [p.astype(np.float16) for p in plates], [h[:, :, None].astype(np.float16) for h in hints]


def test_a_matte_numbered_off_the_plate_is_refused(daemon: str) -> None:
    plates, hints = _shot()
    plate = [array_frame(p, 1001 + i) for i, p in enumerate(plates)]
    with Client(daemon) as c:
        with pytest.raises(BadInput, match="hint's frame 1002 would be laid over plate frame 1001"):
            c.run("wire_removal", {"plate": plate, "hint": [array_frame(h, 1002 + i) for i, h in enumerate(hints)]},
                  {"method": "spatial"})
        # a client that numbers none of its hint frames pairs them in order
        res = c.run("wire_removal", {"plate": plate, "hint": [array_frame(h) for h in hints]}, {"method": "spatial"})
        assert [f.number for f in res.frames["repair"]] == [1001, 1002, 1003]
        with pytest.raises(BadInput, match="matte's frame 1000 would be laid over plate frame 1001"):
            c.run("object_removal", {"plate": plate, "matte": [array_frame(h, 1000 + i) for i, h in enumerate(hints)]})


def _roto_exr(path: Path, hint: np.ndarray, top: int) -> None:
    """``hint`` (H, W, 1) as a Nuke Write of a Roto gives it: the display window is the format, the data
    window the stroke's bounding box, here running ``top`` px off the top of the frame."""
    import OpenImageIO as oiio

    h, w = hint.shape[:2]
    ys, xs = np.nonzero(hint[:, :, 0] > 0)
    x0, x1, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.max()) + 1
    data = np.zeros((y1 + top, x1 - x0, 1), np.float16)
    data[top:] = hint[:y1, x0:x1]
    spec = oiio.ImageSpec(x1 - x0, y1 + top, 1, "half")
    spec.x, spec.y = x0, -top
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, w, h
    spec.channelnames = ("A",)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_image(data) and out.close()


def test_a_roto_whose_box_runs_off_the_frame_is_read_to_the_frame(daemon: str, tmp_path: Path) -> None:
    plates, hints = _shot()
    hints = [h.copy() for h in hints]
    for h in hints:
        h[:4] = np.maximum(h[:4], (h[4:5] > 0))      # the stroke touches the top edge and runs on past it
    frames = []
    for i, h in enumerate(hints):
        _roto_exr(tmp_path / f"roto.{1001 + i}.exr", h, top=8)
        frames.append(file_frame(str(tmp_path / f"roto.{1001 + i}.exr"), 1001 + i, by_path=False))
    with Client(daemon) as c:
        res = c.run("wire_removal", {"plate": [array_frame(p, 1001 + i) for i, p in enumerate(plates)],
                                     "hint": frames}, {"method": "spatial", "regrain": 0.0})
    out = res.frames["repair"][1].array()
    outside = hints[1][:, :, 0] == 0
    np.testing.assert_array_equal(out[outside], plates[1][outside])
    assert not np.array_equal(out[~outside], plates[1][~outside])


def test_an_rgba_png_plate_comes_back_as_it_was_outside_the_hint(daemon: str) -> None:
    plates, hints = _shot(2)
    rgba = []
    for p in plates:
        px = np.rint(p.astype(np.float32) * 255).astype(np.uint8)
        a = np.full(px.shape[:2] + (1,), 255, np.uint8)
        a[::2, ::3] = 0                               # colour under zero alpha, as straight PNGs keep it
        a[1::4] = 90
        rgba.append(np.concatenate([px, a], axis=2))
    with Client(daemon) as c:
        res = c.run("wire_removal", {"plate": [encoded_frame(encode_pixels(p, "png", straight=True), "png", 1 + i)
                                               for i, p in enumerate(rgba)],
                                     "hint": [array_frame(h, 1 + i) for i, h in enumerate(hints)]},
                    {"method": "spatial"}, encode="png")
    back = decode_bytes(bytes(res.frames["repair"][0].data), "png")
    outside = hints[0][:, :, 0] == 0
    np.testing.assert_array_equal(back[outside], rgba[0][outside])
    np.testing.assert_array_equal(back[:, :, 3], rgba[0][:, :, 3])


def test_a_frame_that_is_not_its_file_is_named_by_port_and_number(daemon: str) -> None:
    plates, hints = _shot(1)
    with Client(daemon) as c:
        with pytest.raises(BadFrame, match="input 'plate' frame 7") as err:
            c.run("wire_removal", {"plate": [encoded_frame(b"\x76\x2f\x31\x01" + b"\0" * 64, "exr", 7)],
                                   "hint": [array_frame(hints[0], 7)]})
    assert "/tmp" not in str(err.value)


def test_a_reply_format_that_cannot_hold_the_frames_is_refused_or_widened(daemon: str) -> None:
    deep = np.random.default_rng(3).integers(0, 65536, (8, 10, 3)).astype(np.uint16)
    bright = (np.random.default_rng(4).random((8, 10, 3)) * 2).astype(np.float16)
    with Client(daemon) as c:
        # 16-bit code values in an EXR reply come back exactly (as float; half rounded them)
        res = c.run("echo", {"plate": [array_frame(deep, 1)]}, encode="exr")
        back = decode_bytes(bytes(res.frames["result"][0].data), "exr")
        np.testing.assert_array_equal(np.rint(back.astype(np.float64) * 65535).astype(np.uint16), deep)
        # float frames with values over 1 asked for as PNG: refused, not clipped to 8 bit
        with pytest.raises(BadInput, match="asked for as PNG.*float16.*ask for exr"):
            c.run("echo", {"plate": [array_frame(bright, 1)]}, encode="png")
        assert c.run("echo", {"plate": [array_frame(bright, 1)]}).frames["result"][0].array().max() > 1.0


def test_a_part_over_the_daemons_limit_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    from tests.conftest import DaemonProcess

    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_MAX_FRAME_BYTES": "200000",
                                                  "RUSHES_MAX_ENCODED_BYTES": "200000"}).start()
    try:
        big = np.zeros((400, 800, 4), np.float32)                   # 5 MB: the daemon would drop the connection
        with Client(proc.url, use_shm=False, timeout=3.0) as c:
            assert c.hello()["max_part_bytes"] > 200000
            with pytest.raises(FrameTooLarge, match="part 0 of this request is 5120000 bytes"):
                c.run("echo", {"plate": [array_frame(big, 1)]})
            small = np.ones((8, 8, 3), np.float32)
            np.testing.assert_array_equal(c.run("echo", {"plate": [array_frame(small, 1)]})
                                          .frames["result"][0].array(), small)
    finally:
        proc.stop()


def _exr_windows(path: Path, pixels: np.ndarray, data: tuple[int, int], display: tuple[int, int, int, int]) -> None:
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "half")
    spec.x, spec.y = data
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = display
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_image(pixels) and out.close()


def test_an_overscan_plate_is_repaired_with_its_overscan(daemon: str, tmp_path: Path) -> None:
    import OpenImageIO as oiio

    plates, hints = _shot(3)
    h, w = plates[0].shape[:2]
    frames, mattes, union = [], [], []
    for i, (p, hint) in enumerate(zip(plates, hints, strict=True)):
        big = np.pad(p, ((6, 6), (4, 4), (0, 0)), mode="reflect")    # 4 px overscan left/right, 6 top/bottom
        union.append(big)
        _exr_windows(tmp_path / f"plate.{i}.exr", big, (-4, -6), (0, 0, w, h))
        _exr_windows(tmp_path / f"hint.{i}.exr", hint, (0, 0), (0, 0, w, h))
        frames.append(file_frame(str(tmp_path / f"plate.{i}.exr"), 1001 + i, by_path=False))
        mattes.append(file_frame(str(tmp_path / f"hint.{i}.exr"), 1001 + i, by_path=False))
    with Client(daemon) as c:
        res = c.run("wire_removal", {"plate": frames, "hint": mattes}, {"method": "spatial", "regrain": 0.0},
                    encode="exr")
    (tmp_path / "out.exr").write_bytes(bytes(res.frames["repair"][1].data))
    spec = oiio.ImageInput.open(str(tmp_path / "out.exr")).spec()
    assert (spec.x, spec.y, spec.width, spec.height) == (-4, -6, w + 8, h + 12), "the overscan kept"
    assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, w, h)
    out = decode_bytes(bytes(res.frames["repair"][1].data), "exr")
    inside = np.pad(hints[1][:, :, 0] > 0, ((6, 6), (4, 4)))      # the hint, laid where its window puts it
    np.testing.assert_array_equal(out[~inside], union[1][~inside])
    assert np.abs(out[inside].astype(np.float32) - union[1][inside]).max() > 0.2   # the wire went


def test_bare_arrays_for_the_hint_pair_in_order_with_a_numbered_plate(daemon: str) -> None:
    plates, hints = _shot()
    with Client(daemon) as c:     # hostbridge numbers bare arrays 0, 1, 2: the client numbered none
        res = c.run("wire_removal", {"plate": [array_frame(p, 1001 + i) for i, p in enumerate(plates)],
                                     "hint": list(hints)}, {"method": "spatial"})
    assert [f.number for f in res.frames["repair"]] == [1001, 1002, 1003]
