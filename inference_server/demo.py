"""`rushes demo`: a wire-removal shot made from nothing, repaired, and measured.

Synthesises a plate (fractal landscape texture, a slow camera move, level-dependent grain)
with a dark catenary wire swaying across it and a rough hint painted over the wire, runs
the ``wire_removal`` task through ``run_task`` (the daemon when one answers), and writes
the plate, hint and repaired frames, a before/after contact sheet and the PSNR inside the
hint against the clean ground truth. Frames are display-referred sRGB, 8-bit PNG.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference_server import media, runner
from inference_server.engines.metrics import psnr
from inference_server.fileio import atomic_write_text

FIRST = 1001   # the demo's first frame number


@dataclass
class DemoShot:
    """truth, plates: float32 (H, W, 3) sRGB 0..1; hints: float32 (H, W) 0..1."""

    truth: list[np.ndarray]
    plates: list[np.ndarray]
    hints: list[np.ndarray]


def fractal(h: int, w: int, rng: np.random.Generator, beta: float = 2.0) -> np.ndarray:
    """1/f^beta noise, float32 (h, w), normalised to 0..1 (natural-image-like spectrum)."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = (rng.standard_normal(f.shape) + 1j * rng.standard_normal(f.shape)) / f ** (beta / 2)
    spec[0, 0] = 0
    img = np.fft.irfft2(spec, s=(h, w)).astype(np.float32)
    lo, hi = np.percentile(img, [1, 99])
    return np.clip((img - lo) / (hi - lo), 0, 1).astype(np.float32)


