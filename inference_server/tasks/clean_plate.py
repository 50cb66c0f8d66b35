"""Task: build one clean background frame for a shot (and say which pixels were never seen).

Also holds the small adapters the clean-plate family of tasks share (``object_removal``,
``foreground_matte``): lazy float views of the host's frames and mattes, the reference-frame
rule and matte checks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inference_server.engines.cleanplate.plate import build_clean_plate
from inference_server.frames import Frame, from_float, matte_values, scene_linear_plate, srgb_decode, srgb_encode, to_float
from inference_server.tasks.base import Param, Port, TaskContext, TaskInputError, TaskManifest, check_like_first, check_paired

MATTE_FLOOR = 0.02      # matte values below this are treated as 0 (compression noise in movie mattes)
CACHE_BYTES = 768 << 20

MOTION = Param("motion", "choice", "auto", "Camera motion",
               "How the camera moved. Auto picks per shot: Homography for pans, tilts and flat or distant "
               "scenes; Affine for small or shaky moves.",
               choices=(("auto", "Auto"), ("homography", "Homography"), ("affine", "Affine")))
REFERENCE = Param("reference", "int", -1, "Reference frame",
                  "Frame number whose framing the result takes; -1 uses the middle frame of the range.",
                  -1, 10_000_000)
REJECTION = Param("rejection", "float", 2.5, "Outlier rejection",
                  "How far (in noise deviations) a frame may stray from the consensus before it is dropped "
                  "at that pixel. Lower rejects more of whatever moves; higher keeps more frames.", 1.0, 8.0)
PARALLAX = Param("parallax", "bool", True, "Parallax refinement",
                 "Correct what the global camera move cannot explain (depth, lens) with dense optical flow.")

MANIFEST = TaskManifest(
    name="clean_plate",
    label="Clean Plate",
    description="Builds one clean background frame from a moving-camera shot: every frame is lined up on "
                "the reference frame and whatever moves (people, cars, rigs) is voted out. Also returns a "
                "matte of the pixels no frame ever showed clean.",
    inputs=(Port("plate", "Source"),
            Port("matte", "Ignore Matte", "matte", optional=True,
                 tooltip="Optional roto of things that must never appear in the clean plate.")),
    outputs=(Port("clean", "Clean Plate"),
             Port("unseen", "Never Seen Clean", "matte",
                  tooltip="1 where no frame showed the background: paint or project these by hand.")),
    params=(REFERENCE, MOTION, REJECTION,
            Param("max_frames", "int", 32, "Frames sampled",
                  "Most frames voted per pixel, spread evenly over the range. More is cleaner and slower.", 2, 200),
            PARALLAX),
    nan_policy="reject",
)


class FloatFrames(Sequence[np.ndarray]):
    """Lazy (H, W, C) float32 view of a frame sequence (integer code values scaled 0-1), cached;
    safe to read from several threads. ``channels``: only the first that many of each frame (a
    plate's colour without its alpha). Every frame must be the first frame's size, channel count
    and pixel type (``base.check_like_first``). ``encode``: scene-linear values are given as
    ``frames.srgb_encode``'s codes (what the removal's thresholds were set on)."""

    def __init__(self, frames: Sequence[Frame], channels: int | None = None, encode: bool = False) -> None:
        self.frames = frames
        self.channels = channels
        self.encode = encode
        first = frames[0].pixels if len(frames) else None
        self.like = None if first is None else (first.shape, first.dtype)
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.limit = 4
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if i < 0:
            i += len(self.frames)
        with self.lock:
            if i in self.cache:
                self.cache.move_to_end(i)
                return self.cache[i]
            frame = self.frames[i]
            if self.like is not None:
                check_like_first(frame, self.like)
            px = frame.pixels
            img = to_float(px if self.channels is None else px[:, :, :self.channels])
            if self.encode:
                img = srgb_encode(img)
            self.limit = max(4, CACHE_BYTES // max(img.nbytes, 1))
            self.cache[i] = img
            while len(self.cache) > self.limit:
                self.cache.popitem(last=False)
            return img


class MatteFrames(Sequence[np.ndarray]):
    """Lazy (H, W) float32 0-1 view of matte frames (``frames.matte_values``: alpha when it varies, else the
    brightest colour channel);
    safe to read from several threads."""

    def __init__(self, frames: Sequence[Frame], size: tuple[int, int]) -> None:
        self.frames = frames
        self.size = size
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        with self.lock:
            return self._load(i)

    def _load(self, i: int) -> np.ndarray:
        if i in self.cache:
            return self.cache[i]
        frame = self.frames[i]
        px = frame.pixels
        if px.shape[:2] != self.size:
            raise TaskInputError(f"matte frame {frame.number} is {px.shape[1]}x{px.shape[0]}, "
                                 f"the plate is {self.size[1]}x{self.size[0]}")
        m = matte_values(px)
        if not np.isfinite(m).all():
            raise TaskInputError(f"matte frame {frame.number} holds NaN or infinite values")
        m = np.clip(m, 0.0, 1.0).astype(np.float32)
        m[m < MATTE_FLOOR] = 0.0
        self.cache[i] = m
        if len(self.cache) > 256:
            self.cache.popitem(last=False)
        return m


def check_plate(plates: Sequence[Frame], minimum: int = 2) -> tuple[int, int]:
    """(H, W) of the plate; TaskInputError when it has too few frames."""
    if len(plates) < minimum:
        raise TaskInputError(f"the plate has {len(plates)} frame(s); this needs at least {minimum}")
    h, w = plates[0].pixels.shape[:2]
    if min(h, w) < 16:
        raise TaskInputError(f"the plate is {w}x{h}; frames must be at least 16x16")
    return h, w


def check_mattes(mattes: Sequence[Frame], plates: Sequence[Frame], size: tuple[int, int]) -> MatteFrames:
    """A matte view matched to the plate; TaskInputError naming a wrong count or frames numbered off the
    plate's (``base.check_paired``)."""
    if len(mattes) != len(plates):
        raise TaskInputError(f"the matte has {len(mattes)} frame(s) but the plate has {len(plates)}; "
                             "give one matte frame per plate frame")
    check_paired("matte", mattes, plates)
    return MatteFrames(mattes, size)


