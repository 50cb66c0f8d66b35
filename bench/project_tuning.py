"""Project tuning: does the wire repair with the project's tuned model beat the untuned repair?

Ingests two clips from ../shared/data/footage (bmx-trees JPG sequence, tennis H.264 movie) as
one project in a temporary store, trains the project's wire network with the smoke
configuration on CPU (training frames only: the last quarter of each clip is held out, see
patches.split_shots), then draws the wire-removal benchmark's synthetic wires
(bench/wire_scenes.py's drawing: catenaries 2-8 px with rough hints 3-4x as wide; seeds from
patches.BENCH_SEED_BASE, and a different generator from training's) over held-out frames and
prints, one line per clip and wire, PSNR inside the hint of the wire repair
(engines.wire.repair.WireRemover, regrain off):

- untuned: the repair as shipped (classical ridge-tracing matte, classical fill);
- tuned:   the same repair with the project's promoted model through serving.load_wire_matte
           (onnxruntime, CPU) finding the wire inside the hint;
- telea:   cv2.inpaint Telea (radius 5) over the whole hint, for reference;

for the single-frame repair (method spatial, 4 held-out frames spread over the held-out range)
and for the default temporal repair (method auto, 5 consecutive held-out frames); then a
summary with the mean gains, the CPU training time and the repair's seconds per frame at 2K
(held-out frames upscaled to 2048x1080, a full-width wire) untuned and tuned. Prints figures; no pass/fail.
Timings depend on the machine's load (the figures in reports were taken on a shared 2-core box).

Usage: python bench/project_tuning.py [--steps N] [--lr X] [--pos-weight X] [--frames N] [--store DIR] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
FOOTAGE = ROOT / "../shared/data/footage"
CLIPS = (FOOTAGE / "bmx-trees/frames", FOOTAGE / "tennis-480p/video.mp4")

from wire_scenes import BRIGHT, DARK, Stroke, Wire, compose  # noqa: E402

from inference_server.engines.metrics import psnr  # noqa: E402
from inference_server.project.patches import BENCH_SEED_BASE, split_shots  # noqa: E402

# The wires drawn over held-out frames (bench/wire_scenes.py's drawing: a catenary under a rough
# hint stroke 3-4x as wide): thin dark, bright, motion-blurred dark, thick dark.
WIRES = (Wire(2.0, DARK), Wire(4.0, BRIGHT), Wire(6.0, DARK, blur=6.0), Wire(8.0, DARK))
DRIFT = (0.6, 1.2, 2.0, 0.4)
SAG = (0.25, 0.15, 0.3, 0.2)


def draw_wire(frames: list[np.ndarray], wi: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Plates with wire ``WIRES[wi]`` and its rough hints (float32 (H, W) 0/1)."""
    top = float(np.random.default_rng(seed).uniform(0.15, 0.35))
    scene = compose(f"wire-{wi}", frames, (Stroke((WIRES[wi],), top=top, sag=SAG[wi], drift=DRIFT[wi]),), seed=seed)
    return scene.plates, scene.hints


def speed_2k(frames: list[np.ndarray], matte_model: object) -> dict[str, float]:
    """Seconds per frame at 2048x1080 (held-out frames upscaled, a full-width 4 px wire), untuned and tuned."""
    import cv2

    from inference_server.engines.wire.repair import WireRemover, WireSettings

    big = [cv2.resize(f, (2048, 1080), interpolation=cv2.INTER_CUBIC) for f in frames[:5]]
    plates, hints = draw_wire(big, 1, seed=BENCH_SEED_BASE + 999)
    out = {}
    for method in ("spatial", "auto"):
        for label, model in (("untuned", None), ("tuned", matte_model)):
            r = WireRemover(plates.__getitem__, hints.__getitem__, len(plates), WireSettings(method=method, regrain=0.0),
                            matte_model=model)
            t0 = time.perf_counter()
            for i in range(len(plates)):
                r.repair(i)
            out[f"{method} {label}"] = (time.perf_counter() - t0) / len(plates)
    return out


