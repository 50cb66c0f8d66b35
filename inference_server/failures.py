"""The one place the daemon turns an exception into a wire error code and its sentence.

Everything else raises typed exceptions: ``ProtocolError`` (and hostbridge's
``HostBridgeError``) carry their code; a task's ``TaskInputError`` means its inputs are wrong
(``bad_input``), its ``Cancelled`` that the job was stopped. Anything else is unexpected:
``internal`` in the ROUTER loop, ``task_failed`` in a worker, logged with its traceback.
The codes and whether each is retryable are in ``hostbridge.errors.TABLE``.
"""

from __future__ import annotations

from typing import NamedTuple

from hostbridge.errors import HostBridgeError
from hostbridge.protocol import ProtocolError
from inference_server.tasks.base import Cancelled, TaskInputError


class Failure(NamedTuple):
    code: str
    detail: str
    expected: bool  # a typed refusal; False: a bug or crash worth its traceback in the log


def wire_error(exc: BaseException, unexpected: str, prefix: str) -> Failure:
    """The code and detail to answer ``exc`` with; ``unexpected`` (and ``prefix: Type: message``) for the rest."""
    if isinstance(exc, (ProtocolError, HostBridgeError)):
        return Failure(exc.code, exc.detail, True)
    if isinstance(exc, TaskInputError):
        return Failure("bad_input", str(exc), True)
    if isinstance(exc, Cancelled):
        return Failure("cancelled", str(exc) or "the job was cancelled", True)
    return Failure(unexpected, f"{prefix}: {type(exc).__name__}: {exc}", False)
