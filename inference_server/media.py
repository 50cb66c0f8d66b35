"""Reading and writing plates: image sequences, single images and movies.

A *spec* names the frames:

- ``shot/plate.####.exr`` or ``shot/plate.%04d.exr``: a numbered sequence (``#`` count or
  ``%0Nd`` gives the padding; numbers wider than the padding are accepted);
- ``still.png``: one image (given ``frames``, it stands for every frame of that range);
- ``clip.mov`` / ``.mp4`` / ``.mxf`` / ...: a movie decoded with PyAV, frames numbered from 1.

Pixels come back in the file's native dtype (uint8, uint16, float16 or float32), (H, W, C),
in whatever colour space the file holds (the caller names it). Writes are atomic (a temporary
file in the same folder, then ``os.replace``) and keep the bit depth. OpenImageIO and PyAV are
imported inside the functions so that importing this module is cheap.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.frames import ALLOWED_DTYPES, Frame, FrameSeq
from inference_server.windows import data_box, display_box, like_windows, place, region_of
from inference_server.writers import write_file

Box = tuple[int, int, int, int]

CACHE_BYTES = 1.0e9
MOVIE_EXTS = (".mov", ".mp4", ".mxf", ".m4v", ".mkv", ".avi", ".webm")
_OIIO_TYPE = {"uint8": "uint8", "uint16": "uint16", "float16": "half", "float32": "float"}
_PATTERN = re.compile(r"(#+|%0?(\d*)d|@+)")


@dataclass(frozen=True)
class SequenceInfo:
    """What a sequence holds: size, channel count, native dtype name and file extension."""

    width: int
    height: int
    channels: int
    dtype: str
    format: str


def is_movie(spec: str) -> bool:
    return os.path.splitext(spec)[1].lower() in MOVIE_EXTS


def _split_pattern(spec: str) -> tuple[str, int, str] | None:
    """``dir/name.####.exr`` -> (``dir/name.``, 4, ``.exr``); None when ``spec`` has no pattern."""
    name = os.path.basename(spec)
    matches = list(_PATTERN.finditer(name))
    if not matches:
        return None
    m = matches[-1]
    token = m.group(1)
    pad = len(token) if token[0] in "#@" else int(m.group(2) or 1)
    head = os.path.join(os.path.dirname(spec), name[:m.start()])
    return head, pad, name[m.end():]


def is_pattern(spec: str) -> bool:
    """True when ``spec`` names a numbered sequence (``####``, ``%04d``)."""
    return _split_pattern(spec) is not None


def output_path(out_spec: str, number: int) -> str:
    """The file for frame ``number`` of ``out_spec`` (a pattern; a plain file name is returned as is)."""
    if is_movie(out_spec):
        raise ValueError(f"cannot write a movie ({out_spec}); write an image sequence such as name.####.exr")
    parts = _split_pattern(out_spec)
    if parts is None:
        return out_spec
    head, pad, tail = parts
    sign = "-" if number < 0 else ""
    return f"{head}{sign}{abs(number):0{pad}d}{tail}"


def _scan(spec: str) -> dict[int, str]:
    """Frame number -> path for every file on disk matching the pattern ``spec``."""
    parts = _split_pattern(spec)
    assert parts is not None
    head, pad, tail = parts
    folder = os.path.dirname(head) or "."
    prefix = os.path.basename(head)
    rx = re.compile(re.escape(prefix) + r"(-?\d+)" + re.escape(tail) + r"$")
    found: dict[int, str] = {}
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no folder {folder!r} for sequence {spec!r}")
    for entry in os.listdir(folder):
        m = rx.match(entry)
        if m and len(m.group(1).lstrip("-")) >= pad:
            found[int(m.group(1))] = os.path.join(folder, entry)
    return found


def _native_dtype(spec: Any) -> str:
    import OpenImageIO as oiio

    base = spec.format.basetype
    return {oiio.UINT8: "uint8", oiio.UINT16: "uint16", oiio.HALF: "float16"}.get(base, "float32")


