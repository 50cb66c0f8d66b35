"""Wire removal: from a plate and the artist's rough hint to a clean, regrained plate."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inference_server.engines.wire.flow import luminance
from inference_server.engines.wire.matte import HINT_INSIDE, WHOLE_STROKE_WIDEST
from inference_server.engines.wire.qc import GAP_FLAG
from inference_server.engines.wire.repair import QC_THRESHOLD, WireRemover, WireSettings, frames_kept
from inference_server.engines.wire.ridges import scene_linear
from inference_server.frames import (
    Frame,
    colour_count,
    from_float,
    matte_values,
    scene_linear_plate,
    srgb_decode,
    srgb_encode,
    to_float,
)
from inference_server.project import serving
from inference_server.project.store import open_project
from inference_server.tasks.base import (
    Param,
    Port,
    TaskContext,
    TaskInputError,
    TaskManifest,
    check_like_first,
    check_paired,
    frame_numbers,
)

log = logging.getLogger(__name__)

CODES_BYTES = 768 << 20   # most of a scene-linear plate kept in sRGB codes at once (``_Codes``)

# (stable value, artist label): the values are the CLI's and the engine's; labels are display only
METHODS = (("auto", "Auto"), ("temporal", "Temporal (moving scene)"), ("static", "Temporal (static scene)"),
           ("spatial", "Spatial"))
OUTPUTS = (("repair", "Repair"), ("matte", "Wire Matte"), ("source", "Source"), ("repair-matted", "Repair Matted"))

MANIFEST = TaskManifest(
    name="wire_removal",
    label="Wire Removal",
    description="Paint a rough stroke over a rig or stunt wire; get back the plate with the wire "
                "replaced from neighbouring frames (or from around it), regrained to match.",
    inputs=(Port("plate", "Source", tooltip="The plate with the wire."),
            Port("hint", "Hint", "matte", tooltip="A rough stroke over the wire, a few times wider than it "
                 "(its alpha where that varies, else the brightest channel).")),
    outputs=(Port("repair", "Result"),),
    params=(
        Param("method", "choice", "auto", "Repair method",
              "Auto borrows from neighbouring frames where that is reliable and paints across the wire "
              "elsewhere. Temporal (static scene) for a locked-off camera; Spatial for single frames.",
              choices=METHODS),
        Param("window", "int", 4, "Temporal window (frames)",
              "How many frames before and after to borrow clean pixels from (over a still background, up to "
              "5 more a side, within twice the window, where the nearer frames do not show what the wire hides).",
              0, 16),
        Param("regrain", "float", 1.0, "Regrain amount",
              "Grain added inside the repair to match the plate's grain (0 = none, 1 = matched).", 0.0, 2.0),
        Param("output", "choice", "repair", "Output",
              "Repair; the Wire Matte found inside the hint; the Source untouched; or the Repair with "
              "the wire matte in alpha.", choices=OUTPUTS),
        Param("use_project_model", "bool", True, "Use project model",
              "When the project has a trained wire-removal model, use it to find the wire inside the hint."),
        Param("model_version", "string", "latest", "Model version",
              "Which of the project's wire-removal versions to use (v003...); 'latest' is the promoted one."),
    ),
    nan_policy="reject",
)


def hint_alpha(pixels: np.ndarray) -> np.ndarray:
    """A hint frame (H, W, C) as float32 (H, W) 0..1 (``frames.matte_values``; NaN is no hint)."""
    return np.clip(np.nan_to_num(matte_values(pixels)), 0.0, 1.0).astype(np.float32)


class _Hints:
    """Lazy, cached (as uint8) hint mattes checked against the plate size."""

    def __init__(self, frames: Sequence[Frame], size: tuple[int, int], keep: int) -> None:
        self.frames, self.size, self.keep = frames, size, keep
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def __call__(self, i: int) -> np.ndarray:
        if i not in self.cache:
            f = self.frames[i]
            if f.pixels.shape[:2] != self.size:
                h, w = f.pixels.shape[:2]
                raise TaskInputError(f"hint frame {f.number} is {w}x{h} but the plate is "
                                     f"{self.size[1]}x{self.size[0]}; they must be the same size")
            self.cache[i] = np.rint(hint_alpha(f.pixels) * 255).astype(np.uint8)
            while len(self.cache) > self.keep:
                self.cache.popitem(last=False)
        self.cache.move_to_end(i)
        return self.cache[i].astype(np.float32) / np.float32(255.0)


class _Codes:
    """A plate's frames in sRGB codes (``frames.srgb_encode``), the last ``keep`` of them (at most
    ``CODES_BYTES``, at least 3) kept: the engine reads a frame and its neighbours many times, and
    from more than one thread."""

    def __init__(self, keep: int, frame_bytes: int) -> None:
        self.keep = max(3, min(keep, CODES_BYTES // max(frame_bytes, 1)))
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, i: int, pixels: np.ndarray) -> np.ndarray:
        with self.lock:
            if i not in self.cache:
                self.cache[i] = srgb_encode(pixels)
                while len(self.cache) > self.keep:
                    self.cache.popitem(last=False)
            self.cache.move_to_end(i)
            return self.cache[i]


def _load_matte_model(params: Mapping[str, Any], ctx: TaskContext) -> Any:
    if not params["use_project_model"] or not ctx.project or ctx.store is None:
        return None

    version = str(params.get("model_version") or "latest").strip()
    try:
        if not open_project(ctx.project, ctx.store).exists():  # hosts send their own project's name: untuned
            log.info("project %s is not in the store %s: untuned repair", ctx.project, ctx.store)
            return None
        return serving.load_wire_matte(ctx.store, ctx.project, device=ctx.device,
                                      version=None if version == "latest" else version)
    except (FileNotFoundError, ValueError) as exc:  # no such project or version, a changed file, an older kind
        raise TaskInputError(str(exc)) from exc


def in_codes(first: np.ndarray, colour_space: str) -> bool:
    """Whether a plate whose first frame's colour is ``first`` is given to the engine in sRGB codes
    (``frames.srgb_encode``): a scene-linear plate (an EXR, a Nuke buffer; ``frames.scene_linear_plate``)
    unless it holds highlights the engine sees itself (``ridges.scene_linear``), which it repairs in log."""
    return scene_linear_plate(first.dtype, colour_space) and not scene_linear(luminance(to_float(first)))


def from_codes(repaired: np.ndarray, pixels: np.ndarray, given: np.ndarray) -> np.ndarray:
    """The engine's repair of ``pixels`` given to it in sRGB codes (``given``), in the plate's light
    and pixel type; where the engine gave back what it was given, the plate's own pixels, bit for bit."""
    out = pixels.copy()
    changed = (repaired != given).any(axis=2)
    out[changed] = srgb_decode(repaired[changed]).astype(pixels.dtype)
    return out