def main() -> int:
    from inference_server.engines.wire.repair import WireRemover, WireSettings
    from inference_server.media import read_clip_frames
    from inference_server.project.ingest import ingest
    from inference_server.project.serving import load_wire_matte
    from inference_server.project.store import open_project
    from inference_server.project.train import SMOKE, train_wire_removal

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=SMOKE.steps, help="training steps (default: smoke config)")
    ap.add_argument("--lr", type=float, default=SMOKE.lr, help="learning rate (default: smoke config)")
    ap.add_argument("--pos-weight", type=float, default=SMOKE.pos_weight, help="missed-wire weight (default: smoke config)")
    ap.add_argument("--frames", type=int, default=4, help="held-out frames per clip (single-frame repair)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: the idle cores)")
    ap.add_argument("--store", type=Path, help="store root (default: a temporary folder)")
    args = ap.parse_args()
    for c in CLIPS:
        if not c.exists():
            raise FileNotFoundError(f"benchmark footage missing: {c}")
    import cv2

    with tempfile.TemporaryDirectory(prefix="rushes-tuning-") as tmp:
        store = open_project("bench-tuning", args.store or Path(tmp))
        t0 = time.perf_counter()
        report = ingest(CLIPS, store)
        print(f"ingest: {len(report.added)} clips added, {len(report.failed)} failed, "
              f"{time.perf_counter() - t0:.1f} s")
        cfg = replace(SMOKE, steps=args.steps, threads=args.threads, lr=args.lr, pos_weight=args.pos_weight)
        t0 = time.perf_counter()
        result = train_wire_removal(store, cfg)
        train_s = time.perf_counter() - t0
        m = result.metrics
        print(f"train: {cfg.steps} steps, batch {cfg.batch}, patch {cfg.patch}, base {cfg.model.base}: "
              f"{train_s:.1f} s wall on CPU (loop {m['train_seconds']:.1f} s); version {result.version} "
              f"promoted={result.promoted}; held-out patches' repair {m['val_psnr']:.2f} dB vs untuned "
              f"{m['baseline_psnr']:.2f} dB")
        matte_model = load_wire_matte(store.root, store.name)
        if matte_model is None:
            print("summary: the tuned model was not promoted (it did not beat the untuned repair on held-out patches)")
            return 0
        with store.catalog() as cat:
            clips = {c["id"]: c for c in cat.clips()}
            shots = cat.shots("clip")
        held = split_shots(shots)
        gains: dict[str, list[float]] = {"spatial": [], "auto": []}
        seconds = []
        for si, shot in enumerate(shots):
            val = held[shot["id"]][1]
            spread = [val[int(i)] for i in np.linspace(0, len(val) - 1, min(args.frames, len(val)))]
            mid = max(0, len(val) // 2 - 2)
            runs = {"spatial": spread, "auto": val[mid:mid + 5]}
            for method, numbers in runs.items():
                frames = read_clip_frames(clips[shot["clip_id"]], numbers)
                truth = [frames[n] for n in numbers]
                for wi, wire in enumerate(WIRES):
                    plates, hints = draw_wire(truth, wi, seed=BENCH_SEED_BASE + 100 * si + wi)
                    scores = {}
                    for label, model in (("untuned", None), ("tuned", matte_model)):
                        remover = WireRemover(plates.__getitem__, hints.__getitem__, len(plates),
                                              WireSettings(method=method, regrain=0.0), matte_model=model)
                        t1 = time.perf_counter()
                        out = [remover.repair(i)[0] for i in range(len(plates))]
                        if model is not None and method == "spatial":
                            seconds.append((time.perf_counter() - t1) / len(plates))
                        scores[label] = np.mean([psnr(o, g, h) for o, g, h in zip(out, truth, hints, strict=True)])
                    tel = [cv2.inpaint(np.rint(np.clip(p, 0, 1) * 255).astype(np.uint8), (h > 0).astype(np.uint8) * 255,
                                       5, cv2.INPAINT_TELEA).astype(np.float32) / 255 for p, h in zip(plates, hints, strict=True)]
                    telea = np.mean([psnr(t, g, h) for t, g, h in zip(tel, truth, hints, strict=True)])
                    gain = float(scores["tuned"] - scores["untuned"])
                    gains[method].append(gain)
                    print(f"{shot['name']:<11} {method:<7} wire {wire.width:.0f}px blur {wire.blur:.0f}: untuned "
                          f"{scores['untuned']:6.2f} dB  tuned {scores['tuned']:6.2f} dB  gain {gain:+.2f} dB  "
                          f"telea {telea:6.2f} dB"
                          f"  (held-out frames {numbers[0]}-{numbers[-1]}, {len(numbers)})")
        speeds = speed_2k(truth, matte_model)
        g, a = gains["spatial"], gains["auto"]
        print(f"summary: tuned vs untuned wire repair, PSNR in hint: single-frame (spatial) mean gain {np.mean(g):+.2f} dB "
              f"(min {min(g):+.2f}, max {max(g):+.2f}) over {len(g)} cases; temporal (auto) mean gain {np.mean(a):+.2f} dB "
              f"(min {min(a):+.2f}, max {max(a):+.2f}); smoke training {cfg.steps} steps {train_s:.1f} s on CPU "
              f"({cfg.threads or 'auto'} threads); tuned single-frame repair {np.mean(seconds):.2f} s/frame; 2K s/frame "
              + ", ".join(f"{k} {v:.2f}" for k, v in speeds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
