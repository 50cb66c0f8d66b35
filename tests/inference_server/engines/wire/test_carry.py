"""A wire the matte followed over most of its stroke and lost before the stroke's end is carried
on into the stretch that holds a wire fewer, where it still shows."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference_server.engines.wire import bridge
from inference_server.engines.wire.bridge import bridge_gaps
from inference_server.engines.wire.ridges import analysis_luma
from inference_server.engines.wire.synthetic import texture

H, W = 120, 360
SKY = 250  # from this column on the pale wire runs over a clipped sky


def _plate(end: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plate, hint, the pale wire's alpha): a rig's dark 3 px wire and, 12 px under it, a pale
    2.5 px one (0.9), both sloped, across a textured wall that turns to a clipped sky (1.0) from
    column ``SKY``: bright over the wall, the pale wire is a faint dark line over the sky.
    ``end``: "sky" (as said), "hidden" (a foreground in front of the pale wire over the sky) or
    "gone" (the pale wire ends at ``SKY``)."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    wall = texture(H, W, 5) * 0.4 + 0.2
    truth = np.where((xx >= SKY)[:, :, None], 1.0, wall).astype(np.float32)
    centre = 50 - 0.08 * (xx - W / 2)
    dark = np.clip(2.0 - np.abs(yy - centre), 0, 1)[:, :, None]
    pale = np.clip(1.75 - np.abs(yy - centre - 12.0), 0, 1)
    shown = pale if end == "sky" else np.where(xx >= SKY, 0.0, pale)
    plate = truth * (1 - dark) + 0.04 * dark
    plate = plate * (1 - shown[:, :, None]) + 0.9 * shown[:, :, None]
    if end == "hidden":  # a grey pole in front of the wire over the sky
        plate[:, SKY:] = np.where((np.abs(yy - centre - 12.0) < 8)[:, SKY:, None], 0.6, plate[:, SKY:])
    hint = np.zeros((H, W), np.float32)
    hint[25:90, 8:W - 8] = 1.0
    return plate.astype(np.float32), hint, pale


def _found(pale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre lines, matte uint8) as the bands leave them: the dark wire all along the stroke, the
    pale one up to 3 columns before the sky (where its polarity turns, its gain there falls)."""
    keep = np.zeros(W, bool)
    keep[8:W - 8] = True
    core = (np.roll(pale, -12, axis=0) >= 0.5) & keep[None, :]
    lost = keep.copy()
    lost[SKY - 3:] = False
    core |= (pale >= 0.5) & lost[None, :]
    centres = np.zeros((H, W), bool)
    for c in np.nonzero(core.any(axis=0))[0]:
        count, labels = cv2.connectedComponents(core[:, c:c + 1].astype(np.uint8))
        for k in range(1, count):
            centres[int(np.mean(np.nonzero(labels[:, 0] == k)[0])), c] = True
    matte = cv2.dilate(core.astype(np.uint8), np.ones((3, 1), np.uint8)) * 255
    return centres, matte.astype(np.uint8)


def _near(alpha: np.ndarray) -> np.ndarray:
    """Within 5 px of a wire: a carried matte's width and feather."""
    return cv2.dilate((alpha > 0).astype(np.uint8), np.ones((11, 11), np.uint8)) > 0


