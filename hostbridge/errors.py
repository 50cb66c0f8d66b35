"""Every Rushes error, in one table: its wire code, the class hosts catch, whether a retry may help.

The daemon answers a failed request with a code from ``TABLE``; the client raises the class
the table names for it. Hosts catch ``HostBridgeError`` (the base) and show ``str(err)``, one
sentence for the artist; they catch a subclass only where it changes what they do (e.g.
``DaemonUnavailable``: offer to start the daemon). Both sides read ``retryable`` from here.
Python 3.9, stdlib only.
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Optional, Tuple, Type


class HostBridgeError(Exception):
    """Base of every Rushes error a host sees. ``str(err)`` is one sentence for the artist."""

    code = "internal"
    retryable = False

    def __init__(self, detail: str, code: str = "", retryable: Optional[bool] = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.retryable = type(self).retryable if retryable is None else retryable  # None: the class's word


class Kind(NamedTuple):
    code: str        # on the wire (the first row naming a class sets that class's own ``code``)
    cls: str         # the exception class raised for it
    parent: str      # that class's base class
    retryable: bool  # sending the same request again later may succeed
    meaning: str


_BASE = "HostBridgeError"

# "unavailable" and "gave_up" are the client's own (nothing answered); the daemon sends the rest.
TABLE: Tuple[Kind, ...] = (
    Kind("internal", _BASE, "", False, "something failed inside the daemon (a bug): the detail names it"),
    Kind("unavailable", "DaemonUnavailable", _BASE, True, "nothing answered at the daemon's address"),
    Kind("gave_up", "GaveUp", "DaemonUnavailable", False,
         "the daemon stopped answering during a request and the client's give-up time has passed"),
    Kind("unsupported_version", "ProtocolMismatch", _BASE, False, "the two sides speak different protocol versions"),
    Kind("bad_message", "BadRequest", _BASE, False,
         "a malformed request: not msgpack, not a map, missing/extra/wrong-typed fields (a host bug)"),
    Kind("unknown_type", "UnknownType", "BadRequest", False, "a message type the daemon does not know (an older daemon)"),
    Kind("duplicate_request", "DuplicateRequest", "BadRequest", False, "a request id this client already used"),
    Kind("unknown_task", "UnknownTask", _BASE, False, "the daemon runs no task of that name"),
    Kind("bad_params", "BadParams", _BASE, False, "a parameter is unknown, of the wrong type or out of range"),
    Kind("bad_frame", "BadFrame", _BASE, False, "a frame's shape, dtype, length, part or path is wrong"),
    Kind("frame_too_large", "FrameTooLarge", "BadFrame", False, "a frame is over the daemon's size limits"),
    Kind("bad_pixels", "BadPixels", "BadFrame", False, "NaN or infinite pixels where the task refuses them"),
    Kind("shm_error", "SharedMemoryError", _BASE, False, "a shared-memory segment cannot be used"),
    Kind("shm_unregistered", "SegmentNotRegistered", "SharedMemoryError", False,
         "a shared-memory segment this client never named in a hello, or the daemon forgot (it restarted): "
         "hostbridge's Client names its segments again once, by itself"),
    Kind("bad_input", "BadInput", _BASE, False, "the task found its inputs wrong (an empty matte, mismatched sizes)"),
    Kind("unauthorized", "Unauthorized", _BASE, False, "a missing or wrong token or key"),
    Kind("not_found", "NotFound", _BASE, False, "no such job (or it belongs to another client)"),
    Kind("busy", "Busy", _BASE, True, "the daemon's queue is full: try again shortly"),
    Kind("shutting_down", "ShuttingDown", _BASE, True, "the daemon is stopping: try again once it is back"),
    Kind("cancelled", "Cancelled", _BASE, False, "the job was cancelled"),
    Kind("task_failed", "TaskFailed", _BASE, False, "the task failed while it ran: the detail names why"),
)


def _classes() -> Dict[str, Type[HostBridgeError]]:
    """One class per name in ``TABLE``, under its parent, with the first row's code and retryable."""
    made: Dict[str, Type[HostBridgeError]] = {_BASE: HostBridgeError}
    for kind in TABLE:
        if kind.cls not in made:
            made[kind.cls] = type(kind.cls, (made[kind.parent],), {
                "code": kind.code, "retryable": kind.retryable, "__doc__": kind.meaning, "__module__": __name__})
    return made


CLASSES = _classes()
BY_CODE: Dict[str, Type[HostBridgeError]] = {kind.code: CLASSES[kind.cls] for kind in TABLE}
RETRYABLE: Dict[str, bool] = {kind.code: kind.retryable for kind in TABLE}

# The classes by name, for ``from hostbridge.errors import Busy`` and ``except Busy``.
DaemonUnavailable = CLASSES["DaemonUnavailable"]
GaveUp = CLASSES["GaveUp"]
ProtocolMismatch = CLASSES["ProtocolMismatch"]
BadRequest = CLASSES["BadRequest"]
UnknownType = CLASSES["UnknownType"]
DuplicateRequest = CLASSES["DuplicateRequest"]
UnknownTask = CLASSES["UnknownTask"]
BadParams = CLASSES["BadParams"]
BadFrame = CLASSES["BadFrame"]
FrameTooLarge = CLASSES["FrameTooLarge"]
BadPixels = CLASSES["BadPixels"]
SharedMemoryError = CLASSES["SharedMemoryError"]
SegmentNotRegistered = CLASSES["SegmentNotRegistered"]
BadInput = CLASSES["BadInput"]
Unauthorized = CLASSES["Unauthorized"]
NotFound = CLASSES["NotFound"]
Busy = CLASSES["Busy"]
ShuttingDown = CLASSES["ShuttingDown"]
Cancelled = CLASSES["Cancelled"]
TaskFailed = CLASSES["TaskFailed"]


def is_retryable(code: str) -> bool:
    """The table's word on ``code`` (False for a code it does not know)."""
    return RETRYABLE.get(code, False)


def error_from_wire(code: str, detail: str, retryable: bool) -> HostBridgeError:
    """Build the exception for an ``error`` reply; the reply's ``retryable`` is the daemon's word on it."""
    return BY_CODE.get(code, HostBridgeError)(detail, code=code, retryable=bool(retryable))
