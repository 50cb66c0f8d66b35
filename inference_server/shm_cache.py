"""Shared-memory segments the daemon keeps open across requests, read and written defensively.

A client owns its segments and may shrink one at any moment. Touching a mapped page past
the new end raises SIGBUS and kills the whole daemon, so on Linux the daemon never maps a
client's segment: it keeps the file descriptor and copies with ``pread``/``pwrite`` after an
``fstat`` size check. A segment shrunk between the check and the copy gives a short read (an
error for that request), never a signal. Elsewhere (macOS, Windows: a segment's size is fixed
once set) the mapping is used, still behind the size check.

The cache is bounded by count (each open segment is a file descriptor); segments pinned by
queued or running jobs are closed when the last job lets go of them.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from hostbridge.shm import attach, release

FD_COPY = sys.platform.startswith("linux")
_CHUNK = 1 << 30  # Linux moves at most ~2 GiB per read/write call


class SegmentError(OSError):
    """A segment cannot be opened, or is now too small for what was asked of it."""


class Segment:
    """One client segment: ``read(offset, shape, dtype)`` and ``write(offset, array)`` copy, checked."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pins = 0
        self.evicted = False
        self._fd = -1
        self._seg: Any = None
        if FD_COPY:
            import _posixshmem  # the module multiprocessing.shared_memory itself uses

            try:
                self._fd = _posixshmem.shm_open("/" + name.lstrip("/"), os.O_RDWR, mode=0o600)
            except OSError as exc:
                raise SegmentError(exc.errno, exc.strerror or "cannot open", name) from None
        else:
            self._seg = attach(name)

    @property
    def fd(self) -> int:
        return self._fd

    def stat(self) -> os.stat_result:
        if self._fd < 0:
            raise SegmentError(f"segment {self.name!r} is closed")
        return os.fstat(self._fd)

    @property
    def size(self) -> int:
        """The segment's size now (fstat), not when it was opened."""
        if FD_COPY:
            return int(self.stat().st_size)
        return int(self._seg.size)

    @property
    def owner_uid(self) -> int | None:
        return int(self.stat().st_uid) if FD_COPY else None

    def same_file_as(self, path: str) -> bool:
        """False when ``path`` now names another segment (unlinked and re-created under our name)."""
        if not FD_COPY:
            return True
        try:
            now, ours = os.stat(path), self.stat()
        except OSError:
            return False
        return stat.S_ISREG(now.st_mode) and (now.st_ino, now.st_dev) == (ours.st_ino, ours.st_dev)

    def _check(self, offset: int, nbytes: int) -> None:
        size = self.size
        if offset < 0 or offset + nbytes > size:
            raise SegmentError(f"shared-memory segment {self.name!r} holds {size} bytes, too small for "
                               f"{nbytes} bytes at offset {offset}")

    def read(self, offset: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        """A copy of the pixels at ``offset``; SegmentError when the segment is (or becomes) too small."""
        out = np.empty(shape, dtype=dtype)
        view = out.data.cast("B")
        self._check(offset, view.nbytes)
        if not FD_COPY:
            view[:] = self._seg.buf[offset:offset + view.nbytes]
            return out
        done = 0
        while done < view.nbytes:
            n = os.preadv(self._fd, [view[done:done + _CHUNK]], offset + done)
            if n <= 0:
                raise SegmentError(f"shared-memory segment {self.name!r} shrank to {self.size} bytes while "
                                   f"{view.nbytes} bytes at offset {offset} were read from it")
            done += n
        return out

    def read_bytes(self, offset: int, nbytes: int) -> bytes:
        return bytes(self.read(offset, (nbytes,), "uint8"))

    def write(self, offset: int, data: np.ndarray) -> None:
        """Copy ``data`` in at ``offset``; SegmentError when it does not fit (the segment is never grown)."""
        view = np.ascontiguousarray(data).data.cast("B")
        self._check(offset, view.nbytes)
        if not FD_COPY:
            self._seg.buf[offset:offset + view.nbytes] = view
            return
        done = 0
        while done < view.nbytes:
            if offset + view.nbytes > self.size:  # shrunk meanwhile: pwrite would grow it back
                raise SegmentError(f"shared-memory segment {self.name!r} shrank while a reply was written")
            done += os.pwrite(self._fd, view[done:done + _CHUNK], offset + done)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._seg is not None:
            release(self._seg)
            self._seg = None


def open_segment(name: str) -> Segment:
    """Open a client's segment by name; SegmentError (an OSError) naming why it cannot be."""
    if not name or "/" in name.lstrip("/") or "\0" in name or len(name) > 200:
        raise SegmentError(f"{name!r} is not a shared-memory segment name")
    try:
        return Segment(name)
    except SegmentError:
        raise
    except (OSError, ValueError) as exc:
        raise SegmentError(f"cannot open shared-memory segment {name!r}: {exc}") from None


class SegmentCache:
    def __init__(self, max_segments: int = 64) -> None:
        self.max_segments = max_segments
        self._segs: OrderedDict[str, Segment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> Segment:
        """The open segment called ``name``, re-opened when the name now names a new segment."""
        with self._lock:
            seg = self._segs.get(name)
            if seg is not None and not seg.same_file_as(_dev_path(name)):
                self._drop(name)
                seg = None
            if seg is not None:
                self._segs.move_to_end(name)
                return seg
        seg = open_segment(name)
        with self._lock:
            old = self._segs.pop(name, None)
            if old is not None:
                self._retire(old)
            self._segs[name] = seg
            self._evict()
        return seg

    def pin(self, seg: Segment) -> None:
        with self._lock:
            seg.pins += 1

    def unpin(self, seg: Segment) -> None:
        with self._lock:
            seg.pins -= 1
            if seg.pins <= 0 and seg.evicted:
                seg.close()

    def _retire(self, seg: Segment) -> None:
        seg.evicted = True
        if seg.pins <= 0:
            seg.close()

    def _drop(self, name: str) -> None:
        self._retire(self._segs.pop(name))

    def _evict(self) -> None:
        while len(self._segs) > self.max_segments:
            name = next(iter(self._segs))
            self._drop(name)

    def sweep(self) -> None:
        """Close segments their owners have unlinked (Linux: checked in /dev/shm)."""
        if not sys.platform.startswith("linux"):
            return
        with self._lock:
            for name in [n for n, s in self._segs.items() if not s.same_file_as(_dev_path(n))]:
                self._drop(name)

    def __len__(self) -> int:
        return len(self._segs)

    def close(self) -> None:
        with self._lock:
            for seg in self._segs.values():
                seg.close()
            self._segs.clear()


def _dev_path(name: str) -> str:
    return f"/dev/shm/{name.lstrip('/')}"