def _carried(end: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    plate, hint, pale = _plate(end)
    centres, matte = _found(pale)
    out, lines = bridge_gaps(centres, hint, matte, lambda box: analysis_luma(plate[box]))
    return out, lines, matte, centres, pale


def test_a_pale_wire_lost_where_it_turns_dark_over_the_sky_is_carried_to_the_stroke_end() -> None:
    out, lines, before, centres, pale = _carried("sky")
    tail = np.zeros(W, bool)
    tail[SKY - 3:W - 8] = True
    wire = (pale >= 0.5) & tail[None, :]
    assert not (before[wire] > 0).any()
    assert float((out[wire] >= 128).mean()) > 0.95  # the pale wire over the sky is matted now
    assert not (out[~_near(pale)] > before[~_near(pale)]).any()  # and nothing away from it
    rows, cols = np.nonzero(lines & ~centres)
    assert np.isin(np.arange(SKY - 3, W - 8), cols).mean() > 0.95  # its centre line carried on
    off = np.abs(rows - (62 - 0.08 * (cols - W / 2)))  # along the wire (at the turn, within its matte)
    assert off.max() <= 3.0 and float(np.mean(off <= 1.0)) > 0.9


@pytest.mark.parametrize("end", ["hidden", "gone"])
def test_a_wire_that_does_not_show_past_where_it_was_lost_is_not_carried(end: str) -> None:
    out, lines, before, centres, pale = _carried(end)
    assert (out[:, SKY + 5:] == before[:, SKY + 5:]).all() and not (lines & ~centres)[:, SKY:].any()
    assert not (out[~_near(pale)] > before[~_near(pale)]).any()


def test_without_the_carry_the_stretch_stays_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge, "CARRY", False)
    out, _, before, _, _ = _carried("sky")
    assert np.array_equal(out, before)


def _of_its_luminance(gone: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(matte carried, matte before, the grey wire's alpha, the columns past ``SKY``): a rig's dark
    wire (0.04) and, 12 px under it, a grey one (0.3, 3 px), over a dark wall (0.02-0.12: the grey wire
    bright there) that turns at ``SKY`` to blotches darker and paler than it (0.15 and 0.45: the mid-grey
    pair's 0.3 wire over a tree trunk), where it stands out from both sides only where one blotch lies
    along it. The bands found the dark wire all along and the grey one up to ``SKY``. ``gone``: the
    grey wire ends at ``SKY``."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    noise = cv2.GaussianBlur(np.random.default_rng(7).random((H, W)).astype(np.float32), (0, 0), 2.0)
    bark = np.where(noise > np.median(noise), np.float32(0.45), np.float32(0.15))  # blotches, dark and pale
    wall = np.where((xx >= SKY)[:, :, None], bark[:, :, None], texture(H, W, 5) * 0.1 + 0.02)
    centre = 50 - 0.08 * (xx - W / 2)
    dark = np.clip(2.0 - np.abs(yy - centre), 0, 1)
    grey = np.clip(2.0 - np.abs(yy - centre - 12.0), 0, 1)
    if gone:
        grey = np.where(xx >= SKY, 0.0, grey)
    plate = wall * (1 - dark[:, :, None]) + 0.04 * dark[:, :, None]
    plate = (plate * (1 - grey[:, :, None]) + 0.3 * grey[:, :, None]).astype(np.float32)
    hint = np.zeros((H, W), np.float32)
    hint[25:90, 8:W - 8] = 1.0
    whole = np.clip(2.0 - np.abs(yy - centre - 12.0), 0, 1)
    centres, matte = _found(np.clip(whole - 0.25, 0, 1) * 4 / 3)  # as the bands leave them: up to SKY - 3
    out, _ = bridge_gaps(centres, hint, matte, lambda box: analysis_luma(plate[box]))
    tail = np.zeros(W, bool)
    tail[SKY:W - 8] = True
    return out, matte, whole, tail


def test_a_wire_over_texture_of_its_own_luminance_is_carried_where_its_line_holds_that_luminance() -> None:
    out, before, grey, tail = _of_its_luminance(gone=False)
    wire = (grey >= 0.5) & tail[None, :]
    assert not (before[wire] > 0).any()
    assert float((out[wire] >= 128).mean()) > 0.9
    assert not (out[~_near(grey)] > before[~_near(grey)]).any()


def test_blotches_of_a_wire_s_luminance_past_its_end_are_no_wire() -> None:
    out, before, grey, tail = _of_its_luminance(gone=True)
    assert not (out[:, SKY + 8:] > before[:, SKY + 8:]).any()
