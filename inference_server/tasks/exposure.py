"""Built-in task: an exposure change in stops (scene-linear multiply by 2**stops)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inference_server.frames import Frame, from_float, to_float
from inference_server.tasks.base import Param, Port, TaskContext, TaskManifest

MANIFEST = TaskManifest(
    name="exposure",
    label="Exposure",
    description="Brighten or darken a plate by whole or fractional stops (scene-linear gain).",
    inputs=(Port("plate", "Source"),),
    outputs=(Port("result", "Result"),),
    params=(Param("stops", "float", 0.0, "Exposure (stops)",
                  "Positive brightens, negative darkens; one stop doubles the light.", -10.0, 10.0),),
    nan_policy="reject",
    long_running=False,
)


def apply_exposure(pixels: np.ndarray, stops: float) -> np.ndarray:
    """Multiply (H, W, C) pixels by 2**stops, keeping the dtype (integers are clipped)."""
    if pixels.ndim != 3:
        raise ValueError(f"apply_exposure expects (H, W, C) pixels, got shape {pixels.shape}")
    gain = np.float32(2.0 ** stops)
    return from_float(to_float(pixels) * gain, pixels.dtype)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates = inputs["plate"]
    for i, frame in enumerate(plates):
        ctx.check_cancelled()
        ctx.emit("result", Frame(apply_exposure(frame.pixels, params["stops"]), frame.number, frame.colour_space))
        ctx.progress(i + 1, len(plates), f"frame {frame.number}")
    return {"frames": len(plates), "stops": params["stops"]}
