"""Registry promote/rollback/hash refusal, ONNX vs torch, and the onnxruntime inpainter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inference_server.project import models, registry
from inference_server.project.model import ModelConfig, build_model
from inference_server.project.store import ProjectStore, open_project

TINY = ModelConfig(base=4, depth=2, fill_levels=3)
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
    inpaint = models.load_inpainter(store.root, store.name)
    assert inpaint is not None
    onnx_path = store.models_dir(TASK) / v1 / "model.onnx"
    data = bytearray(onnx_path.read_bytes())
    data[-10] ^= 0xFF
    onnx_path.write_bytes(bytes(data))
    with pytest.raises(registry.ModelIntegrityError, match="sha256"):
        inpaint(np.zeros((16, 16, 3), np.float32), np.ones((16, 16), np.float32))
    with pytest.raises(registry.ModelIntegrityError):
        registry.promote(store, TASK, v1)


def test_onnx_matches_torch_and_keeps_unmasked_pixels(store: ProjectStore) -> None:
    models.unload_all()
    model = perturbed_model(3)
    registry.register(store, TASK, model, steps=1, metrics={"val_psnr": 1.0}, data={}, parent=None,
                      config=TINY.to_dict())
    registry.promote(store, TASK, "v001")
    inpaint = models.load_inpainter(store.root, store.name)
    assert inpaint is not None
    rng = np.random.default_rng(0)
    image = rng.random((40, 56, 3), dtype=np.float32)  # multiples of 8: no padding, compare exactly
    mask = np.zeros((40, 56), np.float32)
    mask[10:14, :] = 1.0
    mask[20:30, 30:33] = 0.5
    out = inpaint(image, mask)
    with torch.no_grad():
        ref = model(torch.from_numpy(image.transpose(2, 0, 1))[None],
                    torch.from_numpy(mask)[None, None])[0].numpy().transpose(1, 2, 0)
    assert np.abs(out - ref).max() < 1e-4
    keep = mask == 0
    assert np.array_equal(out[keep], image[keep])
    assert np.abs(out[10:14] - image[10:14]).mean() > 1e-3  # the hole was actually repaired

    odd = inpaint(image[:37, :53], mask[:37, :53])  # padded to the model's multiple
    assert odd.shape == (37, 53, 3) and np.array_equal(odd[keep[:37, :53]], image[:37, :53][keep[:37, :53]])
    with pytest.raises(ValueError, match="does not match"):
        inpaint(image, mask[:10])
    with pytest.raises(ValueError, match="float32"):
        inpaint(image.astype(np.float64), mask)


def test_large_frames_are_tiled_and_sessions_are_lru(store: ProjectStore, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    models.unload_all()
    add_version(store, 4, 30.0)
    registry.promote(store, TASK, "v001")
    other = open_project("other", tmp_path / "store").create()
    add_version(other, 5, 30.0)
    registry.promote(other, TASK, "v001")
    monkeypatch.setattr(models, "TILE", 32)
    monkeypatch.setattr(models, "OVERLAP", 8)
    monkeypatch.setattr(models, "MAX_SESSIONS", 1)
    rng = np.random.default_rng(1)
    image = rng.random((70, 90, 3), dtype=np.float32)
    mask = np.zeros((70, 90), np.float32)
    mask[33:36, 5:85] = 1.0
    out = models.load_inpainter(store.root, "show")(image, mask)  # type: ignore[misc]
    assert out.shape == image.shape and np.isfinite(out).all()
    assert np.array_equal(out[mask == 0], image[mask == 0])
    assert np.abs(out[33:36, 5:85] - image[33:36, 5:85]).mean() > 1e-3
    assert [Path(k[0]).parts[-5] for k in models.loaded_sessions()] == ["show"]
    models.load_inpainter(other.root, "other")(image, mask)  # type: ignore[misc]
    assert [Path(k[0]).parts[-5] for k in models.loaded_sessions()] == ["other"]
    assert models.load_inpainter(store.root, "nobody") is None
    with pytest.raises(ValueError, match="device"):
        models.load_inpainter(store.root, "show", device="tpu")


def test_spatial_prefill_models_get_the_classical_fill_first(store: ProjectStore) -> None:
    from inference_server.engines.wire.spatial import fill_spatial

    models.unload_all()
    cfg = ModelConfig(base=4, depth=2, prefill="spatial")
    torch.manual_seed(5)
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.eval()
    registry.register(store, TASK, model, steps=1, metrics={}, data={}, parent=None, config=cfg.to_dict())
    registry.promote(store, TASK, "v001")
    assert registry.read_manifest(store, TASK, "v001")["multiple"] == 4
    rng = np.random.default_rng(2)
    image = rng.random((24, 36, 3), dtype=np.float32)
    mask = np.zeros((24, 36), np.float32)
    mask[:, 15:19] = 1.0
    out = models.load_inpainter(store.root, store.name)(image, mask)  # type: ignore[misc]
    filled = fill_spatial(image, mask)
    with torch.no_grad():
        ref = model(torch.from_numpy(filled.transpose(2, 0, 1))[None],
                    torch.from_numpy(mask)[None, None])[0].numpy().transpose(1, 2, 0)
    assert np.abs(out - ref).max() < 1e-4
    assert np.abs(out - filled)[:, 15:19].max() > 1e-3  # the network changed the classical fill
    assert np.array_equal(out[:, :15], image[:, :15])
