"""A coloured rope: a line that stands out from its surroundings in colour, not in luminance."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import matte
from inference_server.engines.wire.flow import luminance
from inference_server.engines.wire.synthetic import texture

H, W = 120, 240
ISOLUMINANT_RED = np.array([0.5, -0.5 * 0.2126 / 0.7152, 0.0], np.float32)  # Rec.709 luminance 0


def _line(offset: float, width: float = 3.0) -> np.ndarray:
    yy = np.arange(H, dtype=np.float32)[:, None] - (H / 2 + offset)
    return np.repeat(np.clip(width / 2 + 0.5 - np.abs(yy), 0, 1), W, axis=1).astype(np.float32)


def _plate(grey: bool) -> np.ndarray:
    tex = texture(H, W, 5)
    if grey:  # a neutral wall
        tex = np.repeat(luminance(tex)[:, :, None], 3, axis=2)
    return (tex * 0.5 + 0.25).astype(np.float32)


def _hint() -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[H // 2 - 16:H // 2 + 16, 8:W - 8] = 1.0
    return hint


def test_a_rope_of_the_walls_own_luminance_is_matted_beside_a_dark_wire() -> None:
    rope, wire = _line(-6), _line(6)
    plate = _plate(grey=True) + rope[:, :, None] * ISOLUMINANT_RED
    plate = plate * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]
    assert np.allclose(luminance(_plate(grey=True) + rope[:, :, None] * ISOLUMINANT_RED), luminance(_plate(grey=True)),
                       atol=1e-5)
    hint = _hint()
    m = matte.refine_wire_matte(plate.astype(np.float32), hint)
    inner = hint > 0
    for alpha in (rope, wire):
        assert float((m[(alpha > 0.5) & inner] > 0.3).mean()) > 0.95
    assert float((m > 0)[inner].mean()) < 0.6  # tight: most of the stroke keeps the plate
    # on luminance alone (a polarity asked for) the rope is not seen: only the wire is matted
    dark = matte.refine_wire_matte(plate.astype(np.float32), hint, polarity="dark")
    assert float((dark[(rope > 0.5) & (wire < 0.05) & inner] > 0.3).mean()) < 0.2
    assert float((dark[(wire > 0.5) & inner] > 0.3).mean()) > 0.95


def test_colourful_texture_does_not_widen_a_grey_wires_matte() -> None:
    """The texture's colour edges (random per channel here) stand out in the opponent channels
    as much as its luminance does; they count only where a colour line would be a wire on its own."""
    wire = _line(0)
    base = _plate(grey=False)
    plate = (base * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]).astype(np.float32)
    hint = _hint()
    auto = matte.refine_wire_matte(plate, hint)
    luma = matte.refine_wire_matte(plate, hint, polarity="dark")
    inner = hint > 0
    assert float((auto[(wire > 0.5) & inner] > 0.3).mean()) > 0.95
    assert int(((auto > 0) & ~(luma > 0)).sum()) <= 0.02 * int(inner.sum())
