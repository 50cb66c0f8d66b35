"""A wire smeared by motion blur over a textured wall, which the ridge search does not find, is found
as a soft band along its stroke and repaired; a soft band of the scenery that crosses the stroke is not."""

from __future__ import annotations

import cv2
import numpy as np

from inference_server.engines.wire import soft
from inference_server.engines.wire.repair import WireRemover, WireSettings
from inference_server.engines.wire.ridges import analysis_luma
from inference_server.engines.wire.synthetic import texture

H, W = 140, 420
GRAIN = 0.07  # the grain's spread: over it the ridge search finds no wire in the smear (0.05 and up)


def _wall(seed: int = 3, grain_k: float = GRAIN) -> np.ndarray:
    """A dark concrete wall: blotches and a fine grain that stands out at the ridge search's scales."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.random((H, W)).astype(np.float32), (0, 0), 1.0)
    grain = (grain - grain.mean()) / grain.std()
    wall = texture(H, W, seed) * 0.2 + 0.2 + grain_k * grain[:, :, None]
    return np.clip(wall, 0.0, 1.0).astype(np.float32)


def _course(xx: np.ndarray) -> np.ndarray:
    return 60.0 + 30.0 * ((xx - W / 2) / (W / 2)) ** 2  # a sagging wire


def _smeared(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plate, hint, alpha): a 4 px dark wire smeared 14 px across its course (a quarter of each pixel
    at most) over ``truth``, and a stroke about 50 px wide that follows it, wobbling."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    centre = _course(xx)
    # a 4 px wire averaged over 14 px of drift: a band 18 px wide, flat at 4/14 across its middle
    offsets = np.linspace(-7.0, 7.0, 57)
    alpha = np.mean([np.clip(2.5 - np.abs(yy - centre - o), 0, 1) for o in offsets], axis=0)[:, :, None]
    plate = (truth * (1 - alpha) + 0.03 * alpha).astype(np.float32)
    hint = (np.abs(yy - centre - 5.0 * np.sin(xx / 37.0)) <= 25).astype(np.float32)
    return plate, hint, alpha[:, :, 0]


def test_a_wire_smeared_by_motion_blur_over_a_textured_wall_is_found_and_repaired() -> None:
    truth = _wall()
    plate, hint, alpha = _smeared(truth)
    rem = WireRemover(lambda i: plate, lambda i: hint, 1, WireSettings(regrain=0.0))
    out, matte = rem.repair(0)
    wire = alpha > 0.1
    assert (matte[wire] >= 128).mean() > 0.95
    # the smear darkened the wall along it by 0.066; painted from around it (one frame: no neighbour shows
    # what it hid), the grain is lost but the dark band is gone
    before = (plate - truth).mean(axis=2)[wire].mean()
    after = (out.astype(np.float32) - truth).mean(axis=2)[wire].mean()
    assert before < -0.06 and abs(after) < 0.2 * abs(before), (before, after)
    assert np.array_equal(out[hint <= 0], plate[hint <= 0])
    assert rem.last_qc is not None and not rem.last_qc.flagged


def test_the_soft_band_search_follows_the_wire_s_course() -> None:
    plate, hint, alpha = _smeared(_wall())
    found = soft.soft_wire(analysis_luma(plate), hint > 0, np.zeros((H, W), bool))
    assert found is not None
    core, line = found
    rows = np.argmax(line, axis=0)
    cols = np.nonzero(line.any(axis=0))[0]
    assert cols.size > 0.8 * W
    assert np.abs(rows[cols] - _course(cols.astype(np.float32))).max() <= 3.0
    assert (core[alpha > 0.1]).mean() > 0.9


def test_a_soft_band_of_the_scenery_that_crosses_the_stroke_is_no_wire() -> None:
    """A shadow's soft edge band (as dark and as wide as the smear) running straight across the sagging
    stroke leaves it after a stretch: the stroke follows a wire, so that is the scenery's."""
    truth = _wall(5)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    shadow = np.clip(9.0 - np.abs(yy - (40.0 + 0.2 * xx)), 0, 1)[:, :, None] * 0.28
    plate = (truth * (1 - shadow) + 0.03 * shadow).astype(np.float32)
    hint = (np.abs(yy - _course(xx)) <= 25).astype(np.float32)
    assert soft.soft_wire(analysis_luma(plate), hint > 0, np.zeros((H, W), bool)) is None
