"""Per-shot balance: the first of a colorist's two layers (balance the shot, then the show look).

A balance is a constrained ASC CDL in the working space (ACEScct): slope 1, power 1,
saturation 1 and a per-channel offset. In a log working space an equal offset on the three
channels is an exposure change (1/17.52 is one stop in ACEScct) and the per-channel
difference is a white balance (a gain per channel in the linear AP1 primaries).

``shot_statistics`` measures a shot in the working space with statistics that move exactly
with such an offset (``s(x + o) = s(x) + o``): the key (a trimmed mean of log luminance over
the upper mid tones and highlights, where a grader places a shot) and the cast of its
near-neutral pixels (mode-seeking in chroma, so one big coloured object does not pull it the
way grey-world's mean does). ``BalanceModel`` learns from the heroes how much of a shot's
statistics its balance follows, and brings a new shot to the heroes' normalised state:
exposure, and white balance along the daylight locus only (``WARMER``; the tint across it,
``GREENER``, is left to the colorist).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.cdl import Cdl
from inference_server.engines.look.sampling import rgb_view, sample_pair

LUMA_AP1 = np.array([0.2722287, 0.6740818, 0.0536895])   # ACES AP1 luminance weights
STOP = 1.0 / 17.52                                         # one stop as an ACEScct offset
EXPOSURE_LIMIT = 3.0 * STOP                                # |exposure| of one balance (3 stops)
CHROMA_LIMIT = 0.12                                        # |per-channel cast offset| (about 2 stops)
# Before the heroes say: half of a shot's difference in key from theirs is exposure (the choice
# that is least wrong whether it all is or none is); a difference in warmth is content.
PRIOR_ALPHA = (0.5, 0.0)
ALPHA_SPREAD = 0.25                                        # how far the heroes may move alpha from it (sd)
BALANCE_NOISE = 0.003                                      # a hero's fitted balance is known this well at best (sd)
KEY_BAND = (80, 99)                                        # luminance percentiles the key is the mean of
NEUTRAL_SIGMA = 0.03                                       # near-neutral kernel (about half a stop of cast)
NEUTRAL_SUPPORT = 0.15                                     # share of mid-tone pixels that makes a neutral cluster
CONTENT_EXPOSURE = 2.0 * STOP     # key differences beyond this are more likely content (night vs day)
CONTENT_CAST = 1.0 * STOP         # cast differences beyond this are more likely content (a coloured set)


def _robust(d: np.ndarray) -> np.ndarray:
    """Redescending difference (exposure and cast apart): nearly linear for differences well
    under CONTENT_EXPOSURE / CONTENT_CAST (half of it there), fading beyond, where a
    difference says more about what is in the picture than about how it was exposed or balanced."""
    e, c = _split(np.asarray(d, dtype=np.float64))
    e = e / (1.0 + (e / CONTENT_EXPOSURE) ** 4)
    n = np.sqrt((c**2).sum(axis=-1, keepdims=True))
    c = c / (1.0 + (n / CONTENT_CAST) ** 4)
    return np.asarray(e[..., None] + c)
MODEL_TAG = "rushes-balance"
STATS_SAMPLES = 24_000
# The white-balance axis real shots vary along: the direction (unit vector) of the ACEScct
# offset that undoes a CAT02 shift along the CIE daylight locus on grey, at 6500 K (it turns
# by under 3 degrees between 5000 K and 8000 K). More red, less blue: warmer. Zero AP1 luminance.
WARMER = np.array([0.27761499, -0.03565027, -0.96003072])
# Tint: the zero-luminance direction across it, toward green.
GREENER = np.array([-0.88513561, 0.37897048, -0.27003023])
_BASIS = np.stack([np.ones(3), WARMER, GREENER], axis=1)      # columns: exposure, warmth, tint
_COMPONENTS = np.linalg.inv(_BASIS)


def components(o: np.ndarray) -> np.ndarray:
    """Offsets (..., 3) as (exposure, warmth, tint) (..., 3): ``o = e + w * WARMER + t * GREENER``."""
    return np.asarray(np.asarray(o, dtype=np.float64) @ _COMPONENTS.T)


def compose(c: np.ndarray) -> np.ndarray:
    """Inverse of ``components``."""
    return np.asarray(np.asarray(c, dtype=np.float64) @ _BASIS.T)


def _split(o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (..., 3) -> (exposure (...,), chroma (..., 3) with zero AP1 luminance)."""
    e = o @ LUMA_AP1
    return e, o - e[..., None]


def balance_cdl(offset: np.ndarray | Sequence[float], id: str = "rushes_balance") -> Cdl:
    """The balance with per-channel working-space ``offset`` as a CDL (slope/power/sat 1)."""
    o = [float(v) for v in np.asarray(offset, dtype=np.float64).ravel()]
    if len(o) != 3 or not all(np.isfinite(o)):
        raise ValueError(f"a balance needs three finite offsets, got {o}")
    return Cdl((1.0, 1.0, 1.0), (o[0], o[1], o[2]), (1.0, 1.0, 1.0), 1.0, id)