class ImageTooLarge(ValueError):
    """An image's header promises more pixels than the caller accepts."""


# The first bytes each format's files start with (its reader is the only one tried).
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".exr": (b"\x76\x2f\x31\x01",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".tif": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".dpx": (b"SDPX", b"XPDS"),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def check_magic(head: bytes, ext: str, what: str) -> None:
    """ValueError when ``head`` (a file's first bytes) is not a ``ext`` file's signature."""
    magic = MAGIC.get(ext.lower())
    if magic is not None and not head.startswith(magic):
        raise ValueError(f"cannot read {what}: it does not start like a {ext.lstrip('.').upper()} file "
                         f"(first bytes {head[:8].hex()})")


def read_image(path: str | os.PathLike[str], max_side: int | None = None, max_bytes: int | None = None,
               max_pixels: int | None = None, window: str = "union") -> np.ndarray:
    """Read one image file as (H, W, C) in its native dtype (uint8/uint16/float16; else float32).

    Only the reader the extension names is tried (never every reader in turn, which on a large
    unrecognised file takes minutes), after a check of the file's first bytes for the common
    formats. With ``max_side``/``max_bytes`` (bytes counted as float32)/``max_pixels``, an image
    whose header is over a limit raises ImageTooLarge before any pixel is decoded. ``window``
    says which region of an EXR with a data window the array covers (``inference_server.windows``).
    """
    return read_image_boxes(path, max_side, max_bytes, window, max_pixels)[0]


def read_image_boxes(path: str | os.PathLike[str], max_side: int | None = None, max_bytes: int | None = None,
                     window: str = "union", max_pixels: int | None = None) -> tuple[np.ndarray, Box, Box]:
    """``read_image``, with the region the array covers and the display window (x0, y0, x1, y1)."""
    import OpenImageIO as oiio

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no image file {path!r}")
    with open(path, "rb") as fh:
        check_magic(fh.read(16), os.path.splitext(path)[1], f"image {path!r}")
    oiio.attribute("try_all_readers", 0)
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ValueError(f"cannot read image {path!r}: {oiio.geterror()}")
    try:
        spec = inp.spec()
        box = region_of(spec, window)
        rw, rh = max(spec.width, box[2] - box[0]), max(spec.height, box[3] - box[1])
        nbytes = rw * rh * spec.nchannels * 4
        if (max_side is not None and max(rw, rh) > max_side) or \
                (max_bytes is not None and nbytes > max_bytes) or \
                (max_pixels is not None and rw * rh > max_pixels):
            raise ImageTooLarge(f"frame {path} is {rw}x{rh}x{spec.nchannels}, over the limit "
                                f"({max_side} px a side, {max_pixels} pixels, {max_bytes} bytes as float)")
        dtype = _native_dtype(spec)
        pixels = inp.read_image(0, 0, 0, spec.nchannels, _OIIO_TYPE[dtype])
        if pixels is None:
            raise ValueError(f"cannot read image {path!r}: {inp.geterror()}")
    finally:
        inp.close()
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    pixels = place(np.ascontiguousarray(pixels.astype(dtype, copy=False)), data_box(spec)[:2], box)
    return pixels, box, display_box(spec)


def write_image(path: str | os.PathLike[str], pixels: np.ndarray, like_format: str | None = None) -> None:
    """Write (H, W, C) ``pixels`` to ``path`` atomically, keeping their bit depth.

    ``like_format`` may name a dtype (``"uint16"``...) to write in, or a reference image file
    whose pixel format and bits per sample (10-bit DPX, say) the output copies; an EXR written
    like an EXR plate also takes the plate's display window and data-window origin (overscan).
    The folder must exist. Every step is checked (``inference_server.writers``); a failed write
    raises ``WriteFailed`` and leaves ``path`` as it was.
    """
    import OpenImageIO as oiio

    path = os.fspath(path)
    arr = np.asarray(pixels)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.dtype.name not in ALLOWED_DTYPES:
        raise ValueError(f"write_image expects (H, W, C) {'/'.join(ALLOWED_DTYPES)} pixels, "
                         f"got shape {arr.shape} dtype {arr.dtype}")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"output folder {folder!r} does not exist")
    fmt, bits, windows = arr.dtype.name, 0, None
    if like_format in ALLOWED_DTYPES:
        fmt = str(like_format)
    elif like_format:
        ref = oiio.ImageInput.open(like_format)
        if ref is None:
            raise ValueError(f"cannot read reference image {like_format!r}: {oiio.geterror()}")
        rspec = ref.spec()
        fmt, bits = _native_dtype(rspec), rspec.get_int_attribute("oiio:BitsPerSample", 0)
        if path.lower().endswith(".exr"):
            windows = like_windows(rspec, arr.shape)
        ref.close()
    h, w, c = arr.shape
    spec = oiio.ImageSpec(w, h, c, _OIIO_TYPE[fmt])
    if windows is not None:
        (spec.x, spec.y, _, _), (fx0, fy0, fx1, fy1) = windows
        spec.full_x, spec.full_y, spec.full_width, spec.full_height = fx0, fy0, fx1 - fx0, fy1 - fy0
    if path.lower().endswith(".png"):
        spec.attribute("png:compressionLevel", 3)
    if bits and bits not in (8, 16, 32):
        spec.attribute("oiio:BitsPerSample", bits)
    write_file(path, arr, spec)


