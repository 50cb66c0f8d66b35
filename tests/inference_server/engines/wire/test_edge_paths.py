"""A path the search runs along one side of an edge is no wire (``matte.stands_across``): a line
stands out of both its sides, the same way, in some plane; an edge lies between them."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import matte

H, W, ROW = 30, 60, 14


def _path() -> tuple[matte.WirePath, np.ndarray]:
    """A path along row ``ROW`` and its core, rows ROW-1 to ROW+1."""
    core = np.zeros((H, W), bool)
    core[ROW - 1:ROW + 2] = True
    return matte.WirePath(np.full(W, ROW, np.int64), np.ones(W, bool), np.ones(W, np.float32)), core


def _noisy(plane: np.ndarray) -> np.ndarray:
    return (plane + np.random.default_rng(1).normal(0.0, 0.005, plane.shape)).astype(np.float32)


NONE = np.zeros((H, W), bool)


def test_a_line_of_either_polarity_stands_across() -> None:
    path, core = _path()
    plane = np.full((H, W), 0.5, np.float32)
    plane[ROW, :30] = 0.1   # dark against the wall on the left ...
    plane[ROW, 30:] = 0.9   # ... and lit on the right
    assert matte.stands_across(path, core, [_noisy(plane)], NONE)


def test_one_side_of_an_edge_does_not() -> None:
    path, core = _path()
    plane = np.full((H, W), 0.7, np.float32)
    plane[:ROW + 1] = 0.3   # a dark region ending on the path's row: an edge, no line
    assert not matte.stands_across(path, core, [_noisy(plane)], NONE)
    # a line in another plane (an opponent channel) is a line
    colour = np.full((H, W), 0.0, np.float32)
    colour[ROW] = 0.4
    assert matte.stands_across(path, core, [_noisy(plane), _noisy(colour)], NONE)


def test_a_side_on_another_wire_is_not_judged() -> None:
    path, core = _path()
    plane = np.full((H, W), 0.7, np.float32)
    plane[:ROW + 1] = 0.3
    other = np.zeros((H, W), bool)
    other[ROW + 3:ROW + 6] = True   # another wire's core just below: a crossing or a close pair
    assert matte.stands_across(path, core, [_noisy(plane)], other)
