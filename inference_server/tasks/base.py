"""What every task module provides: a manifest, typed parameters, and a run function.

A task module (``inference_server/tasks/<name>.py``) defines::

    MANIFEST = TaskManifest(...)
    def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any],
            ctx: TaskContext) -> dict[str, Any]: ...

Importing a task module must be cheap: heavy libraries (torch, onnxruntime, cv2,
OpenImageIO) are imported inside ``run`` or the engines it calls.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inference_server.frames import Frame, NanPolicy, TaskInputError

ParamType = Literal["int", "float", "bool", "choice", "string"]
PortKind = Literal["frames", "matte", "blob"]


class Cancelled(Exception):
    """The job was cancelled by the client (raised by ``TaskContext.check_cancelled``)."""


@dataclass(frozen=True)
class Param:
    """One typed parameter, described in the artist's words."""

    name: str
    type: ParamType
    default: Any
    label: str
    tooltip: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "default": self.default,
            "label": self.label, "tooltip": self.tooltip, "min": self.min,
            "max": self.max, "choices": list(self.choices),
        }

    def coerce(self, value: Any) -> Any:
        """Return ``value`` as this parameter's type, or raise TaskInputError naming it."""
        where = f"parameter {self.name!r}"
        if self.type == "bool":
            if not isinstance(value, bool):
                raise TaskInputError(f"{where} must be true or false, got {value!r}")
            return value
        if self.type in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TaskInputError(f"{where} must be a number, got {value!r}")
            if self.type == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise TaskInputError(f"{where} must be a whole number, got {value!r}")
                value = int(value)
            else:
                value = float(value)
                if not math.isfinite(value):
                    raise TaskInputError(f"{where} must be finite, got {value!r}")
            if self.min is not None and value < self.min:
                raise TaskInputError(f"{where} is {value}, below its minimum {self.min}")
            if self.max is not None and value > self.max:
                raise TaskInputError(f"{where} is {value}, above its maximum {self.max}")
            return value
        if not isinstance(value, str):
            raise TaskInputError(f"{where} must be text, got {value!r}")
        if self.type == "choice" and value not in self.choices:
            raise TaskInputError(f"{where} is {value!r}; choose one of {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class Port:
    """A named input or output of a task."""

    name: str
    label: str
    kind: PortKind = "frames"
    optional: bool = False
    tooltip: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "optional": self.optional, "tooltip": self.tooltip}


@dataclass(frozen=True)
class TaskManifest:
    """What a task takes and gives, readable without loading any weights."""

    name: str
    label: str
    description: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    params: tuple[Param, ...] = ()
    nan_policy: NanPolicy = "reject"
    long_running: bool = True

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "description": self.description,
            "inputs": [p.to_wire() for p in self.inputs],
            "outputs": [p.to_wire() for p in self.outputs],
            "params": [p.to_wire() for p in self.params],
            "nan_policy": self.nan_policy, "long_running": self.long_running,
        }

    def validate_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults and coerce; unknown names are refused by name."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise TaskInputError(
                f"task {self.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"it takes {', '.join(known) or 'none'}")
        return {name: p.coerce(raw[name]) if name in raw else p.default
                for name, p in known.items()}

    def validate_inputs(self, names: Sequence[str]) -> None:
        """Check the input port names given against the manifest."""
        ports = {p.name: p for p in self.inputs}
        unknown = sorted(set(names) - set(ports))
        if unknown:
            raise TaskInputError(
                f"task {self.name!r} has no input {', '.join(map(repr, unknown))}; "
                f"it takes {', '.join(ports)}")
        missing = [p.name for p in self.inputs if not p.optional and p.name not in names]
        if missing:
            raise TaskInputError(f"task {self.name!r} needs input {', '.join(map(repr, missing))}")


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
