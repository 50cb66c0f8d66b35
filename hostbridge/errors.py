"""Typed errors: one base class hosts catch, one subclass per wire error code."""

from __future__ import annotations

from typing import Dict, Type

from hostbridge.protocol import ERROR_CODES


class HostBridgeError(Exception):
    """Base of every Rushes error a host sees. ``str(err)`` is one sentence for the artist."""

    code = "internal"
    retryable = False

    def __init__(self, detail: str, code: str = "", retryable: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.retryable = retryable or type(self).retryable


class DaemonUnavailable(HostBridgeError):
    """Nothing answered at the daemon's address."""

    code = "unavailable"
    retryable = True


class GaveUp(DaemonUnavailable):
    """The daemon stopped answering during a request and the client's give-up time has passed."""

    code = "gave_up"
    retryable = False


class ProtocolMismatch(HostBridgeError):
    code = "unsupported_version"


class BadRequest(HostBridgeError):
    """The request was malformed (a bug in the host code, or a corrupt message)."""

    code = "bad_message"


class UnknownTask(HostBridgeError):
    code = "unknown_task"


class BadParams(HostBridgeError):
    code = "bad_params"


class BadFrame(HostBridgeError):
    code = "bad_frame"


class FrameTooLarge(BadFrame):
    code = "frame_too_large"


class BadPixels(BadFrame):
    code = "bad_pixels"


class SharedMemoryError(HostBridgeError):
    code = "shm_error"


class BadInput(HostBridgeError):
    """The task found its inputs wrong (an empty matte, mismatched sizes...)."""

    code = "bad_input"


class Unauthorized(HostBridgeError):
    code = "unauthorized"


class NotFound(HostBridgeError):
    code = "not_found"


class Busy(HostBridgeError):
    code = "busy"
    retryable = True


class ShuttingDown(HostBridgeError):
    code = "shutting_down"
    retryable = True


class Cancelled(HostBridgeError):
    code = "cancelled"


class TaskFailed(HostBridgeError):
    code = "task_failed"


class DuplicateRequest(BadRequest):
    code = "duplicate_request"


_BY_CODE: Dict[str, Type[HostBridgeError]] = {
    "bad_message": BadRequest, "unsupported_version": ProtocolMismatch, "unknown_type": BadRequest,
    "unknown_task": UnknownTask, "bad_params": BadParams, "bad_frame": BadFrame,
    "frame_too_large": FrameTooLarge, "bad_pixels": BadPixels, "shm_error": SharedMemoryError,
    "duplicate_request": DuplicateRequest, "bad_input": BadInput, "unauthorized": Unauthorized,
    "not_found": NotFound, "busy": Busy, "shutting_down": ShuttingDown, "cancelled": Cancelled,
    "task_failed": TaskFailed, "internal": HostBridgeError,
}
assert set(_BY_CODE) == set(ERROR_CODES), "every wire error code needs an exception class"


def error_from_wire(code: str, detail: str, retryable: bool) -> HostBridgeError:
    """Build the exception for an ``error`` reply; the reply's ``retryable`` is the daemon's word on it."""
    cls = _BY_CODE.get(code, HostBridgeError)
    err = cls(detail, code=code, retryable=retryable)
    err.retryable = bool(retryable)  # e.g. a stop-now notice: shutting down, but not worth a retry
    return err
