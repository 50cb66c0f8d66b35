"""Task: match a shot to a hero shot as an ASC CDL (no pairs needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference_server.tasks.base import Frame, Param, Port, TaskContext, TaskInputError, TaskManifest
from inference_server.tasks.look_fit import input_space

MAX_FRAMES = 8

MANIFEST = TaskManifest(
    name="shot_match",
    label="Shot Match",
    description="Make a shot look like a hero shot: a plausible primary grade as an ASC CDL "
                "(statistics matched in ACEScct), plus the same grade baked as a .cube.",
    inputs=(Port("shot", "Shot to match"), Port("hero", "Hero shot")),
    outputs=(Port("match.cc", "ASC CDL (.cc)", "blob"), Port("match.ccc", "ASC CDL collection (.ccc)", "blob"),
             Port("match.cdl", "ASC CDL list (.cdl)", "blob"), Port("match.cube", "3D LUT (.cube)", "blob")),
    params=(
        Param("in_space", "string", "", "Input colour space",
              "OCIO built-in config name of both shots; empty: the frames' own, else ACEScct"),
        Param("working_space", "string", "ACEScct", "Working space", "Where the CDL acts"),
        Param("lut_size", "int", 33, "LUT size", "Points per side of the baked 3D LUT", 9, 65),
    ),
    nan_policy="reject",
    long_running=False,
)


def _spread(frames: Sequence[Frame]) -> list[Frame]:
    """Up to MAX_FRAMES frames evenly spread over a (possibly lazy) sequence."""
    n = len(frames)
    if n <= MAX_FRAMES:
        return [frames[i] for i in range(n)]
    return [frames[round(i * (n - 1) / (MAX_FRAMES - 1))] for i in range(MAX_FRAMES)]


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    from inference_server.engines.look import files
    from inference_server.engines.look.fit import bake_cdl
    from inference_server.engines.look.match import match_shot
    from inference_server.engines.look.summary import describe_cdl, summary_text

    if len(inputs["shot"]) == 0 or len(inputs["hero"]) == 0:
        raise TaskInputError("shot_match needs at least one shot frame and one hero frame")
    shot = _spread(inputs["shot"])
    ctx.progress(1, 3, "shot frames read")
    ctx.check_cancelled()
    hero = _spread(inputs["hero"])
    ctx.progress(2, 3, "hero frames read")
    in_space = input_space(shot[:1] + hero[:1], str(params["in_space"]))
    try:
        cdl, stats = match_shot([f.pixels for f in shot], [f.pixels for f in hero], in_space,
                                str(params["working_space"]))
        baked = bake_cdl(cdl, in_space, str(params["working_space"]), int(params["lut_size"]))
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    desc = f"Rushes shot match; input {baked.in_space}; CDL in {baked.working_space}"
    for ext in (".cc", ".ccc", ".cdl"):
        ctx.emit_blob(f"match{ext}", files.cdl_text(cdl, ext, desc).encode())
    ctx.emit_blob("match.cube", files.cube_text(baked.lut, "Rushes shot match", baked.shaper, (desc,)).encode())
    ctx.progress(3, 3, "done")
    info = describe_cdl(cdl, baked.working_space)
    return {**info, "in_space": baked.in_space, "statistics": stats, "text": summary_text(info)}
