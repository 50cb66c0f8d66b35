"""Every wire in the hint: several wires per stroke, both polarities, crossings, and the QC net."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import matte, ridges
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.synthetic import texture
from inference_server.tasks.wire_removal import wire_qc

H, W = 120, 240


def _line(offset: float, slope: float = 0.0, width: float = 2.5) -> np.ndarray:
    """Coverage alpha (H, W) of a straight anti-aliased wire through row H/2 + offset."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    centre = H / 2 + offset + slope * (xx - W / 2)
    d = np.abs(yy - centre) / np.sqrt(1 + slope * slope)
    return np.clip(width / 2 + 0.5 - d, 0, 1).astype(np.float32)


def _scene(wires: list[tuple[np.ndarray, float]], seed: int = 3, frames: int = 1
           ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(truth frames, plates, alpha union) with the wires (alpha, grey level) drawn over texture."""
    truth = [texture(H, W, seed + t) * 0.6 + 0.2 for t in range(frames)]
    plates = []
    for g in truth:
        p = g.copy()
        for alpha, level in wires:
            p = p * (1 - alpha[:, :, None]) + level * alpha[:, :, None]
        plates.append(p.astype(np.float32))
    union = np.max([a for a, _ in wires], axis=0)
    return truth, plates, union


def _hint(rows: tuple[int, int]) -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[rows[0]:rows[1], 8:W - 8] = 1.0
    return hint


def test_one_stroke_over_a_dark_and_a_bright_wire_mattes_both() -> None:
    dark, bright = _line(-6), _line(6)
    _, plates, _ = _scene([(dark, 0.03), (bright, 0.97)])
    hint = _hint((H // 2 - 16, H // 2 + 16))
    m = matte.refine_wire_matte(plates[0], hint)
    inner = hint > 0
    for alpha in (dark, bright):
        core = (alpha > 0.5) & inner
        assert float((m[core] > 0.3).mean()) > 0.95
    assert float((m > 0)[inner].mean()) < 0.6  # tight: most of the stroke keeps the plate


def test_crossing_wires_of_opposite_polarity_are_both_found() -> None:
    a, b = _line(0, slope=0.15), _line(0, slope=-0.15)
    _, plates, _ = _scene([(a, 0.03), (b, 0.95)])
    hint = _hint((H // 2 - 28, H // 2 + 28))
    m = matte.refine_wire_matte(plates[0], hint)
    for alpha in (a, b):
        core = (alpha > 0.5) & (hint > 0)
        assert float((m[core] > 0.3).mean()) > 0.9


def test_repair_removes_both_wires_and_reports_qc() -> None:
    truth, plates, union = _scene([(_line(-6), 0.03), (_line(6), 0.97)])
    hint = _hint((H // 2 - 16, H // 2 + 16))
    rem = WireRemover(lambda i: plates[i], lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    out, _ = rem.repair(0)
    wire = (union > 0.5) & (hint > 0)
    before = float(np.abs(plates[0] - truth[0])[wire].mean())
    after = float(np.abs(out - truth[0])[wire].mean())
    assert after < 0.25 * before  # one wire left would be about 0.5
    assert np.array_equal(out[hint == 0], plates[0][hint == 0])
    assert rem.last_qc is not None and not rem.last_qc.flagged
    assert rem.last_qc.residual < 2.0


def test_a_wire_the_matte_misses_is_caught_by_the_qc_net_and_repaired() -> None:
    dark, bright = _line(-6), _line(6)
    truth, plates, _ = _scene([(dark, 0.03), (bright, 0.97)])
    hint = _hint((H // 2 - 16, H // 2 + 16))

    def blind(image: np.ndarray, band_hint: np.ndarray) -> np.ndarray:
        """A learned matte that sees only the dark wire (the case of a model trained on one wire)."""
        return np.clip(_line(-6, width=5.0)[: band_hint.shape[0], : band_hint.shape[1]] * 2, 0, 1) * (band_hint > 0)

    rem = WireRemover(lambda i: plates[i], lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0),
                      matte_model=blind)
    first = rem.matte(0)
    assert float((first[(bright > 0.5) & (hint > 0)] > 0).mean()) < 0.05  # the model really missed it
    out, final = rem.repair(0)
    core = (bright > 0.5) & (hint > 0)
    assert float((final[core] > 0).mean()) > 0.95  # the net widened the matte to the missed wire
    err = float(np.abs(out - truth[0])[core].mean())
    assert err < 0.25 * float(np.abs(plates[0] - truth[0])[core].mean())
    assert rem.last_qc is not None and rem.last_qc.passes >= 2 and not rem.last_qc.flagged


def test_wire_qc_names_the_flagged_frames() -> None:
    checks = [{"frame": 1001, "value": 0.0, "residual": 0.0, "repaired": 0.3, "passes": 1, "flagged": False},
              {"frame": 1002, "value": 3.1, "residual": 3.1, "repaired": 0.4, "passes": 3, "flagged": True}]
    qc = wire_qc(checks)
    assert qc["flagged"] == [1002]
    assert "1002" in qc["note"] and "1 frame(s)" in qc["note"]
    assert qc["threshold"] == 2.0 and len(qc["frames"]) == 2
    assert wire_qc(checks[:1])["flagged"] == []


def test_a_wire_over_a_rough_wall_has_an_extent_as_tall_as_the_wire() -> None:
    # a rough wall is brighter than its morphological opening nearly everywhere: measured from
    # that envelope a wire's extent runs on through the wall's texture (rows of wall repainted);
    # measured from the surroundings' median it stops at the wire's edge
    import cv2

    rng = np.random.default_rng(5)
    rough = cv2.GaussianBlur(rng.random((H, W)).astype(np.float32), (0, 0), 1.2)
    wall = 0.35 + 0.15 * (rough - rough.mean()) / rough.std()
    wire = _line(0, width=4.0)  # rows H/2 - 2 .. H/2 + 2
    lum = (wall * (1 - wire) + 0.95 * wire).astype(np.float32)
    excess = matte._excess(lum, 28.0)
    path = np.full(W, H // 2, np.int64)
    limit = np.full(W, 10, np.int64)
    up, down = matte._extent(excess["bright-median"], path, limit)
    assert float(np.median(up)) <= 2 and float(np.median(down)) <= 2, (np.median(up), np.median(down))
    assert float(np.median(up)) >= 1 and float(np.median(down)) >= 1  # the wire's own rows
    up_env, down_env = matte._extent(excess["bright"], path, limit)
    assert float(np.median(up_env + down_env)) >= 6  # the envelope's excess ran on into the wall


def test_the_bands_of_one_stroke_search_against_the_strokes_texture_floor() -> None:
    # a long stroke cut into three bands: calm wall on the left, busy texture on the right. Each
    # band's own floor differs (the busy band's is higher); the search of every band uses their
    # width-weighted pool, and what the floors pass measured of the plate is not left for a later
    # search (the QC of the repaired frame measures the repair, not the plate)
    from inference_server.engines.wire.matte import FLOOR, RAW, pooled_floors

    h, w = 96, 768
    plate = np.full((h, w, 3), 0.5, np.float32)
    plate[:, 8:256] += (texture(h, 248, 3) - 0.5) * 0.05
    plate[:, 512:] = texture(h, 256, 5) * 0.8 + 0.1
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip(2.0 - np.abs(yy - 48 - 0.01 * (xx - 384)), 0, 1)
    plate = (plate * (1 - alpha[..., None]) + 0.1 * alpha[..., None]).astype(np.float32)
    hint = np.zeros((h, w), np.float32)
    hint[34:62, 8:w - 8] = 1.0
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0, band=256))
    bands = rem._hint_bands(0, hint)
    assert len(bands) == 3
    own = [pooled_floors([_floors_of(plate, hint, ctx)]) for _, ctx in bands]
    key = next(k for k in own[0] if k.startswith(f"{FLOOR}dark"))
    assert own[2][key][0] > 1.5 * own[0][key][0]  # the busy band's own floor
    m = rem._matte_u8(0)
    memos = [rem._memo(0, ctx) for _, ctx in bands]
    levels = {round(float(v[0][0]), 6) for memo in memos for stroke in memo.values() for n, v in stroke.items()
              if n == key}
    assert len(levels) == 1  # one floor for the stroke
    level = levels.pop()
    assert min(o[key][0] for o in own) < level < max(o[key][0] for o in own)
    assert not any(RAW in stroke for memo in memos for stroke in memo.values())
    assert float((m[alpha > 0.9] > 127).mean()) > 0.95


def _floors_of(plate: np.ndarray, hint: np.ndarray, ctx: tuple[int, int, int, int]) -> dict[object, object]:
    """A band's own floors: its memo after a floors-only pass over its context."""
    y0, y1, x0, x1 = ctx
    memo: dict[object, object] = {}
    matte.find_wire_matte(plate[y0:y1, x0:x1], hint[y0:y1, x0:x1], memo=memo, floors_only=True)
    return memo


@pytest.mark.parametrize("learned", [False, True])
def test_a_wire_along_the_hints_edge_is_not_read_back_from_outside_it(learned: bool) -> None:
    # The stroke's lower edge runs along a 4 px dark wire, just below its middle: the wire's lower
    # rows lie outside the hint and must stay (outside is never touched); inside, the fill must not
    # read them as the background below (it brought the wire back in as a dark smear).
    wire = _line(2, width=4.0)  # rows H/2 + 1 .. H/2 + 3 covered, H/2 and H/2 + 4 half
    truth, plates, _ = _scene([(wire, 0.03)])
    hint = _hint((H // 2 - 14, H // 2 + 3))  # its last row: the wire's middle
    found = matte.find_wire_matte(plates[0], hint, beyond=True)[0]
    outside = (wire > 0.5) & (hint == 0)
    outside[:, :8] = outside[:, W - 8:] = False  # where the wire runs on past the stroke's ends: not seen
    assert float((found[outside] > 0).mean()) > 0.9  # the wire seen past the edge
    assert not (found[(hint == 0) & (wire == 0)] > 0).any()  # and nothing but the wire
    assert not (matte.refine_wire_matte(plates[0], hint)[hint == 0] > 0).any()
    # a learned matte is zero outside the hint (``serving``): the classical guard matte sees past it
    model = (lambda image, band_hint: matte.refine_wire_matte(image, band_hint)) if learned else None
    rem = WireRemover(lambda i: plates[i], lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0),
                      matte_model=model)
    out, m = rem.repair(0)
    assert np.array_equal(out[hint == 0], plates[0][hint == 0])
    assert not (m[hint == 0] > 0).any() and not (rem.matte(0)[hint == 0] > 0).any()
    inner = (wire > 0.5) & (hint > 0)
    before = float(np.abs(plates[0] - truth[0])[inner].mean())
    after = float(np.abs(out - truth[0])[inner].mean())
    assert after < 0.25 * before, (before, after)


def test_two_dark_wires_close_together_are_two_ridges_not_one_between_them() -> None:
    # at a coarse scale two dark wires 6 px apart blur into one dark line along the bright gap
    # between them; the gap is a bright ridge at the finer scales, so no dark ridge lies there
    upper, lower = _line(-3, width=2.0), _line(3, width=2.0)
    both = np.maximum(upper, lower)[:, :, None]
    img = (np.full((H, W, 3), 0.6, np.float32) * (1 - both) + 0.03 * both).astype(np.float32)
    col = ridges.ridge_response(img, along=0)[0][:, W // 2]
    assert col[H // 2] < 0.1 * col[H // 2 - 3] and col[H // 2] < 0.1 * col[H // 2 + 3]
    # over a plain wall, sloping: a path along the gap took both wires' cores out of the search
    # (the later paths ran on their outer flanks, and left their cores unmatted)
    for slope, seed in ((0.1, 0), (0.2, 4)):
        upper, lower = _line(-3, slope=slope, width=2.0), _line(3, slope=slope, width=2.0)
        both = np.maximum(upper, lower)[:, :, None]
        plate = ((texture(H, W, seed) * 0.06 + 0.59) * (1 - both) + 0.03 * both).astype(np.float32)
        hint = _hint((H // 2 - 38, H // 2 + 38))
        centres = np.zeros((H, W), bool)
        m = matte.find_wire_matte(plate, hint, centres=centres)[0]
        assert int(((both[:, :, 0] > 0.5) & (m < 0.5) & (hint > 0)).sum()) < 10
        xs = np.arange(24, W - 24)
        gap = H / 2 + slope * (xs - W / 2)
        assert np.mean([bool((np.abs(np.nonzero(centres[:, x])[0] - c) <= 1.0).any()) for x, c in zip(xs, gap)]) < 0.1


def test_the_qc_searches_the_repair_not_the_grain_laid_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # the frame the QC searches for lines left is the same with regrain on or off; the frame delivered is grained
    _, plates, _ = _scene([(_line(-6), 0.03), (_line(6), 0.97)], frames=3)
    plates = [np.clip(p + np.random.default_rng(k).normal(0, 0.03, p.shape), 0, 1).astype(np.float32)
              for k, p in enumerate(plates)]  # a grainy plate: the repair adds grain to match
    hint = _hint((H // 2 - 16, H // 2 + 16))
    searched: dict[float, list[np.ndarray]] = {}
    delivered = {}
    residual = WireRemover._residual

    for regrain in (0.0, 1.0):
        def spy(self: WireRemover, i: int, out: np.ndarray, *args: object, _r: float = regrain, **kw: object
                ) -> tuple[np.ndarray, float]:
            searched.setdefault(_r, []).append(out.copy())
            return residual(self, i, out, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(WireRemover, "_residual", spy)
        rem = WireRemover(lambda i: plates[i], lambda i: hint, 3, WireSettings(regrain=regrain))
        delivered[regrain] = rem.repair(1)[0]
    assert len(searched[0.0]) == len(searched[1.0])
    for bare, grained in zip(searched[0.0], searched[1.0], strict=True):
        assert np.array_equal(bare, grained)
    inside = hint > 0
    assert float(np.abs(delivered[1.0] - delivered[0.0])[inside].mean()) > 0.005  # the grain is there
