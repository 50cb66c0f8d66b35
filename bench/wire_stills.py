"""Wire classes over photographs the other classes never show, drawn by another generator.

Every other class draws its wires with ``wire_scenes.compose`` over the five footage clips, and the
engine was tuned on those. These eight take the FiveK photographs in ../shared/data/graded (a
cloudy sky, a sea cliff, bare branches against a church, a street of shop signs, a lizard on a
rock, a pond in woods, two faces, leaves beside concrete), pan a 448x300 window over each, 4 px
right and 1 px down a frame, and draw the wires with OpenCV's anti-aliased polylines on a canvas
four times the size, area-averaged down (a line's edge as a renderer gives it, not
``compose``'s analytic coverage). Each wire drifts 1.5 px a frame against the background; the
artist's stroke is a polyline 18-28 px wide along the wires, off their middle by up to 3 px.
They were drawn at stop 63 and run once before they joined the bench, as a held-out check: the
engine was not changed for them.

``exr_stills`` does the same over the four scene-linear half-float EXR stills of ../shared/data/stills
that no class shows (a bronze cannon, carrots, a bright sky over hills, a still life with highlights
to 490): wires drawn in linear light, one of them brighter than 1 (2.0, 8.0), plates and truth half
float. Drawn at stop 88 and run once before they joined, as a held-out check of the scene-linear
path (the only other linear class is the Desk EXR): the engine was not changed for them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from wire_scenes import DATA, Scene

STILLS = DATA / "../graded/fivek-expertC/expertC"
EXRS = DATA / "../stills/openexr"
STILL = "still: "  # the label every class of ``stills`` starts with
SUPER = 4          # the canvas the wires are drawn on, times the frame's size
WINDOW = (448, 300)
DARK, BRIGHT = (0.06, 0.06, 0.07), (0.92, 0.92, 0.9)
Wire = tuple[float, float, tuple[float, float, float]]  # offset from the course (px), thickness (px), colour


def _coverage(h: int, w: int, points: np.ndarray, thick: float) -> np.ndarray:
    """float32 (H, W): an anti-aliased polyline's coverage, drawn ``SUPER`` times larger and area-averaged."""
    import cv2

    canvas = np.zeros((h * SUPER, w * SUPER), np.uint8)
    cv2.polylines(canvas, [np.int32(np.round(points * SUPER))], False, 255, max(1, int(round(thick * SUPER))),
                  cv2.LINE_AA)
    return cv2.resize(canvas.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)


def _course(w: int, y0: float, y1: float, sag: float) -> np.ndarray:
    """(200, 2) x, y points of a sagging course from row ``y0`` at the left edge to ``y1`` at the right."""
    x = np.linspace(-10.0, w + 10.0, 200)
    t = (x + 10.0) / (w + 20.0)
    return np.stack([x, y0 + (y1 - y0) * t + sag * 4.0 * t * (1.0 - t)], axis=1)


def _panned(name: str, image: np.ndarray, wires: tuple[Wire, ...], y0: float, y1: float, sag: float, stroke: int,
            frames: int, at: tuple[int, int] = (8, 8)) -> Scene:
    """A ``WINDOW`` panned over ``image`` (float32 (H, W, 3)) from ``at`` (x, y), 4 px right and 1 px
    down a frame, with ``wires`` drawn along one course (the plate unclipped) and the artist's
    stroke over them."""
    import cv2

    w, h = WINDOW
    rng = np.random.default_rng(len(name))
    truth, plates, hints, alphas = [], [], [], []
    for f in range(frames):
        x0, top = at[0] + 4 * f, at[1] + f
        clean = np.ascontiguousarray(image[top:top + h, x0:x0 + w])
        plate = clean.copy()
        total = np.zeros((h, w), np.float32)
        course = _course(w, y0 + 1.5 * f, y1 + 1.5 * f, sag)
        for offset, thick, colour in wires:
            a = _coverage(h, w, course + np.array([0.0, offset]), thick)
            plate = plate * (1.0 - a[..., None]) + np.array(colour, np.float32) * a[..., None]
            total = np.maximum(total, a)
        hint = np.zeros((h, w), np.uint8)
        cv2.polylines(hint, [np.int32(np.round(course + np.array([0.0, rng.uniform(-3.0, 3.0)])))], False, 255,
                      stroke, cv2.LINE_8)
        truth.append(clean)
        plates.append(plate.astype(np.float32))
        hints.append((hint > 0).astype(np.float32))
        alphas.append(total)
    return Scene(name, truth, plates, hints, alphas)


def still_scene(name: str, photo: str, wires: tuple[Wire, ...], y0: float, y1: float, sag: float, stroke: int,
                frames: int) -> Scene:
    """A pan over ``photo`` with ``wires`` drawn along one course and the artist's stroke over them."""
    import cv2

    path = STILLS / photo
    image = cv2.imread(str(path.resolve()), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"bench/wire_stills.py: cannot read {path} (../shared/data/graded, see its README)")
    scene = _panned(name, cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0, wires, y0, y1, sag,
                    stroke, frames)
    scene.plates = [np.clip(p, 0.0, 1.0).astype(np.float32) for p in scene.plates]
    return scene


