"""ASC CDL: slope, offset, power, then saturation with Rec.709 luma; least-squares fit.

Values are applied the way OpenColorIO applies a ``.cc`` file (``CDL_NO_CLAMP``): no clamping,
and power leaves values <= 0 unchanged. Pixels are float (M, 3) in the working space (ACEScct).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

LUMA_709 = np.array([0.2126, 0.7152, 0.0722])

# A plausible primary grade: wider than any colorist's trim, narrow enough to stay a CDL.
SLOPE_RANGE = (0.2, 5.0)
OFFSET_RANGE = (-0.5, 0.5)
POWER_RANGE = (0.3, 3.0)
SAT_RANGE = (0.0, 3.0)


@dataclass(frozen=True)
class Cdl:
    """One ASC CDL. ``slope``, ``offset``, ``power`` are per channel (R, G, B)."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    id: str = field(default="rushes_look", compare=False)

    @classmethod
    def from_vector(cls, v: np.ndarray, id: str = "rushes_look") -> Cdl:
        """From the 10-vector (slope rgb, offset rgb, power rgb, saturation)."""
        f = [float(x) for x in v]
        return cls((f[0], f[1], f[2]), (f[3], f[4], f[5]), (f[6], f[7], f[8]), f[9], id)

    def vector(self) -> np.ndarray:
        return np.array([*self.slope, *self.offset, *self.power, self.saturation], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        r = lambda t: [round(float(x), 6) for x in t]  # noqa: E731
        return {"slope": r(self.slope), "offset": r(self.offset), "power": r(self.power),
                "saturation": round(float(self.saturation), 6)}

    def to_ocio(self) -> Any:
        """This CDL as a PyOpenColorIO.CDLTransform (style CDL_NO_CLAMP, as OCIO reads .cc files)."""
        import PyOpenColorIO as ocio

        t = ocio.CDLTransform()
        t.setSlope(list(self.slope))
        t.setOffset(list(self.offset))
        t.setPower(list(self.power))
        t.setSat(float(self.saturation))
        t.setStyle(ocio.CDL_NO_CLAMP)
        t.setID(self.id)
        return t


def apply_cdl(rgb: np.ndarray, cdl: Cdl | np.ndarray) -> np.ndarray:
    """Apply ``cdl`` to (M, 3) float working-space values; float64 (M, 3) out.

    Numpy twin of OCIO's CDL_NO_CLAMP, used while fitting. Images are graded through OCIO.
    """
    v = cdl.vector() if isinstance(cdl, Cdl) else np.asarray(cdl, dtype=np.float64)
    x = np.asarray(rgb, dtype=np.float64) * v[0:3] + v[3:6]
    pos = x > 0
    x = np.where(pos, np.power(np.where(pos, x, 1.0), v[6:9]), x)
    luma = x @ LUMA_709
    return luma[:, None] + v[9] * (x - luma[:, None])


def _check_pairs(src: np.ndarray, dst: np.ndarray, what: str) -> None:
    if src.ndim != 2 or src.shape[1] != 3 or src.shape != dst.shape:
        raise ValueError(f"{what} expects two (M, 3) arrays of the same shape, got {src.shape} and {dst.shape}")
    if src.shape[0] < 16:
        raise ValueError(f"{what} needs at least 16 samples, got {src.shape[0]}")


def fit_cdl(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None,
            max_samples: int = 12000, seed: int = 0) -> Cdl:
    """Least-squares ASC CDL taking ``src`` to ``dst`` (both (M, 3) float, working space).

    Robust (soft-L1) loss so local adjustments in the grade do not drag the primary; bounded
    to a plausible primary grade (SLOPE_RANGE, OFFSET_RANGE, POWER_RANGE, SAT_RANGE).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    _check_pairs(src, dst, "fit_cdl")
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(src) > max_samples:
        pick = np.random.default_rng(seed).choice(len(src), max_samples, replace=False)
        src, dst, w = src[pick], dst[pick], w[pick]
    sw = np.sqrt(w)[:, None]
    # Start: per-channel straight line, power 1, saturation 1.
    x0 = np.ones(10)
    for c in range(3):
        a = np.stack([src[:, c], np.ones(len(src))], axis=1)
        (s, o), *_ = np.linalg.lstsq(a * sw, dst[:, c] * sw[:, 0], rcond=None)
        x0[c], x0[3 + c] = s, o
    lo = np.array([SLOPE_RANGE[0]] * 3 + [OFFSET_RANGE[0]] * 3 + [POWER_RANGE[0]] * 3 + [SAT_RANGE[0]])
    hi = np.array([SLOPE_RANGE[1]] * 3 + [OFFSET_RANGE[1]] * 3 + [POWER_RANGE[1]] * 3 + [SAT_RANGE[1]])
    x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)

    return Cdl.from_vector(_levenberg_marquardt(src, dst, w, x0, lo, hi))


def _levenberg_marquardt(src: np.ndarray, dst: np.ndarray, w: np.ndarray, x0: np.ndarray,
                         lo: np.ndarray, hi: np.ndarray, iterations: int = 30,
                         scale: float = 0.02) -> np.ndarray:
    """Bounded, damped Gauss-Newton with soft-L1 reweighting (IRLS); (10,) float64 out."""
    v = x0.copy()
    damping = 1e-3

    def cost(vec: np.ndarray) -> tuple[float, np.ndarray]:
        r = apply_cdl(src, vec) - dst
        rho = 2.0 * scale**2 * (np.sqrt(1.0 + (r / scale) ** 2) - 1.0)
        return float((rho * w[:, None]).sum()), r

    c, r = cost(v)
    for _ in range(iterations):
        irls = w[:, None] / np.sqrt(1.0 + (r / scale) ** 2)           # (M, 3)
        j = _cdl_jacobian(src, v)                                       # (M, 3, 10)
        jw = j * irls[:, :, None]
        jw2 = jw.reshape(-1, 10)
        h = jw2.T @ j.reshape(-1, 10)
        g = jw2.T @ r.ravel()
        improved = False
        for _ in range(8):
            step = np.linalg.solve(h + damping * np.diag(np.diag(h) + 1e-12), -g)
            cand = np.clip(v + step, lo, hi)
            c_new, r_new = cost(cand)
            if c_new < c:
                converged = c - c_new < 1e-10 * max(c, 1e-12)
                v, c, r = cand, c_new, r_new
                damping = max(damping / 3.0, 1e-7)
                improved = True
                break
            damping *= 4.0
        if not improved or converged:
            break
    return v


def _cdl_jacobian(src: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d apply_cdl / d (slope, offset, power, sat): (M, 3, 10) float64."""
    m = len(src)
    x = src * v[0:3] + v[3:6]
    pos = x > 0
    xs = np.where(pos, x, 1.0)
    p = np.where(pos, np.power(xs, v[6:9]), x)
    dp_dx = np.where(pos, v[6:9] * np.power(xs, v[6:9] - 1.0), 1.0)
    dp_dpow = np.where(pos, p * np.log(xs), 0.0)
    sat = v[9]
    luma = p @ LUMA_709
    # d out_c / d p_k = (1 - sat) * luma_k + sat * (c == k)
    mix = (1.0 - sat) * np.tile(LUMA_709, (3, 1)) + sat * np.eye(3)  # [c, k]
    j = np.empty((m, 3, 10))
    j[:, :, 0:3] = mix[None] * (dp_dx * src)[:, None, :]
    j[:, :, 3:6] = mix[None] * dp_dx[:, None, :]
    j[:, :, 6:9] = mix[None] * dp_dpow[:, None, :]
    j[:, :, 9] = p - luma[:, None]
    return j
