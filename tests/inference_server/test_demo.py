"""`rushes demo` machinery on a tiny shot: frames, contact sheet and a PSNR that shows a repair."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inference_server import demo, media


def test_demo_repairs_and_measures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inference_server.runner import run_local

    def run(task: str, inputs: dict, params: dict, on_frame: object = None) -> dict:  # type: ignore[type-arg]
        return run_local(task, inputs, params, None, None, on_frame, None, None)  # type: ignore[arg-type]

    lines: list[str] = []
    figures = demo.run_demo(tmp_path, frames=5, size=(240, 136), run=run, log=lines.append)
    assert sorted(p.name for p in (tmp_path / "repair").iterdir())[0] == "repair.1001.png"
    assert len(list((tmp_path / "repair").iterdir())) == 5
    sheet = media.read_image(tmp_path / "contact_sheet.png")
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3 and sheet.shape[1] > 3 * 120
    saved = json.loads((tmp_path / "psnr.json").read_text())
    assert saved["psnr_in_hint_db"] == figures["psnr_in_hint_db"]
    assert figures["psnr_in_hint_db"] > figures["psnr_unrepaired_db"] + 10
    assert figures["psnr_in_hint_db"] > figures["psnr_opencv_telea_db"]
    assert any("PSNR inside the hint" in line for line in lines)


def test_synthetic_plate_has_a_wire_inside_its_hint() -> None:
    shot = demo.make_shot(2, 108, 192)
    diff = np.abs(shot.plates[0] - shot.truth[0]).max(axis=2)
    wire = diff > 0.1
    assert wire.sum() > 150
    assert (shot.hints[0][wire] > 0).mean() > 0.97
    assert not np.array_equal(shot.truth[0], shot.truth[1])  # the camera moves
