"""Frames a host sends and receives. Works without numpy; uses it when present."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from hostbridge.protocol import DTYPES, ENCODINGS, frame_nbytes

BufferLike = Union[bytes, bytearray, memoryview]


@dataclass
class FrameIn:
    """One input frame: raw pixels, encoded file bytes, or a path the daemon can read."""

    kind: str                      # "buffer" | "encoded" | "path"
    number: int = 0
    colour_space: str = ""
    data: Optional[Any] = None     # buffer-protocol object (bytes, memoryview, numpy array)
    shape: Optional[Tuple[int, int, int]] = None
    dtype: Optional[str] = None
    fmt: Optional[str] = None      # encoded format
    path: Optional[str] = None


def path_frame(path: str, number: int = 0, colour_space: str = "") -> FrameIn:
    """A frame the daemon reads itself (same machine, or a shared filesystem). A relative path
    is made absolute here: it means this process's working directory, not the daemon's."""
    return FrameIn("path", number, colour_space, path=os.path.abspath(str(path)))


def encoded_frame(data: BufferLike, fmt: str = "exr", number: int = 0, colour_space: str = "") -> FrameIn:
    """A frame as the bytes of an image file (e.g. an EXR a host rendered)."""
    if fmt not in ENCODINGS:
        raise ValueError(f"encoded format {fmt!r} is not supported; use one of {', '.join(ENCODINGS)}")
    return FrameIn("encoded", number, colour_space, data=data, fmt=fmt)


# file extensions a host may send as encoded bytes, and their wire format names
ENCODED_EXTENSIONS = {".exr": "exr", ".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx",
                      ".jpg": "jpg", ".jpeg": "jpg"}


def file_frame(path: str, number: int = 0, colour_space: str = "", by_path: bool = True) -> FrameIn:
    """An image file as a frame: its path when the daemon can read it (``by_path``: same machine
    or a shared filesystem; ``hostbridge.local.send_by_path`` decides it), else the file's bytes,
    encoded as its extension says. FileNotFoundError names a missing file; ValueError an
    extension that cannot travel as bytes."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"frame {number}: {path} does not exist")
    if by_path:
        return path_frame(path, number, colour_space)
    ext = os.path.splitext(path)[1].lower()
    if ext not in ENCODED_EXTENSIONS:
        raise ValueError(f"{path}: the daemon is on another machine and {ext or 'this file type'} cannot be sent "
                         f"as encoded bytes (use {', '.join(sorted(ENCODED_EXTENSIONS))})")
    with open(path, "rb") as fh:
        return encoded_frame(fh.read(), ENCODED_EXTENSIONS[ext], number, colour_space)


def buffer_frame(data: Any, shape: Sequence[int], dtype: str, number: int = 0, colour_space: str = "") -> FrameIn:
    """Raw HWC pixels in any buffer-protocol object, with their shape and dtype."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not supported; use one of {', '.join(DTYPES)}")
    if len(shape) != 3:
        raise ValueError(f"shape must be (H, W, C), got {tuple(shape)}")
    h, w, c = (int(s) for s in shape)
    nbytes = memoryview(data).nbytes
    if nbytes != frame_nbytes((h, w, c), dtype):
        raise ValueError(f"buffer has {nbytes} bytes but shape {(h, w, c)} {dtype} needs "
                         f"{frame_nbytes((h, w, c), dtype)}")
    return FrameIn("buffer", number, colour_space, data=data, shape=(h, w, c), dtype=dtype)


def array_frame(array: Any, number: int = 0, colour_space: str = "") -> FrameIn:
    """A numpy (H, W, C) or (H, W) array as a frame (made contiguous if needed)."""
    import numpy as np

    arr = np.ascontiguousarray(array)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return buffer_frame(arr, arr.shape, arr.dtype.name, number, colour_space)


def as_frame_in(value: Any, number: int = 0) -> FrameIn:
    """Accept a FrameIn, or anything array-like with ``shape`` and ``dtype`` (numpy)."""
    if isinstance(value, FrameIn):
        return value
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return array_frame(value, number)
    raise TypeError(f"cannot send {type(value).__name__} as a frame; use hostbridge.frames helpers")


@dataclass
class FrameOut:
    """One output frame from the daemon: raw pixels (``data``) or encoded file bytes."""

    output: str
    number: int
    colour_space: str
    shape: Optional[Tuple[int, int, int]]
    dtype: Optional[str]
    encoded: Optional[str]
    data: Any = field(repr=False, default=b"")  # bytes-like; from shared memory a view valid until the next request

    def array(self) -> Any:
        """The pixels as a numpy (H, W, C) array (needs numpy; raw frames only)."""
        import numpy as np

        if self.encoded:
            raise ValueError(f"frame {self.number} is encoded as {self.encoded}; decode the bytes instead")
        assert self.shape is not None and self.dtype is not None
        return np.frombuffer(self.data, dtype=self.dtype).reshape(self.shape)


@dataclass
class Result:
    """What a finished ``run`` gives back."""

    summary: Dict[str, Any] = field(default_factory=dict)
    frames: Dict[str, List[FrameOut]] = field(default_factory=dict)
    blobs: Dict[str, bytes] = field(default_factory=dict)