def clamp_offset(o: np.ndarray) -> np.ndarray:
    """Keep a balance a plausible camera-side correction (exposure and cast bounded)."""
    e, c = _split(np.asarray(o, dtype=np.float64))
    e = np.clip(e, -EXPOSURE_LIMIT, EXPOSURE_LIMIT)
    c = np.clip(c, -CHROMA_LIMIT, CHROMA_LIMIT)
    c = c - (c @ LUMA_AP1)[..., None]
    return np.asarray(e[..., None] + c)


def shot_statistics(w: np.ndarray) -> np.ndarray:
    """Balance statistics (3,) of working-space pixels ``w`` (M, 3): key * (1,1,1) + neutral cast.

    The key moves exactly with an offset added to ``w``, the cast with any cast up to about
    NEUTRAL_SIGMA (beyond, it finds the near-neutral cluster more slowly). The key is the mean of log
    luminance between its 80th and 99th percentiles (``KEY_BAND``): a grader sets a shot's exposure
    by where its highlights and upper mid tones land, not its mid tones (FiveK Expert C's eight
    pairs: the graded 95th percentile spreads 0.3 stop where the source's spreads 0.6, and how
    far each was raised follows the source's; the graded median spreads 1.4 stops, and how far it
    moved does not follow the source's). The cast is the chroma (pixel minus its
    luminance) of the near-neutral pixels among the mid tones (luminance 10th-95th
    percentile): mean-shift steps from neutral with a NEUTRAL_SIGMA kernel climb to the
    cluster of pixels nearest to neutral, so a blue sky or a green lawn does not count as
    a cast (grey-world's mean would) while a real cast moves the whole cluster. When that
    cluster holds few pixels (under NEUTRAL_SUPPORT of the mid tones, kernel-weighted), the
    median chroma takes over in proportion.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != 3:
        raise ValueError(f"shot_statistics expects (M, 3) working-space pixels, got {w.shape}")
    w = w[np.isfinite(w).all(axis=1)]
    if len(w) < 64:
        raise ValueError(f"shot_statistics needs at least 64 finite pixels, got {len(w)}")
    if len(w) > STATS_SAMPLES:                 # an even spread is plenty for percentiles and a mode
        w = w[:: int(np.ceil(len(w) / STATS_SAMPLES))]
    luma = w @ LUMA_AP1
    lo, hi = np.percentile(luma, KEY_BAND)
    band = (luma >= lo) & (luma <= hi)
    key = float(luma[band].mean()) if band.any() else float(np.median(luma))
    lo, hi = np.percentile(luma, [10, 95])
    tones = (luma >= lo) & (luma <= hi)
    chroma = (w - luma[:, None])[tones] if tones.sum() >= 32 else w - luma[:, None]
    m = np.zeros(3)
    for _ in range(30):
        k = np.exp(-0.5 * ((chroma - m) ** 2).sum(axis=1) / NEUTRAL_SIGMA**2)
        if k.sum() < 1e-6:
            break
        new = (k[:, None] * chroma).sum(axis=0) / k.sum()
        done = float(np.abs(new - m).max()) < 1e-6
        m = new
        if done:
            break
    # Few near-neutral pixels (a frame of saturated colour): the median chroma stands in.
    support = float(np.exp(-0.5 * ((chroma - m) ** 2).sum(axis=1) / NEUTRAL_SIGMA**2).mean())
    t = min(1.0, support / NEUTRAL_SUPPORT)
    m = t * m + (1.0 - t) * np.median(chroma, axis=0)
    m = m - m @ LUMA_AP1
    return np.asarray(key + m)


@dataclass(frozen=True)
class BalanceModel:
    """Brings a shot to the heroes' normalised state: ``offset = alpha * robust(target - stats(shot))``
    for exposure and for warmth along the daylight locus, ``alpha`` (exposure, warmth) learned
    from the heroes' balances. The tint across the locus is left alone: white balance errors
    of real shots lie along the locus (daylight, tungsten and in between), while a shot's tint
    statistic mostly tells what is in it (foliage, a coloured set)."""

    target: tuple[float, float, float]
    alpha: tuple[float, float]
    working_space: str
    heroes: int = 0

    def offset(self, stats: np.ndarray) -> np.ndarray:
        d = components(_robust(np.asarray(self.target, dtype=np.float64) - np.asarray(stats, dtype=np.float64)))
        return np.asarray(clamp_offset(compose(d * np.array([self.alpha[0], self.alpha[1], 0.0]))))

    def estimate(self, w: np.ndarray, id: str = "rushes_balance") -> Cdl:
        """The balance (a CDL in ``working_space``) for a shot's working-space pixels (M, 3)."""
        return balance_cdl(self.offset(shot_statistics(w)), id)

    def to_dict(self) -> dict[str, object]:
        return {"target": [round(float(v), 6) for v in self.target],
                "alpha": [round(float(v), 4) for v in self.alpha],
                "working_space": self.working_space, "heroes": self.heroes}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> BalanceModel:
        try:
            t = [float(v) for v in d["target"]]  # type: ignore[attr-defined]
            a = [float(v) for v in d["alpha"]]  # type: ignore[attr-defined]
            ws = str(d["working_space"])
            heroes = int(d.get("heroes", 0))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"balance model is malformed ({exc}): {d!r}") from exc
        if len(t) != 3 or len(a) != 2 or not np.isfinite(t + a).all():
            raise ValueError(f"balance model needs a 3-value target and 2 alphas, got {d!r}")
        return cls((t[0], t[1], t[2]), (a[0], a[1]), ws, heroes)

    def comment(self) -> str:
        """One line for a .cube comment (after '# '), read back by ``from_comment``."""
        return f"{MODEL_TAG} {json.dumps(self.to_dict(), separators=(',', ':'))}"

    @classmethod
    def from_text(cls, text: str) -> BalanceModel | None:
        """The model carried by a look file's comment lines, or None when it has none."""
        for line in text.splitlines():
            s = line.lstrip("# \t")
            if line.startswith("#") and s.startswith(MODEL_TAG + " "):
                try:
                    return cls.from_dict(json.loads(s[len(MODEL_TAG) + 1:]))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"balance model line is not JSON: {s[:120]!r}") from exc
        return None


