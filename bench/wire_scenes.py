"""Wire scenario classes for the wire-removal bench: real clips, drawn wires, rough hints.

Each class is a ``Scene``: ground-truth frames (the real clip), plates with wires composited
over them with an exact coverage alpha, and the artist's rough hint strokes. Wires are curves
``y = f(x)`` (in a transposed frame for near-vertical ones), anti-aliased by their distance to
the curve, optionally motion-blurred (the curve smeared across its drift during the shutter),
coloured per pixel along their length (a cable that turns from dark to lit), partly hidden
behind a foreground matte, and grouped into strokes: one stroke may cover several wires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "../shared/data/footage"
CLIPS = {"bmx-trees": "bmx-trees/frames/#####.jpg", "tennis": "tennis-480p/video.mp4",
         "schoolgirls": "schoolgirls-480p/video.mp4", "running-car": "running-car/running_car.mp4",
         "bedroom": "bedroom/frames/#####.jpg"}
DARK = (0.04, 0.04, 0.05)
BRIGHT = (0.93, 0.92, 0.88)
RED = (0.75, 0.12, 0.10)


@dataclass(frozen=True)
class Wire:
    width: float = 3.0                       # px (full width at the clip's size)
    colour: tuple[float, float, float] | tuple[tuple[float, float, float], tuple[float, float, float]] = DARK
    offset: float = 0.0                      # px from the stroke's centre line, across it
    slope: float = 0.0                       # extra dy/dx (crossing wires differ here)
    blur: float = 0.0                        # motion blur across the wire, px
    opacity: float = 1.0


@dataclass(frozen=True)
class Stroke:
    """A group of wires under one hint stroke; ``vertical`` strokes run top to bottom."""

    wires: tuple[Wire, ...]
    top: float = 0.3                         # fraction of the frame's height (width if vertical)
    sag: float = 0.15                        # fraction of height
    drift: float = 1.0                       # px per frame across the stroke
    span: tuple[float, float] = (-0.05, 1.05)  # along the stroke, fraction of the frame
    vertical: bool = False
    hint_pad: float = 1.75                   # hint half-width beyond the outer wires, in wire widths
    hint_shift: float = 0.0                  # hint centre offset (px) a wire can leave the hint by
    wobble: float = 0.25
    tilt: float = 0.0                        # dy/dx of the whole stroke (a wire run on a diagonal)


@dataclass
class Scene:
    name: str
    truth: list[np.ndarray]
    plates: list[np.ndarray]
    hints: list[np.ndarray]
    alphas: list[np.ndarray] = field(default_factory=list)  # total wire coverage per frame


def load_clip(name: str, frames: int, start: int = 0, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """float32 (H, W, 3) frames 0..1 of a footage clip, optionally resized to ``size`` (w, h)."""
    import cv2

    from inference_server import media

    spec = DATA / CLIPS[name]
    if not (spec.parent.exists() if "#" in spec.name else spec.exists()):
        raise FileNotFoundError(f"benchmark footage missing: {spec}")
    seq = media.open_sequence(str(spec))
    out = [seq[start + i].pixels[:, :, :3].astype(np.float32) / 255.0 for i in range(frames)]
    if size:
        out = [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC).clip(0, 1) for f in out]
    return out


def load_mask(name: str, frames: int, start: int = 0, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """float32 (H, W) 0/1 foreground masks of a DAVIS clip (bmx-trees PNGs or a mask movie)."""
    import cv2

    from inference_server import media

    spec = DATA / ("bmx-trees/masks/#####.png" if name == "bmx-trees" else f"{CLIPS[name].split('/')[0]}/mask.mp4")
    seq = media.open_sequence(str(spec))
    out = []
    for i in range(frames):
        px = seq[start + i].pixels
        m = (px.max(axis=2) if px.ndim == 3 else px).astype(np.float32) / float(np.iinfo(px.dtype).max)
        if size:
            m = cv2.resize(m, size, interpolation=cv2.INTER_LINEAR)
        out.append((m > 0.5).astype(np.float32))
    return out


def _stroke_layers(stroke: Stroke, t: int, h: int, w: int, wobble_phase: float
                   ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """[(alpha (H, W), colour (H, W, 3)) per wire], hint (H, W) for one frame, in frame axes."""
    if stroke.vertical:
        layers, hint = _stroke_layers(Stroke(**{**stroke.__dict__, "vertical": False}), t, w, h, wobble_phase)
        return [(a.T.copy(), c.transpose(1, 0, 2).copy()) for a, c in layers], hint.T.copy()
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x = xs[0]
    x0, x1 = stroke.span[0] * w, stroke.span[1] * w
    u = (x - (x0 + x1) / 2) / ((x1 - x0) / 2)
    centre = (stroke.top * h + stroke.sag * h * (1 - u * u) + stroke.drift * t + 2.0 * np.sin(t / 3.0 + x / 200.0)
              + stroke.tilt * (x - (x0 + x1) / 2))
    slope_c = np.gradient(centre)
    inside_span = (x >= x0) & (x < x1)
    layers = []
    lo_off = min(wi.offset - wi.width / 2 - wi.blur / 2 for wi in stroke.wires)
    hi_off = max(wi.offset + wi.width / 2 + wi.blur / 2 for wi in stroke.wires)
    for wire in stroke.wires:
        cy = centre + wire.offset + wire.slope * (x - w / 2)
        cos = 1.0 / np.sqrt(1.0 + (slope_c + wire.slope) ** 2)
        alpha = np.zeros((h, w), np.float32)
        # the shutter's smear: copies 0.25 px apart (7 copies of a 3 px wire over 8 px were 7 stripes)
        offsets = np.linspace(-wire.blur / 2, wire.blur / 2, max(7, int(np.ceil(4 * wire.blur)) + 1)) \
            if wire.blur else [0.0]
        for off in offsets:
            d = np.abs(ys - (cy + off)[None, :]) * cos[None, :]
            alpha += np.clip(wire.width / 2 + 0.5 - d, 0, 1) / len(offsets)
        alpha *= wire.opacity * inside_span[None, :]
        if isinstance(wire.colour[0], tuple):
            a, b = (np.array(c, np.float32) for c in wire.colour)  # type: ignore[arg-type]
            k = np.clip((x - x0) / max(x1 - x0, 1), 0, 1)[None, :, None]
            colour = np.broadcast_to(a + (b - a) * k, (h, w, 3)).astype(np.float32)
        else:
            colour = np.broadcast_to(np.array(wire.colour, np.float32), (h, w, 3)).astype(np.float32)
        layers.append((alpha, colour))
    width = max(wi.width + wi.blur for wi in stroke.wires)
    pad = stroke.hint_pad * width + 1.0
    wob = stroke.wobble * pad * np.sin(x / 23.0 + t + wobble_phase)
    hc = centre + stroke.hint_shift + wob
    # the stroke covers the wires' span at their steepest relative slope, as an artist paints it
    extra = max((abs(wi.slope) for wi in stroke.wires), default=0.0) * np.abs(x - w / 2)
    hint = ((ys >= (hc + lo_off - pad - extra)[None, :]) & (ys <= (hc + hi_off + pad + extra)[None, :]))
    hint &= inside_span[None, :]
    return layers, hint.astype(np.float32)


def compose(name: str, truth: list[np.ndarray], strokes: tuple[Stroke, ...],
            occluder: list[np.ndarray] | None = None, seed: int = 0) -> Scene:
    """Draw ``strokes`` over ``truth``; wires pass behind ``occluder`` mattes (H, W) where given."""
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 6.28, len(strokes))
    h, w = truth[0].shape[:2]
    plates, hints, alphas = [], [], []
    for t, frame in enumerate(truth):
        plate = frame.copy()
        hint = np.zeros((h, w), np.float32)
        total = np.zeros((h, w), np.float32)
        for s, phase in zip(strokes, phases, strict=True):
            layers, sh = _stroke_layers(s, t, h, w, float(phase))
            for alpha, colour in layers:
                if occluder is not None:
                    alpha = alpha * (1.0 - occluder[t])
                plate = plate * (1 - alpha[:, :, None]) + colour * alpha[:, :, None]
                total = np.maximum(total, alpha)
            hint = np.maximum(hint, sh)
        plates.append(plate.astype(np.float32))
        hints.append(hint)
        alphas.append(total)
    return Scene(name, truth, plates, hints, alphas)


def scenes(frames: int = 8, big: bool = True) -> dict[str, Callable[[], Scene]]:
    """Scenario classes by name; each builder loads its clip when called."""
    mixed = (DARK, BRIGHT)
    steel = (0.55, 0.56, 0.58)
    out: dict[str, Callable[[], Scene]] = {
        "1 dark thin (2px), pan": lambda: compose("dark-thin", load_clip("tennis", frames), (
            Stroke((Wire(2.0, DARK),), top=0.22, drift=0.6),)),
        "1 bright (4px), static": lambda: compose("bright", load_clip("schoolgirls", frames), (
            Stroke((Wire(4.0, BRIGHT),), top=0.25, drift=1.2),)),
        "1px hairline, handheld": lambda: compose("hairline", load_clip("bedroom", frames), (
            Stroke((Wire(1.2, DARK, opacity=0.8),), top=0.3, drift=0.5),)),
        "2 wires dark+bright, one stroke": lambda: compose("two-opposite", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, DARK, offset=-5), Wire(2.5, BRIGHT, offset=5)), top=0.25, drift=0.8),)),
        "2 wires dark+bright, car pan": lambda: compose("two-opposite-car", load_clip("running-car", frames), (
            Stroke((Wire(2.0, BRIGHT, offset=-6), Wire(3.0, DARK, offset=6)), top=0.2, drift=0.5),)),
        "3 wires, one stroke": lambda: compose("three", load_clip("bedroom", frames), (
            Stroke((Wire(2.0, DARK, offset=-9), Wire(3.0, steel, offset=0), Wire(2.0, BRIGHT, offset=9)),
                   top=0.3, drift=1.0),)),
        "polarity changes along the wire": lambda: compose("mixed", load_clip("running-car", frames), (
            Stroke((Wire(3.0, mixed),), top=0.35, drift=0.7),)),
        "grey steel cable (both polarities)": lambda: compose("steel", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, steel),), top=0.5, sag=0.1, drift=0.9),)),
        "crossing wires": lambda: compose("crossing", load_clip("tennis", frames), (
            Stroke((Wire(2.5, DARK, slope=0.12), Wire(2.5, BRIGHT, slope=-0.12)), top=0.3, sag=0.05, drift=0.8),)),
        "two strokes (horizontal + vertical)": lambda: compose("two-strokes", load_clip("schoolgirls", frames), (
            Stroke((Wire(3.0, DARK),), top=0.2, drift=0.8),
            Stroke((Wire(2.5, BRIGHT),), top=0.7, sag=0.05, drift=0.5, vertical=True))),
        "wire leaves and re-enters the hint": lambda: compose("leaves-hint", load_clip("tennis", frames, start=20), (
            Stroke((Wire(3.0, DARK),), top=0.3, drift=0.6, wobble=1.3),)),
        "tight hint (the stroke hugs the wire)": lambda: compose("tight-hint", load_clip("bmx-trees", frames, start=10), (
            Stroke((Wire(3.0, DARK),), top=0.35, drift=0.7, hint_pad=0.2),)),
        "loose hint (a broad stroke)": lambda: compose("loose-hint", load_clip("tennis", frames, start=10), (
            Stroke((Wire(2.5, DARK),), top=0.4, drift=0.7, hint_pad=6.0),)),
        "wire over a moving subject": lambda: compose("over-subject", load_clip("tennis", frames, start=30), (
            Stroke((Wire(3.0, DARK),), top=0.45, sag=0.05, drift=0.4),)),
        "wire behind foreground": lambda: compose("behind-fg", load_clip("bmx-trees", frames, start=20), (
            Stroke((Wire(3.0, DARK), Wire(2.0, BRIGHT, offset=7)), top=0.45, sag=0.05, drift=0.5),),
            occluder=load_mask("bmx-trees", frames, start=20)),
        "near-horizontal wire, horizontal pan": lambda: compose("horizontal-pan", load_clip("tennis", frames), (
            Stroke((Wire(3.0, DARK),), top=0.3, sag=0.01, drift=0.0),)),
        "motion blur (8px)": lambda: compose("blur", load_clip("running-car", frames, start=40), (
            Stroke((Wire(3.0, DARK, blur=8.0),), top=0.3, drift=3.0),)),
        # a rig's coloured safety line beside a dark cable: the red is dark against the wall by
        # only a third of the cable's contrast in luminance, where the finder looks
        "coloured rope (red) + dark wire": lambda: compose("red-rope", load_clip("tennis", frames), (
            Stroke((Wire(3.0, RED, offset=-6), Wire(2.5, DARK, offset=6)), top=0.35, drift=0.7),)),
        # a rope in colour alone over a busy scene (uniforms, a shrine), and a dull one less saturated
        # than the graffiti behind it: the colour search takes only lines more saturated than their
        # surroundings, and luminance sees a brown rope over orange paint barely
        "coloured rope (blue), busy scene": lambda: compose("blue-rope", load_clip("schoolgirls", frames), (
            Stroke((Wire(3.0, (0.15, 0.3, 0.8)),), top=0.35, drift=0.7),)),
        "dull rope (brown) over graffiti": lambda: compose("brown-rope", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, (0.45, 0.3, 0.2)),), top=0.35, drift=0.7),)),
        "2 mid-grey wires (0.3 and 0.7)": lambda: compose("grey-pair", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, (0.3, 0.3, 0.3), offset=-6), Wire(2.5, (0.7, 0.7, 0.7), offset=6)), top=0.35,
                   drift=0.7),)),
        "2 dark wires 6 px apart": lambda: compose("close-pair", load_clip("bedroom", frames), (
            Stroke((Wire(2.5, DARK, offset=-3), Wire(2.5, DARK, offset=3)), top=0.35, drift=0.7),)),
        # wires on a diagonal (a guy line, a rig's line down to the subject), the stroke along them
        "diagonal 30 deg, dark over graffiti": lambda: compose("diag-30", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, DARK),), top=0.5, sag=0.03, drift=0.6, tilt=0.58, span=(0.15, 0.85)),)),
        "diagonal 45 deg, dark+bright": lambda: compose("diag-45-pair", load_clip("tennis", frames), (
            Stroke((Wire(3.0, DARK, offset=-6), Wire(2.5, BRIGHT, offset=6)), top=0.5, sag=0.02, drift=0.6,
                   tilt=1.0, span=(0.25, 0.75)),)),
        "diagonal 45 deg (rising), bright": lambda: compose("diag-45-bright", load_clip("schoolgirls", frames), (
            Stroke((Wire(2.5, BRIGHT),), top=0.5, sag=0.02, drift=0.6, tilt=-1.0, span=(0.25, 0.75)),)),
        "diagonal 60 deg, dark": lambda: compose("diag-60", load_clip("bedroom", frames), (
            Stroke((Wire(3.0, DARK),), top=0.5, sag=0.0, drift=0.6, tilt=1.7, span=(0.36, 0.64)),)),
        # a wire that was there when the shot was filmed: the camera's sharpening and the codec act on it
        # (a bright halo beside a dark wire, ringing), on the clean plate alike
        "in camera: 2 wires, sharpened + JPEG": lambda: in_camera(compose("in-camera", load_clip("bedroom", frames), (
            Stroke((Wire(2.5, DARK, offset=-6), Wire(2.0, BRIGHT, offset=6)), top=0.35, sag=0.04, drift=0.6),))),
        # a steel cable in daylight is no one-tone line: a grey body with a specular stripe along the lit
        # edge, or lit from one side, a bright half touching a dark one. Two lines of opposite polarity
        # side by side, or a line luminance sees beside one only colour sees (grey over a blue banner)
        "lit cable: grey body, specular edge": lambda: compose("lit-grey", load_clip("tennis", frames), (
            Stroke((Wire(3.5, (0.35, 0.35, 0.37)), Wire(1.2, BRIGHT, offset=-2.0)), top=0.25, drift=0.6),)),
        "lit cable: dark body, specular edge": lambda: compose("lit-dark", load_clip("bmx-trees", frames), (
            Stroke((Wire(3.0, DARK), Wire(1.2, BRIGHT, offset=1.8)), top=0.3, drift=0.8),)),
        "cable lit from one side (dark and bright halves)": lambda: compose("half-lit", load_clip("schoolgirls", frames), (
            Stroke((Wire(2.5, DARK, offset=-1.5), Wire(2.5, BRIGHT, offset=1.5)), top=0.3, drift=0.9),)),
        # added at stop 59, drawn before any was run: a rig of four lines under one stroke (a grey one
        # between a bright and a dark), a stroke from the top edge over a locked-off shot (a dark wire
        # over dark leaves there), a wire seen through (half opacity), a deep sag, a fast thin wire,
        # coloured cables, a broad stroke over two wires, and two strokes of two wires crossing
        "4 wires, one stroke (dark, bright, grey, dark)": lambda: compose("four", load_clip("tennis", frames), (
            Stroke((Wire(2.5, DARK, offset=-12), Wire(2.0, BRIGHT, offset=-4), Wire(3.0, (0.4, 0.4, 0.42), offset=4),
                    Wire(2.0, DARK, offset=12)), top=0.3, drift=0.8),)),
        "upright stroke from the top edge, tilted pair": lambda: compose("upright-pair", load_clip("schoolgirls", frames), (
            Stroke((Wire(2.5, DARK, offset=-5), Wire(2.0, BRIGHT, offset=5)), top=0.6, vertical=True, tilt=0.25,
                   drift=0.6),)),
        "dark wire at half opacity": lambda: compose("half-opacity", load_clip("bedroom", frames), (
            Stroke((Wire(3.0, DARK, opacity=0.5),), top=0.4, drift=0.7),)),
        "deep sag (35% of the height), 2 wires": lambda: compose("deep-sag", load_clip("running-car", frames), (
            Stroke((Wire(3.0, DARK, offset=-5), Wire(2.5, BRIGHT, offset=5)), top=0.15, sag=0.35, drift=0.9),)),
        "fast thin bright wire (4 px a frame)": lambda: compose("fast-thin", load_clip("bmx-trees", frames), (
            Stroke((Wire(1.5, BRIGHT),), top=0.35, drift=4.0),)),
        "orange and yellow cables": lambda: compose("orange-yellow", load_clip("bedroom", frames), (
            Stroke((Wire(3.0, (0.75, 0.35, 0.1), offset=-6), Wire(2.5, (0.95, 0.85, 0.2), offset=6)), top=0.3,
                   drift=0.8),)),
        "broad stroke over 2 wires": lambda: compose("broad-pair", load_clip("bmx-trees", frames), (
            Stroke((Wire(2.5, DARK, offset=-8), Wire(2.0, BRIGHT, offset=8)), top=0.45, hint_pad=6.0, drift=0.8),)),
        "2 strokes of 2 wires crossing": lambda: compose("cross-strokes", load_clip("bedroom", frames), (
            Stroke((Wire(2.5, DARK, offset=-5), Wire(2.0, BRIGHT, offset=5)), top=0.3, drift=0.7),
            Stroke((Wire(2.5, DARK, offset=-5), Wire(2.0, BRIGHT, offset=5)), top=0.5, vertical=True, drift=0.5))),
        # added at stop 69, after a held-out check smeared a wire far more than the 8 px class: a
        # 4 px wire moving 28 px a frame under a half shutter (smeared over 14 px), and a bright one
        # over a handheld interior; the artist's stroke is drawn round the smear
        "motion blur (14px), dark wire, car pan": lambda: compose("blur14-car", load_clip("running-car", frames, start=40), (
            Stroke((Wire(4.0, DARK, blur=14.0),), top=0.3, drift=7.0),)),
        "motion blur (14px), dark wire over a pan and a player": lambda: compose("blur14-tennis", load_clip(
            "tennis", frames, start=10), (Stroke((Wire(4.0, DARK, blur=14.0),), top=0.35, drift=7.0),)),
        "motion blur (10px), bright wire, handheld interior": lambda: compose("blur10-bedroom", load_clip(
            "bedroom", frames, start=10), (Stroke((Wire(3.0, BRIGHT, blur=10.0),), top=0.4, drift=5.0),)),
    }
    if big:
        out["thick 10px at 2K, 2 wires"] = lambda: compose("2K-thick", load_clip("tennis", max(frames // 2, 3),
                                                                               size=(2048, 1080)), (
            Stroke((Wire(10.0, DARK, offset=-14), Wire(8.0, BRIGHT, offset=14)), top=0.3, drift=2.0),))
        out["4K, 2 wires"] = lambda: compose("4K", load_clip("running-car", 3, size=(4096, 2160)), (
            Stroke((Wire(6.0, DARK, offset=-10), Wire(5.0, BRIGHT, offset=10)), top=0.3, drift=2.0),))
    return out


def in_camera(scene: Scene, amount: float = 0.8, quality: int = 80) -> Scene:
    """``scene`` as a camera would have recorded it, the wires and the clean plate alike: an unsharp
    mask (``amount`` over a 1 px Gaussian: the bright halo in-camera sharpening draws beside a dark
    line) and a JPEG round trip at ``quality`` (the codec's ringing and blocks)."""
    import cv2

    def camera(img: np.ndarray) -> np.ndarray:
        sharp = np.clip(img + amount * (img - cv2.GaussianBlur(img, (0, 0), 1.0)), 0.0, 1.0)
        ok, buf = cv2.imencode(".jpg", np.rint(sharp[:, :, ::-1] * 255).astype(np.uint8),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("in_camera: JPEG encoding failed")
        return (cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32) / 255.0).copy()

    scene.plates = [camera(p) for p in scene.plates]
    scene.truth = [camera(g) for g in scene.truth]
    return scene


MATRIX = "2 wires over "  # the label every class of ``two_wire_matrix`` starts with


def two_wire_matrix(frames: int = 8) -> dict[str, Callable[[], Scene]]:
    """The case the issue was filed on, over every clip: one stroke over two wires, dark 3 px and
    bright 2.5 px, 12 px apart, drawn high and low in the frame (so over each clip's sky, walls,
    foliage, people and cars). A class per clip and height: the classes above show one clip each."""
    out: dict[str, Callable[[], Scene]] = {}
    for clip in CLIPS:
        for top in (0.3, 0.6):
            out[f"{MATRIX}{clip}, stroke at {top:.0%}"] = (
                lambda clip=clip, top=top: compose(f"matrix-{clip}-{top}", load_clip(clip, frames), (  # type: ignore[misc]
                    Stroke((Wire(3.0, DARK, offset=-6), Wire(2.5, BRIGHT, offset=6)), top=top, drift=0.7),)))
    return out
