"""A coloured rope: a line that stands out from its surroundings in colour, not in luminance."""

from __future__ import annotations

import numpy as np
import pytest

from inference_server.engines.wire import colour_lines, matte, ridges
from inference_server.engines.wire.flow import luminance
from inference_server.engines.wire.paths import WirePath
from inference_server.engines.wire.synthetic import texture

H, W = 120, 240
ISOLUMINANT_RED = np.array([0.5, -0.5 * 0.2126 / 0.7152, 0.0], np.float32)  # Rec.709 luminance 0
_BLUE = np.array([0.0, -0.5 * 0.0722 / 0.7152, 0.5], np.float32)  # and towards blue, also of luminance 0


def _line(offset: float, width: float = 3.0) -> np.ndarray:
    yy = np.arange(H, dtype=np.float32)[:, None] - (H / 2 + offset)
    return np.repeat(np.clip(width / 2 + 0.5 - np.abs(yy), 0, 1), W, axis=1).astype(np.float32)


def _judgements(monkeypatch: pytest.MonkeyPatch, name: str) -> list[bool]:
    """What ``matte.<name>`` (a judgement of a path) answers from now on, in order."""
    said: list[bool] = []
    judge = getattr(matte, name)

    def spy(*args: object, **kwargs: object) -> bool:
        said.append(judge(*args, **kwargs))
        return said[-1]

    monkeypatch.setattr(matte, name, spy)
    return said


def _plate(grey: bool) -> np.ndarray:
    tex = texture(H, W, 5)
    if grey:  # a neutral wall
        tex = np.repeat(luminance(tex)[:, :, None], 3, axis=2)
    return (tex * 0.5 + 0.25).astype(np.float32)


