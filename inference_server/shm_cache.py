"""Shared-memory segments the daemon keeps mapped across requests.

Mapping a client's segment afresh for every request costs a page fault per 4 KiB page
touched (about 4,300 for a 2K RGBA half frame), which is most of a same-host round
trip. Clients reuse their segments, so the daemon keeps them mapped, bounded in total
size, and drops those whose owner has unlinked them.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from typing import Any

from hostbridge.shm import attach, release


def _same_segment(name: str, seg: Any) -> bool:
    """True while ``name`` still names the segment ``seg`` mapped (Linux: compare /dev/shm inodes)."""
    fd = getattr(seg, "_fd", -1)
    if not sys.platform.startswith("linux") or fd < 0:
        return True
    try:
        return os.stat(f"/dev/shm/{name.lstrip('/')}").st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


class SegmentCache:
    def __init__(self, max_bytes: int = 2 << 30) -> None:
        self.max_bytes = max_bytes
        self._segs: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> Any:
        """The mapped segment called ``name``; raises FileNotFoundError/OSError when it can't be opened."""
        with self._lock:
            seg = self._segs.get(name)
            if seg is not None and _same_segment(name, seg):
                self._segs.move_to_end(name)
                return seg
            if seg is not None:  # unlinked and created anew under the same name: the mapping is stale
                release(self._segs.pop(name))
        seg = attach(name)
        with self._lock:
            self._segs[name] = seg
            self._evict()
        return seg

    def _evict(self) -> None:
        total = sum(s.size for s in self._segs.values())
        while total > self.max_bytes and len(self._segs) > 1:
            _, old = self._segs.popitem(last=False)
            total -= old.size
            release(old)

    def sweep(self) -> None:
        """Unmap segments their owners have unlinked (Linux: checked in /dev/shm)."""
        if not sys.platform.startswith("linux"):
            return
        with self._lock:
            gone = [n for n in self._segs if not os.path.exists(f"/dev/shm/{n.lstrip('/')}")]
            for name in gone:
                release(self._segs.pop(name))

    def __len__(self) -> int:
        return len(self._segs)

    def close(self) -> None:
        with self._lock:
            for seg in self._segs.values():
                release(seg)
            self._segs.clear()
