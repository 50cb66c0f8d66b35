"""Shot match: a CDL that makes a shot's statistics match a hero shot's, without pairs.

Statistics are taken in the working space (ACEScct): the luma spread sets a common slope
(contrast) and the chroma spread saturation; exposure and white balance (the offsets) come
from the same balance statistics as Look Match's per-shot balance (``balance``: the key of
the upper mid tones and highlights, and the cast of the near-neutral pixels, so a coloured
object does not read as a cast). Every value is clamped so the result stays a plausible
primary grade a colorist could have dialled in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.balance import LUMA_AP1, shot_statistics, working_samples
from inference_server.engines.look.cdl import LUMA_709, Cdl, apply_cdl

CONTRAST_LIMITS = (0.67, 1.5)      # common slope
EXPOSURE_LIMIT = 0.25              # |neutral offset| in ACEScct (about 4.4 stops)
BALANCE_LIMIT = 0.06               # |per-channel offset - neutral offset| in ACEScct
SATURATION_LIMITS = (0.5, 1.6)


def _stats(w: np.ndarray) -> tuple[float, float, np.ndarray, float]:
    """(luma median, luma spread p90-p10, mean chroma per channel (3,), chroma spread)."""
    luma = w @ LUMA_709
    chroma = w - luma[:, None]
    spread = float(np.percentile(luma, 90) - np.percentile(luma, 10))
    c_spread = float(np.sqrt(((chroma - chroma.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return float(np.median(luma)), spread, chroma.mean(axis=0), c_spread


def match_shot(shot: Sequence[np.ndarray], hero: Sequence[np.ndarray], in_space: str = spaces.WORKING_SPACE,
               working_space: str = spaces.WORKING_SPACE) -> tuple[Cdl, dict[str, float]]:
    """CDL (in ``working_space``) taking ``shot`` frames toward the look of ``hero`` frames.

    Frames are (H, W, C) code values in ``in_space`` (any size). Returns the CDL and the
    statistics before/after, measured in the working space.
    """
    in_space = spaces.resolve_space(in_space)
    working_space = spaces.resolve_space(working_space)
    a = working_samples(hero, in_space, working_space, "hero")
    b = working_samples(shot, in_space, working_space, "shot")
    ya, sa, ca, csa = _stats(a)
    yb, sb, cb, csb = _stats(b)
    k = float(np.clip(sa / max(sb, 1e-6), *CONTRAST_LIMITS))
    sat = float(np.clip(csa / max(k * csb, 1e-6), *SATURATION_LIMITS))
    # Offsets: bring the shot's balance statistics (after contrast and saturation) to the
    # hero's. Saturation acts after the offset, so the cast part is divided by it; a few
    # fixed-point steps settle the small interplay of the luma weights.
    target = shot_statistics(a)
    offset = np.zeros(3)
    for _ in range(4):
        cur = Cdl((k, k, k), tuple(float(v) for v in offset), (1.0, 1.0, 1.0), sat)  # type: ignore[arg-type]
        d = target - shot_statistics(apply_cdl(b, cur))
        e = float(d @ LUMA_AP1)
        offset = offset + e + (d - e) / max(sat, 1e-3)
    o_neutral = float(np.clip(offset @ LUMA_AP1, -EXPOSURE_LIMIT, EXPOSURE_LIMIT))
    balance = np.clip(offset - offset @ LUMA_AP1, -BALANCE_LIMIT, BALANCE_LIMIT)
    balance -= balance @ LUMA_AP1          # keep the balance neutral in luminance
    cdl = Cdl((k, k, k), tuple(float(v) for v in o_neutral + balance), (1.0, 1.0, 1.0), sat,  # type: ignore[arg-type]
              "rushes_shot_match")
    m = apply_cdl(b, cdl)
    ym, sm, cm, csm = _stats(m)
    hero_bal, matched_bal = shot_statistics(a), shot_statistics(m)
    info = {
        "hero_luma": round(ya, 4), "shot_luma": round(yb, 4), "matched_luma": round(ym, 4),
        "hero_contrast": round(sa, 4), "shot_contrast": round(sb, 4), "matched_contrast": round(sm, 4),
        "hero_chroma": round(csa, 4), "shot_chroma": round(csb, 4), "matched_chroma": round(csm, 4),
        "balance_error": round(float(np.abs(cm - ca).max()), 4),
        "hero_key": round(float(hero_bal @ LUMA_AP1), 4), "matched_key": round(float(matched_bal @ LUMA_AP1), 4),
        "cast_error": round(float(np.abs((matched_bal - hero_bal) - (matched_bal - hero_bal) @ LUMA_AP1).max()), 4),
    }
    return cdl, info
