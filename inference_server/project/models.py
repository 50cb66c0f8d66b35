"""Serve a project's promoted models through onnxruntime, loaded lazily, least-recently-used unloaded.

``load_inpainter(store, project)`` returns ``inpaint(image, mask)`` or None when the project
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

from inference_server.project import registry
from inference_server.project.store import open_project

Inpainter = Callable[[np.ndarray, np.ndarray], np.ndarray]

MAX_SESSIONS = 4
MAX_BYTES = 1 << 30            # sum of model file sizes kept loaded (weights dominate session memory)
TILE = 512                     # tile edge for large frames (a multiple of every model's ``multiple``)
OVERLAP = 64

_lock = threading.Lock()
_sessions: OrderedDict[tuple[str, str, str], tuple[Any, int]] = OrderedDict()


def providers_for(device: str) -> list[str]:
    """onnxruntime providers for ``device``: CUDA first when asked for and present, CPU always."""
    import onnxruntime as ort

    if device not in ("cpu", "auto") and not device.startswith("cuda"):
        raise ValueError(f"device must be 'cpu', 'auto' or 'cuda[:N]', got {device!r}")
    out = ["CPUExecutionProvider"]
    if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
        out.insert(0, "CUDAExecutionProvider")
    return out


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
    if provs[0] == "CUDAExecutionProvider" and ":" in device:
        provs[0] = ("CUDAExecutionProvider", {"device_id": int(device.split(":")[1])})
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


def _pad_to(x: np.ndarray, multiple: int) -> tuple[np.ndarray, int, int]:
    h, w = x.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        pads = ((0, ph), (0, pw)) + ((0, 0),) * (x.ndim - 2)
        x = np.pad(x, pads, mode="reflect") if h > ph and w > pw else np.pad(x, pads, mode="edge")
    return x, h, w


def _run_padded(sess: Any, image: np.ndarray, mask: np.ndarray, multiple: int) -> np.ndarray:
    img, h, w = _pad_to(image, multiple)
    msk, _, _ = _pad_to(mask, multiple)
    out = sess.run(None, {"image": img.transpose(2, 0, 1)[None].copy(), "mask": msk[None, None].copy()})[0]
    return np.asarray(out[0].transpose(1, 2, 0)[:h, :w], np.float32)


def _tiles(length: int) -> list[int]:
    if length <= TILE:
        return [0]
    starts = list(range(0, length - TILE, TILE - OVERLAP)) + [length - TILE]
    return sorted(set(starts))


def inpaint_with_session(sess: Any, image: np.ndarray, mask: np.ndarray, multiple: int,
                         prefill: str = "pyramid") -> np.ndarray:
    """Repair ``image`` (H, W, 3) float32 under ``mask`` (H, W) 0-1 with a loaded session.

    ``prefill='spatial'`` models get the frame with its hole filled by ``fill_spatial`` first.
    Frames larger than ``TILE`` are cut into overlapping tiles; only tiles that touch the mask
    are run, and each masked pixel takes the tile where it is farthest from a tile edge.
    """
    original = image
    if prefill == "spatial":
        from inference_server.engines.wire.spatial import fill_spatial

        image = fill_spatial(image, mask)
    elif prefill != "pyramid":
        raise ValueError(f"model manifest names an unknown prefill {prefill!r}")
    h, w = mask.shape
    if h <= TILE and w <= TILE:
        pred = _run_padded(sess, image, mask, multiple)
    else:
        pred = image.copy()
        best = np.full((h, w), -1, np.int32)
        yy, xx = np.mgrid[0:min(TILE, h), 0:min(TILE, w)]
        for y in _tiles(h):
            for x in _tiles(w):
                sub = mask[y:y + TILE, x:x + TILE]
                if not (sub > 0).any():
                    continue
                th, tw = sub.shape
                out = _run_padded(sess, image[y:y + TILE, x:x + TILE], sub, multiple)
                margin = np.minimum(np.minimum(yy[:th, :tw], th - 1 - yy[:th, :tw]),
                                    np.minimum(xx[:th, :tw], tw - 1 - xx[:th, :tw]))
                take = margin > best[y:y + th, x:x + tw]
                pred[y:y + th, x:x + tw][take] = out[take]
                best[y:y + th, x:x + tw][take] = margin[take]
    # the network composites soft mattes itself; pixels outside the matte are kept bit-exact
    return np.where(mask[:, :, None] > 0, pred, original).astype(np.float32)


def _check(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"inpaint expects image (H, W, 3), got {getattr(image, 'shape', type(image))}")
    if image.dtype != np.float32:
        raise ValueError(f"inpaint expects float32 image 0-1, got dtype {image.dtype}")
    if not isinstance(mask, np.ndarray):
        raise ValueError(f"inpaint expects a numpy mask, got {type(mask).__name__}")
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[:, :, 0]
    if mask.shape != image.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match image {image.shape[:2]}")
    if not np.isfinite(image).all():
        raise ValueError("inpaint: image has NaN or infinite values")
    return np.clip(mask.astype(np.float32), 0.0, 1.0)


def load_inpainter(store: Path | None, project: str, device: str = "cpu",
                   task: str = "wire_removal") -> Inpainter | None:
    """The project's promoted inpainter as ``inpaint(image, mask) -> repair``, or None if it has none.

    ``image`` float32 (H, W, 3) code values 0-1, ``mask`` (H, W) or (H, W, 1) 0-1 (1 = repair);
    returns float32 (H, W, 3) with pixels where mask is 0 unchanged. Any size (padded/tiled).
    A model file whose sha256 does not match its manifest raises ModelIntegrityError (a ValueError).
    """
    ps = open_project(project, store)
    version = registry.current_version(ps, task)
    if version is None:
        return None
    manifest = registry.read_manifest(ps, task, version)
    path = ps.models_dir(task) / version / "model.onnx"
    sha = str(manifest.get("files", {}).get("model.onnx", ""))
    multiple = int(manifest.get("multiple", 32))
    prefill = str(manifest.get("model_config", {}).get("prefill", "pyramid"))
    providers_for(device)  # validate the device name now
    verified: list[bool] = []

    def inpaint(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = _check(image, mask)
        if not (m > 0).any():
            return image.copy()
        if not verified:
            registry.verify(ps, task, version)
            verified.append(True)
        return inpaint_with_session(_session(path, sha, device), image, m, multiple, prefill)

    inpaint.version = version  # type: ignore[attr-defined]
    return inpaint
