"""Learn a look from (source, graded) frame pairs: an ASC CDL and a 3D LUT.

The CDL is fitted in the working space (ACEScct unless told otherwise). The 3D LUT is
fitted directly over the source's code values (what a ``.cube`` applied to the clip sees),
as the CDL (through OCIO) plus a smooth residual lattice; when the source is scene-linear,
a 1D shaper (the ACEScct curve per channel) puts the lattice on a log scale.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.balance import BalanceModel, balance_cdl, learn_model, shot_statistics
from inference_server.engines.look.cdl import Cdl, apply_cdl, fit_cdl
from inference_server.engines.look.lattice import (
    enforce_neutral_monotonic,
    eval_lattice,
    fit_residual_lattice,
    lattice_coords,
    trilinear_weights,
)
from inference_server.engines.look.sampling import bin_samples, check_pair, sample_pair
from inference_server.engines.look.two_layer import fit_balances, refit_balances

SHAPER_MAX_LINEAR = 64.0        # scene-linear top of the shaper (about 8.5 stops over 18% grey)
SHAPER_SIZE = 32768
SAMPLES_TOTAL = 200_000
FIT_SIZE_MAX = 33               # bigger LUTs: the CDL at every node plus the 33^3 residual resampled


@dataclass(frozen=True)
class Shaper:
    """Per-channel 1D shaper: scene-linear [lo, hi] -> [0, 1] on the ACEScct curve."""

    lo: float
    hi: float
    size: int = SHAPER_SIZE

    def encode(self, v: np.ndarray) -> np.ndarray:
        """Exact shaper (float64); the LUT files sample it at ``size`` points."""
        top = spaces.lin_to_cct(np.float64(self.hi))
        return np.asarray(spaces.lin_to_cct(v)) / top

    def decode(self, d: np.ndarray) -> np.ndarray:
        top = spaces.lin_to_cct(np.float64(self.hi))
        return np.asarray(spaces.cct_to_lin(np.asarray(d) * top))

    def table(self) -> np.ndarray:
        """The sampled shaper, (size,) float64, inputs linspace(lo, hi, size)."""
        return np.clip(self.encode(np.linspace(self.lo, self.hi, self.size)), 0.0, 1.0)


def default_shaper() -> Shaper:
    return Shaper(lo=float(spaces.cct_to_lin(np.float64(0.0))), hi=SHAPER_MAX_LINEAR)


@dataclass
class LookFit:
    """A fitted look. ``lut`` is (n, n, n, 3) float32 indexed [r, g, b]: source code values
    (through ``shaper`` when set) to graded code values, both in ``in_space``. ``cdl`` acts in
    ``working_space``."""

    cdl: Cdl
    in_space: str
    working_space: str
    lut: np.ndarray
    shaper: Shaper | None
    stats: dict[str, Any] = field(default_factory=dict)
    balances: list[Cdl] = field(default_factory=list)
    balance_model: BalanceModel | None = None

    def domain(self, code: np.ndarray) -> np.ndarray:
        """Source code values (M, 3) -> LUT domain [0, 1] (float64)."""
        d = self.shaper.encode(code) if self.shaper is not None else np.asarray(code, dtype=np.float64)
        return np.clip(d, 0.0, 1.0)

    def apply_exact(self, code: np.ndarray) -> np.ndarray:
        """Reference evaluation (exact shaper, trilinear lattice): (M, 3) -> (M, 3) float64."""
        return eval_lattice(self.lut, self.domain(code))


def cdl_chain(cdl: Cdl, in_space: str, working_space: str) -> Any:
    """OCIO GroupTransform: in_space -> working -> CDL -> in_space."""
    import PyOpenColorIO as ocio

    g = ocio.GroupTransform()
    if in_space != working_space:
        g.appendTransform(ocio.ColorSpaceTransform(in_space, working_space))
    g.appendTransform(cdl.to_ocio())
    if in_space != working_space:
        g.appendTransform(ocio.ColorSpaceTransform(working_space, in_space))
    return g


def gather_pair_samples(pairs: Sequence[tuple[np.ndarray, np.ndarray]], total: int = SAMPLES_TOTAL,
                        seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Validate every pair and draw up to ``total`` pixel pairs spread evenly over them, kept per pair:
    lists of (M_i, 3) source and graded samples."""
    if len(pairs) == 0:
        raise ValueError("need at least one (source, graded) pair, got none")
    per = max(5000, total // len(pairs))
    xs, ys = [], []
    for i, (src, dst) in enumerate(pairs):
        check_pair(src, dst, f"pair {i + 1}")
        x, y = sample_pair(src, dst, per, seed + i)
        xs.append(x)
        ys.append(y)
    if sum(len(x) for x in xs) < 64:
        raise ValueError(f"only {sum(len(x) for x in xs)} usable (finite) pixels in the pairs; need at least 64")
    return xs, ys


def _balance_pairs(xs: list[np.ndarray], ys: list[np.ndarray], in_space: str, working_space: str,
                   smoothness: float, seed: int) -> tuple[list[np.ndarray], list[Cdl], BalanceModel]:
    """Fit the per-pair balances and learn the estimator from them; returns the source samples
    (code values) as the estimator balances them, each hero's balance and the estimator."""
    xw, yw, stats = [], [], []
    for i, (x, y) in enumerate(zip(xs, ys)):
        a = spaces.convert(x, in_space, working_space).astype(np.float64)
        b = spaces.convert(y, in_space, working_space).astype(np.float64)
        ok = (np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
              & (np.abs(a - 0.6) < 1.0).all(axis=1) & (np.abs(b - 0.6) < 1.0).all(axis=1))
        if ok.sum() < 64:
            raise ValueError(f"pair {i + 1}: only {int(ok.sum())} pixel colours convert cleanly from "
                             f"{in_space!r} to {working_space!r}; is the input colour space right?")
        xw.append(a[ok])
        yw.append(b[ok])
        stats.append(shot_statistics(a[ok]))
    offsets = fit_balances(xw, yw, smoothness, seed=seed)
    model = learn_model(stats, list(offsets), working_space)
    # The look learns from the heroes as the estimator balances them, which is what it will
    # see on every other shot; each hero's own balance is then what it needs on top.
    estimated = np.stack([model.offset(st) for st in stats])
    heroes = refit_balances(xw, yw, estimated, smoothness, seed) if len(xs) > 1 else estimated
    balances = [balance_cdl(o, f"rushes_balance_{i + 1}") for i, o in enumerate(heroes)]
    out = []
    for x, o in zip(xs, estimated):
        if np.abs(o).max() == 0.0:
            out.append(x)
            continue
        chain = cdl_chain(balance_cdl(o), in_space, working_space)
        out.append(spaces.apply_processor(spaces.config().getProcessor(chain).getDefaultCPUProcessor(), x))
    return out, balances, model


def _sane_prior(prior: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Far outside the gamut, colour conversions can return NaN or absurd values: there the
    prior falls back to no grade, and everywhere it stays within [-0.25, 1.5] of the domain."""
    bad = ~np.isfinite(prior)
    prior = np.where(bad, nodes, prior)
    return np.clip(prior, -0.25, 1.5)


def fit_look(pairs: Sequence[tuple[np.ndarray, np.ndarray]], in_space: str = spaces.WORKING_SPACE,
             working_space: str = spaces.WORKING_SPACE, lut_size: int = 33, smoothness: float = 1.0,
             seed: int = 0, balance: bool = False) -> LookFit:
    """Fit a CDL and an n^3 LUT taking each pair's source frame to its graded frame.

    With ``balance`` the fit has two layers: a balance per pair (``LookFit.balances``, CDLs in
    the working space) and one look (CDL and LUT) that applies after it, taking each
    balanced source to its graded frame; ``LookFit.balance_model`` balances a new shot.

    ``pairs``: (source, graded) (H, W, C) arrays (uint8/uint16/float16/float32 code values in
    ``in_space``, same size within a pair). Raises ValueError naming the pair or the space.
    """
    t0 = time.perf_counter()
    in_space = spaces.resolve_space(in_space)
    working_space = spaces.resolve_space(working_space)
    if not 2 <= int(lut_size) <= 129:
        raise ValueError(f"LUT size must be between 2 and 129 (33 or 65 are usual), got {lut_size}")
    if not smoothness > 0:
        raise ValueError(f"smoothness must be > 0, got {smoothness}")
    xs, ys = gather_pair_samples(pairs, seed=seed)
    balances: list[Cdl] = []
    model = None
    if balance:
        xs, balances, model = _balance_pairs(xs, ys, in_space, working_space, smoothness, seed)
    t_balance = time.perf_counter()
    x_code, y_code = np.concatenate(xs), np.concatenate(ys)
    shaper = default_shaper() if spaces.is_linear(in_space) else None
    fit = LookFit(Cdl(), in_space, working_space, np.zeros((2, 2, 2, 3), np.float32), shaper)

    # 1. CDL in the working space.
    s = _clean_samples(fit, x_code, y_code)
    cdl = fit_cdl(s.xw, s.yw, weights=s.weight, seed=seed)
    t_cdl = time.perf_counter()

    # 2. LUT = CDL through OCIO at the nodes + smooth residual lattice.
    lut, pred_x, changed = _fit_lut(fit, cdl, s, int(lut_size), smoothness)
    fit.cdl = cdl
    fit.balances = balances
    fit.balance_model = model
    fit.lut = lut
    t_lut = time.perf_counter()

    # Fit quality on the samples, in the working space.
    fit.stats = {
        "pairs": len(pairs), "samples": int(len(x_code)), "colour_bins": int(len(s.x_dom)),
        "cdl_rms": round(_rms(apply_cdl(s.xw, cdl), s), 5),
        "lut_rms": round(_rms(spaces.convert(pred_x.astype(np.float32), in_space, working_space), s), 5),
        "neutral_nodes_fixed": changed, "seconds_balance": round(t_balance - t0, 3),
        "seconds_cdl": round(t_cdl - t0, 3),
        "seconds_total": round(t_lut - t0, 3),
    }
    return fit


class _Samples(NamedTuple):
    """Binned colour samples that convert cleanly: lattice domain, encoded graded, representative
    source and graded code values, bin weights, and source/graded in the working space."""

    x_dom: np.ndarray
    y_enc: np.ndarray
    x_rep: np.ndarray
    y_rep: np.ndarray
    weight: np.ndarray
    xw: np.ndarray
    yw: np.ndarray


def _out_enc(shaper: Shaper | None, v: np.ndarray) -> np.ndarray:
    """The lattice's output encoding (log-like through the shaper for linear sources)."""
    return shaper.encode(v) if shaper is not None else np.asarray(v, dtype=np.float64)


def _out_dec(shaper: Shaper | None, v: np.ndarray) -> np.ndarray:
    return shaper.decode(v) if shaper is not None else v


def _clean_samples(fit: LookFit, x_code: np.ndarray, y_code: np.ndarray) -> _Samples:
    """Bin the samples and keep colours that convert cleanly and sit in the usual range of both spaces."""
    in_space, working_space = fit.in_space, fit.working_space
    x_dom, y_enc, x_rep, y_rep, weight = bin_samples(fit.domain(x_code), _out_enc(fit.shaper, y_code), x_code, y_code)
    xw = spaces.convert(x_rep.astype(np.float32), in_space, working_space).astype(np.float64)
    yw = spaces.convert(y_rep.astype(np.float32), in_space, working_space).astype(np.float64)
    ok = (np.isfinite(xw).all(axis=1) & np.isfinite(yw).all(axis=1) & np.isfinite(y_enc).all(axis=1)
          & (np.abs(xw - 0.6) < 1.0).all(axis=1) & (np.abs(yw - 0.6) < 1.0).all(axis=1)
          & (np.abs(y_enc - 0.5) < 1.0).all(axis=1))
    if ok.sum() < 64:
        raise ValueError(f"only {int(ok.sum())} pixel colours convert cleanly from {in_space!r} to "
                         f"{working_space!r} and lie in their usual range; is the input colour space right?")
    return _Samples(*(a[ok] for a in (x_dom, y_enc, x_rep, y_rep, weight, xw, yw)))


def _fit_lut(fit: LookFit, cdl: Cdl, s: _Samples, size: int, smoothness: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The LUT (size^3, float32 code values): ``cdl`` through OCIO at the nodes plus a smooth residual
    lattice fitted (at most FIT_SIZE_MAX^3) to the samples; also the fitted LUT's prediction at the
    samples (code values) and how many neutral nodes were fixed."""
    shaper = fit.shaper
    n_fit = min(size, FIT_SIZE_MAX)
    chain = spaces.config().getProcessor(cdl_chain(cdl, fit.in_space, fit.working_space)).getDefaultCPUProcessor()
    nodes = lattice_coords(n_fit)
    node_code = _out_dec(shaper, nodes)
    prior = _sane_prior(_out_enc(shaper, spaces.apply_processor(chain, node_code)), nodes).reshape(n_fit, n_fit, n_fit, 3)
    rows = trilinear_weights(s.x_dom, n_fit)
    prior_x = eval_lattice(prior, s.x_dom, rows)
    residual = fit_residual_lattice(s.x_dom, s.y_enc - prior_x, n_fit, smoothness, s.weight, rows=rows)
    lattice = prior + residual
    pred_x = _out_dec(shaper, prior_x + eval_lattice(residual, s.x_dom, rows))
    if n_fit != size:
        nodes = lattice_coords(size)
        node_code = _out_dec(shaper, nodes)
        prior_big = _sane_prior(_out_enc(shaper, spaces.apply_processor(chain, node_code)), nodes)
        lattice = (prior_big + eval_lattice(residual, nodes)).reshape(size, size, size, 3)
    lattice, changed = enforce_neutral_monotonic(lattice)
    return np.asarray(_out_dec(shaper, lattice), dtype=np.float32), pred_x, changed


def _rms(pred: np.ndarray, s: _Samples) -> float:
    """Weighted RMS error per channel against the graded samples, in the working space."""
    return float(np.sqrt((((pred - s.yw) ** 2).sum(axis=1) * s.weight).sum() / s.weight.sum() / 3.0))


def bake_cdl(cdl: Cdl, in_space: str = spaces.WORKING_SPACE, working_space: str = spaces.WORKING_SPACE,
             lut_size: int = 33) -> LookFit:
    """A LookFit whose LUT is just ``cdl`` (acting in ``working_space``) baked over ``in_space`` codes."""
    in_space = spaces.resolve_space(in_space)
    working_space = spaces.resolve_space(working_space)
    if not 2 <= int(lut_size) <= 129:
        raise ValueError(f"LUT size must be between 2 and 129 (33 or 65 are usual), got {lut_size}")
    shaper = default_shaper() if spaces.is_linear(in_space) else None
    nodes = lattice_coords(int(lut_size))
    code = shaper.decode(nodes) if shaper is not None else nodes
    chain = spaces.config().getProcessor(cdl_chain(cdl, in_space, working_space)).getDefaultCPUProcessor()
    out = spaces.apply_processor(chain, code).astype(np.float64)
    enc = shaper.encode(out) if shaper is not None else out
    lattice = _sane_prior(enc, nodes).reshape((int(lut_size),) * 3 + (3,))
    lattice, _ = enforce_neutral_monotonic(lattice)
    lut = shaper.decode(lattice) if shaper is not None else lattice
    return LookFit(cdl, in_space, working_space, np.asarray(lut, dtype=np.float32), shaper)