def _output_frame(choice: str, repaired: np.ndarray, matte: np.ndarray, src: Frame) -> np.ndarray:
    """The frame to emit; ``matte`` is uint8 (H, W)."""
    if choice == "repair":
        return repaired
    if choice == "source":
        return src.pixels
    alpha = from_float(to_float(matte[:, :, None]), src.pixels.dtype)
    if choice == "matte":
        return alpha
    base = repaired[:, :, :colour_count(repaired.shape[2])]  # the matte in place of the plate's alpha
    return np.concatenate([base, alpha], axis=2)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates, hints = inputs["plate"], inputs["hint"]
    if len(plates) == 0:
        raise TaskInputError("the plate has no frames")
    if len(hints) != len(plates):
        raise TaskInputError(f"the hint has {len(hints)} frame(s) but the plate has {len(plates)}; "
                             "give one hint frame per plate frame")
    check_paired("hint", hints, plates)
    first = plates[0].pixels
    size = first.shape[:2]
    window = int(params["window"])
    hint = _Hints(hints, size, frames_kept(window))  # as many as the remover keeps mattes
    covered = []
    for i in range(len(hints)):
        inside = hint(i) > HINT_INSIDE
        if inside.all():
            raise TaskInputError(f"the hint covers the whole of frame {hints[i].number}; paint a stroke along "
                                 "the wire, with background around it for the repair to read")
        covered.append(bool(inside.any()))
    if not any(covered):
        raise TaskInputError("the hint is empty on every frame; paint a stroke over the wire")
    colour = colour_count(first.shape[2])  # a plate's alpha is no picture: it passes through as it is
    codes = in_codes(first[:, :, :colour], plates[0].colour_space)
    encoded = _Codes(frames_kept(window), first[:, :, :colour].size * 4)  # the engine asks a frame many times

    def plate(i: int) -> np.ndarray:
        frame = plates[i]
        check_like_first(frame, (first.shape, first.dtype))
        px = frame.pixels[:, :, :colour]
        return encoded(i, px) if codes else px

    settings = WireSettings(method=params["method"], window=window, regrain=float(params["regrain"]))
    matte_model = _load_matte_model(params, ctx)
    numbers = frame_numbers(plates)  # a lazy sequence knows them unread
    remover = WireRemover(plate, hint, len(plates), settings, matte_model=matte_model,
                          number=lambda i: numbers[i])  # grain seeded by frame number: a chunk matches the shot
    start = time.perf_counter()
    wire_px = 0
    checks: list[dict[str, Any]] = []
    for i, src in enumerate(plates):
        ctx.check_cancelled()
        if covered[i] and params["output"] != "source":
            repaired, matte = remover.repair(i)
            if codes:
                px = src.pixels[:, :, :colour]
                repaired = from_codes(repaired, px, encoded(i, px))
            if colour < first.shape[2]:
                repaired = np.concatenate([repaired, src.pixels[:, :, colour:]], axis=2)
            if remover.last_qc is not None:
                checks.append({"frame": src.number, "value": round(remover.last_qc.residual, 3),
                               **remover.last_qc.as_dict()})
        else:
            repaired, matte = src.pixels, np.zeros(size, np.uint8)
        wire_px += int(np.count_nonzero(matte))
        ctx.emit("repair", Frame(_output_frame(params["output"], repaired, matte, src), src.number, src.colour_space))
        ctx.progress(i + 1, len(plates), f"frame {src.number}")
    seconds = time.perf_counter() - start
    return {"frames": len(plates), "method": params["method"], "output": params["output"],
            "wire_pixels": wire_px, "project_model": getattr(matte_model, "version", None),
            "seconds_per_frame": round(seconds / len(plates), 4), "qc": wire_qc(checks)}