def reference_index(plates: Sequence[Frame], number: int) -> int:
    """Index of frame ``number`` in ``plates`` (-1: the middle frame); TaskInputError if absent."""
    if number == -1:
        return len(plates) // 2
    for i in range(len(plates)):
        if plates[i].number == number:
            return i
    first, last = plates[0].number, plates[len(plates) - 1].number
    raise TaskInputError(f"reference frame {number} is not in the plate's range {first}-{last}")


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    plates = inputs["plate"]
    size = check_plate(plates)
    ref = reference_index(plates, params["reference"])
    mattes = check_mattes(inputs["matte"], plates, size) if inputs.get("matte") else None
    # a scene-linear plate is voted in sRGB codes (``frames.srgb_encode``), the plate given back in linear light
    linear = scene_linear_plate(plates[0].pixels.dtype, plates[0].colour_space)
    frames = FloatFrames(plates, encode=linear)

    def progress(done: int, total: int, msg: str) -> None:
        ctx.check_cancelled()
        ctx.progress(done, total, msg)

    try:
        plate = build_clean_plate(frames, ref, model=params["motion"], max_frames=params["max_frames"],
                                  rejection=params["rejection"], refine=params["parallax"], mattes=mattes,
                                  progress=progress)
    except ValueError as exc:
        raise TaskInputError(str(exc)) from exc
    like = plates[ref]
    image = srgb_decode(plate.image) if linear else plate.image
    ctx.emit("clean", Frame(from_float(image, like.pixels.dtype), like.number, like.colour_space))
    unseen = (~plate.seen).astype(np.float32)[:, :, None]
    ctx.emit("unseen", Frame(from_float(unseen, like.pixels.dtype), like.number, ""))
    return {"frames": len(plates), "reference_frame": like.number, "used_frames": len(plate.used),
            "never_seen_pixels": int((~plate.seen).sum()),
            "never_seen_percent": round(100.0 * float((~plate.seen).mean()), 3),
            **plate.alignment.to_summary()}
