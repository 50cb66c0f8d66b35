"""Whether a path the wire search found runs along a line of colour (a coloured rope) or a dull line
(a grey wire or a dull rope over graffiti), judged from the pixels on it and beside it (``matte``
searches; these judge what it found).
"""

from __future__ import annotations

import numpy as np

from inference_server.engines.wire.paths import WirePath

DULL_SPREAD = 0.5  # a dull line's colour strays along it by less than this share of its sides' (``dull_line``)
OFF_BOUNDARY = 2.0  # a column of a dull line lies this much farther off its sides' segment than they do (``dull_line``)
DULL_MOST = 1 / 2  # the share of its columns where a dull line differs from its sides as a line does
COLOUR_MOST = 2 / 3  # the share of a path's columns that must show a colour line over one background (``colour_line``)
COLOUR_KEPT = 0.5  # a colour line's colour strays along it by less than this share of its strength, or of its sides'


def colour_line(path: WirePath, lum: np.ndarray, chroma: dict[str, np.ndarray], width: float) -> bool:
    """Whether ``path`` runs along a line of colour over one background: in ``COLOUR_MOST`` of its
    columns each (a path through colourful texture holds either about half the time; a rope over
    graffiti, whose two sides differ, 0.72-0.78 of the time), the pixel on it is more saturated
    than the mean of its two sides (each side: the median from 4 px out to the larger of 5 px and
    half the stroke's width; a neutral wire over a blue banner is a line of colour too, but a less
    saturated one: ``dull_line``), and differs from the mean of its two sides by more than the
    sides differ from each other (in luminance and colour: a strip of grass between a blue banner
    and a grey wall is a boundary). And a rope keeps its colour along its length, in and out of shade:
    its colour (the opponent channels) strays from its median by less than ``COLOUR_KEPT`` of that
    median's strength, or less than the pixels beside it do on average (a path through colourful
    texture picks the most saturated blobs of every hue it passes: 1.6-3.0 times its median's
    strength, and 1.2-1.7 times its sides' spread, on the tests' random texture)."""
    around = _around(path, lum, chroma, width)
    if around is None:
        return False
    on, above, below, beside = around
    sat = np.hypot(on[1], on[2]) - 0.5 * (np.hypot(above[1], above[2]) + np.hypot(below[1], below[2]))
    if not (float(np.mean(sat > 0.0)) >= COLOUR_MOST and float(np.mean(_contrast(on, above, below) > 0.0)) >= COLOUR_MOST):
        return False
    strength = float(np.linalg.norm(np.median(on[1:], axis=1)))
    spread = _colour_spread(on)
    return bool(spread < COLOUR_KEPT * strength or spread < _mean_spread(beside))


def dull_line(path: WirePath, lum: np.ndarray, chroma: dict[str, np.ndarray], width: float,
               off_boundary: bool = False) -> bool:
    """Whether ``path`` runs along a line of colour that is not ``colour_line``'s more saturated kind:
    a grey wire or a dull rope over graffiti. Such a line keeps one colour along its length while
    the paint changes: its colour (the opponent channels) strays from its median along it by less
    than ``DULL_SPREAD`` of what the pixels at each offset beside it do, on average, and it is a
    line (``dull_columns``) in ``DULL_MOST`` of its columns. (A path through colourful texture
    varies along it as much as its sides do. A neutral path through colourful paint, a grey seam,
    passes too: the caller takes such a line only where luminance's search found none along it.)"""
    judged = dull_columns(path, lum, chroma, width, off_boundary)
    return judged is not None and judged[1]


