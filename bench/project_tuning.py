"""Project tuning: does a model tuned on a project's dailies repair wires better than the untuned fill?

Ingests two clips from ../shared/data/footage (bmx-trees JPG sequence, tennis H.264 movie) as
one project in a temporary store, trains the wire-removal model with the smoke configuration on
CPU (training frames only: the last quarter of each clip is held out, see patches.split_shots),
then draws the wire-removal benchmark's synthetic wires (bench/wire_removal.py: catenaries 2-8 px
with rough hints 3-4x as wide; seeds from patches.BENCH_SEED_BASE, disjoint from training) over
held-out frames and prints, one line per clip and wire, PSNR inside the hint of:

- untuned: the classical spatial fill, engines.wire.spatial.fill_spatial;
- tuned:   the project's promoted model through models.load_inpainter (onnxruntime, CPU);
- telea:   cv2.inpaint Telea (radius 5) for reference;

then a summary with the mean gain and the CPU training time. Prints figures; no pass/fail.
Timings depend on the machine's load (the figures in reports were taken on a shared 2-core box).

Usage: python bench/project_tuning.py [--steps N] [--frames N] [--store DIR] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FOOTAGE = ROOT / "../shared/data/footage"
CLIPS = (FOOTAGE / "bmx-trees/frames", FOOTAGE / "tennis-480p/video.mp4")

from inference_server.project.patches import BENCH_SEED_BASE, split_shots  # noqa: E402


def wire_bench() -> object:
    """bench/wire_removal.py as a module (its draw_wire and WIRES define the benchmark's wires)."""
    spec = importlib.util.spec_from_file_location("wire_removal_bench", ROOT / "bench/wire_removal.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"missing {ROOT / 'bench/wire_removal.py'}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the file runs
    spec.loader.exec_module(mod)
    return mod


def psnr_region(result: np.ndarray, truth: np.ndarray, hint: np.ndarray) -> float:
    m = hint > 0
    mse = float(np.mean((result[m].astype(np.float64) - truth[m]) ** 2))
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def main() -> int:
    from inference_server.engines.wire.spatial import fill_spatial
    from inference_server.project.ingest import ingest
    from inference_server.project.models import load_inpainter
    from inference_server.project.readers import read_clip_frames
    from inference_server.project.store import open_project
    from inference_server.project.train import SMOKE, train_wire_removal

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=SMOKE.steps, help="training steps (default: smoke config)")
    ap.add_argument("--frames", type=int, default=4, help="held-out frames per clip")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: the idle cores)")
    ap.add_argument("--store", type=Path, help="store root (default: a temporary folder)")
    args = ap.parse_args()
    for c in CLIPS:
        if not c.exists():
            raise FileNotFoundError(f"benchmark footage missing: {c}")
    wb = wire_bench()
    import cv2

    with tempfile.TemporaryDirectory(prefix="rushes-tuning-") as tmp:
        store = open_project("bench-tuning", args.store or Path(tmp))
        t0 = time.perf_counter()
        report = ingest(CLIPS, store)
        print(f"ingest: {len(report.added)} clips added, {len(report.failed)} failed, "
              f"{time.perf_counter() - t0:.1f} s")
        cfg = replace(SMOKE, steps=args.steps, threads=args.threads)
        t0 = time.perf_counter()
        result = train_wire_removal(store, cfg)
        train_s = time.perf_counter() - t0
        m = result.metrics
        print(f"train: {cfg.steps} steps, batch {cfg.batch}, patch {cfg.patch}, prefill {cfg.model.prefill}: "
              f"{train_s:.1f} s wall on CPU (loop {m['train_seconds']:.1f} s); version {result.version} "
              f"promoted={result.promoted}; held-out patches {m['val_psnr']:.2f} dB vs untuned "
              f"{m['baseline_psnr']:.2f} dB")
        inpaint = load_inpainter(store.root, store.name)
        if inpaint is None:
            print("summary: the tuned model was not promoted (it did not beat the untuned fill on held-out patches)")
            return 0
        with store.catalog() as cat:
            clips = {c["id"]: c for c in cat.clips()}
            shots = cat.shots("clip")
        held = split_shots(shots)
        gains, seconds = [], []
        for si, shot in enumerate(shots):
            val = held[shot["id"]][1]
            numbers = [val[int(i)] for i in np.linspace(0, len(val) - 1, min(args.frames, len(val)))]
            frames = read_clip_frames(clips[shot["clip_id"]], numbers)
            truth = [frames[n] for n in numbers]
            for wi, wire in enumerate(wb.WIRES):  # type: ignore[attr-defined]
                plates, hints = wb.draw_wire(truth, wire, seed=BENCH_SEED_BASE + 100 * si + wi)  # type: ignore[attr-defined]
                untuned, tuned, telea = [], [], []
                for p, h, g in zip(plates, hints, truth, strict=True):
                    untuned.append(psnr_region(fill_spatial(p, h), g, h))
                    t1 = time.perf_counter()
                    tuned.append(psnr_region(inpaint(p, h), g, h))
                    seconds.append(time.perf_counter() - t1)
                    u8 = np.rint(np.clip(p, 0, 1) * 255).astype(np.uint8)
                    tel = cv2.inpaint(u8, (h > 0).astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
                    telea.append(psnr_region(tel.astype(np.float32) / 255, g, h))
                gain = float(np.mean(tuned) - np.mean(untuned))
                gains.append(gain)
                print(f"{shot['name']:<10} wire {wire.width:.0f}px blur {wire.blur:.0f}: untuned {np.mean(untuned):6.2f} dB"
                      f"  tuned {np.mean(tuned):6.2f} dB  gain {gain:+.2f} dB  telea {np.mean(telea):6.2f} dB"
                      f"  ({len(numbers)} held-out frames {numbers[0]}-{numbers[-1]})")
        print(f"summary: tuned vs untuned (fill_spatial) PSNR in hint, mean gain {np.mean(gains):+.2f} dB "
              f"(min {min(gains):+.2f}, max {max(gains):+.2f}) over {len(gains)} cases; smoke training "
              f"{cfg.steps} steps {train_s:.1f} s on CPU ({cfg.threads or 'auto'} threads); tuned repair "
              f"{np.mean(seconds):.2f} s/frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
