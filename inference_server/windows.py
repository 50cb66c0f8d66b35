"""OpenEXR data and display windows: where a file's pixels sit in the frame.

An EXR holds pixels for its *data window* only; the *display window* is the frame (the
format, in Nuke's words). Nuke writes a Roto's matte with the data window cropped to the
shape's bounding box, and an overscan plate with a data window larger than the display
window. Rushes reads a file as an array covering a *region*:

- ``"union"`` (plates): the display window and the data window together, so overscan
  pixels are kept and a cropped plate is padded to the frame;
- ``"display"`` (hints, mattes): exactly the display window, so every frame of a matte
  has the frame's size whatever its bounding box;
- ``"data"`` (the project store's training reads): the data window alone, the pixels the
  file holds.

Pixels of the region outside the data window are 0. Results written "like" a plate take
that plate's display window and the region's origin as their data window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inference_server.frames import Frame, FrameSeq

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
MAX_REGION_SIDE = 65536
WINDOWS = ("union", "display", "data")


def data_box(spec: Any) -> Box:
    return spec.x, spec.y, spec.x + spec.width, spec.y + spec.height


def display_box(spec: Any) -> Box:
    """The display window; a file that gives none (width 0) is displayed as its data window."""
    if spec.full_width <= 0 or spec.full_height <= 0:
        return data_box(spec)
    return spec.full_x, spec.full_y, spec.full_x + spec.full_width, spec.full_y + spec.full_height


def region_of(spec: Any, window: str) -> Box:
    """The box an image is read into (see the module docstring)."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}; got {window!r}")
    d, f = data_box(spec), display_box(spec)
    if window == "display":
        box = f
    elif window == "data":
        box = d
    else:
        box = (min(d[0], f[0]), min(d[1], f[1]), max(d[2], f[2]), max(d[3], f[3]))
    if box[2] - box[0] > MAX_REGION_SIDE or box[3] - box[1] > MAX_REGION_SIDE:
        raise ValueError(f"the image's {window} window {box[2] - box[0]}x{box[3] - box[1]} is larger than "
                         f"{MAX_REGION_SIDE} pixels a side")
    return box


def place(pixels: np.ndarray, origin: tuple[int, int], box: Box) -> np.ndarray:
    """(H, W, C) ``pixels`` whose top-left pixel is at ``origin``, pasted into a zero array covering ``box``."""
    if pixels.ndim != 3:
        raise ValueError(f"place expects (H, W, C) pixels, got shape {pixels.shape}")
    x0, y0, x1, y1 = box
    h, w = pixels.shape[:2]
    if (origin[0], origin[1], origin[0] + w, origin[1] + h) == box:
        return pixels
    out = np.zeros((y1 - y0, x1 - x0, pixels.shape[2]), pixels.dtype)
    ix0, iy0 = max(x0, origin[0]), max(y0, origin[1])
    ix1, iy1 = min(x1, origin[0] + w), min(y1, origin[1] + h)
    if ix1 > ix0 and iy1 > iy0:
        out[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = \
            pixels[iy0 - origin[1]:iy1 - origin[1], ix0 - origin[0]:ix1 - origin[0]]
    return out


def like_windows(ref_spec: Any, shape: tuple[int, ...]) -> tuple[Box, Box] | None:
    """(data box, display box) for writing an array of ``shape`` like the file with ``ref_spec``.

    None when the reference has no windows to keep (data window = display window at 0, 0) or
    when the array is not the reference read as a plate (its union region).
    """
    d, f = data_box(ref_spec), display_box(ref_spec)
    if d == f and d[:2] == (0, 0):
        return None
    u = region_of(ref_spec, "union")
    if tuple(shape[:2]) != (u[3] - u[1], u[2] - u[0]):
        return None
    return u, f


class AlignedFrames(FrameSeq):
    """A matte sequence seen in a plate's pixel frame: each matte frame pasted where its windows put it.

    Both sequences give ``boxes(i)``: (region read, display window) of frame ``i`` (without them the
    frames pass as they are). A matte whose display window is not the plate's size is passed through
    unchanged (the task refuses it). ``by_position``: frame ``i`` takes the plate's frame ``i``'s number
    (a matte paired in order, where the plate's numbers are only order: a movie's, a still's).
    """

    def __init__(self, frames: Any, plate: Any, by_position: bool = False) -> None:
        self.frames, self.plate = frames, plate
        self.windows = hasattr(frames, "boxes") and hasattr(plate, "boxes")
        self.numbers = (list(getattr(plate, "numbers", None) or [f.number for f in plate]) if by_position
                        else getattr(frames, "numbers", None))
        self.by_position = by_position

    def __len__(self) -> int:
        return len(self.frames)

    def _frame(self, i: int) -> Frame:
        f = self.frames[i]
        number = self.numbers[i] if self.by_position and self.numbers is not None else f.number
        if not self.windows:
            return Frame(f.pixels, number, f.colour_space)
        (hx0, hy0, _, _), hd = self.frames.boxes(i)
        pr, pd = self.plate.boxes(min(i, len(self.plate) - 1))
        if (hd[2] - hd[0], hd[3] - hd[1]) != (pd[2] - pd[0], pd[3] - pd[1]):
            return Frame(f.pixels, number, f.colour_space)
        origin = (hx0 + pd[0] - hd[0], hy0 + pd[1] - hd[1])
        return Frame(place(f.pixels, origin, pr), number, f.colour_space)


def align(frames: Sequence[Frame], plate: Sequence[Frame], by_position: bool = False) -> Sequence[Frame]:
    """``frames`` (a matte read with the display window) placed in ``plate``'s pixel frame; with
    ``by_position``, numbered as the plate's frames (``AlignedFrames``)."""
    if not by_position and not (hasattr(frames, "boxes") and hasattr(plate, "boxes")):
        return frames
    return AlignedFrames(frames, plate, by_position)
