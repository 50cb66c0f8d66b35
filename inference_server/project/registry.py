"""The model registry: ``models/<task>/<version>/{model.onnx, weights.pt, manifest.json}``.

``promoted.json`` beside the versions names the version being served and the promotion
history (for rollback). The folder is authoritative; the catalog keeps a record. A version
is written to a temporary folder and renamed into place, so a half-written version never
shows. Files whose sha256 differs from the manifest are refused (``ModelIntegrityError``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from inference_server.fileio import atomic_write_text, sha256_file
from inference_server.project.store import ProjectStore

_VERSION = re.compile(r"^v(\d{3,})$")
PROMOTE_METRIC = "val_psnr"


class ModelIntegrityError(ValueError):
    """A model file is missing or its sha256 does not match its manifest."""


def version_names(store: ProjectStore, task: str) -> list[str]:
    d = store.models_dir(task)
    if not d.is_dir():
        return []
    return sorted((p.name for p in d.iterdir() if p.is_dir() and _VERSION.match(p.name)),
                  key=lambda n: int(n[1:]))


def next_version(store: ProjectStore, task: str) -> str:
    names = version_names(store, task)
    return f"v{(int(names[-1][1:]) + 1 if names else 1):03d}"


def read_manifest(store: ProjectStore, task: str, version: str) -> dict[str, Any]:
    path = store.models_dir(task) / version / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"model {task}/{version} not found in project {store.name!r} ({path})")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _promotion(store: ProjectStore, task: str) -> dict[str, Any]:
    path = store.models_dir(task) / "promoted.json"
    if not path.is_file():
        return {"current": None, "history": []}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def current_version(store: ProjectStore, task: str) -> str | None:
    """The promoted version's name, or None when nothing has been promoted."""
    cur = _promotion(store, task).get("current")
    return str(cur) if cur else None


def verify(store: ProjectStore, task: str, version: str, name: str = "model.onnx") -> Path:
    """Path of ``name`` in the version after checking its sha256 against the manifest."""
    manifest = read_manifest(store, task, version)
    path = store.models_dir(task) / version / name
    expected = manifest.get("files", {}).get(name)
    if not path.is_file() or not expected:
        raise ModelIntegrityError(f"model {task}/{version} has no {name} listed and present ({path})")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelIntegrityError(f"model {task}/{version} {name} sha256 is {actual[:12]}..., manifest says "
                                  f"{expected[:12]}...: refusing a file that changed after export")
    return path


def export_onnx(model: Any, path: Path, size: int = 64) -> None:
    """Export a WireNet (image, hint) -> matte as ONE self-contained ONNX file, dynamic N/H/W."""
    import torch

    model = model.eval()
    image, hint = torch.rand(1, 3, size, size), torch.ones(1, 1, size, size)
    axes = {0: "n", 2: "h", 3: "w"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter needs no onnxscript
        torch.onnx.export(model, (image, hint), str(path), dynamo=False, external_data=False,
                          input_names=["image", "hint"], output_names=["matte"], opset_version=17,
                          dynamic_axes={"image": axes, "hint": axes, "matte": axes})
    extra = [p for p in path.parent.iterdir() if p != path and p.suffix not in (".json", ".pt", ".tmp")]
    if extra:
        raise RuntimeError(f"ONNX export wrote external files {extra}; expected a single file")


def register(store: ProjectStore, task: str, model: Any, *, steps: int, metrics: dict[str, Any],
             data: dict[str, Any], parent: str | None, config: dict[str, Any]) -> str:
    """Write a new version (ONNX + torch weights + manifest) and return its name. Not promoted."""
    import torch

    root = store.models_dir(task)
    root.mkdir(parents=True, exist_ok=True)
    version = next_version(store, task)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=root))
    try:
        export_onnx(model, tmp / "model.onnx", size=model.multiple)
        torch.save(model.state_dict(), tmp / "weights.pt")
        manifest: dict[str, Any] = {
            "task": task, "version": version, "created": time.time(), "parent": parent, "steps": int(steps),
            "inputs": {"image": "float32 (N,3,H,W) plate 0-1 (models.network_view)",
                       "hint": "float32 (N,1,H,W) 0-1, the artist's rough stroke"},
            "outputs": {"matte": "float32 (N,1,H,W) 0-1 wire matte; 0 where hint <= 0.05"},
            "multiple": int(model.multiple), "model_config": config, "metrics": metrics, "data": data,
            "files": {n: sha256_file(tmp / n) for n in ("model.onnx", "weights.pt")},
        }
        atomic_write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, root / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with store.catalog() as cat:
        cat.record_model(task, version, manifest["files"]["model.onnx"], int(steps), metrics, parent)
    return version


def should_promote(candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """True when the candidate's held-out PSNR beats the current one's (or the untuned repair's)."""
    new = candidate.get(PROMOTE_METRIC)
    if new is None:
        return False
    ref = (current or {}).get(PROMOTE_METRIC, candidate.get("baseline_psnr"))
    return ref is None or float(new) > float(ref)


def promote(store: ProjectStore, task: str, version: str) -> None:
    """Serve ``version`` from now on (after verifying its files); the previous stays for rollback."""
    verify(store, task, version)
    verify(store, task, version, "weights.pt")
    state = _promotion(store, task)
    history = [v for v in state.get("history", []) if v != version] + [version]
    atomic_write_text(store.models_dir(task) / "promoted.json",
                      json.dumps({"current": version, "history": history, "at": time.time()}, indent=2))


def rollback(store: ProjectStore, task: str) -> str:
    """Go back to the version promoted before the current one; returns it."""
    state = _promotion(store, task)
    history = [v for v in state.get("history", []) if (store.models_dir(task) / v).is_dir()]
    if len(history) < 2:
        raise ValueError(f"project {store.name!r} has no earlier {task} version to roll back to "
                         f"(promoted: {', '.join(history) or 'none'})")
    history.pop()
    verify(store, task, history[-1])
    atomic_write_text(store.models_dir(task) / "promoted.json",
                      json.dumps({"current": history[-1], "history": history, "at": time.time()}, indent=2))
    return history[-1]


def list_versions(store: ProjectStore, task: str) -> list[dict[str, Any]]:
    """Each version's manifest plus ``promoted`` (bool)."""
    cur = current_version(store, task)
    return [{**read_manifest(store, task, v), "promoted": v == cur} for v in version_names(store, task)]


def load_weights(store: ProjectStore, task: str, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(torch state_dict, model_config) of a version, hash-checked; for warm-starting training."""
    import torch

    path = verify(store, task, version, "weights.pt")
    return torch.load(path, map_location="cpu", weights_only=True), read_manifest(store, task, version)["model_config"]
