"""Task: a soft foreground matte per frame, from the difference against the shot's clean plate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inference_server.engines.cleanplate.matte import foreground_matte
from inference_server.engines.cleanplate.plate import build_clean_plate, reproject
from inference_server.frames import Frame, from_float
from inference_server.tasks.base import Param, Port, TaskContext, TaskInputError, TaskManifest
from inference_server.tasks.clean_plate import (
    MOTION,
    PARALLAX,
    REFERENCE,
    REJECTION,
    FloatFrames,
    check_plate,
    reference_index,
)

MANIFEST = TaskManifest(
    name="foreground_matte",
    label="Foreground Matte",
    description="Pulls a soft matte of everything that moves against the background (actors, vehicles, "
                "their shadows) for background replacement: the shot's clean plate is built, lined up on "
                "each frame, compared, and the matte edge snapped to the picture with a guided filter.",
    inputs=(Port("plate", "Source"),),
    outputs=(Port("matte", "Foreground Matte", "matte", tooltip="1 over the foreground, 0 over the background."),),
    params=(REFERENCE, MOTION, REJECTION,
            Param("max_frames", "int", 32, "Frames sampled",
                  "Frames voted into the clean plate, spread evenly over the range.", 2, 200),
            PARALLAX,
            Param("sensitivity", "float", 1.0, "Sensitivity",
                  "Higher catches fainter differences (and more noise); lower keeps only clear foreground.",
                  0.25, 4.0),
            Param("softness", "float", 0.5, "Matte softness",
                  "0 gives a hard-edged matte; 1 a wide soft edge that follows hair and motion blur.", 0.0, 1.0),
            Param("tolerance", "int", 1, "Misalignment tolerance (px)",
                  "Background detail this many pixels off is still background.", 0, 4)),
    nan_policy="reject",
)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates = inputs["plate"]
    check_plate(plates)
    ref = reference_index(plates, params["reference"])
    frames = FloatFrames(plates)
    n = len(plates)

    def progress(done: int, total: int, msg: str) -> None:
        ctx.check_cancelled()
        ctx.progress(done, total + n, f"clean plate: {msg}")

    try:
        plate = build_clean_plate(frames, ref, model=params["motion"], max_frames=params["max_frames"],
                                  rejection=params["rejection"], refine=params["parallax"], canvas="shot",
                                  progress=progress)
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    base = len(plate.used) * (2 if params["parallax"] else 1)
    coverage = []
    for i in range(n):
        ctx.check_cancelled()
        src = plates[i]
        clean, known = reproject(plate, i, frames[i], refine=params["parallax"])
        matte = foreground_matte(frames[i], clean, known, sensitivity=params["sensitivity"],
                                 softness=params["softness"], tolerance=params["tolerance"])
        coverage.append(float((matte > 0.5).mean()))
        ctx.emit("matte", Frame(from_float(matte[:, :, None], src.pixels.dtype), src.number, ""))
        ctx.progress(base + i + 1, base + n, f"frame {src.number}")
    return {"frames": n, "reference_frame": plates[ref].number,
            "mean_foreground_percent": round(100.0 * float(np.mean(coverage)), 3),
            "never_seen_percent": round(100.0 * float((~plate.seen).mean()), 3),
            **plate.alignment.to_summary()}
