"""A short piece the search returns beside a wire found (the tracker following it on over a
subject) is matted no thicker than the wires found: the extent of what stands out there is a
subject's, not the wire's."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import matte
from inference_server.engines.wire.paths import WirePath

H, W = 100, 240


def _plate() -> np.ndarray:
    """A wall at 0.6 with a dark wire (3 px) along row 50 and a dark subject (a block, 30 px wide)
    hanging from the wire's lower edge, rows 51-75, x 120-150."""
    img = np.full((H, W, 3), 0.6, np.float32)
    rng = np.random.default_rng(3)
    img += rng.normal(0.0, 0.01, img.shape).astype(np.float32)
    img[49:52] = 0.08
    img[51:76, 120:150] = 0.12
    return img


def test_a_short_piece_over_a_subject_is_matted_as_thin_as_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    real = matte.find_paths

    def with_piece(gain, inside, scale, min_len, texture=0.0, max_wires=6, lenient=True, polar=None):  # type: ignore[no-untyped-def]
        found = real(gain, inside, scale, min_len, texture, max_wires, lenient, polar)
        if gain.shape != (H, W) or not found:
            return found  # the search across the stroke, transposed: as it is
        rows = np.full(W, 56, np.int64)
        on = np.zeros(W, bool)
        on[122:148] = True        # 26 columns along the subject, 6 px under the wire: shorter than a wire
        return found + [WirePath(rows, on, np.where(on, 5.0, 0.0).astype(np.float32))]

    monkeypatch.setattr(matte, "find_paths", with_piece)
    hint = np.zeros((H, W), np.float32)
    hint[30:80, 4:W - 4] = 1.0
    m = matte.find_wire_matte(_plate(), hint)[0]
    assert float((m[48:53, 10:110] >= 0.5).mean()) > 0.9          # the wire is matted
    wire_thick = float(np.median((m[:, 10:110] >= 0.5).sum(axis=0)))
    assert wire_thick <= 9
    piece = (m[53:80, 122:148] >= 0.5).sum(axis=0)                  # below the wire, on the subject
    assert int(piece.max()) <= int(np.ceil(wire_thick / 2)) * 2 + 1  # the piece no thicker than the wire
    assert float((m[62:76, 122:148] >= 0.5).mean()) < 0.05          # the subject's body is not matted