def learn_model(stats: Sequence[np.ndarray], offsets: Sequence[np.ndarray], working_space: str) -> BalanceModel:
    """Learn the estimator from the heroes' statistics and fitted balances (mean balance zero).

    For exposure and for warmth, ``alpha`` is how far the balances follow the statistics'
    (redescending) distance to their mean: heroes whose balances follow their statistics teach 1
    (their differences were exposure and balance errors), heroes graded the same whatever their
    statistics teach 0 (their differences were content). Three or four heroes say little, and
    their balances come from a joint fit in which the look can take up part of what differs: the
    least-squares slope is trusted as far as the balances lie on it (a Bayesian slope: residual
    variance, at least BALANCE_NOISE, against a prior PRIOR_ALPHA +- ALPHA_SPREAD), then kept in [0, 1].
    """
    s = np.asarray(stats, dtype=np.float64).reshape(-1, 3)
    o = np.asarray(offsets, dtype=np.float64).reshape(-1, 3)
    if len(s) == 0 or s.shape != o.shape:
        raise ValueError(f"learn_model needs one offset per statistics row, got {s.shape} and {o.shape}")
    target = s.mean(axis=0)
    d, b = components(_robust(target - s))[:, :2], components(o)[:, :2]
    dd, db = (d * d).sum(axis=0), (d * b).sum(axis=0)
    slope = db / np.maximum(dd, 1e-12)
    noise = np.maximum(((b - slope * d) ** 2).sum(axis=0) / max(len(s) - 1, 1), BALANCE_NOISE**2)
    evidence, belief = dd / noise, 1.0 / ALPHA_SPREAD**2
    a = np.clip((slope * evidence + np.asarray(PRIOR_ALPHA) * belief) / (evidence + belief), 0.0, 1.0)
    return BalanceModel((float(target[0]), float(target[1]), float(target[2])), (float(a[0]), float(a[1])),
                        working_space, len(s))


def working_samples(frames: Sequence[np.ndarray], in_space: str, working_space: str,
                    what: str, total: int = 120_000) -> np.ndarray:
    """Stratified pixels of ``frames`` ((H, W, C) code values in ``in_space``) in the working
    space, (M, 3) float64; colours that do not convert cleanly are left out."""
    if len(frames) == 0:
        raise ValueError(f"need at least one {what} frame, got none")
    per = max(2000, total // len(frames))
    xs = []
    for i, f in enumerate(frames):
        rgb = rgb_view(f, f"{what} frame {i + 1}")
        x, _ = sample_pair(rgb, rgb, per, seed=i)
        xs.append(x)
    w = spaces.convert(np.concatenate(xs), in_space, working_space).astype(np.float64)
    w = w[np.isfinite(w).all(axis=1) & (np.abs(w - 0.6) < 1.0).all(axis=1)]
    if len(w) < 64:
        raise ValueError(f"the {what} frames have too few usable pixels in {working_space!r} "
                         f"(converted from {in_space!r}); is the input colour space right?")
    return w


def auto_balance(frames: Sequence[np.ndarray], model: BalanceModel, in_space: str,
                 id: str = "rushes_balance") -> Cdl:
    """The balance bringing a shot (a few of its frames, code values in ``in_space``) to the
    heroes' normalised state, as a CDL in the model's working space."""
    w = working_samples(frames, spaces.resolve_space(in_space), spaces.resolve_space(model.working_space), "shot")
    return model.estimate(w, id)
