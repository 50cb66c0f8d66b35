"""The layout a wide hole is painted on: the background carried straight across it."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.structure import layout_and_ends

SKY = np.array([0.6, 0.75, 0.9], np.float32)
TREES = np.array([0.08, 0.18, 0.06], np.float32)
SNOW = np.array([0.92, 0.93, 0.95], np.float32)


def _treeline(h: int = 80, w: int = 120) -> np.ndarray:
    """Sky, a dark tree line (rows 30-44) and snow, with a little texture."""
    img = np.empty((h, w, 3), np.float32)
    img[:30], img[30:45], img[45:] = SKY, TREES, SNOW
    return img + np.random.default_rng(2).normal(0, 0.01, img.shape).astype(np.float32)


def test_a_hole_at_the_frame_edge_carries_the_tree_line_on_to_the_edge() -> None:
    """A hole along the left edge (a player cut by the frame): lines across it with two ends run
    only upright, sky to snow; the tree line runs across, and is carried on to the edge from its
    one side (the upright carry was a pale slab over the trees)."""
    img = _treeline()
    hole = np.zeros(img.shape[:2], bool)
    hole[8:72, :44] = True
    lay, apart = layout_and_ends(img, hole, framed=True)
    band = hole.copy()
    band[:33] = band[42:] = False                                 # the tree line's rows, off its edges
    assert np.abs(lay[band] - TREES).max() < 0.08
    assert np.abs(lay[hole & (np.arange(80) < 26)[:, None]] - SKY).max() < 0.08
    assert np.abs(lay[hole & (np.arange(80) >= 49)[:, None]] - SNOW).max() < 0.08
    assert np.isinf(apart[band]).all()                            # carried from one side
    assert np.array_equal(lay[~hole], img[~hole])
    # a crop cut inside the frame says nothing past its border: there only two-ended lines count
    crop, _ = layout_and_ends(img, hole)
    assert np.abs(crop[band] - TREES).min() > 0.3


def test_inside_the_frame_two_ends_decide() -> None:
    img = _treeline()
    hole = np.zeros(img.shape[:2], bool)
    hole[20:60, 40:80] = True
    lay, apart = layout_and_ends(img, hole)
    band = hole.copy()
    band[:33] = band[42:] = False
    assert np.abs(lay[band] - TREES).max() < 0.08
    assert np.isfinite(apart[band]).all() and apart[band].max() < 0.1
