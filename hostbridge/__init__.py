"""hostbridge: the only Rushes package hosts import (Python 3.9+, pyzmq and msgpack).

Nothing happens at import: no sockets, no config, no numpy, not even pyzmq or msgpack. The
names below load their module when first used, so the stdlib-only parts (``hostbridge.manifest``,
``hostbridge.files``, ``hostbridge.cdl``, ``hostbridge.local``) work in a host whose Python lacks
pyzmq: a Nuke without it still builds nodes from the manifest snapshot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hostbridge.client import Client
    from hostbridge.errors import BadInput, Busy, Cancelled, DaemonUnavailable, HostBridgeError, TaskFailed, error_from_wire
    from hostbridge.frames import FrameIn, FrameOut, Result, array_frame, buffer_frame, encoded_frame, path_frame
    from hostbridge.local import DEFAULT_URL
    from hostbridge.protocol import PROTOCOL_VERSION

__version__ = "0.1.0"
__all__ = ["Client", "HostBridgeError", "DaemonUnavailable", "Busy", "Cancelled", "TaskFailed", "BadInput",
           "error_from_wire", "FrameIn", "FrameOut", "Result", "path_frame", "encoded_frame", "buffer_frame",
           "array_frame", "DEFAULT_URL", "PROTOCOL_VERSION"]
_MODULES = {"Client": "client", "DEFAULT_URL": "local", "PROTOCOL_VERSION": "protocol",
            **dict.fromkeys(("HostBridgeError", "DaemonUnavailable", "Busy", "Cancelled", "TaskFailed", "BadInput",
                             "error_from_wire"), "errors"),
            **dict.fromkeys(("FrameIn", "FrameOut", "Result", "path_frame", "encoded_frame", "buffer_frame",
                             "array_frame"), "frames")}


def __getattr__(name: str) -> Any:
    """PEP 562: ``from hostbridge import Client`` imports hostbridge.client (and pyzmq) only then."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'hostbridge' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hostbridge.{module}"), name)
    globals()[name] = value
    return value
