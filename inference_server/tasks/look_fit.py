"""Task: learn a look from (source, graded) frame pairs; hand back a LUT, a CDL and a summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from inference_server.engines.look import files
from inference_server.engines.look.fit import fit_look
from inference_server.engines.look.summary import balance_line, describe_cdl, summary_text
from inference_server.frames import Frame
from inference_server.tasks.base import Param, Port, TaskContext, TaskInputError, TaskManifest

MANIFEST = TaskManifest(
    name="look_fit",
    label="Look Match: learn a look",
    description="Learn the grade from a few graded frames (each with its ungraded source) in two layers, "
                "as a colorist grades: each shot's balance (exposure, white balance: an ASC CDL in ACEScct) "
                "and one show look after it (a 3D LUT .cube/.clf, and its CDL part .cc/.ccc/.cdl).",
    inputs=(Port("source", "Source frames", tooltip="Ungraded frames, one per pair"),
            Port("graded", "Graded frames", tooltip="The same frames after the grade, in the same order")),
    outputs=(Port("look.cube", "3D LUT (.cube)", "blob"), Port("look.clf", "3D LUT (Academy CLF)", "blob"),
             Port("look.cc", "ASC CDL (.cc)", "blob"), Port("look.ccc", "ASC CDL collection (.ccc)", "blob"),
             Port("look.cdl", "ASC CDL list (.cdl)", "blob"),
             Port("shot_balance.ccc", "Every shot's balance (.ccc)", "blob", optional=True,
                  tooltip="One ColorCorrection per pair, id rushes_balance_<pair>; node 1, before the look"),
             Port("shot_balance.<pair>.cc", "One shot's balance (.cc)", "blob", optional=True,
                  tooltip="shot_balance.1.cc, shot_balance.2.cc...: each pair's balance, node 1 before the look")),
    params=(
        Param("in_space", "string", "", "Input colour space",
              "OCIO built-in config name of the frames (e.g. 'ARRI LogC4'); empty: the frames' own, else ACEScct"),
        Param("working_space", "string", "ACEScct", "Working space", "Where the CDL acts (ACEScct for ACES)"),
        Param("lut_size", "int", 33, "LUT size", "Points per side of the 3D LUT (33 or 65)", 9, 65),
        Param("smoothness", "float", 1.0, "Smoothness",
              "Higher gives a smoother LUT that trusts the CDL more far from the colours seen", 0.01, 100.0),
        Param("title", "string", "Rushes look", "LUT title"),
    ),
    nan_policy="reject",
    long_running=True,
)


def input_space(frames: Sequence[Frame], requested: str) -> str:
    """The colour space named in the params, else the frames' own, else ACEScct."""
    if requested:
        return requested
    named = {f.colour_space for f in frames if f.colour_space}
    if len(named) > 1:
        raise TaskInputError(f"frames are in different colour spaces ({', '.join(sorted(named))}); "
                             "set in_space")
    return named.pop() if named else "ACEScct"


def match_sizes(source: "np.ndarray", graded: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Bring a pair to one size when only the resolution differs (area-averaging the larger one).

    Resolve exports stills at timeline resolution, often smaller than the camera file.
    Only the same framing (aspect ratio within 1%) is resampled, always downwards so no
    detail is invented; a different framing is left for the fit to refuse by name.
    """
    (h, w), (gh, gw) = source.shape[:2], graded.shape[:2]
    if (gh, gw) == (h, w) or abs(gw / gh - w / h) > 0.01 * (w / h):
        return source, graded
    if gh * gw < h * w:
        return _area_resize(source, gw, gh), graded
    return source, _area_resize(graded, w, h)


def _area_resize(pixels: "np.ndarray", w: int, h: int) -> "np.ndarray":
    import cv2

    out = cv2.resize(pixels.astype("float32"), (w, h), interpolation=cv2.INTER_AREA)
    if out.ndim == 2:
        out = out[:, :, None]
    return out.astype(pixels.dtype) if pixels.dtype.kind == "f" else out.round().astype(pixels.dtype)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    source, graded = inputs["source"], inputs["graded"]
    if len(source) != len(graded) or len(source) == 0:
        raise TaskInputError(f"look_fit needs the same number of source and graded frames (at least one), "
                             f"got {len(source)} source and {len(graded)} graded")
    pairs = []
    for i in range(len(source)):
        ctx.check_cancelled()
        s, g = source[i], graded[i]
        pairs.append(match_sizes(s.pixels, g.pixels))
        ctx.progress(i + 1, len(source) + 1, f"pair {i + 1}: frame {s.number}")
    first = source[0]
    in_space = input_space([first], str(params["in_space"]))
    try:
        fit = fit_look(pairs, in_space, str(params["working_space"]), int(params["lut_size"]),
                       float(params["smoothness"]), balance=True)
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    ctx.check_cancelled()
    desc = f"Rushes look fit from {len(pairs)} pair(s); input {fit.in_space}; CDL in {fit.working_space}"
    if fit.balance_model is not None:
        desc += "; applies after each shot's balance (rushes_balance_<pair>, a CDL in the same working space)"
    comments = (desc,) + ((fit.balance_model.comment(),) if fit.balance_model is not None else ())
    title = str(params["title"])
    ctx.emit_blob("look.cube", files.cube_text(fit.lut, title, fit.shaper, comments).encode())
    ctx.emit_blob("look.clf", files.clf_text(fit, desc).encode())
    for ext in (".cc", ".ccc", ".cdl"):
        ctx.emit_blob(f"look{ext}", files.cdl_text(fit.cdl, ext, desc).encode())
    balances = _emit_balances(fit, [f.number for f in source], ctx)
    ctx.progress(len(source) + 1, len(source) + 1, "done")
    info = describe_cdl(fit.cdl, fit.working_space)
    text = summary_text(info)
    if balances:
        text = "Look (after each shot's balance):\n" + text + "\nBalances:\n" + "\n".join(
            "  " + b["text"] for b in balances)
    result = {**info, "in_space": fit.in_space, "lut_size": int(fit.lut.shape[0]),
              "shaper": fit.shaper is not None, "fit": fit.stats, "text": text,
              "two_layer": fit.balance_model is not None, "balances": balances}
    if fit.balance_model is not None:
        result["balance_model"] = fit.balance_model.to_dict()
    return result


def _emit_balances(fit: Any, numbers: Sequence[int], ctx: TaskContext) -> list[dict[str, Any]]:
    """Each pair's balance as shot_balance.<pair>.cc and all of them as shot_balance.ccc; their
    summaries. The names sort after look.* on purpose: hosts that take the first blob ending
    in .cc/.ccc (Resolve's Look Match, Nuke's Look cache) keep finding the look's CDL."""
    out = []
    entries = []
    for i, (cdl, number) in enumerate(zip(fit.balances, numbers)):
        info = describe_cdl(cdl, fit.working_space)
        line = balance_line(info, f"pair {i + 1} (frame {number})")
        desc = f"Rushes balance of pair {i + 1} (frame {number}), before the look; {line.split(': ', 1)[1]}"
        ctx.emit_blob(f"shot_balance.{i + 1}.cc", files.cdl_text(cdl, ".cc", desc).encode())
        entries.append((cdl, desc))
        out.append({**info, "pair": i + 1, "frame": int(number), "id": cdl.id, "text": line})
    if entries:
        ctx.emit_blob("shot_balance.ccc", files.ccc_text(entries).encode())
    return out
