"""Training data: patches stratified across a project's shots, with synthetic wires drawn over them.

Seeds: training draws from ``TRAIN_SEED_BASE`` upward and validation from ``VALIDATION_SEED_BASE``;
benchmarks use seeds below ``TRAIN_SEED_BASE`` (``BENCH_SEED_BASE``) and their own wire generator,
so training never sees a benchmark's wires. Frames are split per shot (``split_shots``) so validation frames are never
trained on either.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference_server.fileio import atomic_write
from inference_server.media import read_clip_frames
from inference_server.project.serving import network_view
from inference_server.project.store import ProjectStore

BENCH_SEED_BASE = 0
TRAIN_SEED_BASE = 1_000_000
VALIDATION_SEED_BASE = 2_000_000
HOLDOUT_FRACTION = 0.25


def draw_training_wire(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one synthetic wire over ``image`` (S, S, 3) float32 and an artist's rough hint around it.

    The wire: 1.5-9 px wide, a third motion-blurred 1-8 px, dark, bright or any colour, 75-100 %
    opaque, at any angle, sagging and wavering. The hint: a band 1.4-2.2x the wire's width
    either side, wobbling along it (an artist's stroke is 3-4x as wide as the wire).

    Returns (plate float32 (S, S, 3), hint float32 (S, S) 0/1, alpha float32 (S, S): the
    wire's true opacity inside the hint, 0 outside it).
    """
    if image.ndim != 3 or image.shape[0] != image.shape[1] or image.shape[0] < 8:
        raise ValueError(f"draw_training_wire needs a square (S, S, C) image, S >= 8, got {image.shape}")
    s = image.shape[0]
    width = float(rng.uniform(1.5, 9.0))
    blur = float(rng.uniform(1.0, 8.0)) if rng.random() < 1 / 3 else 0.0
    kind = rng.random()
    colour = rng.uniform(0.0, 0.12, 3) if kind < 0.4 else rng.uniform(0.8, 1.0, 3) if kind < 0.7 else rng.uniform(0, 1, 3)
    opacity = float(rng.uniform(0.75, 1.0))
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) - s / 2
    along = xs * np.cos(angle) + ys * np.sin(angle)
    across = -xs * np.sin(angle) + ys * np.cos(angle)
    centre = (rng.uniform(-0.2, 0.2) * s + rng.normal(0, 0.004) * along ** 2
              + rng.uniform(-1, 1) * np.sin(along / rng.uniform(15, 60)))
    d = across - centre
    alpha = np.zeros((s, s), np.float32)
    offsets = np.linspace(-blur / 2, blur / 2, 5) if blur else [0.0]
    for off in offsets:
        alpha += np.clip(width / 2 + 0.5 - np.abs(d - off), 0, 1) / len(offsets)
    alpha *= opacity
    plate = image * (1 - alpha[..., None]) + colour.astype(np.float32) * alpha[..., None]
    half = rng.uniform(1.4, 2.2) * (width + blur) + 1.0
    wobble = rng.uniform(0, 0.3) * half * np.sin(along / rng.uniform(12, 40) + rng.uniform(0, 6))
    hint = (np.abs(d - wobble) < half).astype(np.float32)
    return plate.astype(np.float32), hint, (alpha * hint).astype(np.float32)


def split_shots(shots: list[dict[str, Any]]) -> dict[int, tuple[list[int], list[int]]]:
    """Per shot id: (training frame numbers, held-out frame numbers).

    With 3+ shots every 4th shot (by name) is held out whole; with fewer, the last quarter of
    each shot is held out (after a 2-frame gap so neighbouring frames do not leak).
    """
    out: dict[int, tuple[list[int], list[int]]] = {}
    ordered = sorted(shots, key=lambda s: (s["name"], s["id"]))
    for i, s in enumerate(ordered):
        frames = list(range(int(s["first_frame"]), int(s["last_frame"]) + 1))
        if len(ordered) >= 3:
            out[s["id"]] = ([], frames) if i % 4 == 3 else (frames, [])
        else:
            cut = max(1, int(round(len(frames) * (1.0 - HOLDOUT_FRACTION))))
            out[s["id"]] = (frames[:max(1, cut - 2)], frames[cut:])
    return out


def _even(frames: list[int], n: int) -> list[int]:
    if len(frames) <= n:
        return frames
    return [frames[int(round(i))] for i in np.linspace(0, len(frames) - 1, n)]


