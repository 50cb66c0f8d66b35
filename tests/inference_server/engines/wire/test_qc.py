"""The QC net's second look: a stretch of a stroke holding a wire fewer than the rest of it."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire.qc import GAP_FLAG, matte_centres, wire_gaps
from inference_server.engines.wire.repair import PAINTED, PLATE, SHOWN, WireRemover, WireSettings
from inference_server.engines.wire.synthetic import texture
from inference_server.tasks.wire_removal import wire_qc

H, W = 120, 240


def _stroke() -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[44:76, 8:W - 8] = 1.0
    return hint


def _line(offset: float, slope: float = 0.0, width: float = 2.5) -> np.ndarray:
    """Coverage alpha (H, W) of a straight anti-aliased wire through row H/2 + offset."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    d = np.abs(yy - (H / 2 + offset + slope * (xx - W / 2))) / np.sqrt(1 + slope * slope)
    return np.clip(width / 2 + 0.5 - d, 0, 1).astype(np.float32)


def test_a_wire_that_stops_inside_the_stroke_leaves_a_gap_as_long_as_the_stretch() -> None:
    centres = np.zeros((H, W), bool)
    centres[54, 8:W - 8] = True
    centres[66, 8:150] = True  # the second wire found only up to x 150
    gap, box, missing = wire_gaps(centres, _stroke())
    assert gap == W - 8 - 150
    assert box == (150, 44, W - 8, 76)
    assert missing[44:76, 150:W - 8].all() and missing.sum() == 32 * (W - 8 - 150)


def test_a_tall_stroke_is_walked_along_its_length() -> None:
    centres = np.zeros((H, W), bool)
    centres[54, 8:W - 8] = True
    centres[66, 8:150] = True
    gap, box, _ = wire_gaps(np.ascontiguousarray(centres.T), np.ascontiguousarray(_stroke().T))
    assert gap == W - 8 - 150 and box == (44, 150, 76, W - 8)


def test_crossing_wires_and_a_stroke_with_no_wire_leave_no_gap() -> None:
    centres = np.zeros((H, W), bool)
    xs = np.arange(8, W - 8)
    for slope in (0.1, -0.1):  # two wires crossing at x = W / 2: a pixel apart or less for 11 columns
        centres[np.rint(H / 2 + slope * (xs - W / 2)).astype(int), xs] = True
    gap, _, _ = wire_gaps(centres, _stroke())
    assert gap == 11 < GAP_FLAG
    gap, box, missing = wire_gaps(np.zeros((H, W), bool), _stroke())
    assert (gap, box) == (0, None) and not missing.any()


def test_gaps_refuse_centres_of_another_size() -> None:
    with pytest.raises(ValueError, match="do not match hint shape"):
        wire_gaps(np.zeros((H, W + 1), bool), _stroke())
    with pytest.raises(ValueError, match="matte"):
        wire_gaps(np.zeros((H, W), bool), _stroke(), np.zeros((H, W + 1), np.uint8))


def test_a_learned_mattes_centres_are_one_pixel_per_wire_and_column() -> None:
    m = np.zeros((H, W), np.float32)
    m[52:57, 8:W - 8] = 1.0
    m[64:68, 8:160] = 0.8
    centres = matte_centres(m, _stroke())
    assert centres[:, 50].sum() == 2 and centres[54, 50] and centres[65, 50]
    assert centres[:, 200].sum() == 1
    assert wire_gaps(centres, _stroke())[0] == W - 8 - 160


