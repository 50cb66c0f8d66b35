"""Shared-memory segments for same-host frames (Python 3.9+, standard library only)."""

from __future__ import annotations

import secrets
import sys
from multiprocessing import shared_memory
from typing import Optional


def attach(name: str) -> shared_memory.SharedMemory:
    """Open an existing segment without taking ownership (the creator unlinks it)."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, create=False, track=False)  # type: ignore[call-arg]
    seg = shared_memory.SharedMemory(name=name, create=False)
    try:  # before 3.13 attaching registers the segment for unlinking at exit: undo that
        from multiprocessing import resource_tracker

        resource_tracker.unregister(seg._name, "shared_memory")  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - tracker internals differ by platform
        pass
    return seg


def create(size: int, prefix: str = "rushes") -> shared_memory.SharedMemory:
    """Create a new segment of at least ``size`` bytes with an unguessable name."""
    return shared_memory.SharedMemory(name=f"{prefix}_{secrets.token_hex(8)}", create=True, size=max(size, 1))


def release(seg: shared_memory.SharedMemory) -> None:
    """Close our handle; if views of the memory still exist, leave the mapping to them.

    ``SharedMemory.close`` refuses while numpy arrays or memoryviews point into it; the
    mapping then lives exactly as long as those views, and nothing warns later.
    """
    try:
        seg.close()
    except BufferError:
        seg._buf = None  # type: ignore[attr-defined]
        seg._mmap = None  # type: ignore[attr-defined]
        fd = getattr(seg, "_fd", -1)
        if fd >= 0:
            import os

            os.close(fd)
            seg._fd = -1  # type: ignore[attr-defined]


class Arena:
    """One growable segment reused across requests by a single owner."""

    def __init__(self, prefix: str = "rushes") -> None:
        self.prefix = prefix
        self.seg: Optional[shared_memory.SharedMemory] = None

    def ensure(self, size: int) -> shared_memory.SharedMemory:
        if self.seg is None or self.seg.size < size:
            self.close()
            self.seg = create(int(size * 1.25) + 4096, self.prefix)
        return self.seg

    def close(self) -> None:
        if self.seg is not None:
            seg, self.seg = self.seg, None
            release(seg)
            try:
                seg.unlink()
            except FileNotFoundError:
                pass