def _hint() -> np.ndarray:
    hint = np.zeros((H, W), np.float32)
    hint[H // 2 - 16:H // 2 + 16, 8:W - 8] = 1.0
    return hint


def test_a_rope_of_the_walls_own_luminance_is_matted_beside_a_dark_wire() -> None:
    rope, wire = _line(-6), _line(6)
    plate = _plate(grey=True) + rope[:, :, None] * ISOLUMINANT_RED
    plate = plate * (1 - wire[:, :, None]) + 0.03 * wire[:, :, None]
    assert np.allclose(luminance(_plate(grey=True) + rope[:, :, None] * ISOLUMINANT_RED), luminance(_plate(grey=True)),
                       atol=1e-5)
    hint = _hint()
    m = matte.refine_wire_matte(plate.astype(np.float32), hint)
    inner = hint > 0
    for alpha in (rope, wire):
        assert float((m[(alpha > 0.5) & inner] > 0.3).mean()) > 0.95
    assert float((m > 0)[inner].mean()) < 0.5  # tight: most of the stroke keeps the plate
    # on luminance alone (a polarity asked for) the rope is not seen: only the wire is matted
    dark = matte.refine_wire_matte(plate.astype(np.float32), hint, polarity="dark")
    assert float((dark[(rope > 0.5) & (wire < 0.05) & inner] > 0.3).mean()) < 0.2
    assert float((dark[(wire > 0.5) & inner] > 0.3).mean()) > 0.95


def test_colourful_texture_leaves_a_grey_wires_matte_as_luminance_finds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wall's texture (random per channel here) holds lines of colour as strong as its lines of
    luminance; the colour search meets some of them in the stroke, takes none, and the matte is
    the one luminance alone gives."""
    w = 320
    yy, xx = np.mgrid[0:H, 0:w].astype(np.float32)
    alpha = np.clip(2.0 - np.abs(yy - (55 + 0.04 * (xx - w / 2))), 0, 1)[:, :, None]
    wall = texture(H, w, 5) * 0.5 + 0.3
    cloth = (xx >= 130) & (xx < 200)  # a patch of dark cloth the wire crosses
    wall[cloth] = 0.14 + 0.1 * (texture(H, w, 6)[cloth] - 0.5)
    plate = (wall * (1 - alpha) + np.where(cloth, 0.11, 0.04)[:, :, None] * alpha).astype(np.float32)
    hint = np.zeros((H, w), np.float32)
    hint[35:80, 8:w - 8] = 1.0
    judged = _judgements(monkeypatch, "colour_line")
    auto = matte.refine_wire_matte(plate, hint)
    assert judged and not any(judged)  # candidates met, none taken
    monkeypatch.setattr(matte, "analysis_chroma", lambda image, linear: {})
    assert np.array_equal(auto, matte.refine_wire_matte(plate, hint))
    # the wire over the wall (over the cloth the search alone loses it: ``test_bridge``)
    assert float((auto[(alpha[:, :, 0] > 0.5) & (hint > 0) & ~cloth] > 0.3).mean()) > 0.95


def _along(row: int) -> WirePath:
    return WirePath(np.full(W, row), np.ones(W, bool), np.ones(W, np.float32))


def _planes(above: tuple[float, float, float], line: tuple[float, float, float], below: tuple[float, float, float]
            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(luminance, opponent channels) of a plate whose rows above, on and below the middle row are
    the colours given, with a little noise."""
    rng = np.random.default_rng(0)
    img = np.empty((H, W, 3), np.float32)
    img[:H // 2] = above
    img[H // 2] = line
    img[H // 2 + 1:] = below
    img += rng.normal(0, 0.01, img.shape).astype(np.float32)
    return luminance(img), ridges.analysis_chroma(img, linear=False)


def test_a_colour_line_is_more_saturated_than_one_background_on_both_sides() -> None:
    grey, red, blue, dark, green = (0.4, 0.4, 0.4), (0.75, 0.12, 0.1), (0.1, 0.3, 0.7), (0.04, 0.04, 0.05), (0.3, 0.45, 0.1)
    assert colour_lines.colour_line(_along(H // 2), *_planes(grey, red, grey), 28.0)  # a red rope over a grey wall
    # a neutral wire over a blue banner stands out in colour as well, but less saturated: luminance's
    assert not colour_lines.colour_line(_along(H // 2), *_planes(blue, dark, blue), 28.0)
    # a strip of grass between a blue banner and a grey wall: the sides differ more than the strip
    # does from their mean, a boundary
    assert not colour_lines.colour_line(_along(H // 2), *_planes(blue, green, grey), 28.0)


def _graffiti(w: int) -> np.ndarray:
    """A wall of paint whose colour changes every 30 px along x, all of one luminance, textured."""
    xx = np.arange(w)
    paint = np.stack([ISOLUMINANT_RED, -ISOLUMINANT_RED, _BLUE, -_BLUE])[(xx // 30) % 4] * 0.6
    return (0.4 + np.broadcast_to(paint[None], (H, w, 3)) + 0.1 * (texture(H, w, 5) - 0.5)).astype(np.float32)


def _wire_over(wall: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plate, bool wire pixels inside the hint, hint): a 4 px wire of ``value`` (H, W, 3) across ``wall``."""
    w = wall.shape[1]
    yy = np.arange(H, dtype=np.float32)[:, None] - (H / 2 + 0.03 * (np.arange(w) - w / 2))
    alpha = np.clip(2.0 - np.abs(yy), 0, 1)[:, :, None]
    hint = np.zeros((H, w), np.float32)
    hint[H // 2 - 16:H // 2 + 16, 8:w - 8] = 1.0
    return (wall * (1 - alpha) + value * alpha).astype(np.float32), (alpha[:, :, 0] > 0.5) & (hint > 0), hint


def test_a_grey_wire_over_paint_of_its_own_luminance_is_matted_in_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """A neutral wire (with grain) over patches of paint that change colour along it (graffiti), of
    the paint's luminance pixel by pixel: less saturated than the paint, so not the colour search's
    first kind of line, and luminance finds no more than pieces of it; it keeps one colour along its
    length while the paint changes."""
    wall = _graffiti(300)
    rng = np.random.default_rng(1)
    unit = np.stack([v / np.linalg.norm(v) for v in (ISOLUMINANT_RED, _BLUE)])  # grain in colour only
    grey = luminance(wall)[:, :, None] + rng.normal(0, 0.04, (H, 300, 2)).astype(np.float32) @ unit
    plate, wire, hint = _wire_over(wall, grey)
    m = matte.refine_wire_matte(plate, hint)
    assert float((m[wire] > 0.3).mean()) > 0.9
    assert float((m > 0)[hint > 0].mean()) < 0.5  # the wire's matte, not the stroke's
    monkeypatch.setattr(colour_lines, "DULL_SPREAD", 0.0)  # no line is that even: the saturated lines only
    assert float((matte.refine_wire_matte(plate, hint)[wire] > 0.3).mean()) < 0.5


def test_a_dark_neutral_wire_over_paint_keeps_luminances_matte(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same paint with a dark neutral wire: a dull line of colour as well, but luminance's search
    runs along it, so it is luminance's to measure, and the matte is the one luminance alone gives."""
    wall = _graffiti(300)
    plate, wire, hint = _wire_over(wall, np.repeat(0.8 * luminance(wall)[:, :, None], 3, axis=2))
    dull = _judgements(monkeypatch, "dull_line")
    auto = matte.refine_wire_matte(plate, hint)
    assert any(dull)  # met as a dull line of colour
    assert float((auto[wire] > 0.3).mean()) > 0.95
    monkeypatch.setattr(matte, "analysis_chroma", lambda image, linear: {})
    assert np.array_equal(auto, matte.refine_wire_matte(plate, hint))


def test_a_dull_line_keeps_its_colour_along_it() -> None:
    wall = _graffiti(W)
    lum = luminance(wall)
    grey = np.repeat(lum[:, :, None], 3, axis=2)
    line = wall.copy()
    line[H // 2] = grey[H // 2]  # a neutral row across the paint
    chroma = ridges.analysis_chroma(line, linear=False)
    assert colour_lines.dull_line(_along(H // 2), lum, chroma, 28.0)
    assert not colour_lines.colour_line(_along(H // 2), lum, chroma, 28.0)  # less saturated than the paint
    # a row of the same texture: its colour changes along it as the paint's does
    assert not colour_lines.dull_line(_along(H // 2), lum, ridges.analysis_chroma(wall, linear=False), 28.0)


def test_a_colour_line_keeps_its_colour_along_it_in_and_out_of_shade(monkeypatch: pytest.MonkeyPatch) -> None:
    grey = np.full((H, W, 3), 0.4, np.float32)
    shade = (0.7 + 0.3 * np.sin(np.linspace(0, 6 * np.pi, W))).astype(np.float32)  # 0.4x to 1.0x light along it
    rope = grey.copy()
    rope[H // 2] = np.array([0.8, 0.15, 0.1], np.float32) * shade[:, None]  # a red rope over a grey wall
    rng = np.random.default_rng(0)
    rope += rng.normal(0, 0.01, rope.shape).astype(np.float32)
    assert colour_lines.colour_line(_along(H // 2), luminance(rope), ridges.analysis_chroma(rope, linear=False), 28.0)
    # a path through blobs of every hue, each more saturated than its sides (the most saturated
    # blobs are what a colour search's path through colourful texture picks): no rope
    hues = np.array([[0.8, 0.1, 0.1], [0.1, 0.7, 0.1], [0.1, 0.2, 0.8], [0.8, 0.7, 0.1], [0.7, 0.1, 0.7]], np.float32)
    blobs = grey.copy()
    blobs[H // 2] = np.repeat(hues, W // len(hues) + 1, axis=0)[:W]
    blobs += rng.normal(0, 0.01, blobs.shape).astype(np.float32)
    lum, chroma = luminance(blobs), ridges.analysis_chroma(blobs, linear=False)
    assert not colour_lines.colour_line(_along(H // 2), lum, chroma, 28.0)
    monkeypatch.setattr(colour_lines, "COLOUR_KEPT", 1e9)  # without the test, the same path passes
    assert colour_lines.colour_line(_along(H // 2), lum, chroma, 28.0)


def test_a_line_between_two_paints_lies_off_their_boundary() -> None:
    """A grey wire between white paint and red differs from their mean less than they differ from
    each other, as a boundary does; but it lies off the segment between their colours, and a
    boundary's soft edge (their mix) lies on it."""
    white, grey, red = (0.8, 0.8, 0.8), (0.4, 0.4, 0.4), (0.75, 0.12, 0.1)
    mix = tuple(0.5 * (a + b) for a, b in zip(white, red, strict=True))
    wire = colour_lines.dull_columns(_along(H // 2), *_planes(white, grey, red), 28.0, off_boundary=True)
    edge = colour_lines.dull_columns(_along(H // 2), *_planes(white, mix, red), 28.0, off_boundary=True)
    assert wire is not None and edge is not None
    assert float(wire[0].mean()) > 0.95 and float(edge[0].mean()) < 0.05


def test_a_grey_wire_seen_in_luminance_over_some_paint_and_in_colour_over_the_rest_is_matted_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A mid-grey wire over patches of paint 30 px long: white (it is dark there), red of its own
    luminance, black (it is bright there), blue of its own luminance. Luminance holds it only over
    the white and the black, colour only over the red and the blue: neither holds a piece as long
    as a wire must be; the search over the greater of their gains (``_joint_lines``) follows it."""
    patches = np.stack([np.full(3, 0.8), 0.4 + 0.6 * ISOLUMINANT_RED, np.full(3, 0.1), 0.4 + 0.6 * _BLUE])
    paint = patches[(np.arange(360) // 30) % 4].astype(np.float32)
    wall = (np.broadcast_to(paint[None], (H, 360, 3)) + 0.1 * (texture(H, 360, 7) - 0.5)).astype(np.float32)
    plate, wire, hint = _wire_over(wall, np.full((H, 360, 3), 0.4, np.float32))
    m = matte.refine_wire_matte(plate, hint)
    assert float((m[wire] > 0.3).mean()) > 0.95  # (0.96; each channel's searches alone: 0.88)
    assert float((m > 0)[hint > 0].mean()) < 0.5  # the wire's matte, not the stroke's
    monkeypatch.setattr(matte, "_joint_lines", lambda *args: [])  # each channel's searches alone
    assert float((matte.refine_wire_matte(plate, hint)[wire] > 0.3).mean()) < 0.9


def test_a_lit_cables_neutral_body_over_blue_paint_is_matted_with_its_bright_edge() -> None:
    # a cable over a blue banner: a neutral body of the paint's own luminance, 4 px, and a bright
    # specular stripe along its top edge. Luminance finds the stripe alone; the body beside it differs
    # from the paint on both sides in colour only, and is matted with it (left, it was a grey line)
    paint = _plate(grey=True) * 0.4 + 0.1 + _BLUE * 0.5
    body, stripe = _line(1.0, width=4.0), _line(-2.0, width=1.2)
    neutral = np.repeat(luminance(paint)[:, :, None], 3, axis=2)
    plate = paint * (1 - body[:, :, None]) + neutral * body[:, :, None]
    plate = (plate * (1 - stripe[:, :, None]) + 0.95 * stripe[:, :, None]).astype(np.float32)
    hint = _hint()
    m = matte.refine_wire_matte(plate, hint)
    inner = (hint > 0) & (np.arange(W) >= 16)[None, :] & (np.arange(W) < W - 16)[None, :]
    assert float((m[(body > 0.5) & inner] >= 0.5).mean()) > 0.95
    assert float((m[(stripe > 0.5) & inner] >= 0.5).mean()) > 0.95
    assert float((m > 0)[hint > 0].mean()) < 0.5  # tight: most of the stroke keeps the plate
