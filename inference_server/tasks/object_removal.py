"""Task: remove an object or rig under a roto matte, frame by frame, over a moving camera."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.qc import fill_check, qc_report
from inference_server.engines.cleanplate.removal import (
    Gathered,
    Removal,
    default_margin,
    gather,
    grow,
    remove_in_order,
    remove_object,
)
from inference_server.engines.cleanplate.structure import KeyFills
from inference_server.engines.wire.spatial import fill_spatial
from inference_server.frames import Frame, colour_count, from_float, scene_linear_plate, srgb_decode
from inference_server.tasks.base import Param, Port, TaskContext, TaskInputError, TaskManifest
from inference_server.tasks.clean_plate import MOTION, REJECTION, FloatFrames, check_mattes, check_plate

MANIFEST = TaskManifest(
    name="object_removal",
    label="Object Removal",
    description="Removes whatever the matte covers (a crew member, a rig, a mark) from every frame: the "
                "background is taken from other frames of the shot where the camera or the object has "
                "moved, lined up on the frame by tracking the background only, and only where those frames "
                "really show background (never inside or near their own matte, so no ghost of the object "
                "comes back). What no frame shows is painted once on a key frame and carried to the others, "
                "and the patch is regrained. Every pixel the matte touches is replaced; pixels outside it "
                "come back untouched. Frames whose fill is no better than the object are named for checking.",
    inputs=(Port("plate", "Source"),
            Port("matte", "Object Matte", "matte",
                 tooltip="Roto over the object in every frame (white = remove). Soft edges blend.")),
    outputs=(Port("repair", "Repair"),
             Port("revealed", "Revealed Matte", "matte", optional=True,
                  tooltip="1 where the fill came from other frames, 0 where it was painted in (or carried "
                          "from the key frame's paint).")),
    params=(MOTION, REJECTION,
            Param("samples", "int", 24, "Frames borrowed",
                  "Most other frames the background is taken from for each output frame.", 1, 64),
            Param("blend", "int", 4, "Frames blended per pixel",
                  "How many of the nearest frames that show the background are voted at each pixel. "
                  "More averages grain and drops a bad frame; fewer keeps detail sharper.", 1, 16),
            Param("window", "int", 0, "Search range (frames)",
                  "How many frames either side to take background from; 0 searches the whole range.", 0, 100000),
            Param("parallax", "bool", True, "Parallax refinement",
                  "Bend each borrowed frame with dense optical flow measured around the hole, for depth "
                  "the camera move alone does not explain. Off is faster."),
            Param("regrain", "float", 1.0, "Regrain amount",
                  "Grain added back to the patch: 1 adds what blending frames took out, measured from "
                  "how the frames differ from each other, so the patch matches the plate; 0 leaves it clean.", 0.0, 2.0),
            Param("revealed_matte", "bool", False, "Output revealed matte",
                  "Also return the matte of pixels filled from other frames, for checking.")),
    nan_policy="reject",
)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates = inputs["plate"]
    size = check_plate(plates, minimum=1)
    mattes = check_mattes(inputs["matte"], plates, size)
    n = len(plates)
    covered = 0
    for i in range(n):
        m = mattes[i]
        if (m > 0).all():
            raise TaskInputError(f"the matte covers the whole of frame {plates[i].number}; "
                                 "there is nothing around it to fill from")
        covered += int((m > 0).any())
    if covered == 0:
        raise TaskInputError("the matte is empty in every frame: nothing to remove "
                             "(white or alpha > 0 marks what to remove)")
    channels = plates[0].pixels.shape[2]
    colour = colour_count(channels)  # a plate's alpha is no picture: it passes through as it is
    # a scene-linear plate is removed in sRGB codes (``frames.srgb_encode``), the repair given back in linear light
    linear = scene_linear_plate(plates[0].pixels.dtype, plates[0].colour_space)
    frames = FloatFrames(plates, colour, encode=linear)

    def given(fill: np.ndarray, hole: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The fill's pixels under ``hole`` in the plate's values and pixel type."""
        px = fill[hole]
        return from_float(srgb_decode(px) if linear else px, dtype)

    margin = default_margin(size)
    ctx.progress(0, n + 1, "tracking the camera")
    try:
        # the camera is tracked on the background only: every matte, grown so that the object's
        # blur and what moves right beside it (a shadow, a rig's arm) is left out too
        shot = align_shot(frames, n // 2, params["motion"], [grow(mattes[i] > 0, 3 * margin) for i in range(n)]) \
            if n > 1 else None
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    keys = KeyFills(shot) if shot is not None else None
    numbers = [plates[i].number for i in range(n)]     # read here: removals run on other threads

    # what a frame takes from the others (``gather``), the same for its preparation and its removal
    how = {"max_samples": params["samples"], "per_pixel": params["blend"], "rejection": params["rejection"],
           "refine": params["parallax"], "window": params["window"], "margin": margin}

    def prepare(i: int) -> Gathered | Removal:  # what frame i takes from the others, before any key
        assert shot is not None
        try:
            return gather(frames, mattes, shot, i, **how)
        except ValueError as exc:
            raise TaskInputError(f"frame {numbers[i]}: {exc}") from exc

    def remove(i: int, keys: KeyFills | None, gathered: Gathered | Removal | None = None) -> Removal:
        assert shot is not None
        try:
            return remove_object(frames, mattes, shot, i, regrain=params["regrain"], seed=numbers[i], keys=keys,
                                 gathered=gathered, **how)
        except ValueError as exc:
            raise TaskInputError(f"frame {numbers[i]}: {exc}") from exc

    # the key frame is painted first (the middle frame, or the frame with a matte nearest it), so
    # background no frame reveals is painted once there and carried to the others
    with_matte = [i for i in range(n) if (mattes[i] > 0).any()]
    key = min(with_matte, key=lambda i: (abs(i - n // 2), i))
    # two frames at a time, with the results of one after another (``remove_in_order``)
    removals = remove_in_order(remove, [key] + [i for i in with_matte if i != key], keys, prepare) \
        if shot is not None else iter(())
    first = next(removals)[1] if shot is not None else None
    filled_px = revealed_px = never_px = 0
    rows: list[dict[str, Any]] = []
    for i in range(n):
        ctx.check_cancelled()
        src = plates[i]
        alpha = mattes[i]
        row: dict[str, Any] = {"frame": src.number}
        out, revealed = src.pixels.copy(), np.zeros(size, bool)
        if shot is not None and (alpha > 0).any():
            if i == key and first is not None:
                rem = first
            else:
                done, rem = next(removals)
                assert done == i, (done, i)
            # replaced where the matte is, untouched outside it bit for bit (and the alpha everywhere)
            out[:, :, :colour][rem.hole] = given(rem.image, rem.hole, src.pixels.dtype)
            revealed = rem.revealed
            hole_px = int(rem.hole.sum())
            filled_px += hole_px
            revealed_px += int(rem.revealed.sum())
            never_px += hole_px - int(rem.revealed.sum())
            row.update(value=rem.check, never_revealed=round(rem.never_revealed, 4),
                       carried=round(float(rem.carried.sum()) / hole_px, 4) if rem.carried is not None else 0.0,
                       painted=round(float(rem.painted.sum()) / hole_px, 4) if rem.painted is not None else 0.0)
        if shot is None and (alpha > 0).any():  # one frame: painted from around the matte
            hole = alpha > 0
            fl = fill_spatial(frames[i], hole.astype(np.float32))
            out[:, :, :colour][hole] = given(fl, hole, src.pixels.dtype)
            filled_px += int(hole.sum())
            never_px += int(hole.sum())
            row.update(value=fill_check(frames[i], np.where(hole[:, :, None], fl, frames[i]), hole,
                                        grow(hole, margin)), never_revealed=1.0, carried=0.0, painted=1.0)
        if "value" in row:  # a frame the matte leaves empty was not repaired, so not checked
            rows.append(row)
        ctx.emit("repair", Frame(out, src.number, src.colour_space))
        if params["revealed_matte"]:
            ctx.emit("revealed", Frame(from_float(revealed.astype(np.float32)[:, :, None], src.pixels.dtype),
                                       src.number, ""))
        ctx.progress(i + 2, n + 1, f"frame {src.number}")
    return {"frames": n, "frames_with_matte": covered, "filled_pixels": filled_px,
            "revealed_percent": round(100.0 * revealed_px / max(filled_px, 1), 2),
            "never_revealed_percent": round(100.0 * never_px / max(filled_px, 1), 2),
            "key_frames": [plates[k.index].number for k in keys.keys] if keys is not None else [],
            "qc": qc_report(rows),
            **(shot.to_summary() if shot is not None else {"model": "none"})}
