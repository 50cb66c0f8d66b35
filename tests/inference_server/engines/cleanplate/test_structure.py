"""Spatial fill with structure where the hole runs off the frame's edge."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.structure import directional_layout, exemplar_fill

SKY, TREES, SNOW = (0.75, 0.8, 0.9), (0.1, 0.2, 0.1), (0.9, 0.9, 0.92)


def _three_bands(seed: int = 0) -> np.ndarray:
    """(96, 160, 3) float32: sky, a tree line (rows 40-55) and snow, with a little grain."""
    img = np.empty((96, 160, 3), np.float32)
    img[:40], img[40:56], img[56:] = SKY, TREES, SNOW
    return img + np.random.default_rng(seed).normal(0.0, 0.01, img.shape).astype(np.float32)


def _edge_hole() -> np.ndarray:
    """A figure cut by the frame's left edge, over sky, tree line and snow."""
    hole = np.zeros((96, 160), bool)
    hole[20:90, :50] = True
    return hole


def test_a_tree_line_cut_by_the_frame_edge_is_carried_on_to_it() -> None:
    """Left of the hole is the frame's edge: the tree line is carried on from its one side, not
    replaced by a blend of the sky above and the snow below (a pale slab, lines judged only where
    they found background at both ends)."""
    img, hole = _three_bands(), _edge_hole()
    plate = img.copy()
    plate[hole] = (0.95, 0.85, 0.8)                       # the object
    layout = directional_layout(plate, hole)
    trees = layout[42:54, 2:48].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(trees, TREES, atol=0.05)
    np.testing.assert_allclose(layout[24:36, 2:48].reshape(-1, 3).mean(axis=0), SKY, atol=0.05)
    np.testing.assert_allclose(layout[60:88, 2:48].reshape(-1, 3).mean(axis=0), SNOW, atol=0.05)
    out, done = exemplar_fill(plate, hole, ~hole)
    assert done.sum() == hole.sum()
    np.testing.assert_allclose(out[42:54, 2:48].reshape(-1, 3).mean(axis=0), TREES, atol=0.06)
    np.testing.assert_array_equal(out[~hole], plate[~hole])


def test_a_hole_inside_the_frame_still_joins_its_two_sides() -> None:
    """The same figure moved off the edge: the tree line is carried across between its two ends."""
    img = _three_bands(1)
    hole = np.roll(_edge_hole(), 60, axis=1)
    plate = img.copy()
    plate[hole] = (0.95, 0.85, 0.8)
    layout = directional_layout(plate, hole)
    np.testing.assert_allclose(layout[42:54, 62:108].reshape(-1, 3).mean(axis=0), TREES, atol=0.05)
