"""The one function every Scripts-menu entry file calls."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, Callable

from rushes_resolve.connect import ResolveUnavailable, get_resolve
from rushes_resolve.ui import Reporter, make_reporter

TOOLS = ("look_match", "shot_match", "repair", "revert")
# errors whose message is already one sentence for the colorist (with hostbridge's HostBridgeError)
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, RuntimeError)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """``EXPECTED_ERRORS`` and hostbridge's base class, when this Resolve's Python can import hostbridge."""
    try:
        from hostbridge.errors import HostBridgeError
    except ImportError:  # no pyzmq/msgpack here: nothing could have raised a hostbridge error
        return EXPECTED_ERRORS
    return (*EXPECTED_ERRORS, HostBridgeError)


def _tool(name: str) -> Callable[..., dict[str, Any]]:
    if name == "look_match":
        from rushes_resolve import look_match
        return look_match.run
    if name == "shot_match":
        from rushes_resolve import shot_match
        return shot_match.run
    if name == "repair":
        from rushes_resolve import repair
        return repair.run
    if name == "revert":
        from rushes_resolve import revert
        return revert.run
    raise ValueError(f"unknown Rushes tool {name!r}; known: {', '.join(TOOLS)}")


def main(tool: str, script_globals: Mapping[str, Any] | None = None,
         values: Mapping[str, Any] | None = None, reporter: Reporter | None = None,
         client_factory: Callable[[str], Any] | None = None) -> int:
    """Run one tool; 0 on success, 1 when it failed (the reason is shown to the colorist)."""
    from rushes_resolve.session import Session

    script_globals = script_globals or {}
    reporter = reporter or make_reporter(script_globals)
    session: Session | None = None
    try:
        resolve = get_resolve(script_globals)
        session = Session(resolve, reporter, client_factory)
        summary = _tool(tool)(session, values)
        return 1 if summary.get("problems") else 0
    except ResolveUnavailable as exc:
        reporter.error(str(exc))
    except Exception as exc:  # noqa: BLE001 (top of a menu script: one sentence for the colorist)
        if isinstance(exc, _expected_errors()):
            reporter.error(str(exc))
        else:
            reporter.error(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
    finally:
        if session is not None:
            session.close()
        else:
            reporter.finish()
    return 1
