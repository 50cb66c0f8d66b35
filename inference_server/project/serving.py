"""Serve a project's promoted models through onnxruntime, loaded lazily, least-recently-used unloaded.

``load_wire_matte(store, project)`` returns ``matte(image, hint)`` or None when the project
has no promoted wire-removal model. The ONNX session is created at the first call (after the
file's sha256 is checked against its manifest) and kept in a small process-wide LRU cache;
when the cache is over its count or byte budget the least recently used session is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.devices import parse_device
from inference_server.engines.wire.matte import HINT_INSIDE
from inference_server.project import registry
from inference_server.project.store import open_project

MatteModel = Callable[[np.ndarray, np.ndarray], np.ndarray]

MAX_SESSIONS = 4
MAX_BYTES = 1 << 30            # sum of model file sizes kept loaded (weights dominate session memory)
TILE = 512                     # tile edge for large frames (a multiple of every model's ``multiple``)
OVERLAP = 64

_lock = threading.Lock()
_sessions: OrderedDict[tuple[str, str, str], tuple[Any, int]] = OrderedDict()


def providers_for(device: str) -> list[str]:
    """onnxruntime providers for ``device``: CUDA first when asked for and present, CPU always."""
    import onnxruntime as ort

    if parse_device(device).kind != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def _session(path: Path, sha: str, device: str) -> Any:
    """The cached session for (path, sha, device), creating it and evicting LRU ones as needed."""
    import onnxruntime as ort

    key = (str(path), sha, device)
    with _lock:
        if key in _sessions:
            _sessions.move_to_end(key)
            return _sessions[key][0]
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    provs: list[Any] = providers_for(device)
    index = parse_device(device).index
    if provs[0] == "CUDAExecutionProvider" and index is not None:
        provs[0] = ("CUDAExecutionProvider", {"device_id": index})
    sess = ort.InferenceSession(str(path), sess_options=opts, providers=provs)
    size = path.stat().st_size
    with _lock:
        _sessions[key] = (sess, size)
        _sessions.move_to_end(key)
        while len(_sessions) > 1 and (len(_sessions) > MAX_SESSIONS or
                                      sum(s for _, s in _sessions.values()) > MAX_BYTES):
            _sessions.popitem(last=False)
    return sess


def loaded_sessions() -> list[tuple[str, str, str]]:
    """Keys of the sessions now loaded, least recently used first."""
    with _lock:
        return list(_sessions)


def unload_all() -> None:
    with _lock:
        _sessions.clear()


def network_view(image: np.ndarray) -> np.ndarray:
    """What the wire network sees of a float32 (..., 3) plate: code values as they are (clipped
    to 0-1); scene-linear plates (values above 1.5 or below 0) through a log2 curve (-8..+6 stops
    to 0-1). Training and serving both go through this."""
    x = np.asarray(image, np.float32)
    if x.size and (float(np.percentile(x, 99.5)) > 1.5 or float(x.min()) < 0.0):
        return np.clip((np.log2(np.maximum(x, 2.0 ** -8)) + 8.0) / 14.0, 0.0, 1.0).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def _pad_to(x: np.ndarray, multiple: int) -> tuple[np.ndarray, int, int]:
    h, w = x.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        pads = ((0, ph), (0, pw)) + ((0, 0),) * (x.ndim - 2)
        x = np.pad(x, pads, mode="reflect") if h > ph and w > pw else np.pad(x, pads, mode="edge")
    return x, h, w


def _run_padded(sess: Any, image: np.ndarray, hint: np.ndarray, multiple: int) -> np.ndarray:
    img, h, w = _pad_to(image, multiple)
    hnt, _, _ = _pad_to(hint, multiple)
    out = sess.run(None, {"image": img.transpose(2, 0, 1)[None].copy(), "hint": hnt[None, None].copy()})[0]
    return np.asarray(out[0, 0, :h, :w], np.float32)


def _tiles(length: int) -> list[int]:
    if length <= TILE:
        return [0]
    starts = list(range(0, length - TILE, TILE - OVERLAP)) + [length - TILE]
    return sorted(set(starts))


def matte_with_session(sess: Any, image: np.ndarray, hint: np.ndarray, multiple: int) -> np.ndarray:
    """The wire matte (H, W) float32 0-1 of ``image`` (H, W, 3) float32 inside ``hint`` (H, W) 0-1.

    Frames larger than ``TILE`` are cut into overlapping tiles; only tiles that touch the hint
    are run, and each pixel takes the tile where it is farthest from a tile edge.
    """
    view = network_view(image)
    h, w = hint.shape
    if h <= TILE and w <= TILE:
        matte = _run_padded(sess, view, hint, multiple)
    else:
        matte = np.zeros((h, w), np.float32)
        best = np.full((h, w), -1, np.int32)
        yy, xx = np.mgrid[0:min(TILE, h), 0:min(TILE, w)]
        for y in _tiles(h):
            for x in _tiles(w):
                sub = hint[y:y + TILE, x:x + TILE]
                if not (sub > HINT_INSIDE).any():
                    continue
                th, tw = sub.shape
                out = _run_padded(sess, view[y:y + TILE, x:x + TILE], sub, multiple)
                margin = np.minimum(np.minimum(yy[:th, :tw], th - 1 - yy[:th, :tw]),
                                    np.minimum(xx[:th, :tw], tw - 1 - xx[:th, :tw]))
                take = margin > best[y:y + th, x:x + tw]
                matte[y:y + th, x:x + tw][take] = out[take]
                best[y:y + th, x:x + tw][take] = margin[take]
    return np.where(hint > HINT_INSIDE, np.clip(matte, 0.0, 1.0), 0.0).astype(np.float32)


def _check(image: np.ndarray, hint: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"wire matte expects image (H, W, 3), got {getattr(image, 'shape', type(image))}")
    if image.dtype != np.float32:
        raise ValueError(f"wire matte expects a float32 image, got dtype {image.dtype}")
    if not isinstance(hint, np.ndarray):
        raise ValueError(f"wire matte expects a numpy hint, got {type(hint).__name__}")
    if hint.ndim == 3 and hint.shape[2] == 1:
        hint = hint[:, :, 0]
    if hint.shape != image.shape[:2]:
        raise ValueError(f"hint shape {hint.shape} does not match image {image.shape[:2]}")
    if not np.isfinite(image).all():
        raise ValueError("wire matte: image has NaN or infinite values")
    return np.clip(hint.astype(np.float32), 0.0, 1.0)


def load_wire_matte(store: Path | None, project: str, device: str = "cpu", task: str = "wire_removal",
                    version: str | None = None) -> MatteModel | None:
    """The project's promoted wire network as ``matte(image, hint) -> wire matte``, or None if it has none.

    ``version`` (e.g. "v003") pins a version, promoted or not; None serves the promoted one.
    A project that does not exist in ``store``, or a version it lacks, raises FileNotFoundError.
    ``image`` float32 (H, W, 3) (code values, or scene-linear), ``hint`` (H, W) or (H, W, 1) 0-1;
    returns float32 (H, W) 0-1, zero outside the hint. Any size (padded/tiled).
    A model file whose sha256 does not match its manifest raises ModelIntegrityError (a ValueError);
    a promoted version of an older kind (not a wire matte network) raises ValueError naming it.
    """
    ps = open_project(project, store, must_exist=True)
    if version is None:
        version = registry.current_version(ps, task)
        if version is None:
            return None
    elif version not in registry.version_names(ps, task):
        raise FileNotFoundError(f"project {project!r} has no {task} version {version!r} "
                                f"(it has: {', '.join(registry.version_names(ps, task)) or 'none'})")
    manifest = registry.read_manifest(ps, task, version)
    if "hint" not in manifest.get("inputs", {}) or "matte" not in manifest.get("outputs", {}):
        raise ValueError(f"project {project!r} serves {task} version {version}, an older kind of model "
                         f"(inputs {sorted(manifest.get('inputs', {}))}); retrain with "
                         f"`rushes train wire-removal --project {project}` or roll back")
    path = ps.models_dir(task) / version / "model.onnx"
    sha = str(manifest.get("files", {}).get("model.onnx", ""))
    multiple = int(manifest.get("multiple", 32))
    providers_for(device)  # validate the device name now
    verified: list[bool] = []

    def matte(image: np.ndarray, hint: np.ndarray) -> np.ndarray:
        h = _check(image, hint)
        if not (h > HINT_INSIDE).any():
            return np.zeros(h.shape, np.float32)
        if not verified:
            registry.verify(ps, task, version)
            verified.append(True)
        return matte_with_session(_session(path, sha, device), image, h, multiple)

    matte.version = version  # type: ignore[attr-defined]
    return matte