def test_a_wire_the_matte_misses_along_part_of_the_stroke_is_named_with_its_place() -> None:
    # a rig's two wires; the bright one fades to 8% over the texture from x 150 on: the matte
    # finds it up to there and not past it, and the repaired frame's line search does not see it
    # either (it scores under the same margin); the frame is flagged where the wire is missing
    dark, bright = _line(-6), _line(6)
    truth = texture(H, W, 3) * 0.6 + 0.2
    fade = np.where(np.arange(W) >= 150, 0.08, 1.0).astype(np.float32)[None, :, None]
    plate = truth * (1 - dark[:, :, None]) + 0.03 * dark[:, :, None]
    plate = (plate * (1 - bright[:, :, None] * fade) + 0.97 * bright[:, :, None] * fade).astype(np.float32)
    hint = _stroke()
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    matte = rem.matte(0)
    faint = (bright > 0.5) & (hint > 0) & (np.arange(W) >= 150)[None, :]
    assert float((matte[faint] >= 0.5).mean()) < 0.05  # the matte really missed it there
    rem.repair(0)
    qc = rem.last_qc
    assert qc is not None and qc.flagged and qc.residual < 2.0  # flagged by the gap, not the line search
    assert qc.gap >= 75 and qc.gap_at is not None and 145 <= qc.gap_at[0] <= 155 and qc.gap_at[2] == W - 8
    report = wire_qc([{"frame": 1001, "value": qc.residual, **qc.as_dict()}])
    assert report["flagged"] == [1001] and report["gap_threshold"] == GAP_FLAG
    assert f"x {qc.gap_at[0]}-{qc.gap_at[2]}" in report["note"] and report["places"][0].startswith("1001 (x ")


def test_both_wires_found_along_the_stroke_flag_nothing() -> None:
    truth = texture(H, W, 3) * 0.6 + 0.2
    plate = truth.copy()
    for alpha, level in ((_line(-6), 0.03), (_line(6), 0.97)):
        plate = plate * (1 - alpha[:, :, None]) + level * alpha[:, :, None]
    plate = plate.astype(np.float32)
    rem = WireRemover(lambda i: plate, lambda i: _stroke(), 1, WireSettings(method="spatial", regrain=0.0))
    rem.repair(0)
    assert rem.last_qc is not None and not rem.last_qc.flagged and rem.last_qc.gap < GAP_FLAG


def test_a_learned_mattes_centres_pair_each_runs_ends_in_its_own_column() -> None:
    m = np.zeros((H, W), np.float32)
    m[50:70, 20] = 1.0  # a tall run beside a short one lower down: ends sorted by row interleave
    m[62:65, 21] = 1.0
    hint = np.zeros((H, W), np.float32)
    hint[44:76, 8:60] = 1.0
    centres = matte_centres(m, hint)
    assert np.nonzero(centres[:, 20])[0].tolist() == [59] and np.nonzero(centres[:, 21])[0].tolist() == [63]


def test_a_stretch_repaired_whole_leaves_no_gap() -> None:
    # a band of the stroke where nothing stood out is repaired over its whole hint: no wire can be left there
    centres = np.zeros((H, W), bool)
    centres[54, 8:W - 8] = True
    centres[66, 8:150] = True
    matte = np.zeros((H, W), np.uint8)
    matte[44:76, 150:W - 8] = 255
    assert wire_gaps(centres, _stroke(), matte)[:2] == (0, None)
    matte[44:60, 150:W - 8] = 0  # only part of it: the gap stands
    assert wire_gaps(centres, _stroke(), matte)[0] == W - 8 - 150


def test_the_repaired_frames_search_keeps_only_the_lines_that_are_the_repairs_to_mend() -> None:
    from inference_server.engines.wire.qc import lines_of_the_repair

    lines = np.zeros((H, W), bool)
    centres = np.zeros((H, W), np.int32)
    for k, (row, x0) in enumerate(((30, 20), (67, 20), (90, 20), (110, 120)), start=1):
        lines[row - 1:row + 2, x0:200] = True
        centres[row, x0:200] = k
    # 1 at row 30: a line of the plate the repair never came near (a wall's capping); 2 at row 67:
    # a fringe of the wire just below the fill; 3 at row 90: a plate line the fill crosses in one
    # place only; 4 at row 110: where the stroke holds a wire fewer (the wire the matte lost)
    changed = np.zeros((H, W), bool)
    changed[62:66, 10:210] = True
    changed[85:95, 100:110] = True
    missing = np.zeros((H, W), bool)
    missing[100:118, 110:210] = True
    kept, worst = lines_of_the_repair(lines, centres, [9.0, 3.0, 8.0, 4.0], changed, missing)
    assert kept[66:69, 20:200].all() and kept[109:112, 120:200].all()
    assert not kept[29:32].any() and not kept[89:92].any()
    assert worst == 4.0  # the strongest of the kept ones, not the capping line's 9
    kept, worst = lines_of_the_repair(np.zeros((H, W), bool), np.zeros((H, W), np.int32), [], changed, missing)
    assert not kept.any() and worst == 0.0


