"""Oriented ridge filtering for the wire matte (``matte``).

The Hessian of the (log-)luminance at several scales: a thin dark line has one large positive
eigenvalue across it and ~0 along it (a bright line the reverse), so blobs and flat texture respond
weakly. Both polarities are measured. A ridge can be weighted by how well it runs along an axis
(cos^4 of the angle) or along a stroke's own direction (``Direction``), and can lose part of the
other polarity's peak nearby (a wire's own side lobes). Also the planes the search reads: luminance
(in log for a scene-linear plate) and two opponent channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference_server.engines.wire import loglin
from inference_server.engines.wire.compiled import compiled
from inference_server.engines.wire.flow import luminance

SCALES = (0.8, 1.2, 1.8, 2.6, 3.6, 5.0)
EDGE_WEIGHT = 0.5
SPLIT = 1.0  # of the gap between two close lines of one polarity taken off a coarse ridge there (``_split``)


@dataclass(frozen=True)
class Direction:
    """A stroke's own direction, for ridges weighted by how well they run along it (``ridge_responses``):
    ``angle`` in radians from x toward y (rows grow down); along the stroke within 50 degrees of x,
    across it (``across``) square to that."""

    angle: float
    across: bool = False  # the direction across the stroke (its floors are kept apart from those along it)


Along = int | Direction | None  # None: every ridge; 0 (x) or 1 (y): along an axis; or along a stroke's direction
ALONG_DIRECTION = 2  # ``_keep``'s ``along`` for a direction (-1: none, 0 and 1: the axes)


def scene_linear(lum: np.ndarray) -> bool:
    """Whether a luminance image is scene-linear (highlights well above 1, or negatives)."""
    return float(np.percentile(lum, 99.5)) > 1.5 or float(lum.min()) < 0.0


def analysis_luma(image: np.ndarray) -> np.ndarray:
    return luma_and_linear(image)[0]


def luma_and_linear(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """(``analysis_luma``, whether the image is scene-linear and so read in log)."""
    lum = luminance(image)
    if scene_linear(lum):  # work in log
        return np.log2(np.maximum(lum, 1e-4) + loglin.OFFSET).astype(np.float32), True
    return lum, False


def analysis_chroma(image: np.ndarray, linear: bool) -> dict[str, np.ndarray]:
    """{"rg": red - green, "yb": (red + green) / 2 - blue}, float32 (H, W), in the transfer
    ``analysis_luma`` reads the plate in (scene-linear: log2 of each channel): two opponent
    channels, so a line of any hue is a ridge in at least one of them at 0.7 of its chroma
    contrast or more. Empty for an image without three channels, or a neutral one. ``linear``: as ``luma_and_linear`` found
    the whole frame (a crop's own percentiles can say otherwise)."""
    if image.ndim != 3 or image.shape[2] < 3:
        return {}
    rgb = image[..., :3]
    if linear:
        rgb = np.log2(np.maximum(rgb, 1e-4) + loglin.OFFSET)
    r, g, b = (np.asarray(rgb[..., k], np.float32) for k in range(3))
    out = {"rg": r - g, "yb": np.float32(0.5) * (r + g) - b}
    return out if any(float(np.abs(v).max()) > 1e-4 for v in out.values()) else {}  # a neutral plate has no colour lines


def _ridge_terms_py(lxx: np.ndarray, lyy: np.ndarray, lxy: np.ndarray, sx: np.ndarray, sy: np.ndarray,
                    norm: np.float32, weight: np.float32, d0: np.ndarray, b0: np.ndarray, q: np.ndarray) -> None:
    """One scale's (dark, bright) ridge strength into ``d0``, ``b0`` and the eigenvector term ``q``
    into ``q``, from the second derivatives ``lxx``, ``lyy``, ``lxy`` and the Sobel slopes ``sx``,
    ``sy`` (float32 (H, W) each), pixel by pixel in float32 as numpy would. ``norm``: sigma^2
    (scale normalisation); ``weight``: EDGE_WEIGHT * sigma. Compiled (``_ridge_terms``): as numpy
    expressions it made some 25 full-size temporaries per scale, the largest share of the search.

    The Hessian's eigenvalues are ``big`` and ``small``; a dark ridge has ``big`` > |``small``|
    (across it: the big eigenvector), a bright one ``-small`` > |``big``|. A line's centre has no
    slope across it; an edge's foot does. Only the slope across the ridge is taken off (its root,
    times ``weight``): an edge the wire crosses (a stripe, a window frame) slopes along the wire and
    took it out of the matte there, a stub left in the plate. ``q`` gives cos^2 of the angle between
    the big eigenvector and x as ``0.5 + q`` (clipped to [0, 1])."""
    half_, eighth, tiny, zero, one = np.float32(0.5), np.float32(0.125), np.float32(1e-12), np.float32(0.0), np.float32(1.0)
    h, w = lxx.shape
    for i in range(h):
        for j in range(w):
            xx, yy, xy = lxx[i, j], lyy[i, j], lxy[i, j]
            dxy = half_ * (xx - yy)
            root = np.sqrt(dxy * dxy + xy * xy)
            half = half_ * (xx + yy)
            big, small = half + root, half - root
            gx, gy = sx[i, j] * eighth, sy[i, j] * eighth
            qq = (xx - yy) / max(np.float32(4.0) * root, tiny)
            c2 = min(max(half_ + qq, zero), one)
            s2 = one - c2
            mixed = gx * gy * xy / max(root, tiny)
            across_big = max(gx * gx * c2 + gy * gy * s2 + mixed, zero)
            across_small = max(gx * gx * s2 + gy * gy * c2 - mixed, zero)
            d0[i, j] = max(norm * max(big - abs(small), zero) - weight * np.sqrt(across_big), zero)
            b0[i, j] = max(norm * max(-small - abs(big), zero) - weight * np.sqrt(across_small), zero)
            q[i, j] = qq


_ridge_terms = compiled(_ridge_terms_py)


def ridge_response(image: np.ndarray, scales: tuple[float, ...] = SCALES, along: Along = None,
                   side_lobe: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scale-normalised (dark, bright) ridge strength, each float32 (H, W), for (H, W, C) float32,
    and the scale (Gaussian sigma, px) at which each peaked (``ridge_responses`` for one ``along``)."""
    return ridge_responses(image, scales, (along,), side_lobe)[along][:4]  # type: ignore[return-value]


def ridge_responses(image: np.ndarray, scales: tuple[float, ...], alongs: tuple[Along, ...],
                    side_lobe: float = 0.0) -> dict[Along, tuple[np.ndarray, ...]]:
    """{along: (dark, bright, dark scale, bright scale, whole dark, whole bright)} from one pass over
    the scales, for an (H, W, C) image (read through ``analysis_luma``) or one (H, W) analysis channel.
    Along an axis, the gap between two lines close together is no line of theirs (``_split``); the
    "whole" responses keep it (the texture's floor is measured on them: ``_gains``).

    ``along`` None: every ridge counts, whatever its direction; 0 (x) or 1 (y), or a stroke's
    ``Direction``: only ridges that run that way, each scale's response weighted by cos^4 of the
    angle between the ridge and the axis (or the direction): a wire follows its stroke; the edges
    of stripes, leaves and window frames that cross the stroke do not, and it is their ridges that
    raised the texture floor above a dark wire on a blue car, or took the path off it. ``side_lobe``:
    the fraction of the other polarity's peak within 2.5 sigma across the axis (every way, for none
    or a direction) taken off each ridge (a line's second derivative has
    side lobes of the other sign, up to 0.45 of its peak at sqrt(3) sigma either side: the flanks
    of a bright wire are no dark ridges, and the reverse)."""
    import cv2

    lum = analysis_luma(image) if image.ndim == 3 else image
    out: dict[Along, tuple[np.ndarray, ...]] = {}
    finer: list[tuple[float, np.ndarray, np.ndarray]] = []  # (scale, dark, bright) of the scales so far
    for along in alongs:
        out[along] = (np.zeros(lum.shape, np.float32), np.zeros(lum.shape, np.float32),
                      np.full(lum.shape, scales[0], np.float32), np.full(lum.shape, scales[0], np.float32),
                      np.zeros(lum.shape, np.float32), np.zeros(lum.shape, np.float32))
    for s in scales:
        g = cv2.GaussianBlur(lum, (0, 0), s)
        lxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3)
        lyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3)
        lxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
        d0, b0, q = np.empty_like(lxx), np.empty_like(lxx), np.empty_like(lxx)
        _ridge_terms(lxx, lyy, lxy, gx, gy, np.float32(s * s), np.float32(EDGE_WEIGHT * s), d0, b0, q)
        if s <= 0.5 * max(scales):  # what a coarser scale reads (``_split``)
            finer.append((s, d0, b0))
        r = int(np.ceil(2.5 * s))
        fine = _finer(finer, s) if SPLIT > 0.0 and any(a is not None for a in alongs) else None  # one for every axis
        sin2q: np.ndarray | None = None
        for along, (dark, bright, dark_s, bright_s, whole_d, whole_b) in out.items():
            d, b = d0, b0
            if side_lobe > 0.0:
                ker = np.ones((2 * r + 1, 1) if along == 0 else (1, 2 * r + 1) if along == 1 else (2 * r + 1, 2 * r + 1),
                              np.uint8)  # none, or a direction: every way
                d, b = (np.maximum(d0 - np.float32(side_lobe) * cv2.dilate(b0, ker), 0.0),
                        np.maximum(b0 - np.float32(side_lobe) * cv2.dilate(d0, ker), 0.0))
            axis = (0 if abs(np.cos(along.angle)) >= abs(np.sin(along.angle)) else 1) if isinstance(along, Direction) \
                else along  # a direction's gaps are read across the axis it runs nearer
            sd, sb = _split(d, b, axis, s, fine) if axis is not None and fine is not None else (d, b)
            if isinstance(along, Direction):
                if sin2q is None:  # the eigenvector's sin 2 alpha / 2, as q holds cos 2 alpha / 2
                    sin2q = (lxy / np.maximum(2.0 * np.sqrt((0.5 * (lxx - lyy)) ** 2 + lxy**2), 1e-12)).astype(np.float32)
                _keep(d, b, sd, sb, q, sin2q, ALONG_DIRECTION, np.float32(np.cos(2 * along.angle)),
                      np.float32(np.sin(2 * along.angle)), np.float32(s), dark, bright, dark_s, bright_s, whole_d, whole_b)
            else:
                _keep(d, b, sd, sb, q, q, -1 if along is None else along, np.float32(1), np.float32(0), np.float32(s),
                      dark, bright, dark_s, bright_s, whole_d, whole_b)
    return out


def _keep_py(d: np.ndarray, b: np.ndarray, sd: np.ndarray, sb: np.ndarray, q: np.ndarray, r: np.ndarray, along: int,
             cos2: np.float32, sin2: np.float32, s: np.float32, dark: np.ndarray, bright: np.ndarray, dark_s: np.ndarray,
             bright_s: np.ndarray, whole_d: np.ndarray, whole_b: np.ndarray) -> None:
    """One scale's (dark, bright) ``d``, ``b`` (and split, ``sd``, ``sb``: ``_split``) kept where they are
    the most so far: ``dark``/``bright`` and their scale ``dark_s``/``bright_s`` from the split ones,
    ``whole_d``/``whole_b`` from the others. Along an axis (``along`` 0 or 1; -1: none) each is first
    weighted by cos^4 of the angle between its ridge and the axis: cos^2 between a dark ridge (across
    it: the big eigenvector) and x is ``0.5 - q`` (clipped to [0, 1]); a bright ridge runs across
    the small eigenvector, at the complement. ``along`` ``ALONG_DIRECTION``: weighted so by the angle
    between the ridge and a direction phi instead, whose ``cos2`` and ``sin2`` are cos and sin of
    2 phi: cos^2 between a dark ridge and it is ``0.5 - (q cos2 + r sin2)``, ``r`` the eigenvector's
    sin 2 alpha / 2 (read only here). Compiled (``_keep``), float32 as numpy would."""
    zero, one, half = np.float32(0.0), np.float32(1.0), np.float32(0.5)
    h, w = d.shape
    for i in range(h):
        for j in range(w):
            dv, bv, sdv, sbv = d[i, j], b[i, j], sd[i, j], sb[i, j]
            if along == ALONG_DIRECTION:
                c = min(max(half - (q[i, j] * cos2 + r[i, j] * sin2), zero), one)
                dw2, bw2 = c * c, (one - c) * (one - c)
                dv, bv, sdv, sbv = dv * dw2, bv * bw2, sdv * dw2, sbv * bw2
            elif along >= 0:
                c = min(max(half - q[i, j], zero), one)
                dw, bw = (c, one - c) if along == 0 else (one - c, c)
                dw2, bw2 = dw * dw, bw * bw
                dv, bv, sdv, sbv = dv * dw2, bv * bw2, sdv * dw2, sbv * bw2
            whole_d[i, j] = max(whole_d[i, j], dv)
            whole_b[i, j] = max(whole_b[i, j], bv)
            if sdv > dark[i, j]:
                dark_s[i, j], dark[i, j] = s, sdv
            if sbv > bright[i, j]:
                bright_s[i, j], bright[i, j] = s, sbv


_keep = compiled(_keep_py)


def _finer(finer: Sequence[tuple[float, np.ndarray, np.ndarray]], s: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(dark, bright): the most of ``finer``'s (scale, dark, bright) at half ``s`` or finer; None without any."""
    fine = [(fd, fb) for fs, fd, fb in finer if fs <= 0.5 * s]
    if not fine:
        return None
    if len(fine) == 1:
        return fine[0]
    return np.maximum.reduce([x for x, _ in fine]), np.maximum.reduce([x for _, x in fine])


def _split(dark: np.ndarray, bright: np.ndarray, along: int, s: float,
           fine: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(dark, bright) at scale ``s`` less, at each pixel, the gap between two lines (``SPLIT``).

    Two dark wires a few pixels apart blur, at a coarse scale, into one dark line along the pale
    gap between them: a path there took both wires' cores out of the search. At half the scale or
    finer (``fine``: the most of their (dark, bright) before side lobes, ``_finer``) that gap is a
    bright line with a dark one either side of it across the axis within 2 ``s``; the least of the
    three is taken off the coarse dark ridge there (and the reverse for bright wires). A single
    line's flanks have a line on one side only; a thick wire's middle is no line of the other
    polarity: neither loses anything."""
    import cv2

    fd, fb = fine
    reach = int(np.ceil(2.0 * s))
    ker = np.ones((reach + 1, 1) if along == 0 else (1, reach + 1), np.uint8)
    before, after = ((0, reach), (0, 0)) if along == 0 else ((reach, 0), (0, 0))

    def either_side(x: np.ndarray) -> np.ndarray:
        return np.minimum(cv2.dilate(x, ker, anchor=before), cv2.dilate(x, ker, anchor=after))

    gap_b = np.minimum(fb, either_side(fd))  # a bright gap between two dark lines
    gap_d = np.minimum(fd, either_side(fb))
    return (np.maximum(dark - np.float32(SPLIT) * gap_b, 0.0).astype(np.float32),
            np.maximum(bright - np.float32(SPLIT) * gap_d, 0.0).astype(np.float32))
