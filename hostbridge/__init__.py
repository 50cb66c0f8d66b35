"""hostbridge: the only Rushes package hosts import (Python 3.9+, pyzmq and msgpack).

Nothing happens at import: no sockets, no config, no numpy. The names below load on first
use (PEP 562), so the stdlib-only parts (``hostbridge.manifest``) import where pyzmq is
missing: a Nuke without it still builds nodes from the manifest snapshot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hostbridge.client import Client
    from hostbridge.errors import (
        BadInput,
        Busy,
        Cancelled,
        DaemonUnavailable,
        HostBridgeError,
        TaskFailed,
        error_from_wire,
    )
    from hostbridge.frames import FrameIn, FrameOut, Result, array_frame, buffer_frame, encoded_frame, path_frame
    from hostbridge.protocol import DEFAULT_URL, PROTOCOL_VERSION

__version__ = "0.1.0"
_WHERE = {"Client": "client", "HostBridgeError": "errors", "DaemonUnavailable": "errors", "Busy": "errors",
          "Cancelled": "errors", "TaskFailed": "errors", "BadInput": "errors", "error_from_wire": "errors",
          "FrameIn": "frames", "FrameOut": "frames", "Result": "frames", "path_frame": "frames",
          "encoded_frame": "frames", "buffer_frame": "frames", "array_frame": "frames",
          "DEFAULT_URL": "protocol", "PROTOCOL_VERSION": "protocol"}
__all__ = ["Client", "HostBridgeError", "DaemonUnavailable", "Busy", "Cancelled", "TaskFailed", "BadInput",
           "error_from_wire", "FrameIn", "FrameOut", "Result", "path_frame", "encoded_frame", "buffer_frame",
           "array_frame", "DEFAULT_URL", "PROTOCOL_VERSION"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hostbridge' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hostbridge.{_WHERE[name]}"), name)
