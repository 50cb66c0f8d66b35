"""Say what a look does in a colorist's words: CDL values, stops, warmer/cooler, green/magenta, saturation."""

from __future__ import annotations

from typing import Any

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.cdl import Cdl, apply_cdl

GREY = 0.18


def describe_cdl(cdl: Cdl, working_space: str = spaces.WORKING_SPACE) -> dict[str, Any]:
    """Summary dict of ``cdl`` (acting in ``working_space``) measured on 18% grey.

    Exposure is the change of grey's luminance in stops; warmth is log2(R/B) and tint is
    log2(G / sqrt(R*B)) of graded grey, both in stops (scene-linear ACES AP1).
    """
    grey_lin = np.full((1, 3), GREY, dtype=np.float32)
    grey_w = spaces.convert(grey_lin, "ACEScg", working_space).astype(np.float64)
    out_w = apply_cdl(grey_w, cdl).astype(np.float32)
    out = np.maximum(spaces.convert(out_w, working_space, "ACEScg")[0].astype(np.float64), 1e-6)
    r, g, b = out
    luma = float(out @ np.array([0.2722287, 0.6740818, 0.0536895]))  # AP1 luminance weights
    exposure = float(np.log2(luma / GREY))
    warmth = float(np.log2(r / b))
    tint = float(np.log2(g / np.sqrt(r * b)))
    sat_pct = (float(cdl.saturation) - 1.0) * 100.0
    return {
        "cdl": cdl.to_dict(),
        "exposure_stops": round(exposure, 3),
        "warmth_stops": round(warmth, 3),
        "temperature": "warmer" if warmth > 0.02 else "cooler" if warmth < -0.02 else "neutral",
        "tint_stops": round(tint, 3),
        "tint": "greener" if tint > 0.02 else "more magenta" if tint < -0.02 else "neutral",
        "saturation_percent": round(sat_pct, 1),
        "working_space": working_space,
    }


def summary_text(info: dict[str, Any]) -> str:
    """One short paragraph for the terminal, from ``describe_cdl``'s dict."""
    c = info["cdl"]
    f3 = lambda v: " ".join(f"{x:.4f}" for x in v)  # noqa: E731
    lines = [
        f"CDL ({info['working_space']}): slope {f3(c['slope'])}  offset {f3(c['offset'])}  "
        f"power {f3(c['power'])}  saturation {c['saturation']:.4f}",
        f"Exposure {info['exposure_stops']:+.2f} stops; "
        f"{_words(info['warmth_stops'], 'warmer', 'cooler')}; "
        f"{_words(info['tint_stops'], 'toward green', 'toward magenta')}; "
        f"saturation {info['saturation_percent']:+.0f}%",
    ]
    return "\n".join(lines)


def _words(stops: float, up: str, down: str) -> str:
    if abs(stops) <= 0.02:
        return f"neutral ({'warmth' if up == 'warmer' else 'tint'})"
    return f"{abs(stops):.2f} stop {up if stops > 0 else down}"


def balance_line(info: dict[str, Any], label: str) -> str:
    """One balance in a colorist's words, from ``describe_cdl``'s dict: 'A001: +0.40 stop;
    0.12 stop warmer; 0.03 stop toward magenta'."""
    e = info["exposure_stops"]
    exposure = "exposure unchanged" if abs(e) <= 0.02 else f"{e:+.2f} stop{'s' if abs(e) >= 1.995 else ''}"
    return (f"{label}: {exposure}; {_words(info['warmth_stops'], 'warmer', 'cooler')}; "
            f"{_words(info['tint_stops'], 'toward green', 'toward magenta')}")