def exr_scene(name: str, exr: str, wires: tuple[Wire, ...], y0: float, y1: float, sag: float, stroke: int,
              at: tuple[int, int], frames: int) -> Scene:
    """A pan over the scene-linear half-float EXR ``exr`` (its first three channels), the wires drawn
    in linear light, values above 1 kept: plates and truth half float, as the file is."""
    import OpenImageIO as oiio

    path = EXRS / exr
    buf = oiio.ImageBuf(str(path.resolve()))
    if buf.has_error:
        raise SystemExit(f"bench/wire_stills.py: cannot read {path} ({buf.geterror()})")
    scene = _panned(name, np.asarray(buf.get_pixels(oiio.FLOAT), np.float32)[:, :, :3], wires, y0, y1, sag, stroke,
                    frames, at)
    scene.truth = [t.astype(np.float16) for t in scene.truth]
    scene.plates = [p.astype(np.float16) for p in scene.plates]
    return scene


def stills(frames: int = 8) -> dict[str, Callable[[], Scene]]:
    """The eight classes, by label (``STILL`` first)."""
    grey = (0.35, 0.35, 0.35)
    cases: dict[str, tuple[str, tuple[Wire, ...], float, float, float, int]] = {
        "power lines over cloud": ("a2917-jmac_DSC3800.png", ((-4, 2.0, DARK), (4, 1.3, DARK)), 60, 90, 25, 26),
        "bright and dark over a sea cliff": ("a3102-JI2E4053.png", ((-5, 1.5, BRIGHT), (5, 3.0, DARK)), 110, 150, 30, 28),
        "dark wire over bare branches": ("a3232-_DGW6397.png", ((0, 2.0, (0.1, 0.08, 0.08)),), 80, 130, 20, 20),
        "grey cable over street signs": ("a4714-Duggan_080613_8704.png", ((0, 3.0, (0.5, 0.5, 0.52)),), 100, 140, 25, 22),
        "brown rope over a lizard on rock": ("a2803-060810_075208_GM6A0020.png", ((0, 5.0, (0.45, 0.3, 0.2)),), 150, 110,
                                             30, 26),
        "fishing line over a pond": ("a4232-Duggan_090323_6181.png", ((0, 1.0, (0.9, 0.9, 0.9)),), 120, 160, 15, 18),
        "dark and grey wire over faces": ("a4723-_DGW7894.png", ((-3, 2.0, DARK), (6, 2.5, grey)), 140, 120, 20, 26),
        "pair across leaves and concrete": ("a4857-_DSC0008-1.png", ((-5, 2.0, DARK), (5, 2.0, BRIGHT)), 40, 260, 10, 28),
    }
    out: dict[str, Callable[[], Scene]] = {}
    for label, (photo, wires, y0, y1, sag, stroke) in cases.items():
        name = STILL + label
        out[name] = lambda name=name, a=(photo, wires, y0, y1, sag, stroke): still_scene(name, *a, frames=frames)
    return out


def exr_stills(frames: int = 8) -> dict[str, Callable[[], Scene]]:
    """Four scene-linear half-float EXR stills the other classes never show (the linear EXR class
    pans over the Desk), by label (``STILL`` first): wires in linear light, a bright one above 1."""
    cases: dict[str, tuple[str, tuple[Wire, ...], float, float, float, int, tuple[int, int]]] = {
        "EXR, dark and grey cable over a cannon": ("Cannon.exr", ((-4, 2.0, (0.01,) * 3), (5, 2.5, (0.3,) * 3)),
                                                   90, 140, 25, 26, (150, 100)),
        "EXR, bright (2.0) and dark wire over carrots": ("Carrots.exr", ((-5, 2.0, (2.0,) * 3), (5, 2.5, (0.003,) * 3)),
                                                         120, 160, 20, 28, (60, 40)),
        "EXR, two dark power lines over a bright sky": ("MtTamWest.exr", ((-4, 1.5, (0.02,) * 3), (4, 2.0, (0.02,) * 3)),
                                                        60, 100, 30, 24, (400, 20)),
        "EXR, bright (8.0) and dark wire over a still life": ("StillLife.exr", ((-5, 2.5, (8.0,) * 3),
                                                                               (5, 2.0, (0.001,) * 3)),
                                                              130, 110, 25, 28, (400, 250)),
    }
    out: dict[str, Callable[[], Scene]] = {}
    for label, (exr, wires, y0, y1, sag, stroke, at) in cases.items():
        name = STILL + label
        out[name] = lambda name=name, a=(exr, wires, y0, y1, sag, stroke, at): exr_scene(name, *a, frames=frames)
    return out
