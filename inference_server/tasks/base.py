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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostbridge import manifest
from hostbridge.manifest import Param as Param  # the tasks' declarations use hostbridge's types
from hostbridge.manifest import Port as Port
from inference_server.frames import Frame, TaskInputError


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


def frame_numbers(frames: Sequence[Frame]) -> list[int]:
    """The frame numbers of ``frames`` (a lazy sequence's ``numbers``, read without its pixels)."""
    known = getattr(frames, "numbers", None)
    return list(known) if known is not None else [f.number for f in frames]


def check_paired(what: str, mattes: Sequence[Frame], plates: Sequence[Frame]) -> None:
    """TaskInputError unless ``mattes`` (the hint, the matte: as many frames as ``plates``) pair with
    the plate's frames: numbered as the plate's, frame by frame. A matte whose frames all carry one
    number, or 0, 1, 2... (a client that numbers none of them: hostbridge numbers bare arrays so)
    pairs in order. Paired in order regardless, a matte
    rendered from 1002 for a plate from 1001 was laid one frame late over the whole shot, silently."""
    ours, theirs = frame_numbers(mattes), frame_numbers(plates)
    if len(set(ours)) <= 1 or ours == theirs or ours == list(range(len(ours))):
        return  # one number, or hostbridge's own 0, 1, 2... for arrays sent without numbers: in order
    k = next(k for k, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
    raise TaskInputError(f"the {what}'s frame {ours[k]} would be laid over plate frame {theirs[k]} (the {what} runs "
                         f"{ours[0]}-{ours[-1]}, the plate {theirs[0]}-{theirs[-1]}); number the {what}'s frames as "
                         f"the plate's, or all alike to pair them in order")


def check_like_first(frame: Frame, first: tuple[tuple[int, ...], Any]) -> None:
    """TaskInputError naming ``frame`` unless its pixels have the (shape, dtype) of the plate's first
    frame, ``first``: a 16-bit frame in an 8-bit shot, written back as 8-bit, would lose its depth and
    change outside the repair."""
    px = frame.pixels
    if (px.shape, px.dtype) != first:
        (h, w, c), dt = first
        raise TaskInputError(f"plate frame {frame.number} is {px.shape[1]}x{px.shape[0]} with {px.shape[2]} "
                             f"channel(s) of {px.dtype}, unlike the first frame's {w}x{h} with {c} of {dt}")

