"""hostbridge: the only Rushes package hosts import (Python 3.9+, pyzmq and msgpack).

Nothing happens at import: no sockets, no config, no numpy.
"""

from __future__ import annotations

from hostbridge.client import Client
from hostbridge.errors import BadInput, Busy, Cancelled, DaemonUnavailable, HostBridgeError, TaskFailed, error_from_wire
from hostbridge.frames import FrameIn, FrameOut, Result, array_frame, buffer_frame, encoded_frame, path_frame
from hostbridge.protocol import DEFAULT_URL, PROTOCOL_VERSION

__version__ = "0.1.0"
__all__ = ["Client", "HostBridgeError", "DaemonUnavailable", "Busy", "Cancelled", "TaskFailed", "BadInput",
           "error_from_wire", "FrameIn", "FrameOut", "Result", "path_frame", "encoded_frame", "buffer_frame",
           "array_frame", "DEFAULT_URL", "PROTOCOL_VERSION"]
