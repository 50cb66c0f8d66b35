"""The project store: dailies catalog, training data, project-tuned models and their registry.

Layout under the store root (``--store DIR`` or the platformdirs user data dir ``rushes``)::

    <root>/<project>/catalog.sqlite
    <root>/<project>/cache/                       patches, training checkpoints
    <root>/<project>/models/<task>/<version>/     model.onnx, weights.pt, manifest.json

Nothing here imports torch, onnxruntime, PyAV or OpenImageIO at import time.
"""

from __future__ import annotations

from inference_server.project.store import ProjectStore, default_store_root, open_project

__all__ = ["ProjectStore", "default_store_root", "open_project"]