CASE_BLIND = sys.platform in ("darwin", "win32")  # their usual file systems ignore case


def _same(a: str, b: str) -> bool:
    return _fold(os.path.realpath(a)) == _fold(os.path.realpath(b))


def _fold(name: str) -> str:
    return name.casefold() if CASE_BLIND else name


def refuse_overwrite(inputs: Sequence[str], out_spec: str) -> None:
    """Raise FileExistsError when any frame written to ``out_spec`` would land on an input.

    ``inputs`` are specs (patterns, images or movies) or concrete files.
    """
    out_parts = _split_pattern(out_spec)
    for spec in inputs:
        in_parts = _split_pattern(spec)
        clash = False
        if out_parts and in_parts:
            clash = (_same(os.path.dirname(out_parts[0]) or ".", os.path.dirname(in_parts[0]) or ".")
                     and _fold(os.path.basename(out_parts[0])) == _fold(os.path.basename(in_parts[0]))
                     and _fold(out_parts[2]) == _fold(in_parts[2]))
        elif out_parts:
            head, _, tail = out_parts
            name = os.path.basename(spec)
            rx = re.escape(os.path.basename(head)) + r"-?\d+" + re.escape(tail) + "$"
            clash = (_same(os.path.dirname(head) or ".", os.path.dirname(spec) or ".")
                     and re.match(rx, name, re.IGNORECASE if CASE_BLIND else 0) is not None)
        elif in_parts:
            head, _, tail = in_parts
            rx = re.escape(os.path.basename(head)) + r"-?\d+" + re.escape(tail) + "$"
            clash = (_same(os.path.dirname(head) or ".", os.path.dirname(out_spec) or ".")
                     and re.match(rx, os.path.basename(out_spec), re.IGNORECASE if CASE_BLIND else 0) is not None)
        else:
            clash = _same(spec, out_spec)
        if clash:
            raise FileExistsError(f"refusing to write {out_spec!r}: it would overwrite the input {spec!r}")


