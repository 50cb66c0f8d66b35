"""The layout a wide hole is painted on: the background carried straight across it."""

from __future__ import annotations

import numpy as np

from inference_server.engines.cleanplate.structure import _isophote, layout_and_ends

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


HAZE = np.array([0.80, 0.86, 0.93], np.float32)


def _tilted_treeline(h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Pale haze, a tree line falling 1 px in 5 to the left (16 px thick, ragged tops up to 3 px,
    its trees shaded 0.6-1.4 in 2 px columns) and snow: (image, the tree line's middle row per column)."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:h, :w]
    middle = 40 - 0.2 * (xx - w / 2)
    ragged = np.repeat(rng.integers(0, 4, w // 3 + 1), 3)[:w][None, :]
    img = np.empty((h, w, 3), np.float32)
    img[:] = HAZE
    img[yy >= middle + 8] = SNOW
    shade = np.repeat(rng.uniform(0.6, 1.4, w // 2 + 1), 2)[:w][None, :, None]
    trees = (yy >= middle - 8 - ragged) & (yy < middle + 8)
    img = np.where(trees[..., None], TREES * shade, img).astype(np.float32)
    return img + rng.normal(0, 0.01, img.shape).astype(np.float32), middle


def test_a_tree_line_is_carried_along_its_edges_not_across_them() -> None:
    """Upright lines run from haze to snow, which agree better than the ragged tops and shaded
    trees at the two ends of a line along the tilted tree line; carried upright, the trees were a
    pale slab (the clean plate bench's follow-car frame 1). The edges around the hole say which way
    the background runs: the tree line is carried along them, in its own colour."""
    img, middle = _tilted_treeline()
    hole = np.zeros(img.shape[:2], bool)
    hole[14:70, 44:84] = True
    lay, _ = layout_and_ends(img, hole)
    band = hole & (np.abs(np.mgrid[:96, :128][0] - middle) <= 4)   # the tree line's middle rows
    assert np.abs(lay[band] - TREES).sum(axis=1).mean() < 0.2
    assert np.array_equal(lay[~hole], img[~hole])


def test_the_edges_around_a_hole_give_their_orientation_and_coherence() -> None:
    img, _ = _tilted_treeline()
    hole = np.zeros(img.shape[:2], bool)
    hole[14:70, 44:84] = True
    phi, coherence = _isophote(img, ~hole, hole)
    assert abs(np.degrees(phi) % 180 - (180 - np.degrees(np.arctan(0.2)))) < 6   # falling 1 in 5 to the left
    assert coherence > 0.7
    noise = np.random.default_rng(1).normal(0.5, 0.1, (96, 128, 3)).astype(np.float32)
    assert _isophote(noise, ~hole, hole)[1] < 0.2                      # no edges that run one way


def test_the_compiled_march_gives_what_its_python_source_gives() -> None:
    """The march to each hole pixel's first known pixel along a line runs compiled (numba, without
    the GIL: as numpy steps of a few hundred pixels it held the GIL so long that two frames removed
    side by side waited on each other); its Python source is the definition and must agree, hit by
    hit, with ties of the rounding (half a pixel) included."""
    from inference_server.engines.cleanplate.structure import _march, _march_loops

    rng = np.random.default_rng(4)
    known = rng.random((40, 60)) < 0.3
    known[10:30, 20:45] = False
    ys, xs = np.nonzero(~known)
    for theta in np.arange(24) * np.pi / 24:
        for sign in (1.0, -1.0):
            sy, sx = sign * float(np.sin(theta)), sign * float(np.cos(theta))
            got, want = _march(known, ys, xs, sy, sx), _march_loops(known, ys, xs, sy, sx)
            for a, b in zip(got, want, strict=True):
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b)
    hy, hx, dist = _march(known, np.array([20]), np.array([30]), 0.0, 1.0)     # along the row, to the right
    first = 30 + 1 + int(np.argmax(known[20, 31:]))
    assert (hy[0], hx[0], dist[0]) == (20, first, first - 30)
    hy, hx, dist = _march(np.zeros((5, 5), bool), np.array([2]), np.array([2]), 1.0, 0.0)   # leaves the frame
    assert (hy[0], hx[0], dist[0]) == (-1, -1, 0.0)