@dataclass
class PatchBank:
    """float16 patches (N, P, P, 3) 0-1 code values and the shot index (N,) of each."""

    patches: np.ndarray
    shot_index: np.ndarray
    shot_names: list[str]

    def sample(self, batch: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """A batch (batch, 3, size, size) float32: shot chosen uniformly, then a patch, crop, flips."""
        if size > self.patches.shape[1]:
            raise ValueError(f"crop {size} is larger than the stored patches ({self.patches.shape[1]})")
        shots = np.unique(self.shot_index)
        out = np.empty((batch, size, size, 3), np.float32)
        for b in range(batch):
            pool = np.flatnonzero(self.shot_index == rng.choice(shots))
            p = self.patches[rng.choice(pool)]
            y, x = rng.integers(0, p.shape[0] - size + 1, 2)
            crop = p[y:y + size, x:x + size].astype(np.float32)
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            out[b] = crop
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def build_patch_bank(store: ProjectStore, split: str, frames_per_shot: int = 6, crops_per_frame: int = 12,
                     crop: int = 96, seed: int = 0) -> PatchBank:
    """Read ``frames_per_shot`` evenly spaced frames of each shot's ``split`` ('train' | 'val')
    frames and cut ``crops_per_frame`` random crops; cached under ``cache/patches``."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    base = TRAIN_SEED_BASE if split == "train" else VALIDATION_SEED_BASE
    with store.catalog() as cat:
        clips = {c["id"]: c for c in cat.clips()}
        shots = [s for s in cat.shots("clip") if s["clip_id"] in clips and s["last_frame"] is not None]
    if not shots:
        raise ValueError(f"project {store.name!r} has no ingested clips to train on "
                         f"(run `rushes ingest PATH --project {store.name}`)")
    key = hashlib.sha1(json.dumps([[clips[s["clip_id"]]["signature"] for s in shots], split, frames_per_shot,
                                   crops_per_frame, crop, seed]).encode()).hexdigest()[:16]
    cache = store.cache_dir / "patches" / f"{split}-{key}.npz"
    names = [s["name"] for s in shots]
    if cache.is_file():
        with np.load(cache) as z:
            return PatchBank(z["patches"], z["shot_index"], names)
    splits = split_shots(shots)
    patches: list[np.ndarray] = []
    index: list[int] = []
    for si, s in enumerate(shots):
        frames = _even(splits[s["id"]][0 if split == "train" else 1], frames_per_shot)
        rng = np.random.default_rng(base + seed * 1000 + si)
        for _number, img in sorted(read_clip_frames(clips[s["clip_id"]], frames).items(), key=lambda kv: kv[0]):
            if img.shape[0] < crop or img.shape[1] < crop:  # small frames: mirror up to one patch
                ph, pw = max(0, crop - img.shape[0]), max(0, crop - img.shape[1])
                img = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="symmetric")
            h, w = img.shape[:2]
            for _ in range(crops_per_frame):
                y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
                patches.append(img[y:y + crop, x:x + crop].astype(np.float16))
                index.append(si)
    if not patches:
        raise ValueError(f"project {store.name!r} has no {split} frames (shots: {', '.join(names)})")
    bank = PatchBank(np.stack(patches), np.asarray(index, np.int32), names)
    buf = io.BytesIO()
    np.savez(buf, patches=bank.patches, shot_index=bank.shot_index)
    atomic_write(cache, buf.getvalue())
    return bank


@dataclass
class ValidationSet:
    """Held-out samples, float32: plates with a wire (N, S, S, 3), hints and true alphas (N, S, S),
    and the clean truth (N, S, S, 3)."""

    plates: np.ndarray
    hints: np.ndarray
    alphas: np.ndarray
    truth: np.ndarray


def validation_set(bank: PatchBank) -> ValidationSet:
    """A fixed wire per patch of a 'val' bank (as the network sees it), from the validation seed range."""
    out: list[tuple[np.ndarray, ...]] = []
    for i, p in enumerate(bank.patches):
        truth = network_view(p.astype(np.float32))
        plate, hint, alpha = draw_training_wire(truth, np.random.default_rng(VALIDATION_SEED_BASE + 500_000 + i))
        out.append((plate, hint, alpha, truth))
    return ValidationSet(*(np.stack(a) for a in zip(*out, strict=True)))


