"""Scene-linear plates are repaired in log (``loglin``): the code inverts, and a fill between a
shadow and a highlight lands between them in stops, not at their linear average."""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire import loglin
from inference_server.engines.wire.repair import WireRemover, WireSettings


def test_the_log_code_inverts_over_half_float_range_and_negatives() -> None:
    x = np.array([-0.05, -1e-4, 0.0, 1e-5, 0.002, 0.18, 1.0, 4.0, 95.0, 65504.0], np.float32)
    y = loglin.encode(x)
    assert np.all(np.diff(y) > 0)                         # monotonic: order of values kept
    back = loglin.decode(y)
    assert np.allclose(back, x, rtol=2e-5, atol=2e-7)
    assert abs(float(y[6]) - float(np.log2(1.01))) < 1e-6    # log2(x + 0.01) above 0


def test_a_scene_linear_plate_is_filled_in_stops_and_keeps_its_highlights() -> None:
    h, w = 64, 96
    yy = np.arange(h)[:, None, None]
    truth = np.where(yy < 32, 0.1, 10.0) * np.ones((1, w, 3))     # a shadow above a highlight
    plate = truth.copy()
    plate[31:34] = 0.002                                           # a dark wire on the edge between
    hint = (np.abs(np.arange(h) - 32) <= 5)[:, None].astype(np.float32) * np.ones((1, w), np.float32)
    plate16 = plate.astype(np.float16)
    rem = WireRemover(lambda i: plate16, lambda i: hint, 1, WireSettings(method="spatial", regrain=0.0))
    out = rem.repair(0)[0]
    assert out.dtype == np.float16
    assert np.array_equal(out[hint <= 0], plate16[hint <= 0])      # outside the hint: bit for bit
    fill = out[31:34, 20:76].astype(np.float32)
    assert fill.max() > 1.0                                         # highlights unclamped
    mid = fill[1]                                                   # the row between: between in stops
    assert np.all((mid > 0.1) & (mid < 10.0))
    # the linear average of 0.1 and 10 is 5.05, 2.3 stops over their midpoint in stops (1.0)
    assert float(np.median(np.log2(mid.mean(axis=1)))) < np.log2(5.05) - 0.5
