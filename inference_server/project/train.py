"""Train the project's wire-removal inpainter: warm start, checkpoints, progress, cancel, registry.

``train_wire_removal(store)`` reads patch banks for the project's training and held-out frames,
starts from the promoted version when there is one, trains, measures PSNR in the repair region
on held-out frames (new model, the version it started from, and the untuned classical fill),
registers the new version and promotes it only if it beats the current one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from inference_server.fileio import atomic_write
from inference_server.project import registry
from inference_server.project.model import InpaintNet, ModelConfig, build_model, prefill_images
from inference_server.project.patches import (
    TRAIN_SEED_BASE,
    PatchBank,
    build_patch_bank,
    draw_wire_mask,
    psnr_in_region,
    validation_set,
)
from inference_server.project.store import ProjectStore

TASK = "wire_removal"
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 600
    batch: int = 8
    patch: int = 64
    lr: float = 2e-3
    frames_per_shot: int = 6
    crops_per_frame: int = 12
    val_frames_per_shot: int = 3
    checkpoint_every: int = 100
    pool: int = 768          # fixed training samples (prefilled once), reused under rotations/flips
    seed: int = 0
    threads: int = 0         # torch CPU threads; 0 = the cores not busy with other work
    model: ModelConfig = field(default_factory=ModelConfig)

    def key(self) -> str:
        d = asdict(self)
        d.pop("checkpoint_every")
        d.pop("threads")
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


SMOKE = TrainConfig(model=ModelConfig(prefill="spatial"))  # ~2 min on 2 CPU cores
FULL = TrainConfig(steps=20_000, batch=16, patch=96, lr=1e-3, frames_per_shot=40, crops_per_frame=16,
                   val_frames_per_shot=8, checkpoint_every=500, pool=4096,
                   model=ModelConfig(base=32, prefill="spatial"))


class TrainingCancelled(Exception):
    """Training stopped on request; the checkpoint lets the next run resume."""

    def __init__(self, step: int, checkpoint: str) -> None:
        super().__init__(f"training cancelled at step {step}; the next run resumes from {checkpoint}")
        self.step = step
        self.checkpoint = checkpoint


@dataclass
class TrainResult:
    version: str | None
    promoted: bool
    steps: int
    resumed_from: int
    parent: str | None
    metrics: dict[str, float]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SamplePool:
    """Fixed training samples, float32: network inputs (prefilled), truth (N,3,P,P), masks (N,1,P,P)."""

    inputs: np.ndarray
    truth: np.ndarray
    masks: np.ndarray


def make_pool(bank: PatchBank, cfg: TrainConfig, progress: ProgressFn) -> SamplePool:
    """Draw ``cfg.pool`` crops and masks and prefill them once (the classical fill is the slow part)."""
    rng = np.random.default_rng([TRAIN_SEED_BASE + cfg.seed, 1])
    truth = bank.sample(cfg.pool, cfg.patch, rng)
    masks = np.stack([draw_wire_mask(cfg.patch, cfg.patch, rng) for _ in range(cfg.pool)])[:, None]
    inputs = np.empty_like(truth)
    for i in range(0, cfg.pool, 64):
        inputs[i:i + 64] = prefill_images(truth[i:i + 64], masks[i:i + 64], cfg.model.prefill)
        progress(0, cfg.steps, f"preparing samples {min(i + 64, cfg.pool)}/{cfg.pool}")
    return SamplePool(inputs, truth, masks)


def _batch(pool: SamplePool, cfg: TrainConfig, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of pool samples under one random rotation/flip (a fill commutes with both)."""
    rng = np.random.default_rng([TRAIN_SEED_BASE + cfg.seed, 0, step])
    idx = rng.integers(0, len(pool.truth), cfg.batch)
    k, flip = int(rng.integers(0, 4)), bool(rng.random() < 0.5)
    out = []
    for arr in (pool.inputs, pool.truth, pool.masks):
        a = np.rot90(arr[idx], k, axes=(2, 3))
        out.append(np.ascontiguousarray(a[..., ::-1] if flip else a))
    return out[0], out[1], out[2]


def evaluate(model: InpaintNet, inputs: np.ndarray, truth: np.ndarray, masks: np.ndarray,
             device: str = "cpu") -> float:
    """PSNR in the masked region of the model's repairs of ``inputs`` (N,3,H,W) against ``truth``."""
    import torch

    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(inputs), 16):
            x = torch.from_numpy(inputs[i:i + 16]).to(device)
            m = torch.from_numpy(masks[i:i + 16]).to(device)
            outs.append(model(x, m).cpu().numpy())
    model.train()
    return psnr_in_region(np.concatenate(outs), truth, masks)


def pick_threads(requested: int = 0) -> int:
    """Torch intra-op threads: ``requested``, or (0) the idle cores, at least 1.

    Spinning OpenMP threads on cores other processes are using slows a step several-fold,
    so on a busy machine training takes fewer threads.
    """
    if requested > 0:
        return requested
    cores = os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def _save_checkpoint(path: Any, payload: dict[str, Any]) -> None:
    import torch

    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write(path, buf.getvalue())


