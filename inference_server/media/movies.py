"""Movies through PyAV: one decoder for lazy sequences and for reading chosen frames in one pass.

Frames deeper than 8 bits decode to ``rgb48le`` (uint16), never through an 8-bit path, so 10/12-bit
precision survives. PyAV is imported inside the functions so that importing the package is cheap.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Generator, Sequence
from pathlib import Path

import numpy as np

from inference_server.frames import to_rgb_float


def decode_frames(path: str, deep: bool | None = None, threads: bool = False) -> Generator[np.ndarray, None, None]:
    """Each video frame of movie ``path`` in order, (H, W, 3) uint8 or uint16 (``rgb48le``).

    ``deep`` None decides per frame (any component over 8 bits); ``threads`` lets FFmpeg decode
    on several threads (for one pass over the whole movie). Closing the generator closes the file.
    """
    import av

    with av.open(path) as box:
        stream = box.streams.video[0]
        if threads:
            stream.thread_type = "AUTO"
        for vf in box.decode(stream):
            wide = any(c.bits > 8 for c in vf.format.components) if deep is None else deep
            yield np.asarray(vf.to_ndarray(format="rgb48le" if wide else "rgb24"))


def read_movie_frames(path: str | Path, indices: Sequence[int], bit_depth: int = 8) -> dict[int, np.ndarray]:
    """Decode the 0-based frame ``indices`` of a movie in one pass -> {index: float32 (H, W, 3) 0-1}.

    ``bit_depth`` over 8 (the catalogue's figure) decodes to ``rgb48le`` so 10/12-bit precision survives.
    """
    wanted = set(int(i) for i in indices)
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    last = max(wanted)
    frames = decode_frames(str(path), deep=bit_depth > 8, threads=True)
    try:
        for i, arr in enumerate(frames):
            if i in wanted:
                out[i] = to_rgb_float(arr)
            if i >= last:
                break
    finally:
        frames.close()
    missing = wanted - set(out)
    if missing:
        raise ValueError(f"{path} has no frame {min(missing)} (it decoded {len(out)} of {len(wanted)} wanted)")
    return out


class MovieReader:
    """Sequential decoding with restart on backward access (thread-safe), for lazy sequences."""

    def __init__(self, path: str) -> None:
        import av

        self.path = path
        self.lock = threading.Lock()
        with av.open(path) as box:
            if not box.streams.video:
                raise ValueError(f"movie {path!r} has no video stream (only {len(box.streams)} other stream(s))")
            stream = box.streams.video[0]
            count = stream.frames
            if not count:
                count = sum(1 for _ in box.decode(video=0))
        self.count = int(count)
        self._iter: Generator[np.ndarray, None, None] | None = None
        self._next = 0

    def _rewind(self) -> None:
        if self._iter is not None:
            self._iter.close()
        self._iter = decode_frames(self.path)
        self._next = 0

    def read(self, index: int, keep: OrderedDict[int, np.ndarray], limit: int) -> np.ndarray:
        with self.lock:
            if self._iter is None or index < self._next:
                self._rewind()
            assert self._iter is not None
            while True:
                try:
                    arr = next(self._iter)
                except StopIteration:
                    raise ValueError(f"movie {self.path!r} ended before frame index {index}") from None
                i = self._next
                self._next += 1
                keep[i] = arr
                while len(keep) > limit:
                    keep.popitem(last=False)
                if i == index:
                    return arr

    def close(self) -> None:
        with self.lock:
            if self._iter is not None:
                self._iter.close()
            self._iter = None
