"""The project store: dailies catalog, training data, project-tuned models and their registry.

Modules: the store and its data (``store``, ``catalog``, ``ingest``, ``readers``, ``ale``, ``patches``,
``pairs``, ``registry`` of model versions); the torch network (``net``); ONNX serving (``serving``);
training (``train``).

Layout under the store root (``--store DIR``, the config's ``store``, else the platformdirs user data
dir ``rushes``)::

    <root>/<project>/catalog.sqlite
    <root>/<project>/cache/                       patches, training checkpoints
    <root>/<project>/models/<task>/<version>/     model.onnx, weights.pt, manifest.json

Nothing here imports torch, onnxruntime, PyAV or OpenImageIO at import time.
"""

from __future__ import annotations

from inference_server.project.store import ProjectStore, default_store_root, open_project

__all__ = ["ProjectStore", "default_store_root", "open_project"]