def train_wire_removal(store: ProjectStore, config: TrainConfig = SMOKE, *, device: str = "cpu",
                       progress: ProgressFn | None = None, should_cancel: Callable[[], bool] | None = None,
                       register_model: bool = True) -> TrainResult:
    """Train (or resume) and register a wire-removal model for ``store``'s project (see module doc)."""
    import torch

    previous = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(pick_threads(config.threads))
    try:
        return _train(store, config, device, progress, should_cancel, register_model)
    finally:
        torch.set_num_threads(previous)


def _train(store: ProjectStore, config: TrainConfig, device: str, progress: ProgressFn | None,
           should_cancel: Callable[[], bool] | None, register_model: bool) -> TrainResult:
    import torch

    if config.steps < 1:
        raise ValueError(f"steps must be at least 1, got {config.steps}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but torch sees no CUDA device; use --device cpu")
    started = time.monotonic()
    say = progress or (lambda d, t, m: None)
    say(0, config.steps, "reading training frames")
    bank = build_patch_bank(store, "train", config.frames_per_shot, config.crops_per_frame, seed=config.seed)
    val_bank = build_patch_bank(store, "val", config.val_frames_per_shot, 8, seed=config.seed)
    val_truth, val_masks = validation_set(val_bank, size=64)

    parent = registry.current_version(store, TASK)
    model_cfg = config.model
    parent_state = None
    if parent is not None:
        parent_state, parent_cfg = registry.load_weights(store, TASK, parent)
        model_cfg = ModelConfig(**parent_cfg)
        config = replace(config, model=model_cfg)
    val_inputs = prefill_images(val_truth, val_masks, model_cfg.prefill)
    model = build_model(model_cfg).to(device)
    if parent_state is not None:
        model.load_state_dict(parent_state)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr * 0.1)

    ckpt_path = store.cache_dir / "train" / TASK / "checkpoint.pt"
    run_key = f"{config.key()}-{parent}-{hashlib.sha1(bank.patches[:4].tobytes()).hexdigest()[:8]}"
    start = 0
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=True)
        if ckpt.get("run_key") == run_key:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["opt"])
            sched.load_state_dict(ckpt["sched"])
            start = int(ckpt["step"])

    def checkpoint(step: int) -> None:
        _save_checkpoint(ckpt_path, {"run_key": run_key, "step": step, "model": model.state_dict(),
                                     "opt": opt.state_dict(), "sched": sched.state_dict()})

    pool = make_pool(bank, config, say)
    model.train()
    losses: list[float] = []
    for step in range(start, config.steps):
        if should_cancel is not None and should_cancel():
            checkpoint(step)
            raise TrainingCancelled(step, str(ckpt_path))
        inputs, truth, masks = _batch(pool, config, step)
        x, t, m = (torch.from_numpy(a).to(device) for a in (inputs, truth, masks))
        loss = ((model(x, m) - t).abs() * m).sum() / (m.sum() * 3.0 + 1e-6)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if (step + 1) % config.checkpoint_every == 0 and step + 1 < config.steps:
            checkpoint(step + 1)
        if (step + 1) % 10 == 0 or step + 1 == config.steps:
            say(step + 1, config.steps, f"step {step + 1}/{config.steps} loss {np.mean(losses[-10:]):.4f}")
    train_seconds = time.monotonic() - started

    say(config.steps, config.steps, "measuring on held-out frames")
    metrics: dict[str, float] = {
        "val_psnr": evaluate(model, val_inputs, val_truth, val_masks, device),
        "baseline_psnr": evaluate(build_model(model_cfg).to(device), val_inputs, val_truth, val_masks, device),
        "train_loss_first": float(np.mean(losses[:10])) if losses else float("nan"),
        "train_loss_last": float(np.mean(losses[-10:])) if losses else float("nan"),
        "train_seconds": round(train_seconds, 2),
    }
    current_metrics = None
    if parent_state is not None:
        ref = build_model(model_cfg).to(device)
        ref.load_state_dict(parent_state)
        metrics["parent_psnr"] = evaluate(ref, val_inputs, val_truth, val_masks, device)
        current_metrics = {registry.PROMOTE_METRIC: metrics["parent_psnr"]}
    version, promoted = None, False
    if register_model:
        data = {"shots": bank.shot_names, "train_patches": int(len(bank.patches)),
                "val_patches": int(len(val_truth)), "prefill": model_cfg.prefill, "patch": config.patch, "batch": config.batch,
                "train_seed_base": TRAIN_SEED_BASE, "device": device}
        version = registry.register(store, TASK, model.cpu(), steps=config.steps, metrics=metrics, data=data,
                                    parent=parent, config=model_cfg.to_dict())
        if registry.should_promote(metrics, current_metrics):
            registry.promote(store, TASK, version)
            promoted = True
    ckpt_path.unlink(missing_ok=True)
    return TrainResult(version, promoted, config.steps, start, parent, metrics,
                       round(time.monotonic() - started, 2))