def landscape(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A sky, a ridge line and textured ground: float32 (h, w, 3) sRGB 0..1."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    ridge = 0.45 + 0.12 * (fractal(1, w, rng, 2.2)[0] - 0.5) * 2
    ground = fractal(h, w, rng, 1.8)
    detail = fractal(h, w, rng, 1.2)
    sky = np.stack([0.55 + 0.25 * yy, 0.68 + 0.2 * yy, 0.92 + 0.05 * yy], axis=2) * np.ones((1, w, 1), np.float32)
    clouds = fractal(h, w, rng, 2.4)[:, :, None] * 0.25
    sky = np.clip(sky + clouds * np.array([0.9, 0.9, 0.8], np.float32), 0, 1)
    tone = 0.6 * ground + 0.4 * detail
    earth = np.stack([0.18 + 0.35 * tone, 0.22 + 0.38 * tone, 0.1 + 0.22 * tone], axis=2)
    edge = np.clip((yy - ridge[None, :]) * h / 2.0, 0, 1)[:, :, None]
    return (sky * (1 - edge) + earth * edge).astype(np.float32)


def catenary(xs: np.ndarray, x0: float, x1: float, y_end: float, sag: float) -> np.ndarray:
    """Height of a hanging wire between (x0, y_end) and (x1, y_end) sagging ``sag`` pixels."""
    half = (x1 - x0) / 2
    a = half / 2.0
    shape = np.cosh((xs - (x0 + half)) / a) - np.cosh(half / a)
    return (y_end + sag * shape / shape.min()).astype(np.float32)


def make_shot(frames: int = 24, h: int = 540, w: int = 960, seed: int = 0) -> DemoShot:
    """The demo plate: camera pans and drifts, the wire sways, grain on every frame."""
    import cv2

    rng = np.random.default_rng(seed)
    canvas = landscape(h + 80, w + 200, seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    truth, plates, hints = [], [], []
    for t in range(frames):
        mx = np.array([[1, 0, -(40 + 4.2 * t)], [0, 1, -(40 + 0.8 * np.sin(t / 5) * 6)]], np.float32)
        clean = cv2.warpAffine(canvas, mx, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        grain = rng.standard_normal((h, w, 3)).astype(np.float32)
        grain = cv2.GaussianBlur(grain, (0, 0), 0.6) * 1.6
        clean = np.clip(clean + (0.006 + 0.018 * clean) * grain, 0, 1).astype(np.float32)
        wy = catenary(xx[0], -0.1 * w, 1.1 * w, 0.12 * h + 3 * np.sin(t / 4), 0.3 * h + 6 * np.sin(t / 6))
        dist = np.abs(yy - wy[None, :])
        wire = np.clip(1.9 - dist, 0, 1)[:, :, None]  # ~3 px, antialiased
        plates.append((clean * (1 - 0.85 * wire) + 0.04 * wire).astype(np.float32))
        truth.append(clean)
        wobble = 2.5 * np.sin(xx[0] / 37.0 + t) + 1.5 * np.sin(xx[0] / 11.0)
        hints.append((np.abs(yy - wy[None, :] - wobble[None, :]) < 7.5).astype(np.float32))
    return DemoShot(truth, plates, hints)


def contact_sheet(rows: list[list[np.ndarray]], labels: list[str]) -> np.ndarray:
    """Rows of same-size float images -> one uint8 sheet with a label strip per column."""
    import cv2

    tiles = []
    for row in rows:
        tiles.append(np.concatenate([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=1.0) for t in row], axis=1))
    sheet = (np.clip(np.concatenate(tiles, axis=0), 0, 1) * 255).astype(np.uint8)
    band = np.full((28, sheet.shape[1], 3), 255, np.uint8)
    col_w = sheet.shape[1] // len(labels)
    for i, text in enumerate(labels):
        cv2.putText(band, text, (i * col_w + 10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band, sheet], axis=0)


def run_demo(out_dir: Path, frames: int = 24, size: tuple[int, int] = (960, 540),
             run: Callable[..., dict[str, object]] | None = None, log: Callable[[str], None] = print) -> dict[str, float]:
    """Make, repair and measure the demo shot under ``out_dir``; returns the figures written to psnr.json.

    ``run(task, inputs, params, on_frame=...)`` runs the task (default ``runner.run_task``: the local
    daemon when one answers, else in this process).
    """
    run = run or runner.run_task
    w, h = size
    shot = make_shot(frames, h, w)
    plate, hint = _write_inputs(out_dir, shot)
    repaired: dict[int, np.ndarray] = {}

    def on_frame(_name: str, frame: object) -> None:
        px = frame.pixels  # type: ignore[attr-defined]
        repaired[frame.number] = px  # type: ignore[attr-defined]
        media.write_image(out_dir / "repair" / f"repair.{frame.number:04d}.png", px)  # type: ignore[attr-defined]

    start = time.perf_counter()
    summary = run("wire_removal", {"plate": plate, "hint": hint}, {"method": "auto"}, on_frame=on_frame)
    seconds = time.perf_counter() - start
    repairs = [repaired[FIRST + i].astype(np.float32) / 255 for i in range(frames)]
    figures = _measure(shot, repairs) | {"frames": frames, "seconds_per_frame": round(seconds / frames, 3)}
    media.write_image(out_dir / "contact_sheet.png", _sheet(shot, repairs, w, h))
    atomic_write_text(out_dir / "psnr.json", json.dumps(figures | {"summary": summary}, indent=2, default=str) + "\n")
    log(f"repaired {frames} frames at {w}x{h} in {seconds:.1f} s ({figures['seconds_per_frame']} s/frame)")
    log(f"PSNR inside the hint vs ground truth: {figures['psnr_in_hint_db']} dB "
        f"(unrepaired {figures['psnr_unrepaired_db']} dB, OpenCV Telea {figures['psnr_opencv_telea_db']} dB)")
    log(f"wrote {out_dir / 'repair'}, {out_dir / 'contact_sheet.png'} and {out_dir / 'psnr.json'}")
    return figures


def _write_inputs(out_dir: Path, shot: DemoShot) -> tuple[Any, Any]:
    """Write the plate and hint PNG sequences (frames FIRST...) and open them as the task's inputs."""
    for sub in ("plate", "hint", "repair"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    for i, (plate_px, hint_px) in enumerate(zip(shot.plates, shot.hints, strict=True)):
        media.write_image(out_dir / "plate" / f"plate.{FIRST + i:04d}.png", np.rint(plate_px * 255).astype(np.uint8))
        media.write_image(out_dir / "hint" / f"hint.{FIRST + i:04d}.png",
                          np.rint(hint_px[:, :, None] * 255).astype(np.uint8))
    return (media.open_sequence(str(out_dir / "plate" / "plate.####.png"), colour_space="sRGB"),
            media.open_sequence(str(out_dir / "hint" / "hint.####.png")))


def _measure(shot: DemoShot, repairs: list[np.ndarray]) -> dict[str, float]:
    """Mean PSNR inside the hint against the truth: the repair, the unrepaired plate, OpenCV's Telea inpaint."""
    import cv2

    ours, before, telea = [], [], []
    for i, rep in enumerate(repairs):
        m = shot.hints[i] > 0
        gt = shot.truth[i][m]
        u8 = np.rint(shot.plates[i] * 255).astype(np.uint8)
        base = cv2.inpaint(u8, m.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255
        ours.append(psnr(rep[m], gt))
        before.append(psnr(u8.astype(np.float32)[m] / 255, gt))
        telea.append(psnr(base[m], gt))
    return {"psnr_in_hint_db": round(float(np.mean(ours)), 2), "psnr_unrepaired_db": round(float(np.mean(before)), 2),
            "psnr_opencv_telea_db": round(float(np.mean(telea)), 2)}


def _sheet(shot: DemoShot, repairs: list[np.ndarray], w: int, h: int) -> np.ndarray:
    """Before / after / truth crops of the first, middle and last frames."""
    frames = len(repairs)
    y0 = int(h * 0.1)
    crop = slice(y0, y0 + h // 2), slice(w // 4, w // 4 + w // 2)
    rows = [[shot.plates[i][crop], repairs[i][crop], shot.truth[i][crop]] for i in (0, frames // 2, frames - 1)]
    return contact_sheet(rows, ["before (plate)", "after (repair)", "ground truth"])