class _MovieReader:
    """Sequential PyAV decoding with restart on backward access (thread-safe)."""

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
        self._box: Any = None
        self._iter: Iterator[Any] | None = None
        self._next = 0

    def _rewind(self) -> None:
        import av

        if self._box is not None:
            self._box.close()
        self._box = av.open(self.path)
        self._iter = iter(self._box.decode(video=0))
        self._next = 0

    def read(self, index: int, keep: OrderedDict[int, np.ndarray], limit: int) -> np.ndarray:
        with self.lock:
            if self._iter is None or index < self._next:
                self._rewind()
            assert self._iter is not None
            while True:
                try:
                    vf = next(self._iter)
                except StopIteration:
                    raise ValueError(f"movie {self.path!r} ended before frame index {index}") from None
                deep = any(c.bits > 8 for c in vf.format.components)
                arr = vf.to_ndarray(format="rgb48le" if deep else "rgb24")
                i = self._next
                self._next += 1
                keep[i] = arr
                while len(keep) > limit:
                    keep.popitem(last=False)
                if i == index:
                    return np.asarray(arr)

    def close(self) -> None:
        with self.lock:
            if self._box is not None:
                self._box.close()
            self._box, self._iter = None, None


class FrameSequence(FrameSeq):
    """A lazy sequence of Frames; ``seq[i]`` reads (and caches) frame ``numbers[i]``.

    The cache holds up to ``cache_size`` frames and about ``CACHE_BYTES`` of pixels."""

    def __init__(self, spec: str, numbers: list[int], paths: list[str] | None, colour_space: str = "",
                 movie: _MovieReader | None = None, movie_offset: int = 0, cache_size: int = 16,
                 window: str = "union") -> None:
        self.spec = spec
        self.window = window
        self._boxes: dict[int, tuple[Box, Box]] = {}
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
            arr, region, display = read_image_boxes(self.paths[i], window=self.window)
            self._boxes[i] = (region, display)
        with self._lock:
            self._cache[i] = arr
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return arr

    def _frame(self, i: int) -> Frame:
        return Frame(self._pixels(i), self.numbers[i], self.colour_space)

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


def open_sequence(spec: str, frames: tuple[int, int] | None = None, colour_space: str = "",
                  cache_size: int = 16, window: str = "union") -> FrameSequence:
    """Open ``spec`` lazily (see the module docstring); ``frames`` is an inclusive range.

    ``window``: ``"union"`` for plates, ``"display"`` for mattes (``inference_server.windows``).
    """
    spec = os.fspath(spec)
    if is_movie(spec):
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"no movie file {spec!r}")
        movie = _MovieReader(spec)
        available = list(range(1, movie.count + 1))
        numbers = _check_range(spec, available, frames) if frames else available
        if not numbers:
            raise ValueError(f"movie {spec!r} has no video frames")
        return FrameSequence(spec, numbers, None, colour_space, movie=movie, movie_offset=numbers[0] - 1,
                             cache_size=cache_size)
    if _split_pattern(spec) is None:
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"no image file {spec!r}")
        numbers = list(range(frames[0], frames[1] + 1)) if frames else [0]
        if not numbers:
            raise ValueError(f"frame range {frames} for {spec!r} ends before it starts")
        return FrameSequence(spec, numbers, [spec] * len(numbers), colour_space, cache_size=cache_size,
                             window=window)
    found = _scan(spec)
    if not found:
        raise FileNotFoundError(f"no frames match {spec!r}")
    numbers = _check_range(spec, sorted(found), frames) if frames else sorted(found)
    if not frames and numbers != list(range(numbers[0], numbers[-1] + 1)):
        gaps = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        raise ValueError(f"{spec!r} has gaps: frame(s) {', '.join(map(str, gaps[:8]))} missing")
    return FrameSequence(spec, numbers, [found[n] for n in numbers], colour_space, cache_size=cache_size,
                         window=window)


def parse_frame_range(text: str) -> tuple[int, int]:
    """``"1001-1050"`` -> (1001, 1050); ``"1001"`` -> (1001, 1001)."""
    m = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", text)
    if not m:
        raise ValueError(f"frame range {text!r} is not A-B (for example 1001-1050)")
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) is not None else a
    if b < a:
        raise ValueError(f"frame range {text!r} ends before it starts")
    return a, b


def ensure_folder(path: str | os.PathLike[str]) -> None:
    """Create the folder that will hold ``path`` (for output sequences)."""
    Path(os.fspath(path)).parent.mkdir(parents=True, exist_ok=True)
