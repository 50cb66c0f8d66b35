"""Decoding request frames into task inputs, and encoding output frames for the wire.

Frames sent as buffers (message parts or shared memory) become numpy views without a
copy; frames sent as paths or encoded bytes are read lazily, when the task asks for them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hostbridge.protocol import ProtocolError, frame_nbytes
from inference_server.frames import Frame, FrameSeq, NanPolicy, TaskInputError
from inference_server.media import ImageTooLarge, check_magic, read_boxes, read_image_info
from inference_server.shm_cache import SegmentError
from inference_server.windows import AlignedFrames, Box
from inference_server.writers import encode_bytes

EXTENSIONS = {"exr": ".exr", "png": ".png", "tiff": ".tif", "dpx": ".dpx", "jpg": ".jpg"}


@dataclass(frozen=True)
class Limits:
    """The largest frame the daemon accepts (config ``max_frame_bytes`` / ``_side`` / ``_pixels``,
    ``max_encoded_bytes``): checked against headers and descriptors before any pixel is decoded."""

    max_bytes: int = 1 << 30
    max_side: int = 16384
    max_pixels: int = 1 << 26
    max_encoded: int = 512 << 20


# The still formats path frames may name: each reader refuses a foreign file at its first bytes
# (some other OpenImageIO readers, IFF for one, read a large file of zeros for seconds first).
PATH_FORMATS = (".exr", ".sxr", ".dpx", ".cin", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".tga", ".hdr")


def check_path_format(path: str, what: str = "path frame") -> None:
    ext = os.path.splitext(path)[1].lower()
    if ext not in PATH_FORMATS:
        raise ProtocolError("bad_frame", f"{what} {path}: the daemon reads {', '.join(PATH_FORMATS)} files by "
                                         f"path, not {ext or 'files without an extension'}")


def read_path_boxes(path: str, limits: Limits | None = None, window: str = "union", what: str = "",
                    temporary: bool = False) -> tuple[np.ndarray, tuple[Box, Box], bool]:
    """Read an image file in its own pixel type as (H, W, C); failures become typed protocol errors
    naming ``what`` (default: the file). ``window``: the region read of an EXR with a data window
    (``inference_server.windows``: "union" for plates, "display" for mattes, as the CLI reads them).
    ``temporary``: ``path`` is a file of the daemon's holding a client's bytes, never named."""
    limits = limits or Limits()
    check_path_format(path)
    try:
        pixels, box, display, straight = read_image_info(path, limits.max_side, limits.max_bytes, window,
                                                         limits.max_pixels)
        return pixels, (box, display), straight
    except ImageTooLarge as exc:
        raise ProtocolError("frame_too_large", f"{what + ': ' if what else ''}{exc}; the daemon refuses frames "
                                               "that large") from None
    except (OSError, ValueError) as exc:
        if temporary:  # the bytes a client sent, in a file of ours: its name means nothing to them
            raise ProtocolError("bad_frame", f"cannot read {what or 'the encoded frame'}: "
                                             f"{str(exc).replace(f'image {path!r}: ', '').replace(path, 'the bytes')}"
                                ) from None
        raise ProtocolError("bad_frame", f"cannot read {what + ' (' + path + ')' if what else 'frame ' + path}: "
                                         f"{exc}") from None


def decode_bytes(data: bytes | memoryview, fmt: str, limits: Limits | None = None, window: str = "union",
                 what: str = "") -> np.ndarray:
    """``decode_bytes_boxes``' pixels."""
    return decode_bytes_boxes(data, fmt, limits, window, what)[0]


def decode_bytes_boxes(data: bytes | memoryview, fmt: str, limits: Limits | None = None, window: str = "union",
                       what: str = "") -> tuple[np.ndarray, tuple[Box, Box], bool]:
    """Decode an encoded image (EXR, PNG...) from memory, read only by ``fmt``'s reader (``read_path_boxes``'
    ``window``; errors name ``what``, default "encoded FMT frame", never the temporary file)."""
    limits = limits or Limits()
    view = memoryview(data)
    if view.nbytes > limits.max_encoded:
        raise ProtocolError("frame_too_large", f"encoded {fmt} frame of {view.nbytes} bytes is over the "
                                               f"{limits.max_encoded}-byte limit (max_encoded_bytes)")
    try:
        check_magic(bytes(view[:16]), EXTENSIONS[fmt], f"encoded {fmt} frame")
    except ValueError as exc:
        raise ProtocolError("bad_frame", str(exc)) from None
    fd, tmp = tempfile.mkstemp(suffix=EXTENSIONS[fmt])
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return read_path_boxes(tmp, limits, window, what or f"encoded {fmt} frame", temporary=True)
    finally:
        os.unlink(tmp)


