"""Built-in task: hands the frames back untouched (connection checks, benchmarks, cancel drills)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from inference_server.frames import Frame
from inference_server.tasks.base import Param, Port, TaskContext, TaskManifest

MANIFEST = TaskManifest(
    name="echo",
    label="Echo",
    description="Returns the frames it is sent, unchanged; for checking the connection.",
    inputs=(Port("plate", "Source"),),
    outputs=(Port("result", "Result"),),
    params=(Param("delay", "float", 0.0, "Wait per frame (s)",
                  "Seconds to wait before returning each frame, to rehearse progress and cancel.", 0.0, 10.0),),
    nan_policy="allow",
    long_running=False,
)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates = inputs["plate"]
    for i in range(len(plates)):
        end = time.monotonic() + params["delay"]
        while time.monotonic() < end:
            ctx.check_cancelled()
            time.sleep(min(0.02, max(0.0, end - time.monotonic())))
        ctx.check_cancelled()
        ctx.emit("result", plates[i])
        ctx.progress(i + 1, len(plates), f"frame {plates[i].number}")
    return {"frames": len(plates)}
