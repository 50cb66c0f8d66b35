"""Wire removal on real footage: ours (each mode) vs OpenCV inpainting, and speed at 2K / 4K.

Draws synthetic wires over the clips in ../shared/data/footage (catenaries 2-8 px wide, dark
and bright, some motion-blurred, drifting over time, with a rough hint 3-4x the wire width),
keeps the originals as ground truth and prints, one line per case:

- PSNR and SSIM inside the hint: ours (auto / temporal / static / spatial, no regrain so that
  all methods are compared as estimates of the clean plate; "auto+grain" adds regrain) vs
  cv2.inpaint Telea and Navier-Stokes given the same hint (radius 5);
- temporal flicker inside the hint: mean |L(t) - L(t-1)| over pixels hinted in both frames,
  for ours (auto), Telea and the ground truth;
- seconds per frame (auto, regrain on) at the clip's size and upscaled to 2K and 4K with the
  same wire (same pixel length and width): wall time, and this process's CPU time (which the
  load of other processes on a shared machine inflates less), with the load average.

Usage: python bench/wire_removal.py [--quick] [--json OUT.json]
Prints figures only; there is no pass/fail on time. Timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "../shared/data/footage"

from inference_server.engines.metrics import psnr  # noqa: E402
from inference_server.engines.wire.repair import WireRemover, WireSettings  # noqa: E402

CLIPS = {"bmx-trees": "bmx-trees/frames/#####.jpg", "tennis": "tennis-480p/video.mp4",
         "schoolgirls": "schoolgirls-480p/video.mp4", "running-car": "running-car/running_car.mp4",
         "bedroom": "bedroom/frames/#####.jpg"}


@dataclass(frozen=True)
class Wire:
    width: float
    bright: bool
    blur: float      # motion blur length in px (perpendicular drift during the shutter)
    drift: float     # px per frame, downwards
    sag: float       # fraction of height


WIRES = (Wire(2.0, False, 0.0, 0.6, 0.25), Wire(4.0, True, 0.0, 1.2, 0.15), Wire(6.0, False, 6.0, 2.0, 0.3),
         Wire(8.0, False, 0.0, 0.4, 0.2))


def load_clip(name: str, frames: int, start: int = 0) -> list[np.ndarray]:
    from inference_server import media

    spec = DATA / CLIPS[name]
    if not (spec.parent.exists() if "#" in spec.name else spec.exists()):
        raise FileNotFoundError(f"benchmark footage missing: {spec}")
    seq = media.open_sequence(str(spec))
    return [seq[start + i].pixels[:, :, :3].astype(np.float32) / 255.0 for i in range(frames)]


def draw_wire(frames: list[np.ndarray], wire: Wire, seed: int, x_span: tuple[float, float] | None = None,
              y_top: float | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Plates with the wire and the rough hints (float32 (H, W) 0/1)."""
    rng = np.random.default_rng(seed)
    h, w = frames[0].shape[:2]
    x0, x1 = x_span if x_span else (-0.05 * w, 1.05 * w)
    top = y_top if y_top is not None else h * rng.uniform(0.15, 0.35)
    sag = wire.sag * h if x_span is None else wire.sag * 540
    colour = np.array([0.93, 0.92, 0.88] if wire.bright else [0.04, 0.04, 0.05], np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    plates, hints = [], []
    lo, hi = int(max(x0, 0)), int(min(x1, w))
    for t, frame in enumerate(frames):
        u = (xs[0] - (x0 + x1) / 2) / ((x1 - x0) / 2)
        centre = top + sag * (1 - u * u) + wire.drift * t + 2.0 * np.sin(t / 3.0 + xs[0] / 200.0)
        alpha = np.zeros((h, w), np.float32)
        offsets = np.linspace(-wire.blur / 2, wire.blur / 2, 5) if wire.blur else [0.0]
        for off in offsets:
            d = np.abs(ys - (centre + off)[None, :])
            alpha += np.clip(wire.width / 2 + 0.5 - d, 0, 1) / len(offsets)
        alpha[:, :lo] = 0
        alpha[:, hi:] = 0
        plates.append((frame * (1 - alpha[:, :, None]) + colour * alpha[:, :, None]).astype(np.float32))
        half = 1.75 * (wire.width + wire.blur) + 1.0
        wobble = 0.25 * half * np.sin(xs[0] / 23.0 + t)
        hint = (np.abs(ys - centre[None, :] - wobble[None, :]) < half).astype(np.float32)
        hint[:, :lo] = 0
        hint[:, hi:] = 0
        hints.append(hint)
    return plates, hints


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import cv2

    from inference_server.engines.wire.flow import luminance

    x, y = luminance(a), luminance(b)
    blur = lambda z: cv2.GaussianBlur(z, (0, 0), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def flicker(frames: list[np.ndarray], hints: list[np.ndarray]) -> float:
    from inference_server.engines.wire.flow import luminance

    vals = []
    for t in range(1, len(frames)):
        m = (hints[t] > 0) & (hints[t - 1] > 0)
        if m.any():
            vals.append(float(np.mean(np.abs(luminance(frames[t]) - luminance(frames[t - 1]))[m])))
    return float(np.mean(vals)) if vals else 0.0


def ours(plates: list[np.ndarray], hints: list[np.ndarray], method: str,
         regrain: float) -> tuple[list[np.ndarray], float, float]:
    """(repaired frames, wall seconds per frame, CPU seconds per frame of this process)."""
    u8 = [np.rint(p * 255).astype(np.uint8) for p in plates]
    rem = WireRemover(lambda i: u8[i], lambda i: hints[i], len(u8), WireSettings(method=method, regrain=regrain))
    start, cpu = time.perf_counter(), time.process_time()
    out = [rem.repair(i)[0].astype(np.float32) / 255 for i in range(len(u8))]
    return out, (time.perf_counter() - start) / len(u8), (time.process_time() - cpu) / len(u8)


def opencv(plates: list[np.ndarray], hints: list[np.ndarray], flag: int) -> list[np.ndarray]:
    import cv2

    out = []
    for p, h in zip(plates, hints, strict=True):
        u8 = np.rint(p * 255).astype(np.uint8)
        out.append(cv2.inpaint(u8, (h > 0).astype(np.uint8) * 255, 5, flag).astype(np.float32) / 255)
    return out


def scores(result: list[np.ndarray], truth: list[np.ndarray], hints: list[np.ndarray]) -> tuple[float, float]:
    ps, ss = [], []
    for r, g, h in zip(result, truth, hints, strict=True):
        m = h > 0
        ps.append(psnr(r[m], g[m]))
        ss.append(float(ssim_map(r, g)[m].mean()))
    return float(np.mean(ps)), float(np.mean(ss))


def quality(clips: list[str], wires: tuple[Wire, ...], frames: int, rows: list[dict[str, object]]) -> None:
    import cv2

    for ci, name in enumerate(clips):
        truth = load_clip(name, frames)
        h, w = truth[0].shape[:2]
        for wi, wire in enumerate(wires):
            plates, hints = draw_wire(truth, wire, seed=ci * 10 + wi)
            row: dict[str, object] = {"clip": name, "size": f"{w}x{h}", "wire_px": wire.width,
                                      "bright": wire.bright, "blur": wire.blur}
            results = {}
            for method in ("auto", "temporal", "static", "spatial"):
                results[method] = ours(plates, hints, method, 0.0)[0]
            results["auto+grain"] = ours(plates, hints, "auto", 1.0)[0]
            results["telea"] = opencv(plates, hints, cv2.INPAINT_TELEA)
            results["ns"] = opencv(plates, hints, cv2.INPAINT_NS)
            for key, res in results.items():
                row[f"psnr_{key}"], row[f"ssim_{key}"] = scores(res, truth, hints)
            row["flicker_auto"] = flicker(results["auto"], hints)
            row["flicker_telea"] = flicker(results["telea"], hints)
            row["flicker_truth"] = flicker(truth, hints)
            rows.append(row)
            print(f"{name:12s} {w}x{h} wire {wire.width:.0f}px {'bright' if wire.bright else 'dark  '} "
                  f"blur {wire.blur:.0f} | PSNR auto {row['psnr_auto']:.2f} temporal {row['psnr_temporal']:.2f} "
                  f"static {row['psnr_static']:.2f} spatial {row['psnr_spatial']:.2f} auto+grain {row['psnr_auto+grain']:.2f} "
                  f"| telea {row['psnr_telea']:.2f} ns {row['psnr_ns']:.2f} | SSIM auto {row['ssim_auto']:.4f} "
                  f"telea {row['ssim_telea']:.4f} ns {row['ssim_ns']:.4f} | flicker auto {row['flicker_auto']:.4f} "
                  f"telea {row['flicker_telea']:.4f} truth {row['flicker_truth']:.4f}", flush=True)


def speed(name: str, frames: int, rows: list[dict[str, object]]) -> None:
    import cv2

    clip = load_clip(name, frames + 2)
    h0, w0 = clip[0].shape[:2]
    wire = Wire(4.0, False, 0.0, 1.0, 0.12)
    for label, (w, h) in (("clip", (w0, h0)), ("2K", (2048, 1080)), ("4K", (4096, 2160))):
        big = [cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in clip]
        span = (0.1 * w0, 0.9 * w0) if label == "clip" else ((w - 1900) / 2, (w + 1900) / 2)
        plates, hints = draw_wire(big, wire, seed=1, x_span=span, y_top=h / 3)
        _, spf, cpu = ours(plates, hints, "auto", 1.0)
        rows.append({"speed": label, "size": f"{w}x{h}", "seconds_per_frame": spf, "cpu_seconds_per_frame": cpu})
        print(f"speed {name} {label:4s} {w}x{h} wire 4px x {span[1] - span[0]:.0f}px: {spf:.3f} s/frame wall, "
              f"{cpu:.3f} s/frame CPU (auto, regrain on, {os.getloadavg()[0]:.1f} load)", flush=True)
        del big, plates, hints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two clips, two wires, 8 frames, fewer timing frames")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    import cv2

    cv2.setNumThreads(2)
    wires: tuple[Wire, ...]
    if args.quick:
        clips, wires, frames, timing = ["tennis", "bmx-trees"], (WIRES[0], WIRES[2]), 8, 3
    else:
        clips, wires, frames, timing = list(CLIPS), WIRES, 12, 6
    rows: list[dict[str, object]] = []
    quality(clips, wires, frames, rows)
    speed("tennis", timing, rows)
    q = [r for r in rows if "psnr_auto" in r]
    mean = {k: float(np.mean([float(r[k]) for r in q])) for k in q[0] if k.startswith(("psnr_", "ssim_", "flicker_"))}  # type: ignore[arg-type]
    sp = {str(r["speed"]): float(r["seconds_per_frame"]) for r in rows if "speed" in r}  # type: ignore[arg-type]
    print(f"summary: {len(q)} cases | mean PSNR in hint: auto {mean['psnr_auto']:.2f} temporal {mean['psnr_temporal']:.2f} "
          f"static {mean['psnr_static']:.2f} spatial {mean['psnr_spatial']:.2f} auto+grain {mean['psnr_auto+grain']:.2f} "
          f"telea {mean['psnr_telea']:.2f} ns {mean['psnr_ns']:.2f} | auto - best OpenCV "
          f"{mean['psnr_auto'] - max(mean['psnr_telea'], mean['psnr_ns']):+.2f} dB | SSIM auto {mean['ssim_auto']:.4f} "
          f"telea {mean['ssim_telea']:.4f} ns {mean['ssim_ns']:.4f} | flicker auto {mean['flicker_auto']:.4f} "
          f"telea {mean['flicker_telea']:.4f} truth {mean['flicker_truth']:.4f} | s/frame clip {sp['clip']:.3f} "
          f"2K {sp['2K']:.3f} 4K {sp['4K']:.3f} (4K/2K {sp['4K'] / sp['2K']:.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps({"cases": rows, "mean": mean, "speed": sp}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
