"""failures.wire_error: the one place the daemon turns an exception into a wire code."""

from __future__ import annotations

import pytest

from hostbridge.errors import Busy
from hostbridge.protocol import ProtocolError
from inference_server.failures import wire_error
from inference_server.tasks.base import Cancelled, TaskInputError


@pytest.mark.parametrize(("exc", "code", "detail", "expected"), [
    (ProtocolError("bad_frame", "frame 'part' 3 is missing"), "bad_frame", "frame 'part' 3 is missing", True),
    (Busy("the queue is full"), "busy", "the queue is full", True),
    (TaskInputError("the matte is empty"), "bad_input", "the matte is empty", True),
    (Cancelled("stopped by the artist"), "cancelled", "stopped by the artist", True),
    (Cancelled(), "cancelled", "the job was cancelled", True),
    (ZeroDivisionError("division by zero"), "task_failed", "echo failed: ZeroDivisionError: division by zero", False),
])
def test_each_exception_gets_one_code(exc: BaseException, code: str, detail: str, expected: bool) -> None:
    assert tuple(wire_error(exc, "task_failed", "echo failed")) == (code, detail, expected)


def test_the_router_loop_calls_the_unexpected_internal() -> None:
    failure = wire_error(KeyError("id"), "internal", "internal error")
    assert (failure.code, failure.detail, failure.expected) == ("internal", "internal error: KeyError: 'id'", False)
