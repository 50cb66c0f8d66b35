"""The daemon's bottom layer: pixel types and conversions every other layer shares.

``Frame`` is one (H, W, C) image in uint8/uint16/float16/float32 (HWC layout), ``FrameSeq`` a
lazily built sequence of them; ``to_float``/``from_float`` move code values between integer
types and float32 0-1; ``srgb_encode``/``srgb_decode`` give a scene-linear plate the code values
the engines' thresholds were set on (``scene_linear_plate`` says which plates are). Engines,
media, project code and tasks import these from here; this module imports nothing of the
daemon's own (numpy only), so no arrow runs back up.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

ALLOWED_DTYPES = ("uint8", "uint16", "float16", "float32")
NanPolicy = Literal["reject", "allow"]   # what a pixel check does with NaN/Inf values


class TaskInputError(ValueError):
    """The request's inputs or parameters are wrong; the message names what and why.

    Defined here (not in ``tasks.base``) because a frame with a wrong shape or dtype is already
    bad input: ``Frame`` raises it, and the daemon answers it as ``bad_input`` wherever it is raised.
    """


@dataclass
class Frame:
    """One image: ``pixels`` is (H, W, C) uint8/uint16/float16/float32, HWC layout."""

    pixels: np.ndarray
    number: int = 0
    colour_space: str = ""

    def __post_init__(self) -> None:
        p = self.pixels
        if p.ndim == 2:
            self.pixels = p = p[:, :, None]
        if p.ndim != 3 or p.shape[2] < 1:
            raise TaskInputError(f"frame {self.number} has shape {p.shape}; expected (H, W, C)")
        if p.dtype.name not in ALLOWED_DTYPES:
            raise TaskInputError(f"frame {self.number} has dtype {p.dtype}; "
                                 f"expected one of {', '.join(ALLOWED_DTYPES)}")


class FrameSeq(Sequence[Frame]):
    """A sequence that builds each frame when asked: subclasses give ``__len__`` and ``_frame(i)``.

    Handles slices, negative indices and the range check once for every lazy sequence.
    """

    @abstractmethod
    def _frame(self, i: int) -> Frame:
        """Frame ``i``, with ``0 <= i < len(self)`` already checked."""

    @overload
    def __getitem__(self, i: int) -> Frame: ...
    @overload
    def __getitem__(self, i: slice) -> list[Frame]: ...

    def __getitem__(self, i: int | slice) -> Frame | list[Frame]:
        if isinstance(i, slice):
            return [self._frame(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame index {i} out of range for {n} frame(s){self._where()}")
        return self._frame(i)

    def _where(self) -> str:
        return ""


def to_float(pixels: np.ndarray) -> np.ndarray:
    """Integer code values to float32 0-1 (uint8 /255, uint16 /65535); floats as float32."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / np.float32(255.0)
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / np.float32(65535.0)
    return pixels.astype(np.float32, copy=False)


