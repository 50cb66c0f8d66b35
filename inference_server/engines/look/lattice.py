"""3D lattice (LUT) fitting: trilinear data term, smoothness, pull toward a prior.

A lattice is (n, n, n, 3) float indexed [r, g, b] over the unit cube, evaluated with
trilinear interpolation (what OpenColorIO does for a ``.cube``/CLF Lut3D by default).
Fitting solves a sparse regularised least squares on a residual over a prior lattice:
a coarse 9^3 level (second differences, sparse direct solve) then the full level (first
differences, preconditioned conjugate gradients), both pulled gently toward zero so the
LUT falls back to the prior (the CDL) far from the colours seen in the pairs.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

_CORNERS = np.array([(dr, dg, db) for dr in (0, 1) for dg in (0, 1) for db in (0, 1)])
COARSE_SIZE = 9


def lattice_coords(n: int) -> np.ndarray:
    """Node coordinates of an n^3 lattice as (n^3, 3) float64 in [0, 1], C order [r, g, b]."""
    t = np.linspace(0.0, 1.0, n)
    r, g, b = np.meshgrid(t, t, t, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)


def trilinear_weights(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For (M, 3) points in [0, 1] (clamped): cell index (M,), corner node indices (M, 8), weights (M, 8)."""
    s = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0) * (n - 1)
    i = np.minimum(s.astype(np.int64), n - 2)
    f = s - i
    base = (i[:, 0] * n + i[:, 1]) * n + i[:, 2]
    cell = (i[:, 0] * (n - 1) + i[:, 1]) * (n - 1) + i[:, 2]
    offs = (_CORNERS[:, 0] * n + _CORNERS[:, 1]) * n + _CORNERS[:, 2]
    idx = base[:, None] + offs[None, :]
    w = np.ones((len(s), 8))
    for k, (dr, dg, db) in enumerate(_CORNERS):
        w[:, k] = ((f[:, 0] if dr else 1 - f[:, 0]) * (f[:, 1] if dg else 1 - f[:, 1])
                   * (f[:, 2] if db else 1 - f[:, 2]))
    return cell, idx, w


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


def eval_lattice(lattice: np.ndarray, x: np.ndarray, rows: Rows | None = None) -> np.ndarray:
    """Trilinear lookup of (M, 3) points in [0, 1] in an (n, n, n, C) lattice; (M, C) float64.

    ``rows`` may pass ``trilinear_weights(x, n)`` already computed.
    """
    n = lattice.shape[0]
    if lattice.ndim != 4 or lattice.shape[:3] != (n, n, n):
        raise ValueError(f"lattice must be (n, n, n, C), got {lattice.shape}")
    _, idx, w = rows if rows is not None else trilinear_weights(x, n)
    flat = lattice.reshape(n**3, -1).astype(np.float64)
    out = np.zeros((len(idx), flat.shape[1]))
    for k in range(8):
        out += w[:, k:k + 1] * flat[idx[:, k]]
    return out


def _data_matrix(cell: np.ndarray, w: np.ndarray, n: int, weight: np.ndarray) -> Any:
    """A^T diag(weight) A for trilinear rows, built cell by cell as 27 diagonals (CSR)."""
    import scipy.sparse as sp

    m = n - 1
    stencil = np.zeros((3, 3, 3, n, n, n))
    for a in range(8):
        ca = _CORNERS[a]
        wa = w[:, a] * weight
        for b in range(8):
            cb = _CORNERS[b]
            s = np.bincount(cell, wa * w[:, b], minlength=m**3).reshape(m, m, m)
            o = cb - ca
            stencil[o[0] + 1, o[1] + 1, o[2] + 1, ca[0]:ca[0] + m, ca[1]:ca[1] + m, ca[2]:ca[2] + m] += s
    diagonals: dict[int, np.ndarray] = {}
    for dr in (-1, 0, 1):
        for dg in (-1, 0, 1):
            for db in (-1, 0, 1):
                off = (dr * n + dg) * n + db
                d = stencil[dr + 1, dg + 1, db + 1].ravel()
                if not d.any():
                    continue
                # dia convention: A[j - off, j] = data[j], i.e. data[i + off] = A[i, i + off].
                # Tiny lattices (n = 2) map two stencil offsets to one diagonal: sum them.
                diagonals[off] = diagonals.get(off, 0.0) + np.roll(d, off)
    offsets = np.array(list(diagonals))
    return sp.dia_matrix((np.array(list(diagonals.values())), offsets), shape=(n**3, n**3)).tocsr()


@functools.lru_cache(maxsize=8)
def _difference_gram(n: int, order: int) -> Any:
    """Sum over the three axes of D^T D for 1st or 2nd differences on an n^3 lattice (CSR)."""
    import scipy.sparse as sp

    e = np.ones(n)
    if order == 1:
        d = sp.diags([-e[:-1], e[:-1]], [0, 1], shape=(n - 1, n))
    else:
        d = sp.diags([e[:-2], -2 * e[:-2], e[:-2]], [0, 1, 2], shape=(n - 2, n))
    g = (d.T @ d).tocsr()
    eye = sp.identity(n, format="csr")
    return (sp.kron(sp.kron(g, eye), eye) + sp.kron(sp.kron(eye, g), eye) + sp.kron(sp.kron(eye, eye), g)).tocsr()


