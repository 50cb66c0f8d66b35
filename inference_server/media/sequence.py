"""Frames of a plate, read lazily: an image sequence, one still standing for a range, or a movie.

Pixels come back in the file's native dtype (uint8, uint16, float16 or float32), (H, W, C), in
whatever colour space the file holds (the caller names it); a small cache keeps recent frames.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.frames import Frame, FrameSeq
from inference_server.media.images import Box, read_image_info, read_image_rgb
from inference_server.media.movies import MovieReader, read_movie_frames
from inference_server.media.paths import is_movie, scan, split_frame_number, split_pattern

CACHE_BYTES = 1.0e9


@dataclass(frozen=True)
class SequenceInfo:
    """What a sequence holds: size, channel count, native dtype name and file extension."""

    width: int
    height: int
    channels: int
    dtype: str
    format: str


class FrameSequence(FrameSeq):
    """A lazy sequence of Frames; ``seq[i]`` reads (and caches) frame ``numbers[i]``.

    The cache holds up to ``cache_size`` frames and about ``CACHE_BYTES`` of pixels."""

    def __init__(self, spec: str, numbers: list[int], paths: list[str] | None, colour_space: str = "",
                 movie: MovieReader | None = None, movie_offset: int = 0, cache_size: int = 16,
                 window: str = "union") -> None:
        self.spec = spec
        self.window = window
        self._boxes: dict[int, tuple[Box, Box]] = {}
        self._straight: dict[int, bool] = {}
        self.numbers = numbers
        self.paths = paths
        self.colour_space = colour_space
        self._movie = movie
        self._movie_offset = movie_offset
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._decoded: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        first = self._pixels(0)
        # keep the cache within CACHE_BYTES (a 4K float RGB frame is ~100 MB), but at least 3 frames
        self._cache_size = max(3, min(cache_size, int(CACHE_BYTES // max(first.nbytes, 1))))
        self.info = SequenceInfo(first.shape[1], first.shape[0], first.shape[2], first.dtype.name,
                                 os.path.splitext(spec)[1].lower().lstrip("."))

    def __len__(self) -> int:
        return len(self.numbers)

    def _pixels(self, i: int) -> np.ndarray:
        with self._lock:
            if i in self._cache:
                self._cache.move_to_end(i)
                return self._cache[i]
        if self._movie is not None:
            idx = i + self._movie_offset
            arr = self._decoded.pop(idx, None)
            if arr is None:
                arr = self._movie.read(idx, self._decoded, self._cache_size)
                self._decoded.pop(idx, None)
        else:
            assert self.paths is not None
            arr, region, display, straight = read_image_info(self.paths[i], window=self.window)
            self._boxes[i] = (region, display)
            self._straight[i] = straight
        with self._lock:
            self._cache[i] = arr
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return arr

    def _frame(self, i: int) -> Frame:
        return Frame(self._pixels(i), self.numbers[i], self.colour_space)

    def straight(self, i: int) -> bool:
        """Whether frame ``i``'s file stores a straight (unassociated) alpha, as its pixels are read:
        a file written from them in another format needs it (``media.write_image``'s ``straight``)."""
        if i not in self._straight:
            self._pixels(i)
        return self._straight.get(i, False)

    def boxes(self, i: int) -> tuple[Box, Box]:
        """(region the array of frame ``i`` covers, display window), as x0, y0, x1, y1."""
        if i not in self._boxes:
            h, w = self._pixels(i).shape[:2]
            self._boxes.setdefault(i, ((0, 0, w, h), (0, 0, w, h)))
        return self._boxes[i]

    def _where(self) -> str:
        return f" of {self.spec!r}"

    def close(self) -> None:
        if self._movie is not None:
            self._movie.close()


def _check_range(spec: str, available: list[int], frames: tuple[int, int]) -> list[int]:
    a, b = frames
    if b < a:
        raise ValueError(f"frame range {a}-{b} for {spec!r} ends before it starts")
    have = set(available)
    wanted = list(range(a, b + 1))
    missing = [n for n in wanted if n not in have]
    if missing:
        shown = ", ".join(map(str, missing[:8])) + (" ..." if len(missing) > 8 else "")
        raise ValueError(f"{spec!r} is missing frame(s) {shown} of {a}-{b} "
                         f"(it has {min(available)}-{max(available)})" if available else
                         f"{spec!r} has no frames")
    return wanted


def still_number(path: str) -> int:
    """The frame number a single image carries in its name (``plate.1003.exr``: 1003, as the sequence's
    frame 1003 would be numbered), else 0."""
    parts = split_frame_number(Path(path))
    return parts[1] if parts is not None and parts[0].endswith(".") else 0


def open_sequence(spec: str, frames: tuple[int, int] | None = None, colour_space: str = "",
                  cache_size: int = 16, window: str = "union") -> FrameSequence:
    """Open ``spec`` lazily (see the package docstring); ``frames`` is an inclusive range.

    ``window``: ``"union"`` for plates, ``"display"`` for mattes (``inference_server.windows``).
    """
    spec = os.fspath(spec)
    if is_movie(spec):
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"no movie file {spec!r}")
        movie = MovieReader(spec)
        available = list(range(1, movie.count + 1))
        numbers = _check_range(spec, available, frames) if frames else available
        if not numbers:
            raise ValueError(f"movie {spec!r} has no video frames")
        return FrameSequence(spec, numbers, None, colour_space, movie=movie, movie_offset=numbers[0] - 1,
                             cache_size=cache_size)
    if split_pattern(spec) is None:
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"no image file {spec!r}")
        numbers = list(range(frames[0], frames[1] + 1)) if frames else [still_number(spec)]
        if not numbers:
            raise ValueError(f"frame range {frames} for {spec!r} ends before it starts")
        return FrameSequence(spec, numbers, [spec] * len(numbers), colour_space, cache_size=cache_size,
                             window=window)
    found = scan(spec)
    if not found:
        raise FileNotFoundError(f"no frames match {spec!r}")
    numbers = _check_range(spec, sorted(found), frames) if frames else sorted(found)
    if not frames and numbers != list(range(numbers[0], numbers[-1] + 1)):
        gaps = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        raise ValueError(f"{spec!r} has gaps: frame(s) {', '.join(map(str, gaps[:8]))} missing")
    return FrameSequence(spec, numbers, [found[n] for n in numbers], colour_space, cache_size=cache_size,
                         window=window)


def read_clip_frames(clip: dict[str, Any], numbers: Sequence[int]) -> dict[int, np.ndarray]:
    """Frames of a catalogued clip (``kind``, ``path``, ``bit_depth`` as ingest records them) by
    frame number -> {number: float32 (H, W, 3) 0-1 code values in the file's own encoding}."""
    if clip["kind"] == "movie":
        return read_movie_frames(clip["path"], numbers, int(clip.get("bit_depth") or 8))
    pattern = str(clip["path"])
    if clip["kind"] == "image":
        return {int(n): read_image_rgb(pattern) for n in numbers}
    return {int(n): read_image_rgb(pattern % int(n)) for n in numbers}
