"""A wire the matte lost for a stretch of its stroke is carried across it where it still shows."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import repair
from inference_server.engines.wire.bridge import bridge_gaps, course
from inference_server.engines.wire.qc import GAP_FLAG
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.ridges import analysis_luma
from inference_server.engines.wire.synthetic import texture

H, W = 120, 320
PATCH = (130, 200)  # columns of the dark cloth the wire crosses


def _plate(over_patch: str, beside: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plate, hint, true wire alpha): a 3 px wire, gently sloped, across a textured wall with a
    patch of dark cloth in columns ``PATCH``. ``over_patch``: "faint" (a dark wire, 0.04; over the
    cloth 0.11, 0.03 under its mean), "grey" (a grey wire, 0.45, over a paler wall: dark against
    the wall, bright against the cloth), "hidden" (a dark wire; the cloth is in front of it) or
    "other" (a dark wire, 12 px lower over the cloth: no course continues). ``beside``: a rig's
    bright 2.5 px wire runs 12 px under the first one all along (not in the alpha returned)."""
    grey = over_patch == "grey"
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    wall = texture(H, W, 5) * 0.3 + 0.65 if grey else texture(H, W, 5) * 0.5 + 0.3
    cloth = (0.14 + 0.1 * (texture(H, W, 6) - 0.5)).astype(np.float32)
    on = (xx >= PATCH[0]) & (xx < PATCH[1])
    truth = np.where(on[:, :, None], cloth, wall).astype(np.float32)
    centre = 55 + 0.04 * (xx - W / 2)
    if over_patch == "other":
        centre = centre + np.where(on, 12.0, 0.0)
    alpha = np.clip(2.0 - np.abs(yy - centre), 0, 1)
    if over_patch == "hidden":
        alpha = np.where(on, 0.0, alpha)
    value = np.full((1, W, 1), 0.45) if grey else np.where(on, 0.11, 0.04)[:, :, None]
    plate = (truth * (1 - alpha[:, :, None]) + value * alpha[:, :, None]).astype(np.float32)
    if beside:
        bright = np.clip(1.75 - np.abs(yy - centre - 12.0), 0, 1)[:, :, None]
        plate = (plate * (1 - bright) + 0.95 * bright).astype(np.float32)
    hint = np.zeros((H, W), np.float32)
    hint[35:80, 8:W - 8] = 1.0
    return plate, hint, alpha