def dull_columns(path: WirePath, lum: np.ndarray, chroma: dict[str, np.ndarray], width: float,
                  off_boundary: bool = False) -> tuple[np.ndarray, bool] | None:
    """(per column of ``path`` on its wire: bool, whether the pixel there is a line of the colour the
    path keeps; whether the path is ``dull_line``'s), None without columns or colour. A column is
    a line where its pixel differs from its sides more than they differ from each other (where
    the paint above and below differs most, a grey wire does not); with ``off_boundary``, also
    where it lies ``OFF_BOUNDARY`` times farther off the segment between its sides' colours than
    the pixels beside it do (a boundary's pixels and its soft edge's mixes lie on it; a grey wire
    between white paint and red does not, and nor does a strip of hills between the sea and the
    grass: only for a line already found in pieces, ``_joint_lines``). Its colour lies within
    ``DULL_SPREAD`` of the sides' spread (or three times the path's own) of the path's median."""
    around = _around(path, lum, chroma, width)
    if around is None:
        return None
    on, above, below, beside = around
    spread_beside = _mean_spread(beside)
    line = _contrast(on, above, below) > 0.0
    if off_boundary:
        line |= _off_boundary(on, above, below) > OFF_BOUNDARY * np.mean(
            [_off_boundary(b, above, below) for b in beside], axis=0)
    own = _colour_spread(on)  # (over even paint the sides' spread is the grain's, and so is the line's)
    whole = float(np.mean(line)) >= DULL_MOST and own < DULL_SPREAD * spread_beside
    kept = np.linalg.norm(on[1:] - np.median(on[1:], axis=1, keepdims=True), axis=0) < max(DULL_SPREAD * spread_beside,
                                                                                         3.0 * own)
    return line & kept, whole


def _around(path: WirePath, lum: np.ndarray, chroma: dict[str, np.ndarray], width: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]] | None:
    """(on the path, its side above, its side below, each offset beside it), every one (channels:
    luminance then the opponent ones, columns) over the path's columns; a side is the median over
    the offsets from 4 px out to the larger of 5 px and half the stroke's ``width``. None without
    columns or colour."""
    cols = np.nonzero(path.on & (path.rows >= 0))[0]
    if cols.size == 0 or not chroma:
        return None
    h = lum.shape[0]
    rows = path.rows[cols]
    reach = range(4, max(int(width / 2), 5) + 1)
    planes = [lum, *chroma.values()]

    def off(d: int) -> np.ndarray:
        return np.stack([p[np.clip(rows + d, 0, h - 1), cols] for p in planes])

    beside = {s: [off(s * d) for d in reach] for s in (-1, 1)}
    on = off(0)  # the ridge's centre: a thin wire's flanks are its background's
    above, below = (np.median(np.stack(beside[s]), axis=0) for s in (-1, 1))
    return on, above, below, beside[-1] + beside[1]


def _contrast(on: np.ndarray, above: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Per column: how far the pixel on a path differs from the mean of its sides, less how far the
    sides differ from each other (> 0: a line over one background; < 0: a boundary)."""
    return np.asarray(np.linalg.norm(on - 0.5 * (above + below), axis=0) - np.linalg.norm(above - below, axis=0))


def _off_boundary(on: np.ndarray, above: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Per column: the distance (luminance and colour) from the pixel on a path to the segment between
    its two sides. A boundary's pixels, and its soft edge's mixes, lie on that segment; a line of a
    third colour lies off it (a grey wire between white paint and red)."""
    ab = below - above
    t = np.clip(np.sum((on - above) * ab, axis=0) / np.maximum(np.sum(ab * ab, axis=0), 1e-12), 0.0, 1.0)
    return np.asarray(np.linalg.norm(on - (above + t * ab), axis=0))


def _mean_spread(beside: list[np.ndarray]) -> float:
    """The mean ``_colour_spread`` of the arrays ``beside`` (each (channels, columns), all one shape),
    in one pass over them all."""
    return float(np.mean(_colour_spreads(np.stack(beside)).astype(np.float64)))


def _colour_spread(pixels: np.ndarray) -> float:
    """How far the colour of ``pixels`` ((luminance, opponent channels...), columns) strays from
    its median: the median distance in the opponent channels."""
    return float(_colour_spreads(pixels[None])[0])


def _colour_spreads(pixels: np.ndarray) -> np.ndarray:
    """``_colour_spread`` of each of ``pixels`` (k, channels, columns): (k,)."""
    chroma = pixels[:, 1:]
    return np.asarray(np.median(np.linalg.norm(chroma - np.median(chroma, axis=2, keepdims=True), axis=1), axis=1))
