"""Where the frames that show a hole's background disagree with each other far beyond the grain,
the fill is not their blend (a ghost) nor one frame's plate: it is filled as never revealed."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.align import align_shot
from inference_server.engines.cleanplate.removal import DISAGREE, _bridge, _disagreeing, remove_object
from inference_server.engines.cleanplate.structure import KeyFills
from inference_server.engines.cleanplate.synthetic import textured_background
from inference_server.engines.cleanplate.temporal import TemporalEstimate

MAGENTA = np.array([1.0, 0.0, 1.0], np.float32)


def _estimate(spread_std: np.ndarray) -> TemporalEstimate:
    h, w = spread_std.shape
    return TemporalEstimate(np.zeros((h, w, 3), np.float32), np.full((h, w), 4, np.int32), np.full((h, w), 8, np.int32),
                            np.ones((h, w), bool), np.square(spread_std).astype(np.float32))


def test_a_wide_region_of_disagreement_is_doubted_grain_and_islands_are_not() -> None:
    grain = 0.01
    std = np.full((80, 120), grain, np.float32)                   # samples of one background: they differ by the grain
    std[10:40, 10:50] = 10 * grain                                # a wide region where they disagree
    std[60:64, 90:94] = 10 * grain                                # an island of four by four
    std[50:80, 0:30] = 0.8 * DISAGREE * grain                     # spread, but under the limit
    doubt = _disagreeing(_estimate(std), grain, np.ones(std.shape, bool), least=400)
    assert doubt[14:36, 14:46].all()
    assert not doubt[56:68, 86:98].any()
    assert not doubt[54:80, 0:26].any()
    assert not doubt[:, 60:85].any()
    assert not _disagreeing(_estimate(std), grain, np.zeros(std.shape, bool), least=400).any()  # only what was shown
    # the limit is the shot's grain: a grainier shot's same spread is agreement
    assert not _disagreeing(_estimate(std), 0.1 * 2, np.ones(std.shape, bool), least=400).any()


def test_what_the_samples_agree_on_inside_a_region_where_they_disagree_is_doubted_too() -> None:
    """An island of agreement that the disagreement encloses is what the same samples showed: a truck
    two of them showed in the same place (edge-held's frame 27 had its orange bridged out across
    the snow from such islands). Agreement that reaches the region's edge is kept, and so is a
    pocket the estimate did not reveal."""
    grain = 0.01
    std = np.full((80, 120), grain, np.float32)
    std[10:60, 10:70] = 10 * grain                                # a wide region where they disagree
    std[25:35, 25:35] = grain                                     # ... enclosing an island where they agree
    std[40:60, 50:60] = grain                                     # ... and a bay of agreement open to the outside
    std[12:20, 55:65] = grain                                     # ... and a pocket no sample revealed
    revealed = np.ones(std.shape, bool)
    revealed[12:20, 55:65] = False
    doubt = _disagreeing(_estimate(std), grain, revealed, least=400)
    assert doubt[25:35, 25:35].all()
    assert not doubt[44:60, 52:58].any()
    assert not doubt[12:20, 55:65].any()
    assert not doubt[:, 75:].any()


def test_a_pixel_one_sample_shows_is_judged_by_its_neighbours_that_more_show() -> None:
    """One sample has no spread of its own (0): it must neither dilute its neighbours' disagreement
    (a far frame alone showing every other column beside a treeline two frames put apart) nor, with
    none measured near it, count as disagreeing."""
    grain = 0.01
    h, w = 60, 90
    std = np.full((h, w), grain, np.float32)
    support = np.full((h, w), 4, np.int32)
    std[10:40, 10:50] = 9 * grain                                 # they disagree, 1.5x the limit
    support[10:40, 10:50:2] = 1                                   # every other column shown by one sample
    std[10:40, 10:50:2] = 0.0
    support[20:50, 60:85] = 1                                     # a wide region only one sample shows
    std[20:50, 60:85] = 0.0
    est = _estimate(std)
    est.support[:] = support
    doubt = _disagreeing(est, grain, np.ones((h, w), bool), least=400)
    assert doubt[13:37, 13:47].all()                              # both kinds of column, off the edges
    assert not doubt[24:46, 64:81].any()
    assert not doubt[:, 52:58].any()


def test_a_wide_doubted_region_across_an_edge_is_bridged_with_the_edge_carried_on() -> None:
    """A treeline's tilted edge across a region 110 x 60 px that no frame showed cleanly: the bridge
    carries the dark band and the light one on each side of the edge (local rays of 24 px left a
    smear there: 0.52 off the truth beside the edge, where this is under 0.1)."""
    h, w = 110, 150
    yy, xx = np.mgrid[0:h, 0:w]
    edge = 55 + 0.25 * (xx - 75)
    dark, light = np.float32([0.15, 0.3, 0.12]), np.float32([0.9, 0.92, 0.95])
    truth = np.where((yy < edge)[..., None], dark, light).astype(np.float32)
    truth += np.random.default_rng(0).normal(0, 0.01, truth.shape).astype(np.float32)
    region = np.zeros((h, w), bool)
    region[25:85, 20:130] = True
    plate = truth.copy()
    plate[region] = MAGENTA
    out = _bridge(plate, region, ~region)
    off_edge = region & (np.abs(yy - edge) > 6)
    assert np.abs(out - truth)[off_edge].max() < 0.1
    assert np.array_equal(out[~region], plate[~region])
    # a doubted region with nothing known within reach around it (still to be painted all round)
    # is bridged from what is known further out, not refused
    known = np.ones((h, w), bool)
    known[10:100, 10:140] = False
    small = np.zeros((h, w), bool)
    small[50:60, 70:80] = True
    out = _bridge(plate, small, known)
    assert np.isfinite(out).all() and np.array_equal(out[~small], plate[~small])
    assert np.abs(out[small] - MAGENTA).max(axis=1).min() > 0.1


def _restless_shot(pan: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """A shot panning ``pan`` px a frame, a magenta object in frame 4; in the top half of its hole the
    background is never the same twice (a fountain's spray: each frame shows other texture there);
    the rest holds. Returns (frames, mattes, frame 4's hole, the restless part of it)."""
    rng = np.random.default_rng(11)
    h, w, n = 72, 104, 9
    base = textured_background(h, w + pan * (n - 1), 4)
    spray = np.zeros(base.shape[:2], bool)
    spray[20:36, 30 + 4 * pan:74 + 4 * pan] = True                # where frame 4's hole is, in the scene
    frames = []
    for t in range(n):
        scene = base.copy()
        scene[spray] = rng.uniform(0.0, 1.0, (int(spray.sum()), 3)).astype(np.float32)
        f = scene[:, pan * t:pan * t + w] + rng.normal(0, 0.004, (h, w, 3)).astype(np.float32)    # grain
        frames.append(np.clip(f, 0, 1).astype(np.float32))
    hole = np.zeros((h, w), np.float32)
    hole[20:52, 30:74] = 1.0
    frames[4][hole > 0] = MAGENTA
    return frames, [hole if t == 4 else np.zeros_like(hole) for t in range(n)], hole > 0, spray[:, 4 * pan:4 * pan + w]


def test_what_the_frames_disagree_on_is_not_a_blend_of_them_and_not_one_frames_plate() -> None:
    frames, mattes, hole, restless = _restless_shot(pan=2)
    al = align_shot(frames, 4, exclude=[m > 0 for m in mattes])
    keys = KeyFills(al)
    keys.add(3, frames[3], np.ones(hole.shape, bool))            # a key that does not say what it painted
    rem = remove_object(frames, mattes, al, 4, regrain=0.0, margin=3, keys=keys)
    steady = hole.copy()
    steady[:42] = False                                           # the steady part, 6 px off the restless one
    inner = np.zeros_like(hole)
    inner[24:33, 36:68] = True                                    # the restless part, off its edges
    assert rem.revealed[steady].all()                             # where the frames agree they are borrowed
    assert not rem.revealed[inner].any()                          # where they disagree they are not
    assert rem.painted is not None and rem.painted[inner].all()
    assert rem.carried is None or not rem.carried[inner].any()    # frame 3's own spray is not taken
    from_key = np.roll(frames[3], -2, axis=1)                     # frame 3's plate, moved onto frame 4
    assert np.abs(rem.image[inner] - from_key[inner]).mean() > 0.1
    # a blend of the spray is a flat grey; bridged from around, the fill there follows the surroundings
    blend = np.mean([np.roll(frames[t], 2 * (t - 4), axis=1)[inner] for t in (3, 5, 2, 6)], axis=0)
    assert np.abs(rem.image[inner] - blend).mean() > 0.02
    assert np.linalg.norm(rem.image[hole] - MAGENTA, axis=1).min() > 0.5


def test_over_a_locked_off_shot_the_nearest_frames_are_kept_where_they_disagree() -> None:
    # the samples of a still camera line up: where they differ the scene moves (a passer-by), and the
    # frames nearest in time show best what is there now
    frames, mattes, hole, restless = _restless_shot(pan=0)
    al = align_shot(frames, 4, exclude=[m > 0 for m in mattes])
    rem = remove_object(frames, mattes, al, 4, regrain=0.0, margin=3)
    assert rem.revealed[hole].all()
