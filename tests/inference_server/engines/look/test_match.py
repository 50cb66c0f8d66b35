"""Shot match statistics and the colorist summary."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.look import spaces
from inference_server.engines.look.balance import LUMA_AP1
from inference_server.engines.look.cdl import Cdl, apply_cdl
from inference_server.engines.look.match import CONTRAST_LIMITS, EXPOSURE_LIMIT, match_shot
from inference_server.engines.look.summary import describe_cdl, summary_text


def picture(h: int = 80, w: int = 100, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([0.3 + 0.3 * xx, 0.35 + 0.2 * yy, 0.4 + 0.1 * np.sin(6 * xx)], axis=2)
    return (img + rng.normal(0, 0.02, img.shape)).astype(np.float32)


def graded(img: np.ndarray, cdl: Cdl) -> np.ndarray:
    return apply_cdl(img.reshape(-1, 3), cdl).reshape(img.shape).astype(np.float32)


def test_match_recovers_a_primary_grade() -> None:
    shot = picture()
    true = Cdl((1.2, 1.2, 1.2), (-0.05, -0.07, -0.1), (1, 1, 1), 0.8)
    cdl, stats = match_shot([shot], [graded(shot, true)])
    assert np.allclose(cdl.vector(), true.vector(), atol=2e-3)
    assert abs(stats["matched_luma"] - stats["hero_luma"]) < 1e-3
    assert abs(stats["matched_chroma"] - stats["hero_chroma"]) < 1e-3


def test_match_works_across_different_pictures_and_sizes() -> None:
    true = Cdl((1.0, 1.0, 1.0), (0.05, 0.0, -0.05), (1, 1, 1), 1.0)   # a warm shift
    cdl, _ = match_shot([picture(seed=1)], [graded(picture(60, 90, seed=2), true)])
    assert cdl.offset[0] - cdl.offset[2] == pytest.approx(0.1, abs=0.02)
    assert describe_cdl(cdl)["temperature"] == "warmer"


def test_match_stays_a_plausible_primary() -> None:
    shot = picture()
    hero = np.full_like(shot, 0.9) + np.random.default_rng(0).normal(0, 0.3, shot.shape).astype(np.float32)
    cdl, _ = match_shot([shot], [np.clip(hero, 0.0, 1.2)])
    assert CONTRAST_LIMITS[0] <= cdl.slope[0] <= CONTRAST_LIMITS[1]
    neutral = float(np.dot(cdl.offset, LUMA_AP1))  # exposure in the working space's (AP1) luminance
    assert abs(neutral) <= EXPOSURE_LIMIT + 1e-6
    assert cdl.power == (1.0, 1.0, 1.0)


def test_match_in_camera_log_and_errors() -> None:
    logc = spaces.convert(spaces.convert(picture(), "ACEScct", "ACEScg"), "ACEScg", "ARRI LogC4")
    cdl, _ = match_shot([logc], [logc], "ARRI LogC4")
    assert np.allclose(cdl.vector(), Cdl().vector(), atol=1e-3)
    with pytest.raises(ValueError, match="unknown colour space 'LogC9'"):
        match_shot([logc], [logc], "LogC9")
    with pytest.raises(ValueError, match="at least one hero frame"):
        match_shot([logc], [])


def test_summary_speaks_colorist() -> None:
    info = describe_cdl(Cdl((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1, 1, 1), 1.0))
    assert info["exposure_stops"] == pytest.approx(0.0, abs=1e-3) and info["temperature"] == "neutral"
    # +0.0571 in ACEScct is one stop.
    brighter = describe_cdl(Cdl((1, 1, 1), (1 / 17.52,) * 3, (1, 1, 1), 1.0))
    assert brighter["exposure_stops"] == pytest.approx(1.0, abs=0.01)
    cool_green = describe_cdl(Cdl((1, 1, 1), (-0.02, 0.02, 0.02), (1, 1, 1), 1.25))
    assert cool_green["temperature"] == "cooler" and cool_green["tint"] == "greener"
    assert cool_green["saturation_percent"] == pytest.approx(25.0)
    text = summary_text(cool_green)
    assert "stop cooler" in text and "toward green" in text and "saturation +25%" in text and "slope" in text
