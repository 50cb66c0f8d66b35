"""Registry promote/rollback/hash refusal, ONNX vs torch, and the onnxruntime wire matte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inference_server.project import registry, serving
from inference_server.project.net import MATTE_FLOOR, ModelConfig, build_model
from inference_server.project.store import ProjectStore, open_project

TINY = ModelConfig(base=4, depth=2)
TASK = "wire_removal"


def perturbed_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    m = build_model(TINY)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return m.eval()


def add_version(store: ProjectStore, seed: int, psnr: float, parent: str | None = None) -> str:
    return registry.register(store, TASK, perturbed_model(seed), steps=10 * seed, metrics={"val_psnr": psnr},
                             data={"shots": ["a"]}, parent=parent, config=TINY.to_dict())


@pytest.fixture()
def store(tmp_path: Path) -> ProjectStore:
    return open_project("show", tmp_path / "store").create()


def test_promote_rollback_and_listing(store: ProjectStore) -> None:
    assert registry.current_version(store, TASK) is None
    v1 = add_version(store, 1, 30.0)
    v2 = add_version(store, 2, 31.0, parent=v1)
    assert (v1, v2) == ("v001", "v002")
    registry.promote(store, TASK, v1)
    assert registry.should_promote({"val_psnr": 31.0}, {"val_psnr": 30.0})
    assert not registry.should_promote({"val_psnr": 29.9}, {"val_psnr": 30.0})
    assert not registry.should_promote({"val_psnr": 25.0, "baseline_psnr": 26.0}, None)
    registry.promote(store, TASK, v2)
    listed = registry.list_versions(store, TASK)
    assert [(r["version"], r["promoted"], r["steps"]) for r in listed] == [("v001", False, 10), ("v002", True, 20)]
    assert listed[1]["metrics"]["val_psnr"] == 31.0 and listed[1]["parent"] == "v001"
    assert set(listed[0]["files"]) == {"model.onnx", "weights.pt"}
    assert registry.rollback(store, TASK) == "v001"
    assert registry.current_version(store, TASK) == "v001"
    with pytest.raises(ValueError, match="no earlier wire_removal version"):
        registry.rollback(store, TASK)
    with store.catalog() as cat:
        assert [r["version"] for r in cat.model_versions(TASK)] == ["v001", "v002"]
    assert not list(store.models_dir(TASK).glob(".v*"))  # no half-written version folders left


def test_changed_model_file_is_refused(store: ProjectStore) -> None:
    v1 = add_version(store, 1, 30.0)
    registry.promote(store, TASK, v1)
    matte = serving.load_wire_matte(store.root, store.name)
    assert matte is not None
    onnx_path = store.models_dir(TASK) / v1 / "model.onnx"
    data = bytearray(onnx_path.read_bytes())
    data[-10] ^= 0xFF
    onnx_path.write_bytes(bytes(data))
    with pytest.raises(registry.ModelIntegrityError, match="sha256"):
        matte(np.zeros((16, 16, 3), np.float32), np.ones((16, 16), np.float32))
    with pytest.raises(registry.ModelIntegrityError):
        registry.promote(store, TASK, v1)


def test_a_version_can_be_pinned(store: ProjectStore) -> None:
    add_version(store, 1, 30.0)
    add_version(store, 2, 31.0)
    registry.promote(store, TASK, "v002")
    image = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    hint = np.ones((16, 16), np.float32)
    latest, pinned = serving.load_wire_matte(store.root, store.name), serving.load_wire_matte(store.root, store.name,
                                                                                           version="v001")
    assert latest.version == "v002" and pinned.version == "v001"  # type: ignore[union-attr]
    assert not np.array_equal(latest(image, hint), pinned(image, hint))  # type: ignore[misc]
    with pytest.raises(FileNotFoundError, match="no wire_removal version 'v009' \\(it has: v001, v002\\)"):
        serving.load_wire_matte(store.root, store.name, version="v009")


def test_an_older_kind_of_promoted_model_is_refused_by_name(store: ProjectStore) -> None:
    import json

    v1 = add_version(store, 1, 30.0)
    registry.promote(store, TASK, v1)
    path = store.models_dir(TASK) / v1 / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["inputs"] = {"image": "float32 (N,3,H,W)", "mask": "float32 (N,1,H,W)"}  # the earlier inpainter
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="v001, an older kind of model.*'mask'.*rushes train wire-removal"):
        serving.load_wire_matte(store.root, store.name)


def test_onnx_matches_torch_and_is_zero_outside_the_hint(store: ProjectStore) -> None:
    serving.unload_all()
    model = perturbed_model(3)
    registry.register(store, TASK, model, steps=1, metrics={"val_psnr": 1.0}, data={}, parent=None,
                      config=TINY.to_dict())
    registry.promote(store, TASK, "v001")
    matte = serving.load_wire_matte(store.root, store.name)
    assert matte is not None and matte.version == "v001"  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    image = rng.random((40, 56, 3), dtype=np.float32)  # multiples of 4: no padding, compare exactly
    hint = np.zeros((40, 56), np.float32)
    hint[10:18, :] = 1.0
    hint[20:30, 30:36] = 0.5
    out = matte(image, hint)
    with torch.no_grad():
        ref = model(torch.from_numpy(image.transpose(2, 0, 1))[None], torch.from_numpy(hint)[None, None])[0, 0].numpy()
    near_floor = np.abs(ref - MATTE_FLOOR) < 1e-3  # the floor may flip there between runtimes
    assert out.shape == (40, 56) and np.abs(out - ref)[~near_floor].max() < 1e-4
    assert not out[hint == 0].any() and 0.0 <= out.min() and out.max() <= 1.0
    assert out[10:18].mean() > 0.05  # the network's matte, not an empty one

    odd = matte(image[:37, :53], hint[:37, :53])  # padded to the model's multiple
    assert odd.shape == (37, 53) and not odd[hint[:37, :53] == 0].any()
    assert np.abs(odd[:30, :48] - out[:30, :48]).max() < 0.2  # padding changes only the edges' context
    assert not matte(image, np.zeros((40, 56), np.float32)).any()
    with pytest.raises(ValueError, match="does not match"):
        matte(image, hint[:10])
    with pytest.raises(ValueError, match="float32"):
        matte(image.astype(np.float64), hint)


def test_scene_linear_plates_are_seen_through_a_log_curve() -> None:
    display = np.array([[[0.0, 0.5, 1.2]]], np.float32)
    assert np.array_equal(serving.network_view(display), np.array([[[0.0, 0.5, 1.0]]], np.float32))
    linear = np.array([[[2.0 ** -8, 1.0, 4.0]], [[64.0, 0.18, -0.01]]], np.float32)
    view = serving.network_view(linear)
    assert np.allclose(view[0, 0], [0.0, 8 / 14, 10 / 14]) and view[1, 0, 0] == 1.0 and view[1, 0, 2] == 0.0


def test_large_frames_are_tiled_and_sessions_are_lru(store: ProjectStore, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    serving.unload_all()
    add_version(store, 4, 30.0)
    registry.promote(store, TASK, "v001")
    other = open_project("other", tmp_path / "store").create()
    add_version(other, 5, 30.0)
    registry.promote(other, TASK, "v001")
    whole = serving.load_wire_matte(store.root, "show")
    rng = np.random.default_rng(1)
    image = rng.random((70, 90, 3), dtype=np.float32)
    hint = np.zeros((70, 90), np.float32)
    hint[31:38, 5:85] = 1.0
    untiled = whole(image, hint)  # type: ignore[misc]
    monkeypatch.setattr(serving, "TILE", 32)
    monkeypatch.setattr(serving, "OVERLAP", 8)
    monkeypatch.setattr(serving, "MAX_SESSIONS", 1)
    out = serving.load_wire_matte(store.root, "show")(image, hint)  # type: ignore[misc]
    assert out.shape == (70, 90) and not out[hint == 0].any()
    assert np.abs(out - untiled)[31:38, 12:78].mean() < 0.1  # tiles agree with one pass away from the frame edge
    assert [Path(k[0]).parts[-5] for k in serving.loaded_sessions()] == ["show"]
    serving.load_wire_matte(other.root, "other")(image, hint)  # type: ignore[misc]
    assert [Path(k[0]).parts[-5] for k in serving.loaded_sessions()] == ["other"]
    with pytest.raises(FileNotFoundError, match="project 'nobody' not found"):
        serving.load_wire_matte(store.root, "nobody")
    with open_project("empty", tmp_path / "store").catalog():  # ingested, never trained
        pass
    assert serving.load_wire_matte(tmp_path / "store", "empty") is None
    with pytest.raises(ValueError, match="device"):
        serving.load_wire_matte(store.root, "show", device="tpu")