def from_float(pixels: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
    """Inverse of ``to_float``: round and clip into integer types, cast floats.

    Raises ValueError on NaN or infinite values: casting them would silently give black.
    """
    dt = np.dtype(dtype)
    if not np.isfinite(pixels).all():
        raise ValueError(f"from_float: {int((~np.isfinite(pixels)).sum())} NaN or infinite value(s) would be "
                         f"written as {dt}; the engine that made them is at fault")
    if dt == np.uint8:
        return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    if dt == np.uint16:
        return np.clip(np.rint(pixels * 65535.0), 0, 65535).astype(np.uint16)
    return pixels.astype(dt)


def to_rgb_float(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) any dtype -> float32 (H, W, 3) 0-1 code values (grey is repeated, alpha dropped)."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    out = to_float(pixels)
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    return np.ascontiguousarray(out[:, :, :3])


def colour_count(channels: int) -> int:
    """How many of a frame's ``channels`` are colour: all but the last of 2 (luma, alpha) or 4 (RGBA)."""
    return channels - 1 if channels in (2, 4) else channels


def matte_values(pixels: np.ndarray) -> np.ndarray:
    """A matte or hint frame (H, W, C), any dtype, as float32 (H, W): its alpha (the last of 2 or 4
    channels) where that varies over the frame, else the brightest colour channel. A stroke saved
    as RGB with a solid alpha is the stroke, not a matte covering the whole frame. Not clipped:
    the caller decides what NaN or a value outside 0-1 means."""
    f = to_float(pixels if pixels.ndim == 3 else pixels[:, :, None])
    c = f.shape[2]
    colour = colour_count(c)
    if colour < c and np.ptp(f[:, :, c - 1]) > 0:
        return np.ascontiguousarray(f[:, :, c - 1])
    return f[:, :, :colour].max(axis=2)


# --- the code values a scene-linear plate is repaired in -------------------------------------
#
# The repairs' thresholds (what counts as a mover beside a hole, how far a donor's light may stand
# off, a wire's contrast against its texture's floors) are code values, set on display-referred
# plates. On scene-linear values they misread the picture: a shadow's detail is a few thousandths,
# a highlight's grain tenths. The bench's shots given linearised (the sRGB curve undone) lost 3.3 dB
# of object removal on follow-tennis and 4.0 on enter-leave (over-a-mover: 7 frames worse than the
# object left in, against none), and 1.0-3.2 dB of wire removal on four classes. So a scene-linear
# plate is repaired in ``srgb_encode``'s codes: the sRGB transfer curve (IEC 61966-2-1), its power
# law continued above 1 so highlights keep their order and values, its straight foot continued below
# 0 so negatives survive; ``srgb_decode`` is its exact inverse (up to float rounding). Below 1 the
# codes are what an sRGB file holds, so a linearised shot is repaired as the file it came from.

_KNEE = 0.0031308        # linear value where the curve's straight foot meets its power law
_KNEE_CODE = 0.04045     # the code value there
_SLOPE = 12.92
_GAMMA = 2.4
_A = 0.055
# colour space names (lower case, any part): linear light (asked first: "Linear Rec.709 (sRGB)"),
# and encoded code values
_LINEAR_NAMES = ("linear", "lin_", "acescg", "aces2065")
_ENCODED_NAMES = ("srgb", "rec709", "rec.709", "bt709", "bt.709", "bt1886", "gamma", "log", "cct", "acescc", "g22",
                  "g24", "g2.2", "g2.4", "video", "display", "output")


def srgb_encode(x: np.ndarray) -> np.ndarray:
    """float32 sRGB code values of scene-linear values (any sign, any size)."""
    x = np.asarray(x, np.float32)
    power = np.float32(1.0 + _A) * np.power(np.maximum(x, np.float32(_KNEE)), np.float32(1.0 / _GAMMA)) - np.float32(_A)
    return np.where(x <= _KNEE, x * np.float32(_SLOPE), power).astype(np.float32)


def srgb_decode(y: np.ndarray) -> np.ndarray:
    """Scene-linear float32 values of ``srgb_encode``'s codes."""
    y = np.asarray(y, np.float32)
    power = np.power((np.maximum(y, np.float32(_KNEE_CODE)) + np.float32(_A)) / np.float32(1.0 + _A), np.float32(_GAMMA))
    return np.where(y <= _KNEE_CODE, y / np.float32(_SLOPE), power).astype(np.float32)


def scene_linear_plate(dtype: np.dtype | str, colour_space: str = "") -> bool:
    """Whether a plate of pixel type ``dtype`` in ``colour_space`` holds scene-linear light.

    The colour space decides where it names linear light (ACEScg, "Linear Rec.709 (sRGB)") or an
    encoding (sRGB, Rec.709, a log). Unnamed, a float plate is scene-linear (an EXR, a Nuke buffer:
    Nuke works in linear light) and an integer one holds code values (a DPX, TIFF or PNG)."""
    name = colour_space.strip().lower()
    if name:
        if any(k in name for k in _LINEAR_NAMES):
            return True
        if any(k in name for k in _ENCODED_NAMES):
            return False
    return np.dtype(dtype).kind == "f"
