"""Task: match a shot to a hero shot as an ASC CDL (no pairs needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference_server.engines.look import files
from inference_server.engines.look.balance import BalanceModel, auto_balance
from inference_server.engines.look.fit import bake_cdl
from inference_server.engines.look.match import match_shot
from inference_server.engines.look.summary import balance_line, describe_cdl, summary_text
from inference_server.frames import Frame
from inference_server.tasks.base import Param, Port, TaskContext, TaskInputError, TaskManifest
from inference_server.tasks.look_fit import input_space

MAX_FRAMES = 8

MANIFEST = TaskManifest(
    name="shot_match",
    label="Shot Match",
    description="Make a shot look like a hero shot: a plausible primary grade as an ASC CDL "
                "(statistics matched in ACEScct), plus the same grade baked as a .cube. With a two-layer "
                "look's balance model instead of a hero: the shot's balance (node 1) before that look.",
    inputs=(Port("shot", "Shot to match"),
            Port("hero", "Hero shot", optional=True, tooltip="Not needed when balance_model is given")),
    outputs=(Port("match.cc", "ASC CDL (.cc)", "blob"), Port("match.ccc", "ASC CDL collection (.ccc)", "blob"),
             Port("match.cdl", "ASC CDL list (.cdl)", "blob"), Port("match.cube", "3D LUT (.cube)", "blob")),
    params=(
        Param("in_space", "string", "", "Input colour space",
              "OCIO built-in config name of both shots; empty: the frames' own, else ACEScct"),
        Param("working_space", "string", "ACEScct", "Working space", "Where the CDL acts"),
        Param("lut_size", "int", 33, "LUT size", "Points per side of the baked 3D LUT", 9, 65),
        Param("balance_model", "string", "", "Look balance model",
              "The balance_model (JSON) of a two-layer look_fit result: balance the shot for that look "
              "(exposure and white balance only) instead of matching a hero"),
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
    if str(params.get("balance_model", "")):
        return _balance_for_look(inputs, params, ctx)
    if len(inputs["shot"]) == 0 or len(inputs.get("hero", ())) == 0:
        raise TaskInputError("shot_match needs at least one shot frame and one hero frame "
                             "(or a look's balance_model)")
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


def _balance_for_look(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any],
                      ctx: TaskContext) -> dict[str, Any]:
    """The shot's balance for a two-layer look: the estimator look_fit learned from its heroes."""
    import json

    if inputs.get("hero"):
        raise TaskInputError("shot_match takes a hero or a balance_model, not both")
    if len(inputs["shot"]) == 0:
        raise TaskInputError("shot_match needs at least one shot frame")
    try:
        model = BalanceModel.from_dict(json.loads(str(params["balance_model"])))
    except (json.JSONDecodeError, ValueError) as exc:
        raise TaskInputError(f"balance_model is not a look's balance model ({exc}); pass look_fit's "
                             "result['balance_model'] as JSON") from exc
    shot = _spread(inputs["shot"])
    ctx.progress(1, 2, "shot frames read")
    in_space = input_space(shot[:1], str(params["in_space"]))
    try:
        cdl = auto_balance([f.pixels for f in shot], model, in_space, "rushes_balance")
        baked = bake_cdl(cdl, in_space, model.working_space, int(params["lut_size"]))
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    info = describe_cdl(cdl, baked.working_space)
    line = balance_line(info, "Balance")
    desc = f"Rushes balance for a two-layer look (node 1, before the look's LUT); {line.split(': ', 1)[1]}"
    for ext in (".cc", ".ccc", ".cdl"):
        ctx.emit_blob(f"match{ext}", files.cdl_text(cdl, ext, desc).encode())
    ctx.emit_blob("match.cube", files.cube_text(baked.lut, "Rushes balance", baked.shaper, (desc,)).encode())
    ctx.progress(2, 2, "done")
    return {**info, "in_space": baked.in_space, "mode": "look balance", "balance_model": model.to_dict(),
            "text": line + "\n" + summary_text(info)}