def _pcg(q: Any, b: np.ndarray, iterations: int, tol: float) -> np.ndarray:
    """Jacobi-preconditioned conjugate gradients for SPD ``q`` with (N, K) right-hand sides, from 0."""
    inv_diag = 1.0 / q.diagonal()[:, None]
    x = np.zeros_like(b)
    r = b.copy()
    z = r * inv_diag
    p = z.copy()
    rz = (r * z).sum(axis=0)
    b_norm = np.linalg.norm(b, axis=0) + 1e-30
    for _ in range(iterations):
        qp = q @ p
        alpha = rz / np.maximum((p * qp).sum(axis=0), 1e-30)
        x += alpha * p
        r -= alpha * qp
        if np.all(np.linalg.norm(r, axis=0) < tol * b_norm):
            break
        z = r * inv_diag
        rz_new = (r * z).sum(axis=0)
        p = z + (rz_new / np.maximum(rz, 1e-30)) * p
        rz = rz_new
    return x


def fit_residual_lattice(x: np.ndarray, r: np.ndarray, n: int, smoothness: float = 1.0,
                         weight: np.ndarray | None = None, iterations: int = 150,
                         rows: Rows | None = None) -> np.ndarray:
    """Fit an (n, n, n, 3) lattice R so that trilinear(R, x) ~ r, smooth and small where no data.

    ``x`` (M, 3) float in [0, 1] are domain coordinates, ``r`` (M, 3) the residual targets.
    ``smoothness`` scales both levels' regularisation (1.0 is the tuned default).
    """
    x = np.asarray(x, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 3 or r.shape != x.shape:
        raise ValueError(f"fit_residual_lattice expects (M, 3) x and r, got {x.shape} and {r.shape}")
    if not 2 <= n <= 129:
        raise ValueError(f"lattice size must be 2..129, got {n}")
    if smoothness <= 0:
        raise ValueError(f"smoothness must be > 0, got {smoothness}")
    w = np.ones(len(x)) if weight is None else np.asarray(weight, dtype=np.float64)
    coarse_n = min(COARSE_SIZE, n)
    total = np.zeros((n**3, 3))

    # Coarse level: second differences (linear extension), sparse direct solve.
    nc = coarse_n
    cell, idx, wts = trilinear_weights(x, nc)
    scale = nc**3 / w.sum()
    q = _data_matrix(cell, wts, nc, w * scale)
    q = q + (0.05 * smoothness) * _difference_gram(nc, 2 if nc >= 3 else 1) + (1e-3 * smoothness) * _identity(nc)
    rhs = np.zeros((nc**3, 3))
    for k in range(8):
        rhs += _scatter(idx[:, k], (wts[:, k] * w * scale)[:, None] * r, nc**3)
    from scipy.sparse.linalg import splu

    coarse = splu(q.tocsc()).solve(rhs)
    if nc == n:
        return coarse.reshape(n, n, n, 3)
    total += eval_lattice(coarse.reshape(nc, nc, nc, 3), lattice_coords(n))
    rows = rows if rows is not None else trilinear_weights(x, n)
    r2 = r - eval_lattice(total.reshape(n, n, n, 3), x, rows)

    # Full level: first differences (flat extension), small ridge, PCG.
    cell, idx, wts = rows
    scale = n**3 / w.sum()
    q = _data_matrix(cell, wts, n, w * scale)
    q = (q + (0.02 * smoothness) * _difference_gram(n, 1) + (1e-3 * smoothness) * _identity(n)).tocsr()
    rhs = np.zeros((n**3, 3))
    for k in range(8):
        rhs += _scatter(idx[:, k], (wts[:, k] * w * scale)[:, None] * r2, n**3)
    total += _pcg(q, rhs, iterations, 1e-4)
    return total.reshape(n, n, n, 3)


def _identity(n: int) -> Any:
    import scipy.sparse as sp

    return sp.identity(n**3, format="csr")


def _scatter(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum (M, C) ``values`` into ``size`` bins by ``index``: (size, C)."""
    return np.stack([np.bincount(index, values[:, c], minlength=size) for c in range(values.shape[1])], axis=1)


def enforce_neutral_monotonic(lattice: np.ndarray) -> tuple[np.ndarray, int]:
    """Make each channel non-decreasing along the neutral diagonal; returns (lattice, nodes changed)."""
    n = lattice.shape[0]
    out = lattice.copy()
    diag = out[np.arange(n), np.arange(n), np.arange(n)]
    fixed = np.maximum.accumulate(diag, axis=0)
    changed = int(np.any(fixed != diag, axis=1).sum())
    out[np.arange(n), np.arange(n), np.arange(n)] = fixed
    return out, changed
