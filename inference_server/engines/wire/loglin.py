"""The working code of a scene-linear plate's repair: log2 above 0, a straight line below.

A scene-linear plate (highlights far above 1, or negatives) is filled, blended and regrained
in log: in linear light, averaging a highlight with a shadow is a highlight (a ray fill between
a 4.0 wire's fringe and a 0.3 lead line comes out bright), motion is estimated on the few code
values left to the shadows, and a blend weighs pixels by their energy, not by what the eye
sees. ``encode`` is log2(x + OFFSET) for x >= 0 and its tangent below, so negatives survive and
``decode`` inverts it exactly up to float rounding.
"""

from __future__ import annotations

import numpy as np

OFFSET = 0.01  # as the wire finder's analysis luma: below ~1/100 of diffuse white, log turns linear
_LN2 = float(np.log(2.0))
_FLOOR = float(np.log2(OFFSET))


def encode(x: np.ndarray) -> np.ndarray:
    """float32 log code of scene-linear values (any sign)."""
    x = np.asarray(x, np.float32)
    pos = np.log2(np.maximum(x, 0.0) + np.float32(OFFSET))
    return np.where(x >= 0, pos, _FLOOR + x / (OFFSET * _LN2)).astype(np.float32)


def decode(y: np.ndarray) -> np.ndarray:
    """Scene-linear float32 values of log codes (the inverse of ``encode``)."""
    y = np.asarray(y, np.float32)
    pos = np.exp2(np.maximum(y, _FLOOR)) - np.float32(OFFSET)
    return np.where(y >= _FLOOR, pos, (y - _FLOOR) * (OFFSET * _LN2)).astype(np.float32)