def encode_pixels(pixels: np.ndarray, fmt: str, windows: tuple[Box, Box] | None = None,
                  straight: bool = False) -> bytes:
    """Encode (H, W, C) pixels as an image file's bytes (EXR keeps half/float and holds 8/16-bit code
    values as float, exactly; PNG/TIFF keep 8/16 bit; JPEG is a preview, 8 bit).

    A lossless format asked for that cannot hold the pixels is refused (``TaskInputError``), not
    clipped: float frames as PNG (values above 1 were clipped to 8 bit). Every step is checked
    (``inference_server.writers``): a full temporary folder raises ``WriteFailed`` instead of sending
    undecodable bytes, and JPEG never reaches libjpeg's process-ending error handler. ``windows``: an
    EXR's (data window, display window), the plate's: an overscan result keeps its overscan.
    ``straight``: the pixels' alpha is straight, as their plate's file stored it (``writers.store_straight``).
    """
    if fmt == "png" and pixels.dtype.kind == "f":
        raise TaskInputError(f"the reply was asked for as PNG, which holds 8 or 16-bit code values, but this "
                             f"task's frames are {pixels.dtype} (values above 1 would be clipped); ask for exr or tiff")
    return encode_bytes(np.ascontiguousarray(pixels), fmt, EXTENSIONS[fmt], windows if fmt == "exr" else None,
                        straight)


def check_pixels(pixels: np.ndarray, what: str, policy: NanPolicy) -> None:
    """Refuse NaN/Inf in float frames when the task's policy says so."""
    if policy == "reject" and pixels.dtype.kind == "f" and not np.isfinite(pixels).all():
        bad = int((~np.isfinite(pixels)).sum())
        raise ProtocolError("bad_pixels", f"{what} has {bad} NaN or infinite value(s); this task refuses them")


class LazyFrames(FrameSeq):
    """Frames loaded on first access, with a small cache; pixels checked as they load. A loader
    returns the pixels, or the pixels, (region read, display window) and whether its alpha is straight,
    of a file: ``boxes(i)`` (``windows.AlignedFrames`` reads them; the frame's own size where it has
    none) and ``straight(i)`` (a reply encoded from it stores its alpha as the file did)."""

    def __init__(self, loaders: list[Callable[[], Loaded]], numbers: list[int], spaces: list[str],
                 names: list[str], policy: NanPolicy, cache: int = 8,
                 probes: list[Callable[[], tuple[Box, Box] | None]] | None = None) -> None:
        self._loaders, self.numbers, self._spaces, self._names = loaders, numbers, spaces, names
        self._probes = probes or []  # a frame's boxes without its pixels, where that is cheap (None: load it)
        self._policy = policy
        self._cache: OrderedDict[int, Frame] = OrderedDict()
        self._boxes: dict[int, tuple[Box, Box]] = {}
        self._straight: dict[int, bool] = {}
        self._size = cache
        self._lock = threading.Lock()    # a task may read frames from two threads (object removal)

    def __len__(self) -> int:
        return len(self._loaders)

    def _frame(self, i: int) -> Frame:
        with self._lock:
            if i in self._cache:
                self._cache.move_to_end(i)
                return self._cache[i]
            got = self._loaders[i]()
            pixels, boxes, straight = got if isinstance(got, tuple) else (got, None, False)
            self._straight[i] = straight
            check_pixels(pixels, self._names[i], self._policy)
            frame = Frame(pixels, self.numbers[i], self._spaces[i])
            h, w = frame.pixels.shape[:2]
            self._boxes[i] = boxes or ((0, 0, w, h), (0, 0, w, h))
            self._cache[i] = frame
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
            return frame

    def straight(self, i: int) -> bool:
        """Whether frame ``i`` was read from a file with a straight (unassociated) alpha."""
        if i not in self._straight:
            self[i]
        return self._straight[i]

    def boxes(self, i: int) -> tuple[Box, Box]:
        """(region read, display window) of frame ``i``: from its header or its shape where that is
        cheap (a plate's windows are asked for every matte frame), else read once to learn them."""
        if i not in self._boxes and 0 <= i < len(self._probes):
            found = self._probes[i]()
            if found is not None:
                self._boxes[i] = found
        if i not in self._boxes:
            self[i]
        return self._boxes[i]


Loaded = np.ndarray | tuple[np.ndarray, tuple[Box, Box], bool]


