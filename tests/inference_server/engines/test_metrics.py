"""engines/metrics.py: PSNR figures the benches, the demo and training report."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.metrics import psnr


def test_psnr_of_a_known_error() -> None:
    a = np.zeros((8, 8, 3), np.float32)
    assert psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-4)      # mse 0.01 at peak 1.0
    assert psnr(a, a + 0.01) == pytest.approx(40.0, abs=1e-3)
    assert psnr(a, a) == pytest.approx(120.0)                     # identical: capped, not infinite


def test_psnr_counts_only_the_region_on_every_channel() -> None:
    a = np.zeros((4, 6, 3), np.float32)
    b = a.copy()
    b[:, 3:] = 0.5                                                # the right half is wrong
    left = np.zeros((4, 6), np.float32)
    left[:, :3] = 1.0
    assert psnr(a, b, region=left) == pytest.approx(120.0)
    assert psnr(a, b, region=1.0 - left) == pytest.approx(10 * np.log10(1 / 0.25))
    assert psnr(a, b) == pytest.approx(10 * np.log10(1 / 0.125))
    with pytest.raises(ValueError, match="selects no pixels"):
        psnr(a, b, region=np.zeros((4, 6)))
