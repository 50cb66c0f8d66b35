"""A wire's fill over a still background is averaged with the neighbouring frames' repairs (``steady``)."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import steady
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.synthetic import wire_shot


def _repair(plates: list[np.ndarray], hints: list[np.ndarray], reach: int, monkeypatch: pytest.MonkeyPatch,
            regrain: float = 0.0) -> list[np.ndarray]:
    monkeypatch.setattr(steady, "STEADY", reach)
    rem = WireRemover(lambda i: plates[i], lambda i: hints[i], len(plates), WireSettings(window=2, regrain=regrain))
    return [rem.repair(i)[0] for i in range(len(plates))]


def _steps(frames: list[np.ndarray], hints: list[np.ndarray]) -> list[float]:
    """Each step's mean absolute change from frame to frame inside both frames' hints."""
    return [float(np.abs(frames[t] - frames[t - 1])[(hints[t] > 0) & (hints[t - 1] > 0)].mean())
            for t in range(1, len(frames))]


def _flicker(frames: list[np.ndarray], hints: list[np.ndarray]) -> float:
    """Mean absolute change from frame to frame inside both frames' hints."""
    return float(np.mean(_steps(frames, hints)))


def _error(frames: list[np.ndarray], truth: list[np.ndarray], hints: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(f - g)[h > 0].mean() for f, g, h in zip(frames, truth, hints, strict=True)]))


def test_a_still_background_is_filled_alike_from_frame_to_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow wire over a locked-off shot: each frame paints its own hole, whose shape moves with the
    wire, so the paint changed from frame to frame over a background that held still. Averaged with
    the neighbours' repairs, the fill changes less and lies no farther from the truth."""
    truth, plates, hints = wire_shot(12, drift=0.5, noise=0.004, seed=3)
    alone = _repair(plates, hints, 0, monkeypatch)
    held = _repair(plates, hints, 4, monkeypatch)
    assert _flicker(held, hints) < 0.75 * _flicker(alone, hints)
    assert _flicker(held, hints) < 1.5 * _flicker(truth, hints)
    assert _error(held, truth, hints) <= _error(alone, truth, hints)
    for f, p, h in zip(held, plates, hints, strict=True):  # outside the hint: the plate, bit for bit
        np.testing.assert_array_equal(f[h <= 0], p[h <= 0])


def test_the_frames_at_a_shots_ends_average_as_many_repairs_as_those_in_its_middle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At a shot's ends a frame's nearest frames lie on one side: cut to that side, the first frame
    averaged 5 repairs, the next 6, and so on, and each step added one (the first frames', the least
    well repaired: they have the fewest neighbours to borrow from). Averaged with the 8 nearest, the
    first four steps and the last four change less from frame to frame than those in the middle
    (0.77 of them; cut, 0.92)."""
    _, plates, hints = wire_shot(14, drift=0.5, noise=0.004, seed=3)
    out = _repair(plates, hints, 4, monkeypatch)
    steps = _steps(out, hints)
    ends, middle = steps[:4] + steps[-4:], steps[4:-4]
    assert np.mean(ends) < 0.85 * np.mean(middle), steps


def test_grain_that_holds_still_is_averaged_with_the_fill(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked-off plate whose grain holds still from frame to frame (a compressed plate's fine detail:
    the same in every frame) under a slow wire. The pixels each frame paints get grain that holds
    still in the frame too, and a frame's fill is the mean of its neighbours' repairs with that grain
    on. Laid over the mean frame by frame (as it was), it came and went with each frame's own painted
    pixels: in the middle of the shot (the frames averaged as many each side) the delivered fill
    changed from frame to frame 3.0 times as much as the bare repair did; averaged with it, 1.8 times
    (what is left comes in and out of the mean with the frames the window holds)."""
    truth, plates, hints = wire_shot(14, drift=0.5, seed=7)
    grain = np.random.default_rng(8).normal(0.0, 0.03, truth[0].shape).astype(np.float32)
    plates = [np.clip(p + grain, 0, 1).astype(np.float32) for p in plates]
    bare = _repair(plates, hints, 4, monkeypatch)
    grained = _repair(plates, hints, 4, monkeypatch, regrain=1.0)
    assert any(not np.array_equal(a, b) for a, b in zip(bare, grained, strict=True))  # grain was laid
    middle = slice(4, 10)  # frames 4-9: steps 5-9
    assert _flicker(grained[middle], hints[middle]) < 2.3 * _flicker(bare[middle], hints[middle])
    for f, p, h in zip(grained, plates, hints, strict=True):
        np.testing.assert_array_equal(f[h <= 0], p[h <= 0])


def test_a_panning_shot_keeps_each_frames_own_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the background moves, no other frame's repair is laid over a frame's."""
    _, plates, hints = wire_shot(8, pan=2.0, drift=0.5, seed=4)
    for a, b in zip(_repair(plates, hints, 0, monkeypatch), _repair(plates, hints, 4, monkeypatch), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_subject_passing_under_the_wire_leaves_no_ghost(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked-off shot where a dark block moves 5 px a frame along under the wire: the frames around
    show the wall where the block is now, and averaged in there they would leave a ghost of the wall
    over it (and of it over the wall). The block's pixels are no farther from the truth than each
    frame's own repair puts them."""
    truth, plates, hints = wire_shot(10, drift=0.5, noise=0.004, seed=5)
    h, w = hints[0].shape
    yy, xx = np.mgrid[0:h, 0:w]
    blocks = []
    for t in range(10):
        ys = np.nonzero(hints[t][:, w // 2] > 0)[0]
        block = (np.abs(yy - ys.mean()) < 14) & (np.abs(xx - (30 + 5 * t)) < 12)
        colour = np.float32([0.5, 0.12, 0.1])
        wire = np.clip((truth[t] - plates[t]) / np.maximum(truth[t] - 0.03, 1e-3), 0, 1).mean(axis=2, keepdims=True)
        truth[t] = np.where(block[:, :, None], colour, truth[t]).astype(np.float32)
        plates[t] = (truth[t] * (1 - wire) + 0.03 * wire).astype(np.float32)
        blocks.append(block & (hints[t] > 0))
    alone = _repair(plates, hints, 0, monkeypatch)
    held = _repair(plates, hints, 4, monkeypatch)
    err = [(np.abs(a - g)[b].mean(), np.abs(s - g)[b].mean()) for a, s, g, b in zip(alone, held, truth, blocks, strict=True)]
    assert all(s <= 1.05 * a + 0.002 for a, s in err), err


def test_a_still_scene_linear_half_plate_stays_half_and_unclamped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A half-float scene-linear plate over a still background, its highlights up to 4.0: the averaged
    fill is laid in the plate's own type, above 1.0 where the background is, no farther from the truth
    than each frame's own repair."""
    truth, plates, hints = wire_shot(10, drift=0.5, noise=0.004, seed=6)
    def linear(a: np.ndarray) -> np.ndarray:
        return (np.power(a, 2.2) * 4.0).astype(np.float16)
    truth = [linear(t) for t in truth]
    plates = [linear(p) for p in plates]
    alone = _repair(plates, hints, 0, monkeypatch)
    held = _repair(plates, hints, 4, monkeypatch)
    assert all(f.dtype == np.float16 for f in held)
    assert max(float(f[h > 0].max()) for f, h in zip(held, hints, strict=True)) > 1.5
    assert any(not np.array_equal(a, b) for a, b in zip(alone, held, strict=True))  # averaged somewhere
    as32 = [[f.astype(np.float32) for f in fs] for fs in (alone, held, truth)]
    assert _error(as32[1], as32[2], hints) <= _error(as32[0], as32[2], hints) * 1.02