def build_inputs(descs: dict[str, list[dict[str, Any]]], parts: Sequence[Any],
                 attach: Callable[[str], Any], policy: NanPolicy, limits: Limits | None = None,
                 mattes: frozenset[str] = frozenset(), plate: str = "") -> dict[str, FrameSeq]:
    """Turn validated descriptors into lazy frame sequences. Buffer sizes are checked here.

    ``attach(name)`` opens a shared-memory segment (an ``inference_server.shm_cache.Segment``),
    raising ProtocolError when it can't; its pixels are copied out when the task reads them.
    ``mattes``: the ports whose files are read to their display window (a Nuke Roto's EXR holds the
    stroke's bounding box, which may run off the frame: read whole, it was a frame of another size),
    then placed in ``plate``'s frames (``windows.AlignedFrames``): an overscan plate is read with its
    overscan, and its mattes, the frame's size, are laid where their windows put them in it.
    """
    out: dict[str, FrameSeq] = {}
    for port, items in descs.items():
        loaders: list[Callable[[], Loaded]] = []
        probes: list[Callable[[], tuple[Box, Box] | None]] = []
        window = "display" if port in mattes else "union"
        for k, d in enumerate(items):
            what = f"input {port!r} frame {d.get('number', k)}"
            loaders.append(_loader(d, parts, attach, what, limits or Limits(), window))
            probes.append(_probe(d, window))
        out[port] = LazyFrames(loaders, [int(d.get("number", 0)) for d in items],
                               [str(d.get("colour_space", "")) for d in items],
                               [f"input {port!r} frame {d.get('number', 0)}" for d in items], policy, probes=probes)
    if plate in out:
        for port in mattes & set(out):
            out[port] = AlignedFrames(out[port], out[plate])
    return out


def _probe(d: dict[str, Any], window: str) -> Callable[[], tuple[Box, Box] | None]:
    """How to learn a frame's (region, display window) without decoding it: a buffer's shape, a path's
    header; None for encoded bytes (decoded to learn them) or a header that does not read (the load
    names the fault)."""
    if d["where"] in ("part", "shm"):
        h, w = int(d["shape"][0]), int(d["shape"][1])
        return lambda: ((0, 0, w, h), (0, 0, w, h))
    if d["where"] == "path":
        path = d["path"]

        def header() -> tuple[Box, Box] | None:
            try:
                return read_boxes(path, window)
            except (OSError, ValueError):
                return None
        return header
    return lambda: None


def _loader(d: dict[str, Any], parts: Sequence[Any], attach: Callable[[str], Any], what: str,
            limits: Limits, window: str = "union") -> Callable[[], Loaded]:
    """How to load one frame. Paths must have been checked by the caller (allowed roots, existence)."""
    where = d["where"]
    if where == "path":
        path = d["path"]
        return lambda: read_path_boxes(path, limits, window, what)
    if where == "encoded":
        buf = parts[d["encoded"]["part"]]
        fmt = d["encoded"]["format"]
        if memoryview(buf).nbytes > limits.max_encoded:
            raise ProtocolError("frame_too_large", f"{what}: encoded {fmt} part of {memoryview(buf).nbytes} bytes "
                                                   f"is over the {limits.max_encoded}-byte limit")

        try:  # a foreign file is refused at once, from its first bytes
            check_magic(bytes(memoryview(buf)[:16]), EXTENSIONS[fmt], f"{what}: encoded {fmt} bytes")
        except ValueError as exc:
            raise ProtocolError("bad_frame", str(exc)) from None
        return lambda: decode_bytes_boxes(buf, fmt, limits, window, what)
    shape, dtype = tuple(d["shape"]), d["dtype"]
    if shape[0] * shape[1] > limits.max_pixels:
        raise ProtocolError("frame_too_large", f"{what}: {shape[1]}x{shape[0]} is over the "
                                               f"{limits.max_pixels}-pixel limit")
    need = frame_nbytes(shape, dtype)
    if where == "part":
        buf = memoryview(parts[d["part"]])
        if buf.nbytes != need:
            raise ProtocolError("bad_frame", f"{what}: buffer has {buf.nbytes} bytes but shape {list(shape)} "
                                             f"{dtype} needs {need}")
        arr = np.frombuffer(buf, dtype=dtype).reshape(shape)
        return lambda: arr
    name = d["shm"]["name"]
    seg = attach(name)
    off = int(d["shm"].get("offset", 0))
    size = seg.size
    if off + need > size:
        raise ProtocolError("shm_error", f"{what}: shared-memory segment {name!r} holds {size} "
                                         f"bytes, too small for {need} bytes at offset {off}")

    def load() -> np.ndarray:
        try:
            return seg.read(off, shape, dtype)
        except (SegmentError, OSError) as exc:  # shrunk or closed since the request was accepted
            raise ProtocolError("shm_error", f"{what}: {exc}") from None
    return load
