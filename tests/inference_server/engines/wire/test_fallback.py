"""The QC net's last resort: a stretch of a stroke that still holds a wire fewer after the gap
search is repaired whole on trial, and what that trial took out as a line is kept."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import repair
from inference_server.engines.wire.qc import GAP_FLAG, stands_as_line, trial_lines
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.synthetic import texture

H, W = 120, 240


def _stroke() -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[40:80, 8:W - 8] = 1.0
    return hint


def _line(offset: float, width: float = 2.5) -> np.ndarray:
    yy = np.mgrid[0:H, 0:W][0].astype(np.float32)
    return np.clip(width / 2 + 0.5 - np.abs(yy - (H / 2 + offset)), 0, 1).astype(np.float32)


class _Blind(WireRemover):
    """Every net before the last missing the dark wire past x 140: the classical matte and its centre
    line stop there (the band's crop spans the frame's width), the gap search finds nothing, the
    repaired frame's line search sees nothing left (and, with ``BRIDGE`` off, no bridge carries it)."""

    def _band_matte(self, image: np.ndarray, hint: np.ndarray, memo: dict[object, object]
                    ) -> tuple[np.ndarray, np.ndarray]:
        import cv2

        m, centres = super()._band_matte(image, hint, memo)
        dark = image[:, :, :3].mean(axis=2) < 0.15
        cut = (cv2.dilate(dark.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0) & (np.arange(m.shape[1]) >= 140)[None, :]
        return m * ~cut, centres & ~cut

    def _gap_search(self, i, missing, matte, box, found):  # type: ignore[no-untyped-def]
        return np.zeros(missing.shape, bool), np.zeros(missing.shape, bool)

    def _residual(self, i, out, where=None, missing=None):  # type: ignore[no-untyped-def]
        return np.zeros(self.hint(i).shape, np.uint8), 0.0


def _two_wires(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dark, bright = _line(-8), _line(8)
    plate = truth * (1 - dark[:, :, None]) + 0.03 * dark[:, :, None]
    plate = plate * (1 - bright[:, :, None]) + 0.97 * bright[:, :, None]
    return plate.astype(np.float32), dark, bright


def test_a_wire_both_searches_missed_is_taken_out_by_the_trial_and_the_frame_stays_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repair, "BRIDGE", False)  # the bridge would carry the wire on: missed by all three
    truth = texture(H, W, 5) * 0.08 + 0.5  # a calm wall: the trial's fill over a single frame moves the wire only
    plate, dark, _ = _two_wires(truth)
    hint = _stroke()
    rem = _Blind(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    lost = (dark > 0.5) & (hint > 0) & (np.arange(W) >= 144)[None, :]
    assert float((rem.matte(0)[lost] >= 0.5).mean()) < 0.05  # the first matte really missed it there
    out, matte = rem.repair(0)
    qc = rem.last_qc
    assert qc is not None and qc.passes == 2  # the first, and the trial's
    assert float((matte[lost] >= 128).mean()) > 0.9
    before = float(np.abs(plate - truth).max(axis=2)[lost].mean())
    after = float(np.abs(out.astype(np.float32) - truth).max(axis=2)[lost].mean())
    assert after < 0.3 * before
    # the evidence, not the whole stroke: rows of the stretch away from both wires stay the plate's
    away = (hint > 0) & (np.abs(np.arange(H) - (H / 2 - 8))[:, None] > 5) \
        & (np.abs(np.arange(H) - (H / 2 + 8))[:, None] > 5) & (np.arange(W) >= 144)[None, :]
    assert float((matte[away] > 0).mean()) < 0.05
    assert qc.flagged and qc.gap >= GAP_FLAG and qc.gap_at is not None and 135 <= qc.gap_at[0] <= 145


def _trial_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A wall with a dark wire along row 30 and a light-to-dark edge at row 60 (luminance, 0-1),
    the stretch the trial redid (rows 20-70, x 20-180) and the wall without the wire."""
    wall = np.full((90, 200), 0.6, np.float32)
    wall[60:] = 0.3
    plate = wall.copy()
    plate[29:32, 20:180] = 0.05
    where = np.zeros(wall.shape, bool)
    where[20:70, 20:180] = True
    return plate, wall, where


def test_the_trial_keeps_the_wire_it_took_out() -> None:
    plate, wall, where = _trial_case()
    took = trial_lines(plate, plate, wall, where, 0.06, 6.0)
    assert took[29:32, 20:180].all() and took.sum() == 3 * 160


def test_the_trial_keeps_no_edge_it_smeared_no_blotch_and_no_short_piece() -> None:
    plate, wall, where = _trial_case()
    plate[29:32] = wall[29:32]                       # no wire at all
    smeared = wall.copy()
    smeared[57:63, 20:180] = 0.45                    # the edge blurred: moved along a line, one side of it
    assert not trial_lines(plate, plate, smeared, where, 0.06, 6.0).any()
    blotch = wall.copy()
    blotch[25:55, 40:120] += 0.2                     # a fill wrong over an area: 30 px thick
    assert not trial_lines(plate, plate, blotch, where, 0.06, 6.0).any()
    short = plate.copy()
    short[29:32, 20:20 + GAP_FLAG - 2] = 0.05        # a dark dash shorter than a named stretch
    assert not trial_lines(short, short, wall, where, 0.06, 6.0).any()
    faint = plate.copy()
    faint[29:32, 20:180] = 0.55                      # moved by less than asked
    assert not trial_lines(faint, faint, wall, where, 0.06, 6.0).any()


def test_a_line_stands_out_from_both_sides_an_edge_does_not() -> None:
    lum = np.full((40, 80), 0.5, np.float32)
    lum[20, 10:70] = 0.2                       # a dark line
    xs = np.arange(10, 70)
    assert stands_as_line(lum, np.full(60, 20), xs)
    lum[28, 10:70] = 0.9                       # a bright one
    assert stands_as_line(lum, np.full(60, 28), xs)
    assert stands_as_line(np.ascontiguousarray(lum.T), xs, np.full(60, 20))  # upright
    edge = np.full((40, 80), 0.3, np.float32)
    edge[20:] = 0.7                            # a step: the rows on it lie between their sides
    assert not stands_as_line(edge, np.full(60, 20), xs)
    assert not stands_as_line(edge, np.full(60, 19), xs)
    faint = np.full((40, 80), 0.5, np.float32)
    faint[20, 10:70] = 0.49                    # under the step asked of a line
    assert not stands_as_line(faint, np.full(60, 20), xs)
