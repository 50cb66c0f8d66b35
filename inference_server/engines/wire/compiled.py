"""Loops that numpy cannot vectorise (the path search, the ray march), or vectorises only through
many full-size temporaries (a scale's ridge strength), compiled by numba without the GIL, so that
the wire bands worked side by side (``repair._each``) really run at the same time.

``compiled(fn)`` returns a callable that compiles ``fn`` on its first call (``nogil``, cached on
disk beside the source): importing numba and loading the compiled code costs about a second, which
only a process that repairs wires should pay. ``fn`` itself stays plain Python (and testable as such).
Where numba finds nowhere to cache (a read-only install without a user cache directory) it compiles
once per process instead.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled by numba (nopython, nogil, cached) on first use."""
    done: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not done:
            with _LOCK:
                if not done:
                    import numba

                    try:
                        done.append(numba.njit(nogil=True, cache=True)(fn))
                    except RuntimeError:  # nowhere to cache (a read-only install, no user cache): compile per process
                        done.append(numba.njit(nogil=True)(fn))
        return done[0](*args)

    return call