def wire_qc(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """The task's QC report (the shared "qc" schema) from per-frame checks: each frame's
    residual line energy in the hint, the fraction of the hint repaired and the longest stretch
    of a stroke holding a wire fewer than the rest of it (``gap``, at ``gap_at``); flagged
    frames named, and ``places``: where in a flagged frame a wire is missing, to look at (and
    where a broad stroke held no wire that stood out and was left as it was: ``left_at``)."""
    flagged = [c["frame"] for c in checks if c["flagged"]]
    gaps = [f"{c['frame']} {_at(c['gap_at'])}"
            for c in checks if c["flagged"] and c.get("gap", 0) >= GAP_FLAG and c.get("gap_at")]
    left = [f"{c['frame']} {_at(c['left_at'])}" for c in checks if c.get("left_at")]
    places = gaps + [f"{p} left as it was" for p in left]
    if flagged:
        note = f"{len(flagged)} frame(s) to check, a wire may be left in the hint: {first(flagged, 12)}" + qc_places(gaps)
        if left:
            note += (f"; no wire stood out in a stroke broader than {WHOLE_STROKE_WIDEST:.0f} px, left as it was "
                     f"(a tighter stroke is repaired whole) in {first(left, 6)}")
    else:
        note = f"no line left in the hint on {len(checks)} repaired frame(s)"
    return {"measure": "residual line energy in the hint (x the plate's texture); a stretch of a stroke "
                       "with a wire fewer than the rest of it (px); a stretch of a broad stroke left as it was",
            "threshold": QC_THRESHOLD, "gap_threshold": GAP_FLAG, "frames": checks, "flagged": flagged,
            "places": places, "note": note}


def _at(box: Sequence[int]) -> str:
    return f"(x {box[0]}-{box[2]}, y {box[1]}-{box[3]})"


def qc_places(places: list[str]) -> str:
    """The part of a QC note that says where to look ("" when nowhere)."""
    return f"; a wire fewer than along the rest of its stroke in {first(places, 6)}" if places else ""


def first(items: Sequence[object], n: int) -> str:
    """The first ``n`` of ``items``, comma-separated, then " ..." if there are more."""
    return ", ".join(map(str, items[:n])) + (" ..." if len(items) > n else "")