def _lost(alpha: np.ndarray, beside: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(centre lines, matte uint8) as the bands would leave them: the wire found either side of the
    cloth, and lost over it and for 12 columns either side (the pieces too short to be judged);
    ``beside``: and the bright wire 12 px under it found all along."""
    import cv2

    keep = np.ones(W, bool)
    keep[PATCH[0] - 12:PATCH[1] + 12] = False
    keep[:8] = keep[W - 8:] = False
    core = (alpha >= 0.5) & keep[None, :]
    if beside:
        core |= np.roll(alpha >= 0.5, 12, axis=0) & (np.arange(W) >= 8)[None, :] & (np.arange(W) < W - 8)[None, :]
    centres = np.zeros((H, W), bool)
    for c in np.nonzero(core.any(axis=0))[0]:
        count, labels = cv2.connectedComponents(core[:, c:c + 1].astype(np.uint8))
        for k in range(1, count):  # the middle of each wire's run down the column
            centres[int(np.mean(np.nonzero(labels[:, 0] == k)[0])), c] = True
    matte = cv2.dilate(core.astype(np.uint8), np.ones((3, 1), np.uint8)) * 255
    return centres, matte.astype(np.uint8)


def _bridged(over_patch: str, beside: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    plate, hint, alpha = _plate(over_patch, beside)
    centres, matte = _lost(alpha, beside)
    out, lines = bridge_gaps(centres, hint, matte, lambda box: analysis_luma(plate[box]))
    return out, lines, alpha, matte


@pytest.mark.parametrize(("over_patch", "beside"), [("faint", False), ("faint", True), ("grey", False)],
                         ids=["alone", "rig's other wire beside it", "its polarity turns over the cloth"])
def test_a_faint_stretch_of_a_found_wire_is_matted_along_its_course(over_patch: str, beside: bool) -> None:
    # beside it, the rig's bright wire is no measure of what the texture does: a course moved off
    # the lost wire reads it as a bright side, and the lost wire would not stand out from that.
    # A wire dark against the wall and bright against the cloth is one line along one course: the
    # pieces either side are dark lines, the stretch between them a bright one
    out, lines, alpha, before = _bridged(over_patch, beside)
    gap = np.zeros(W, bool)
    gap[PATCH[0] - 12:PATCH[1] + 12] = True
    wire = (alpha >= 0.5) & gap[None, :]
    assert not (before[wire] > 0).any()
    assert float((out[wire] >= 128).mean()) > 0.97  # the wire over the cloth is matted now
    assert float((out[(alpha == 0) & (before == 0) & gap[None, :]] > 0).mean()) < 0.03  # and little else
    carried = (lines & ~_lost(alpha, beside)[0])[:, gap]
    assert carried.any(axis=0).sum() == gap.sum()  # its centre line carried across
    rows, at = np.nonzero(carried)
    assert np.abs(rows - (55 + 0.04 * (np.nonzero(gap)[0][at] - W / 2))).max() <= 1.0  # along the wire
    far = np.ones(W, bool)
    far[PATCH[0] - 14:PATCH[1] + 14] = False  # the bridge's feather reaches a column or two past its ends
    assert np.array_equal(out[:, far], before[:, far])  # the rest of the matte as it was


def _over_cloth(out: np.ndarray, before: np.ndarray, alpha: np.ndarray) -> tuple[bool, bool]:
    """(whether anything was matted over the cloth, past the feather of the wire's own end at its
    edge; whether anything was matted more than a feather's reach from the wire)."""
    import cv2

    cloth = slice(PATCH[0] + 6, PATCH[1] - 6)  # a matte's feather reaches 5 px past its core
    near = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((11, 11), np.uint8)) > 0
    return bool((out[:, cloth] > before[:, cloth]).any()), bool((out[~near] > before[~near]).any())


def test_a_wire_hidden_behind_a_foreground_is_not_carried_across_it() -> None:
    # the 12 columns either side the bands dropped are the wire's, over the wall: those are
    # carried on to the cloth (``carry_ends``), and no further
    out, lines, alpha, before = _bridged("hidden")
    assert _over_cloth(out, before, alpha) == (False, False)
    assert not (lines & ~_lost(alpha)[0])[:, PATCH[0] + 4:PATCH[1] - 4].any()  # its line ends at the cloth's edge


def test_pieces_that_do_not_continue_each_others_course_are_not_joined() -> None:
    out, lines, alpha, before = _bridged("other")
    assert _over_cloth(out, before, alpha) == (False, False)
    assert not (lines & ~_lost(alpha)[0])[:, PATCH[0] + 4:PATCH[1] - 4].any()  # its line ends at the cloth's edge


def test_a_wire_of_one_luminance_is_read_dark_or_bright_by_what_lies_beside_it() -> None:
    # a 0.4 line over a pale wall (columns 0-19) and over dark cloth (20-39): read as a wire of its
    # own luminance it stands out all along; read as a dark line, only over the wall
    from inference_server.engines.wire.bridge import _seen

    lum = np.full((21, 40), 0.8, np.float32)
    lum[:, 20:] = 0.1
    lum[10, :] = 0.4
    cols, rows = np.arange(40), np.full(40, 10.0)
    own = _seen(lum, cols, rows, 1.0, 0.4)
    assert np.allclose(own[:20], 0.4) and np.allclose(own[20:], 0.3)
    dark = _seen(lum, cols, rows, 1.0, -np.inf)
    assert np.allclose(dark[:20], 0.4) and (dark[20:] <= 0).all()
    # one own luminance per column: as a 0.05 wire over the cloth, darker than it, no line stands out there
    each = _seen(lum, cols, rows, 1.0, np.r_[np.full(20, 0.4), np.full(20, 0.05)].astype(np.float32))
    assert np.allclose(each[:20], 0.4) and (each[20:] <= 0).all()


def test_the_course_leaves_and_meets_the_ends_along_their_slopes() -> None:
    cols, rows = course((10, 20.0, 0.5), (30, 30.0, 0.5))
    assert cols.tolist() == list(range(11, 30))
    assert np.allclose(rows, 20.0 + 0.5 * (cols - 10))  # a straight wire stays straight
    cols, rows = course((0, 0.0, 0.1), (100, 0.0, -0.1))  # a sag's bottom: it bends between the ends
    assert rows.max() > 2.0 and np.argmax(rows) in range(45, 55)


def test_a_repair_removes_a_dark_wire_over_dark_cloth(monkeypatch: pytest.MonkeyPatch) -> None:
    plate, hint, alpha = _plate("faint")
    over = (alpha >= 0.5) & ((np.arange(W) >= PATCH[0]) & (np.arange(W) < PATCH[1]))[None, :]
    unbridged = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    monkeypatch.setattr(repair, "BRIDGE", False)
    assert float((unbridged.matte(0)[over] >= 0.5).mean()) < 0.1  # the search alone loses it over the cloth
    monkeypatch.setattr(repair, "BRIDGE", True)
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    assert float((rem.matte(0)[over] >= 0.5).mean()) > 0.95
    out, _ = rem.repair(0)
    assert rem.last_qc is not None and rem.last_qc.gap < GAP_FLAG and not rem.last_qc.flagged
    err = np.abs(out - _plate("hidden")[0])[over].max(axis=-1)
    assert float(np.median(err)) < 0.02  # the cloth, not the wire, is there now


def test_many_courses_read_at_once_read_as_each_one_alone() -> None:
    """``_contrasts`` (every course of a carried step's family at once, both polarities) gives each
    course what it is by definition: the lesser of its sides' medians (``half + 2`` to ``half + 5``
    px off) less the darkest of its three rows for a dark line; for a bright one the brightest of
    them less the greater median. ``_seen`` reads one course in the polarity a wire of a given
    luminance has against each column's sides: a wire darker than anything, dark; brighter, bright."""
    from inference_server.engines.wire.bridge import _contrasts, _seen

    rng = np.random.default_rng(4)
    lum = rng.random((60, 90)).astype(np.float32)
    cols = np.arange(10, 40)
    courses = np.stack([20.3 + shift + bend * np.arange(1, 31) for shift in (-3, 0, 2) for bend in (-0.08, 0.0, 0.08)])
    yi = np.rint(courses).astype(np.int64)
    both = _contrasts(lum, cols, yi, 1.5)
    for f, rows in enumerate(courses):
        y = yi[f]
        line = np.stack([lum[y + d, cols] for d in (-1, 0, 1)])
        above, below = (np.median(np.stack([lum[y + s * d, cols] for d in range(4, 8)]), axis=0) for s in (-1, 1))
        assert np.allclose(both[f, 0], np.minimum(above, below) - line.min(axis=0), atol=1e-6)
        assert np.allclose(both[f, 1], line.max(axis=0) - np.maximum(above, below), atol=1e-6)
        assert np.array_equal(_seen(lum, cols, rows, 1.5, -1.0), both[f, 0])
        assert np.array_equal(_seen(lum, cols, rows, 1.5, 2.0), both[f, 1])


def _along_an_edge(hidden: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(matte bridged, matte before, true wire alpha, the gap's columns): a grey wire (0.45, 3 px) over a
    dark textured wall, lost for ``PATCH`` and 12 columns either side; over columns 160-199 a white
    shirt (0.85) comes down to the wire's upper edge, so that there it lies between a bright side and a
    dark one (the bench's 4 wires, frame 4: a grey wire over a white shirt, just above a racket's frame).
    ``hidden``: the shirt is in front of the wire there and reaches 4 px past it."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    centre = 55 + 0.04 * (xx - W / 2)
    shirt = (xx >= 160) & (xx < 200) & (yy < centre - (-6.0 if hidden else 2.0))
    alpha = np.clip(2.0 - np.abs(yy - centre), 0, 1) * ~shirt
    wall = (texture(H, W, 5) * 0.2 + 0.15).astype(np.float32)
    plate = np.where(shirt[:, :, None], np.float32(0.85), wall)
    plate = (plate * (1 - alpha[:, :, None]) + 0.45 * alpha[:, :, None]).astype(np.float32)
    hint = np.zeros((H, W), np.float32)
    hint[35:80, 8:W - 8] = 1.0
    centres, matte = _lost(np.clip(2.0 - np.abs(yy - centre), 0, 1))
    out, _ = bridge_gaps(centres, hint, matte, lambda box: analysis_luma(plate[box]))
    gap = np.zeros(W, bool)
    gap[PATCH[0] - 12:PATCH[1] + 12] = True
    return out, matte, alpha, gap


def test_a_wire_along_an_edge_for_part_of_its_stretch_is_carried_across() -> None:
    # where the shirt comes down to it, the wire stands out from neither of its sides (it lies between
    # white and the dark wall: an edge), but it holds the luminance its ends show (0.45) there; over the
    # rest of the stretch (54 of 94 columns) it stands out all along. Read by standing out alone, it
    # showed in 57% of the stretch, and was left
    out, before, alpha, gap = _along_an_edge(hidden=False)
    wire = (alpha >= 0.5) & gap[None, :]
    assert not (before[wire] > 0).any()
    assert float((out[wire] >= 128).mean()) > 0.97


def test_a_wire_hidden_behind_a_shirt_for_part_of_its_stretch_is_not_carried_across() -> None:
    # the shirt covers the wire's course in columns 160-199: no edge there, and no line, in 40 of the 94;
    # the wire stands out in the other 54 (57%)
    out, before, alpha, gap = _along_an_edge(hidden=True)
    assert np.array_equal(out[:, 166:194], before[:, 166:194])
