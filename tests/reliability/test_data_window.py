"""Item 13 of issue 15: EXR data windows (overscan plates, Roto-bbox hints) through the real CLI and daemon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from inference_server import media
from inference_server.cli import main
from inference_server.engines.wire.synthetic import wire_shot

W, H, PAD = 160, 96, 8          # display window 160x96; the plate has 8 pixels of overscan all round


def _write_exr(path: Path, pixels: np.ndarray, origin: tuple[int, int], display: tuple[int, int]) -> None:
    """An EXR as Nuke writes it: the data window at ``origin``, the display window 0,0 - ``display``."""
    h, w, c = pixels.shape
    spec = oiio.ImageSpec(w, h, c, "half")
    spec.x, spec.y = origin
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, display[0], display[1]
    out = oiio.ImageOutput.create(str(path))
    assert out is not None
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(np.ascontiguousarray(pixels.astype(np.float16))), out.geterror()
    assert out.close(), out.geterror()


def _shot(folder: Path, n: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Overscan plates and Roto-style hints cropped to their bounding box (inside the display window)."""
    _, plates, hints = wire_shot(n, h=H + 2 * PAD, w=W + 2 * PAD, drift=5.0)
    aligned = []
    for i, (p, h) in enumerate(zip(plates, hints, strict=True)):
        _write_exr(folder / f"plate.{1001 + i:04d}.exr", p, (-PAD, -PAD), (W, H))
        inside = np.zeros_like(h)
        inside[PAD:PAD + H, PAD:PAD + W] = h[PAD:PAD + H, PAD:PAD + W]   # a Roto is cropped to the format
        ys, xs = np.nonzero(inside)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        _write_exr(folder / f"hint.{1001 + i:04d}.exr", inside[y0:y1, x0:x1, None], (x0 - PAD, y0 - PAD), (W, H))
        aligned.append(inside)
    return [np.asarray(p, np.float16) for p in plates], aligned


def test_reading_places_the_data_window_in_the_frame(tmp_path: Path) -> None:
    plates, hints = _shot(tmp_path, 1)
    plate, region, display = media.read_image_boxes(tmp_path / "plate.1001.exr")
    assert plate.shape == (H + 2 * PAD, W + 2 * PAD, 3) and region == (-PAD, -PAD, W + PAD, H + PAD)
    assert display == (0, 0, W, H)
    np.testing.assert_array_equal(plate, plates[0])
    hint = media.read_image(tmp_path / "hint.1001.exr", window="display")
    assert hint.shape == (H, W, 1)
    np.testing.assert_array_equal(hint[:, :, 0], hints[0][PAD:PAD + H, PAD:PAD + W].astype(np.float16))


@pytest.mark.parametrize("where", ["daemon", "in-process"])
def test_wire_remove_keeps_the_overscan_and_uses_the_cropped_hint_in_place(
        tmp_path: Path, where: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    plates, hints = _shot(tmp_path)
    server = []
    if where == "daemon":
        server = ["--server", request.getfixturevalue("daemon")]
    else:
        monkeypatch.setenv("RUSHES_SERVER", "tcp://127.0.0.1:1")
    out = tmp_path / "out" / "repair.####.exr"
    code = main(["wire-remove", str(tmp_path / "plate.####.exr"), str(out), "--hint", str(tmp_path / "hint.####.exr"),
                 "--mode", "spatial", "--regrain", "0", *server])
    assert code == 0
    for i in range(3):
        path = tmp_path / "out" / f"repair.{1001 + i:04d}.exr"
        inp = oiio.ImageInput.open(str(path))
        assert inp is not None
        spec = inp.spec()
        inp.close()
        assert (spec.x, spec.y, spec.width, spec.height) == (-PAD, -PAD, W + 2 * PAD, H + 2 * PAD)
        assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, W, H)
        rep = media.read_image(path)
        src, hint = plates[i], hints[i]
        np.testing.assert_array_equal(rep[hint == 0], src[hint == 0])  # untouched outside the hint, in place
        changed = np.abs(rep.astype(np.float32) - src.astype(np.float32)).max(axis=2) > 1e-3
        assert changed[hint > 0].mean() > 0.5, "the wire under the hint was not repaired"
