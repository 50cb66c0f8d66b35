"""What every task module provides: a manifest, typed parameters, and a run function.

The manifest types (``Param``, ``Port``, ``TaskManifest``) are hostbridge's (``hostbridge/manifest.py``),
shared with the hosts; this module adds the daemon's side: TaskInputError, frames, the context.

A task module (``inference_server/tasks/<name>.py``) defines::

    MANIFEST = TaskManifest(...)
    def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any],
            ctx: TaskContext) -> dict[str, Any]: ...

Importing a task module must be cheap: heavy libraries (torch, onnxruntime, cv2,
OpenImageIO) are imported inside ``run`` or the engines it calls.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from hostbridge import manifest
from hostbridge.manifest import Param as Param  # the tasks' declarations use hostbridge's types
from hostbridge.manifest import Port as Port

NanPolicy = Literal["reject", "allow"]

ALLOWED_DTYPES = ("uint8", "uint16", "float16", "float32")


class TaskInputError(ValueError):
    """The request's inputs or parameters are wrong; the message names what and why."""


class Cancelled(Exception):
    """The job was cancelled by the client (raised by ``TaskContext.check_cancelled``)."""


class TaskManifest(manifest.TaskManifest):
    """hostbridge's manifest, with its checks raising the daemon's TaskInputError."""

    def validate_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults and check types, ranges and choices; unknown names are refused by name."""
        try:
            return self.check_params(raw)
        except ValueError as exc:
            raise TaskInputError(str(exc)) from None

    def validate_inputs(self, names: Sequence[str]) -> None:
        """Check the input port names given against the manifest."""
        try:
            self.check_inputs(names)
        except ValueError as exc:
            raise TaskInputError(str(exc)) from None


@dataclass
class Frame:
    """One image: ``pixels`` is (H, W, C) uint8/uint16/float16/float32, HWC layout."""

    pixels: np.ndarray
    number: int = 0
    colour_space: str = ""

    def __post_init__(self) -> None:
        p = self.pixels
        if p.ndim == 2:
            self.pixels = p = p[:, :, None]
        if p.ndim != 3 or p.shape[2] < 1:
            raise TaskInputError(f"frame {self.number} has shape {p.shape}; expected (H, W, C)")
        if p.dtype.name not in ALLOWED_DTYPES:
            raise TaskInputError(f"frame {self.number} has dtype {p.dtype}; "
                                 f"expected one of {', '.join(ALLOWED_DTYPES)}")


class FrameSeq(Sequence[Frame]):
    """A sequence that builds each frame when asked: subclasses give ``__len__`` and ``_frame(i)``.

    Handles slices, negative indices and the range check once for every lazy sequence.
    """

    @abstractmethod
    def _frame(self, i: int) -> Frame:
        """Frame ``i``, with ``0 <= i < len(self)`` already checked."""

    @overload
    def __getitem__(self, i: int) -> Frame: ...
    @overload
    def __getitem__(self, i: slice) -> list[Frame]: ...

    def __getitem__(self, i: int | slice) -> Frame | list[Frame]:
        if isinstance(i, slice):
            return [self._frame(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame index {i} out of range for {n} frame(s){self._where()}")
        return self._frame(i)

    def _where(self) -> str:
        return ""


def to_float(pixels: np.ndarray) -> np.ndarray:
    """Integer code values to float32 0-1 (uint8 /255, uint16 /65535); floats as float32."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / np.float32(255.0)
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / np.float32(65535.0)
    return pixels.astype(np.float32, copy=False)


def from_float(pixels: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
    """Inverse of ``to_float``: round and clip into integer types, cast floats.

    Raises ValueError on NaN or infinite values: casting them would silently give black.
    """
    dt = np.dtype(dtype)
    if not np.isfinite(pixels).all():
        raise ValueError(f"from_float: {int((~np.isfinite(pixels)).sum())} NaN or infinite value(s) would be "
                         f"written as {dt}; the engine that made them is at fault")
    if dt == np.uint8:
        return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    if dt == np.uint16:
        return np.clip(np.rint(pixels * 65535.0), 0, 65535).astype(np.uint16)
    return pixels.astype(dt)


@dataclass
class TaskContext:
    """What a running task may use: progress, cancellation, streamed outputs, the store."""

    device: str = "cpu"
    store: Path | None = None
    project: str | None = None
    on_progress: Callable[[int, int, str], None] | None = None
    on_frame: Callable[[str, Frame], None] | None = None
    on_blob: Callable[[str, bytes], None] | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    def progress(self, done: int, total: int, message: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, message)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled by the client")

    def emit(self, output: str, frame: Frame) -> None:
        """Hand one finished output frame back (streamed to the client as it comes)."""
        if self.on_frame is not None:
            self.on_frame(output, frame)
        else:
            self.frames.setdefault(output, []).append(frame)

    def emit_blob(self, name: str, data: bytes) -> None:
        """Hand back a named file's bytes (a LUT, a CDL, a report)."""
        if self.on_blob is not None:
            self.on_blob(name, data)
        else:
            self.blobs[name] = data
