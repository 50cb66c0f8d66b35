"""The wire_removal task: manifest, streamed frames, outputs, and clear rejection of bad hints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.metrics import psnr
from inference_server.engines.wire.synthetic import wire_shot
from inference_server.frames import Frame, srgb_decode, srgb_encode
from inference_server.project.store import open_project
from inference_server.tasks import wire_removal
from inference_server.tasks.base import TaskContext, TaskInputError


def _inputs(n: int = 4, dtype: str = "uint8") -> tuple[dict[str, list[Frame]], list[np.ndarray], list[np.ndarray]]:
    truth, plates, hints = wire_shot(n, drift=5.0)
    scale = 255 if dtype == "uint8" else 65535
    px = [np.rint(p * scale).astype(dtype) for p in plates]
    hint = [np.rint(h[:, :, None] * np.ones(3) * 255).astype(np.uint8) for h in hints]
    inputs = {"plate": [Frame(p, 1001 + i, "sRGB") for i, p in enumerate(px)],
              "hint": [Frame(h, 1001 + i) for i, h in enumerate(hint)]}
    return inputs, truth, hints


def _run(inputs: dict[str, list[Frame]], **params: object) -> tuple[dict[str, object], TaskContext, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    ctx = TaskContext(on_progress=lambda d, t, m: seen.append((d, t)))
    checked = wire_removal.MANIFEST.validate_params(params)
    return wire_removal.run(inputs, checked, ctx), ctx, seen


def test_manifest_speaks_compositor() -> None:
    wire = wire_removal.MANIFEST.to_wire()
    params = {p["name"]: p for p in wire["params"]}
    assert params["method"]["choices"] == ["auto", "temporal", "static", "spatial"]  # the CLI's values
    assert params["method"]["choice_labels"] == ["Auto", "Temporal (moving scene)", "Temporal (static scene)", "Spatial"]
    assert params["output"]["choices"] == ["repair", "matte", "source", "repair-matted"]
    assert params["output"]["choice_labels"] == ["Repair", "Wire Matte", "Source", "Repair Matted"]
    assert (params["method"]["default"], params["output"]["default"]) == ("auto", "repair")
    assert params["window"]["label"] == "Temporal window (frames)"
    assert [p["name"] for p in wire["inputs"]] == ["plate", "hint"]


def test_repairs_stream_one_frame_per_plate_frame_with_progress() -> None:
    inputs, truth, hints = _inputs()
    summary, ctx, seen = _run(inputs, method="static", regrain=0.0)
    frames = ctx.frames["repair"]
    assert [f.number for f in frames] == [1001, 1002, 1003, 1004]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert summary["frames"] == 4 and int(summary["wire_pixels"]) > 0  # type: ignore[call-overload]
    for f, src, t, h in zip(frames, inputs["plate"], truth, hints, strict=True):
        assert f.pixels.dtype == np.uint8 and f.colour_space == "sRGB"
        np.testing.assert_array_equal(f.pixels[h == 0], src.pixels[h == 0])
        assert psnr(f.pixels[h > 0] / 255.0, t[h > 0]) > 35


def test_output_choices() -> None:
    inputs, _, hints = _inputs(2, "uint16")
    _, ctx, _ = _run(inputs, output="matte")
    matte = ctx.frames["repair"][0].pixels
    assert matte.shape == (96, 160, 1) and matte.dtype == np.uint16
    assert matte[hints[0] == 0].max() == 0 and matte.max() == 65535
    _, ctx, _ = _run(inputs, output="source")
    np.testing.assert_array_equal(ctx.frames["repair"][1].pixels, inputs["plate"][1].pixels)
    _, ctx, _ = _run(inputs, output="repair-matted")
    assert ctx.frames["repair"][0].pixels.shape == (96, 160, 4)


def test_bad_hints_are_rejected_clearly() -> None:
    inputs, _, _ = _inputs(2)
    numbers = [f.number for f in inputs["plate"]]
    empty = {"plate": inputs["plate"], "hint": [Frame(np.zeros((96, 160, 1), np.uint8), n) for n in numbers]}
    with pytest.raises(TaskInputError, match="empty on every frame"):
        _run(empty)
    small = {"plate": inputs["plate"], "hint": [Frame(np.full((50, 80, 1), 255, np.uint8), n) for n in numbers]}
    with pytest.raises(TaskInputError, match="80x50 but the plate is 160x96"):
        _run(small)
    short = {"plate": inputs["plate"], "hint": inputs["hint"][:1]}
    with pytest.raises(TaskInputError, match="hint has 1 frame.*plate has 2"):
        _run(short)
    with pytest.raises(TaskInputError, match="'Magic'; choose one of auto, temporal, static, spatial"):
        wire_removal.MANIFEST.validate_params({"method": "Magic"})


def test_labels_sent_by_older_hosts_become_stable_values() -> None:
    """A Nuke script or host from before stable values sends the label; the task gets the value."""
    checked = wire_removal.MANIFEST.validate_params({"method": "Temporal (moving scene)", "output": "Wire Matte"})
    assert (checked["method"], checked["output"]) == ("temporal", "matte")


def test_project_model_is_used_when_the_store_provides_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import types

    calls: list[tuple[int, ...]] = []

    def matte(image: np.ndarray, hint: np.ndarray) -> np.ndarray:
        calls.append(image.shape)
        return (hint > 0.05).astype(np.float32)  # the whole hint: nothing of the plate survives there

    matte.version = "v007"  # type: ignore[attr-defined]

    fake = types.ModuleType("inference_server.project.serving")
    fake.load_wire_matte = lambda store, project, device="cpu", version=None: matte  # type: ignore[attr-defined]
    monkeypatch.setattr(wire_removal, "serving", fake)
    inputs, _, _ = _inputs(1)
    with open_project("show", tmp_path).catalog():  # an ingested project (the fake serves its model)
        pass
    ctx = TaskContext(store=tmp_path, project="show")
    summary = wire_removal.run(inputs, wire_removal.MANIFEST.validate_params({"method": "spatial", "regrain": 0.0}), ctx)
    assert summary["project_model"] == "v007" and calls
    assert summary == summary | {"method": "spatial"}
    got: list[Frame] = []
    ctx = TaskContext(store=tmp_path, project="show", on_frame=lambda name, frame: got.append(frame))
    wire_removal.run(inputs, wire_removal.MANIFEST.validate_params({"output": "matte"}), ctx)
    hint = inputs["hint"][0].pixels[:, :, 0]
    assert np.array_equal(got[0].pixels[:, :, 0] > 127, hint > 12)  # the model's matte, not the classical one
    before = len(calls)
    summary = wire_removal.run(inputs, wire_removal.MANIFEST.validate_params({}), TaskContext(store=tmp_path, project="other"))
    assert summary["project_model"] is None and len(calls) == before  # a project not in the store: the untuned repair


def test_summary_carries_a_qc_figure_per_repaired_frame() -> None:
    inputs, _, _ = _inputs(3)
    summary, _, _ = _run(inputs, regrain=0.0)
    qc = summary["qc"]
    assert isinstance(qc, dict)
    assert [f["frame"] for f in qc["frames"]] == [1001, 1002, 1003]
    for f in qc["frames"]:
        assert 0.0 < f["repaired"] < 1.0 and f["residual"] >= 0.0 and f["passes"] >= 1
    assert qc["flagged"] == [f["frame"] for f in qc["frames"] if f["flagged"]]
    assert qc["note"] and qc["threshold"] > 0


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_a_scene_linear_plate_is_repaired_as_the_srgb_file_it_came_from(dtype: str, monkeypatch: pytest.MonkeyPatch
                                                                        ) -> None:
    # the engine's thresholds are code values: a float plate (an EXR, a Nuke buffer) holds
    # scene-linear light, and without highlights the engine reads it in log is repaired in the sRGB
    # curve's codes (frames.srgb_encode); read as code values, four bench classes lost 1.0-3.2 dB
    inputs, truth, hints = _inputs()
    srgb = _run(inputs, regrain=0.0)[1].frames["repair"]
    linear = [Frame(srgb_decode(f.pixels.astype(np.float32) / 255).astype(dtype), f.number, "") for f in inputs["plate"]]
    encoded: list[int] = []
    monkeypatch.setattr(wire_removal, "srgb_encode", lambda x: encoded.append(1) or srgb_encode(x))
    lin = _run({"plate": linear, "hint": inputs["hint"]}, regrain=0.0)[1].frames["repair"]
    assert len(encoded) == len(linear)  # once a frame, though the engine reads each several times
    for a, b, src, hint in zip(srgb, lin, linear, hints, strict=True):
        assert b.pixels.dtype == np.dtype(dtype)
        inside = hint > 0
        np.testing.assert_array_equal(b.pixels[~inside], src.pixels[~inside])
        codes = srgb_encode(b.pixels[inside].astype(np.float32))
        assert np.abs(codes - a.pixels[inside].astype(np.float32) / 255).max() <= (1.5 if dtype == "float32" else 3.0) / 255

