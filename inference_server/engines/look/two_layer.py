"""Fit the two layers together: one balance per pair and one shared look, in the working space.

look(balance_i(source_i)) ~ graded_i. The balances are per-channel offsets (exposure and
white balance, see ``balance``); while they are being found the look is a smooth 9^3 lattice
over the working space (identity plus a regularised residual). The two alternate: the look
given the balances (one sparse solve), then each balance given the look (a few robust
Gauss-Newton steps), then the gauge is fixed so that the mean balance is no balance: the
shared look keeps what the pairs have in common, the balances what differs between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.look.balance import clamp_offset
from inference_server.engines.look.lattice import eval_lattice, fit_residual_lattice

MODEL_SIZE = 9
ROUNDS = 6
SAMPLES_PER_PAIR = 4000
ROBUST_SCALE = 0.02          # soft-L1 scale (working-space units): local grades do not drag a balance
RIDGE = 1e-3                 # pulls each balance gently toward none where the pair says little


@dataclass
class _Model:
    """Working-space look while balancing: identity plus a residual lattice over [lo, hi]^3.

    ``stack`` holds the residual and its three partial derivatives (central differences on
    the lattice) as one (n, n, n, 12) lattice, so value and Jacobian come from one lookup.
    """

    lo: float
    hi: float
    stack: np.ndarray

    def domain(self, x: np.ndarray) -> np.ndarray:
        return np.clip((x - self.lo) / (self.hi - self.lo), 0.0, 1.0)

    def value_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """model(x) (M, 3) and d model / d x (M, 3, 3) [output channel, input channel]."""
        v = eval_lattice(self.stack, self.domain(x))
        jac = v[:, 3:].reshape(-1, 3, 3) / (self.hi - self.lo) + np.eye(3)[None]
        return x + v[:, :3], jac


def _fit_model(x: np.ndarray, y: np.ndarray, lo: float, hi: float, smoothness: float) -> _Model:
    n = MODEL_SIZE
    dom = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    # Regularise 10x more than the final LUT: the balances must come from broad agreement.
    res = fit_residual_lattice(dom, y - x, n, 10.0 * smoothness)
    grads = [np.gradient(res, 1.0 / (n - 1), axis=k) for k in range(3)]       # d res / d domain_k
    # stack channels: residual (3), then for each output channel c the three inputs k.
    jac = np.stack(grads, axis=-1)                                               # (n, n, n, 3 out, 3 in)
    return _Model(lo, hi, np.concatenate([res, jac.reshape(n, n, n, 9)], axis=-1))


def _fit_offset(model: _Model, x: np.ndarray, y: np.ndarray, o: np.ndarray, steps: int = 4) -> np.ndarray:
    """Robust Gauss-Newton for the offset ``o`` (3,) minimising |model(x + o) - y|."""
    o = o.copy()
    for _ in range(steps):
        f0, jac = model.value_and_jacobian(x + o)
        r = f0 - y
        irls = 1.0 / np.sqrt(1.0 + (r / ROBUST_SCALE) ** 2)           # (M, 3)
        jw = jac * irls[:, :, None]
        a = np.einsum("mck,mcl->kl", jw, jac) / len(x) + RIDGE * np.eye(3)
        g = np.einsum("mck,mc->k", jw, r) / len(x) + RIDGE * o
        step = -np.linalg.solve(a, g)
        o = o + step
        if np.abs(step).max() < 1e-5:
            break
    return o


def fit_balances(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], smoothness: float = 1.0,
                 rounds: int = ROUNDS, seed: int = 0) -> np.ndarray:
    """Per-pair balance offsets (n, 3) so that one shared look takes every balanced source to its grade.

    ``xs``/``ys``: per pair (M_i, 3) source and graded samples in the working space. The mean
    balance is zero (the gauge): a single pair gets no balance.
    """
    n = len(xs)
    if n == 0 or len(ys) != n:
        raise ValueError(f"fit_balances needs one graded sample set per source set, got {n} and {len(ys)}")
    offsets = np.zeros((n, 3))
    if n == 1:
        return offsets
    for x, y in zip(xs, ys):
        if x.shape != y.shape or x.ndim != 2 or x.shape[1] != 3 or len(x) < 16:
            raise ValueError(f"fit_balances expects matching (M, 3) sample sets of 16 or more, got {x.shape}, {y.shape}")
    xs_s, ys_s, lo, hi = _samples(xs, ys, seed)
    y_all = np.concatenate(ys_s)
    for _ in range(rounds):
        model = _fit_model(np.concatenate([x + o for x, o in zip(xs_s, offsets)]), y_all, lo, hi, smoothness)
        new = np.stack([_fit_offset(model, x, y, o) for x, y, o in zip(xs_s, ys_s, offsets)])
        new = clamp_offset(new - new.mean(axis=0))
        moved = float(np.abs(new - offsets).max())
        offsets = new
        if moved < 2e-4:
            break
    return offsets



def refit_balances(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], start: np.ndarray,
                   smoothness: float = 1.0, seed: int = 0) -> np.ndarray:
    """Each pair's balance (n, 3) against the look that takes the ``start``-balanced sources to
    their grades: what each hero needs on top of the look, starting from ``start``."""
    xs_s, ys_s, lo, hi = _samples(xs, ys, seed)
    model = _fit_model(np.concatenate([x + o for x, o in zip(xs_s, start)]), np.concatenate(ys_s), lo, hi,
                       smoothness)
    return np.asarray(clamp_offset(np.stack([_fit_offset(model, x, y, o) for x, y, o in zip(xs_s, ys_s, start)])))


def _samples(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], seed: int
             ) -> tuple[list[np.ndarray], list[np.ndarray], float, float]:
    """Up to ``SAMPLES_PER_PAIR`` (source, graded) samples per pair (seeded), and the source range
    (0.5-99.5th percentile, 0.25 beyond) the look's model spans."""
    rng = np.random.default_rng(seed)
    xs_s, ys_s = [], []
    for x, y in zip(xs, ys):
        pick = rng.choice(len(x), min(SAMPLES_PER_PAIR, len(x)), replace=False)
        xs_s.append(np.asarray(x[pick], dtype=np.float64))
        ys_s.append(np.asarray(y[pick], dtype=np.float64))
    allx = np.concatenate(xs_s)
    return xs_s, ys_s, float(np.percentile(allx, 0.5)) - 0.25, float(np.percentile(allx, 99.5)) + 0.25
