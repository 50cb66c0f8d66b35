"""A stroke where no wire stands out from the texture: repaired whole when narrow, left as it was
and named in the QC when broad (repainted whole, a broad stroke takes out what it crosses)."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.matte import WHOLE_STROKE_WIDEST, find_wire_matte
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.synthetic import texture
from inference_server.tasks.wire_removal import wire_qc

H, W = 160, 240


def _plate(h: int = H, w: int = W) -> np.ndarray:
    """A grainy wall with a wire far too faint to stand out of it (2% darker, smeared over 16 px)."""
    wall = 0.5 + 0.05 * (texture(h, w, 3) - 0.5) + np.random.default_rng(3).normal(0.0, 0.02, (h, w, 3))
    rows = np.arange(h, dtype=np.float32)[:, None]
    smear = np.clip(1.0 - np.abs(rows - h / 2) / 8.0, 0.0, 1.0)
    return (wall * (1.0 - 0.02 * smear[..., None])).astype(np.float32)


def _stroke(width: int) -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[80 - width // 2:80 + width // 2, 10:W - 10] = 1.0
    return hint


def test_a_broad_stroke_where_nothing_stands_out_is_left_and_named() -> None:
    plate, hint = _plate(), _stroke(int(WHOLE_STROKE_WIDEST) + 24)
    matte, scores = find_wire_matte(plate, hint)
    assert scores == [] and not matte.any()
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    out, m = rem.repair(0)
    np.testing.assert_array_equal(out, plate)          # not repainted: the plate as it came
    assert not m.any()
    qc = rem.last_qc
    assert qc is not None and qc.flagged and qc.repaired == 0.0
    assert qc.left_at == (10, 80 - hint[:, 120].sum() // 2, W - 10, 80 + hint[:, 120].sum() // 2)
    report = wire_qc([{"frame": 1001, **qc.as_dict()}])
    assert report["flagged"] == [1001]
    assert report["places"] == [f"1001 (x 10-{W - 10}, y 48-112) left as it was"]
    assert f"no wire stood out in a stroke broader than {WHOLE_STROKE_WIDEST:.0f} px, left as it was" in report["note"]


def test_a_narrow_stroke_where_nothing_stands_out_is_repaired_whole() -> None:
    plate, hint = _plate(), _stroke(24)
    matte, scores = find_wire_matte(plate, hint)
    assert scores == [] and (matte > 0).sum() == (hint > 0).sum()
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    out, m = rem.repair(0)
    assert (m > 0)[hint > 0].all()
    assert not np.array_equal(out[hint > 0], plate[hint > 0])
    qc = rem.last_qc
    assert qc is not None and qc.left_at is None and qc.repaired == 1.0


def test_a_stroke_broadening_past_the_width_is_named_where_it_was_left() -> None:
    """A stroke 1300 px long tapering from 24 to 80 px, searched in three bands: the narrow end is
    repainted whole, the broad one left; the frame is named with the stretch left (a stroke holding
    some matte was named nowhere)."""
    h, w = 200, 1300
    plate = _plate(h, w)
    hint = np.zeros((h, w), np.float32)
    for x in range(20, 1280):
        wd = 24 + (80 - 24) * (x - 20) / 1260
        hint[int(100 - wd / 2):int(100 + wd / 2), x] = 1.0
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    out, m = rem.repair(0)
    inside = hint > 0
    assert (m[:, 40] > 0)[inside[:, 40]].all()                     # narrow: repainted whole
    assert not m[:, 1200].any() and np.array_equal(out[:, 1200], plate[:, 1200])   # broad: left
    qc = rem.last_qc
    assert qc is not None and qc.flagged and qc.left_at is not None
    x0, _, x1, _ = qc.left_at
    assert x1 == 1280 and 500 <= x0 <= 780, qc.left_at              # the stretch left, to the stroke's end
