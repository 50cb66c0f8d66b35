"""The sRGB curve a scene-linear plate is repaired in (frames.srgb_encode)."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.frames import scene_linear_plate, srgb_decode, srgb_encode


def test_below_1_the_codes_are_an_srgb_files() -> None:
    codes = np.arange(256, dtype=np.float32) / 255
    # IEC 61966-2-1's decoding, written out
    linear = np.where(codes <= 0.04045, codes / 12.92, ((codes + 0.055) / 1.055) ** 2.4).astype(np.float32)
    np.testing.assert_allclose(srgb_decode(codes), linear, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srgb_encode(linear), codes, atol=1e-6)


def test_highlights_and_negatives_survive_the_round_trip_in_order() -> None:
    x = np.array([-2.0, -0.01, 0.0, 0.002, 0.18, 1.0, 1.5, 4.0, 70.0, 6.0e4], np.float32)
    y = srgb_encode(x)
    assert np.all(np.diff(y) > 0) and y[5] == pytest.approx(1.0) and y[-1] > 40
    np.testing.assert_allclose(srgb_decode(y), x, rtol=2e-6, atol=1e-9)
    half = x.astype(np.float16)
    assert srgb_decode(srgb_encode(half)).astype(np.float16).tolist() == half.tolist()


@pytest.mark.parametrize(("dtype", "space", "linear"), [
    ("float32", "", True), ("float16", "", True), ("uint16", "", False), ("uint8", "", False),
    ("float32", "sRGB Encoded Rec.709 (sRGB)", False), ("float32", "Linear Rec.709 (sRGB)", True),
    ("float32", "ACES - ACEScct", False), ("float16", "ACES - ACEScg", True), ("uint16", "ACEScg", True),
    ("float32", "Input - ARRI - V3 LogC (EI800) - Wide Gamut", False), ("float32", "Raw", True),
    ("uint16", "rec709", False)])
def test_a_plate_is_linear_as_its_colour_space_says_else_as_floats_are(dtype: str, space: str, linear: bool) -> None:
    assert scene_linear_plate(np.dtype(dtype), space) is linear