def test_only_a_line_that_keeps_its_distance_from_a_wire_found_is_mended_as_the_wires_rest() -> None:
    from inference_server.engines.wire.qc import along_a_wire

    found = np.zeros((H, W), bool)
    xs = np.arange(20, 220)
    found[np.rint(60 + 0.1 * (xs - 120)).astype(int), xs] = True  # a wire found, rising gently
    lines = np.zeros((H, W), bool)
    fringe = np.rint(64 + 0.1 * (xs - 120)).astype(int)  # its fringe, 4 px off all along
    for d in (0, 1):
        lines[fringe + d, xs] = True
    back = np.arange(40, 90)
    lines[np.rint(60 + 0.1 * (back - 120)).astype(int), back] = True  # a stretch of it lent back
    arc = np.arange(150, 200)  # a trim's arc, from the wire's edge bowing 10 px off it and back
    trim = np.rint(55 + 0.012 * (arc - 175) ** 2).astype(int)
    lines[trim, arc] = True
    cross = np.arange(60, 100)  # a line of the plate crossing the wire
    lines[cross, 100 + (cross - 60) // 4] = True
    out = along_a_wire(lines, found)
    assert out[fringe, xs].all() and out[fringe + 1, xs].all()
    assert out[np.rint(60 + 0.1 * (back - 120)).astype(int), back].all()
    assert not out[trim, arc].any()
    far = np.abs(cross - 63) > 4  # where the plate's line crosses the fringe they join; mended only there
    assert out[cross, 100 + (cross - 60) // 4].sum() <= 8 and not out[cross[far], 100 + (cross[far] - 60) // 4].any()
    assert not along_a_wire(lines, np.zeros((H, W), bool)).any()  # no wire found: nothing runs along one


def test_a_broad_line_spanning_two_wires_found_is_not_mended_as_either_ones_rest() -> None:
    """Three wires 9 px apart: a line the repaired frame's search finds across the band (an arm under
    the wires, 14 px wide) lies at a steady mean distance from the nearest wire found, column by
    column; it is no wire's rest (mended, the later pass lent the wall over the arm)."""
    from inference_server.engines.wire.qc import along_a_wire

    found = np.zeros((H, W), bool)
    xs = np.arange(20, 220)
    for row in (50, 59, 68):
        found[row, xs] = True
    lines = np.zeros((H, W), bool)
    arm = np.arange(100, 140)
    for x in arm:  # a diagonal band, 14 px across, over the three wires
        top = 48 + (x - 100) // 4
        lines[top:top + 14, x] = True
    fringe = np.arange(150, 210)
    lines[70, fringe] = True  # the lowest wire's fringe, 2 px under it
    out = along_a_wire(lines, found)
    assert not out[:, arm].any()
    assert out[70, fringe].all()


def test_a_band_wandering_from_one_side_of_a_wire_to_the_other_is_not_its_rest() -> None:
    """Its mean distance from the wire holds (4 px) while its middle drifts from 3 px above the wire to
    3 px below: a subject's edge the fill got wrong along the wire, no fringe and no wire lent back."""
    from inference_server.engines.wire.qc import along_a_wire

    found = np.zeros((H, W), bool)
    xs = np.arange(20, 220)
    found[60, xs] = True
    lines = np.zeros((H, W), bool)
    band = np.arange(40, 160)
    for x in band:
        mid = 60 + int(round(-3 + 6 * (x - 40) / 119))
        lines[mid - 4:mid + 5, x] = True
    assert not along_a_wire(lines, found)[:, band].any()
    back = np.zeros((H, W), bool)
    back[59:62, 40:160] = True  # the wire lent back, centred on it: its rest
    assert along_a_wire(back, found)[59:62, 40:160].all()


class _Narrow(WireRemover):
    """The classical matte, made worse the way a matte fails: ``keep`` says which of its pixels stay
    (and, with ``found_too``, which of the found wire's centre line: a wire found only so far)."""

    keep: np.ndarray
    found_too: bool

    def _band_matte(self, image: np.ndarray, hint: np.ndarray, memo: dict[object, object]
                    ) -> tuple[np.ndarray, np.ndarray]:
        m, centres = super()._band_matte(image, hint, memo)
        keep = self.keep[: m.shape[0], : m.shape[1]]
        return m * keep, (centres & keep) if self.found_too else centres


@pytest.mark.parametrize("fault", ["too narrow", "cut short"])
def test_a_wire_the_classical_matte_left_in_part_is_mended_by_the_second_pass(fault: str) -> None:
    wire = _line(0, width=6.0)  # rows 57-62
    truth = texture(H, W, 3) * 0.6 + 0.2
    plate = (truth * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]).astype(np.float32)
    hint = _stroke()
    keep = np.ones((H, W), bool)
    if fault == "too narrow":
        keep[H // 2 - 2:, :] = False  # the matte covers the wire's top edge only: most of it is left
    else:
        keep[:, 120:] = False     # the matte, and the wire found, end at x 120
    rem = _Narrow(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    rem.keep, rem.found_too = keep, fault == "cut short"
    core = (wire > 0.5) & (hint > 0)
    assert float((rem.matte(0)[core] >= 0.5).mean()) < 0.6  # the first matte really left part of it
    out, final = rem.repair(0)
    assert float((final[core] > 0).mean()) > 0.9
    err = float(np.abs(out - truth)[core].mean())
    assert err < 0.3 * float(np.abs(plate - truth)[core].mean())
    assert rem.last_qc is not None and rem.last_qc.passes >= 2


class _Lending(WireRemover):
    """Fills with a known colour and says how much of it the neighbours showed: the first pass lends
    the left half of every band and paints the right, the later pass paints everything."""

    calls = 0

    def _fill(self, i, target, matte, inside, ctx, nbrs, strict, frames, may_ask=False, line=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        conf = np.zeros(matte.shape, np.float32)
        if strict == "":
            conf[:, : W // 2 - ctx[2]] = 1.0
        fill = np.full(target.shape, 0.2 if strict == "" else 0.8, np.float32)
        none = np.zeros(matte.shape, np.float32)
        return fill, none, none, matte * inside, conf


def test_a_later_pass_keeps_what_a_neighbour_showed_repaints_only_paint_beside_it_and_nothing_far_from_its_lines() -> None:
    plate = np.full((H, W, 3), 0.5, np.float32)
    hint = _stroke()
    matte = np.zeros((H, W), np.uint8)
    matte[56:64, 8:W - 8] = 255
    rem = _Lending(lambda i: plate, lambda i: hint, 3, WireSettings(method="temporal", regrain=0.0))
    first = rem._composite(1, matte, strict="")
    assert np.allclose(first[0][56:64, 8:W - 8], 0.2)
    assert (first[3][56:64, 8:W // 2] == SHOWN).all() and (first[3][56:64, W // 2:W - 8] == PAINTED).all()
    assert (first[3][:56] == PLATE).all() and (first[3][64:] == PLATE).all()
    where = np.zeros((H, W), bool)
    where[58:61, 20:W - 20] = True  # the lines the QC asked to mend, along the fill
    wider = matte.copy()
    wider[50:70, 8:W - 8] = 255  # and a wider matte: the later pass fills more than those lines
    out, _, _, source = rem._composite(1, wider, strict="matte", base=first, where=where)
    assert np.allclose(out[56:64, 8:W // 2], 0.2)  # the neighbours' pixels kept
    assert np.allclose(out[56:64, W // 2:W // 2 + 2], 0.8)  # paint that read them, painted again
    assert np.allclose(out[56:64, W // 2 + 2:W - 8], 0.2)  # paint 3 px and more from them kept
    assert np.allclose(out[55:56, 20:W - 20], 0.8)  # the plate near the lines
    assert np.allclose(out[50:55, :], 0.5) and np.allclose(out[64:70, :], 0.5)  # nothing 3 px past them
    assert (source[56:64, 8:W // 2] == SHOWN).all() and (source[56:64, W // 2:W - 8] == PAINTED).all()
    assert (source[55, 20:W - 20] == PAINTED).all() and (source[50:55] == PLATE).all()


def _across() -> np.ndarray:
    """Bool (H, W): a line crossing the stroke, rows 50-69, a column to the right every 2 rows."""
    line = np.zeros((H, W), bool)
    ys = np.arange(50, 70)
    line[ys, 100 + (ys - 50) // 2] = True
    return line


class _LeftAcross(WireRemover):
    """The repaired frame's search finds a line crossing the stroke (a moving arm the fill got
    wrong), no wire's rest: not mended, but its pixels are not lent to the neighbours either."""

    def _residual(self, i, out, where=None, missing=None):  # type: ignore[no-untyped-def]
        return _across().astype(np.uint8), 3.0


def test_a_line_the_qc_found_but_did_not_mend_is_not_lent_to_the_neighbours() -> None:
    truth = texture(H, W, 5) * 0.6 + 0.2
    wire = _line(0)
    plate = (truth * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]).astype(np.float32)
    hint = _stroke()
    rem = _LeftAcross(lambda i: plate, lambda i: hint, 3, WireSettings(method="spatial", regrain=0.0))
    first = rem.matte(1).copy()
    out, final = rem.repair(1)
    across = _across() & (hint > 0) & (first < 0.5)  # the line's pixels the first matte left to the plate
    assert across.sum() >= 5
    assert rem.last_qc is not None and rem.last_qc.passes == 1 and rem.last_qc.flagged
    assert np.array_equal(out[across], plate[across])  # not mended: the frame keeps its plate there
    assert (final[across] == 0).all()  # the matte reported is the one the frame was repaired with
    assert (rem.matte(1)[across] == 0).all()  # and the one a later repair of the frame starts from
    assert (rem._not_lent(1, (0, H, 0, W))[across] == 1.0).all()  # but the neighbours do not take them
    assert (rem._not_lent(1, (40, 80, 90, 130))[across[40:80, 90:130]] == 1.0).all()  # in any band's box
    assert (rem._not_lent(0, (0, H, 0, W))[across] == 0).all()  # a frame not repaired doubts nothing


def _calm_stretch_plate(contrast: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(truth, plate, the grey wire's alpha): a dark wire and a grey one (0.25) over busy texture up to
    x 160, then over a calmer one whose mean lies ``contrast`` above the grey wire: the stroke's texture,
    measured around all of it, is the busy part's, and the grey wire's gain past x 160 falls under it."""
    busy = texture(H, W, 3) * 0.9 + 0.05
    rng = np.random.default_rng(1)
    calm = texture(H, W, 7) * 0.2 + 0.15 + contrast + rng.normal(0, 0.004, (H, W, 3))
    truth = np.where((np.arange(W) >= 160)[None, :, None], calm, busy).astype(np.float32)
    plate = truth.copy()
    grey = _line(6)
    for alpha, level in ((_line(-6), 0.03), (grey, 0.25)):
        plate = plate * (1 - alpha[:, :, None]) + level * alpha[:, :, None]
    return truth, plate.astype(np.float32), grey


def test_a_wire_lost_past_the_busy_part_of_its_stroke_is_found_there_and_repaired() -> None:
    # the grey wire is found over the busy texture and lost over the calm stretch (the first matte's
    # search measures it against the busy part's texture); the stroke holds a wire fewer there, and
    # the search of that stretch alone, against its own texture, finds it: repaired, not flagged
    truth, plate, grey = _calm_stretch_plate(0.058)
    hint = _stroke()
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    lost = (grey > 0.5) & (hint > 0) & (np.arange(W) >= 164)[None, :]
    assert float((rem.matte(0)[lost] >= 0.5).mean()) < 0.1  # the first matte misses it past x 160
    out, matte = rem.repair(0)
    qc = rem.last_qc
    assert qc is not None and qc.passes == 2 and not qc.flagged and qc.gap < GAP_FLAG
    assert float((matte[lost] >= 128).mean()) > 0.9
    before = float(np.abs(plate - truth).max(axis=2)[lost].mean())
    after = float(np.abs(out.astype(np.float32) - truth).max(axis=2)[lost].mean())
    assert after < 0.7 * before  # painted from one frame over a textured wall: not the truth, far nearer it


def test_the_gap_search_adds_only_the_wire_the_matte_lacks_in_the_stretch() -> None:
    truth = texture(H, W, 3) * 0.6 + 0.2
    dark, bright = _line(-6), _line(6)
    plate = truth * (1 - dark[:, :, None]) + 0.03 * dark[:, :, None]
    plate = (plate * (1 - bright[:, :, None]) + 0.97 * bright[:, :, None]).astype(np.float32)
    hint = _stroke()
    hint[80:100, 8:W - 8] = 1.0  # a second stroke 4 px below, with no wire: none of it is taken
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    matte = np.zeros((H, W), np.uint8)  # a matte holding the dark wire, and the bright one up to x 150
    matte[(dark > 0) & (hint > 0)] = 255
    matte[(bright > 0) & (hint > 0) & (np.arange(W) < 150)[None, :]] = 255
    missing = (_stroke() > 0) & (np.arange(W) >= 150)[None, :]
    lines = np.zeros((H, W), bool)  # the first search's centre lines: the dark wire, the bright one up to x 150
    lines[H // 2 - 6, 8:W - 8] = True
    lines[H // 2 + 6, 8:150] = True
    found, centres = rem._gap_search(0, missing, matte, (0, H, 0, W), lines)
    cols, rows = np.arange(W)[None, :], np.arange(H)[:, None]
    assert float(found[(bright > 0.5) & (hint > 0) & (cols >= 152)].mean()) > 0.95
    assert not (found & (np.abs(rows - (H / 2 + 6)) > 4)).any()  # the bright wire's core only: not the sliver
    assert centres[:, 152:W - 8].sum(axis=0).min() >= 1
    lines[H // 2 + 6] = False  # with no wire found within reach of it, a line found there is not taken
    assert not rem._gap_search(0, missing, matte, (0, H, 0, W), lines)[0].any()


def test_the_gap_search_takes_nothing_where_the_wires_are_hidden() -> None:
    # a flat grey board 40 px wide in front of both wires: the stroke holds no wire there, the search
    # finds none (nor in the second stroke 4 px below), and the frame is flagged
    truth = texture(H, W, 3) * 0.6 + 0.2
    dark, bright = _line(-6), _line(6)
    plate = truth * (1 - dark[:, :, None]) + 0.03 * dark[:, :, None]
    plate = plate * (1 - bright[:, :, None]) + 0.97 * bright[:, :, None]
    plate[30:90, 150:190] = 0.5
    plate = plate.astype(np.float32)
    hint = _stroke()
    hint[80:100, 8:W - 8] = 1.0
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    matte = np.zeros((H, W), np.uint8)
    matte[((dark > 0) | (bright > 0)) & (hint > 0) & ((np.arange(W) < 150) | (np.arange(W) >= 190))[None, :]] = 255
    missing = (np.arange(H)[:, None] >= 44) & (np.arange(H)[:, None] < 76) & (np.arange(W) >= 150)[None, :] \
        & (np.arange(W) < 190)[None, :]
    lines = np.zeros((H, W), bool)
    lines[H // 2 - 6, 8:150] = lines[H // 2 - 6, 190:W - 8] = True
    lines[H // 2 + 6, 8:150] = lines[H // 2 + 6, 190:W - 8] = True
    found, centres = rem._gap_search(0, missing, matte, (0, H, 0, W), lines)
    assert not found.any() and not centres.any()
    rem.repair(0)
    qc = rem.last_qc
    assert qc is not None and qc.flagged and qc.gap >= 35 and qc.gap_at is not None and 145 <= qc.gap_at[0] <= 155


def test_a_wire_the_neighbours_mattes_missed_too_is_not_lent_back_over_a_still_shot() -> None:
    """A locked-off shot and a wire that holds its place: every frame's first matte covers its top
    edge only. The second pass mends the rest in the frame repaired, and the neighbours, whose mattes
    missed the same rest, hold the wire there: lent, it would come back (``lent_again``); painted, it goes."""
    wire = _line(0, width=6.0)
    truth = texture(H, W, 3) * 0.6 + 0.2
    plate = (truth * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]).astype(np.float32)
    hint = _stroke()
    keep = np.ones((H, W), bool)
    keep[H // 2 - 2:, :] = False
    rem = _Narrow(lambda i: plate, lambda i: hint, 3, WireSettings(method="static", regrain=0.0))
    rem.keep, rem.found_too = keep, False
    core = (wire > 0.5) & (hint > 0)
    assert float((rem.matte(0)[core] >= 0.5).mean()) < 0.6  # the neighbours' first mattes left part of it
    out, final = rem.repair(1)
    assert rem.last_qc is not None and rem.last_qc.passes >= 2
    assert float((final[core] > 0).mean()) > 0.9
    assert float(np.abs(out - truth)[core].mean()) < 0.3 * float(np.abs(plate - truth)[core].mean())
