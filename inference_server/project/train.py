"""Train the project's wire network: warm start, checkpoints, progress, cancel, registry.

``train_wire_removal(store)`` reads patch banks for the project's training and held-out frames,
starts from the promoted version when there is one, and trains the network to find synthetic
wires drawn over the training patches (fresh wires every step), and, when the project has
artist pairs (``pairs.py``), the real wires its artists painted out. It then repairs held-out
patches the way the wire repair does (the matte, then the classical fill inside it) and
measures PSNR inside the hint for the new model, the version it started from and the untuned
repair (the classical matte), registers the new version and promotes it only if it beats the
current one (or, with no current one, the untuned repair).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from inference_server.devices import parse_device
from inference_server.engines.metrics import psnr
from inference_server.engines.wire.matte import refine_wire_matte
from inference_server.engines.wire.spatial import fill_spatial
from inference_server.fileio import atomic_write
from inference_server.project import registry
from inference_server.project.net import ModelConfig, WireNet, build_model, matte_loss
from inference_server.project.pairs import PairBank, build_pair_bank, pair_sample
from inference_server.project.patches import (
    TRAIN_SEED_BASE,
    PatchBank,
    ValidationSet,
    build_patch_bank,
    draw_training_wire,
    validation_set,
)
from inference_server.project.serving import network_view
from inference_server.project.store import ProjectStore

TASK = "wire_removal"
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1300
    batch: int = 8
    patch: int = 64
    lr: float = 2e-3
    frames_per_shot: int = 6
    crops_per_frame: int = 12
    val_frames_per_shot: int = 3
    checkpoint_every: int = 100
    pos_weight: float = 4.0  # a missed wire pixel costs this many background pixels in the loss
    pair_share: float = 0.25  # of each batch, from the project's artist pairs when it has any
    seed: int = 0
    threads: int = 0         # torch CPU threads; 0 = every core
    model: ModelConfig = field(default_factory=ModelConfig)

    def key(self) -> str:
        d = asdict(self)
        d.pop("checkpoint_every")
        d.pop("threads")
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


SMOKE = TrainConfig()  # about 2 min on 2 CPU cores
FULL = TrainConfig(steps=20_000, batch=16, patch=96, lr=1e-3, frames_per_shot=40, crops_per_frame=16,
                   val_frames_per_shot=8, checkpoint_every=500, model=ModelConfig(base=32, depth=4))


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


def _batch(bank: PatchBank, cfg: TrainConfig, step: int,
           pairs: PairBank | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (B,3,P,P), hints (B,1,P,P), alphas (B,1,P,P)) float32: fresh wires over fresh crops
    (and, with artist pairs, ``pair_share`` of the batch from them), the same for the same step
    (so a resumed run sees what the stopped one would have)."""
    rng = np.random.default_rng([TRAIN_SEED_BASE + cfg.seed, 0, step])
    n_pairs = int(round(cfg.batch * cfg.pair_share)) if pairs is not None else 0
    crops = bank.sample(cfg.batch - n_pairs, cfg.patch, rng).transpose(0, 2, 3, 1)
    drawn = [draw_training_wire(network_view(np.rot90(c, int(rng.integers(0, 4)))), rng) for c in crops]
    drawn += [pair_sample(pairs, cfg.patch, rng) for _ in range(n_pairs)] if pairs is not None else []
    images = np.stack([d[0] for d in drawn]).transpose(0, 3, 1, 2)
    hints, alphas = np.stack([d[1] for d in drawn])[:, None], np.stack([d[2] for d in drawn])[:, None]
    return np.ascontiguousarray(images), hints, alphas


def predict_mattes(model: WireNet, plates: np.ndarray, hints: np.ndarray, device: str = "cpu") -> np.ndarray:
    """The model's mattes (N, S, S) for plates (N, S, S, 3) and hints (N, S, S); S a multiple of the model's."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(plates), 16):
            x = torch.from_numpy(np.ascontiguousarray(plates[i:i + 16].transpose(0, 3, 1, 2))).to(device)
            h = torch.from_numpy(np.ascontiguousarray(hints[i:i + 16, None])).to(device)
            out.append(model(x, h)[:, 0].cpu().numpy())
    model.train()
    return np.concatenate(out)


def repair_psnr(val: ValidationSet, mattes: np.ndarray | None) -> float:
    """PSNR inside the hints of the repair with these mattes (None: the classical matte), the
    classical fill bridging each matte and the plate composited over it as the wire repair does."""
    out = np.empty_like(val.truth)
    for i, (plate, hint) in enumerate(zip(val.plates, val.hints, strict=True)):
        m = refine_wire_matte(plate, hint) if mattes is None else mattes[i]
        fill = fill_spatial(plate, (m > 1e-3).astype(np.float32)) if (m > 1e-3).any() else plate
        out[i] = plate * (1.0 - m[..., None]) + fill * m[..., None]
    return psnr(out, val.truth, val.hints)


def pick_threads(requested: int = 0) -> int:
    """Torch intra-op threads: ``requested``, or (0) every core this process may run on.

    (Guessing the idle cores from the load average misfired: right after any other job it
    halved the threads on a 2-core machine and doubled the training time.)
    """
    if requested > 0:
        return requested
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
    if parse_device(device).kind == "cpu":
        torch.set_num_threads(pick_threads(config.threads))
    try:
        return _train(store, config, device, progress, should_cancel, register_model)
    finally:
        torch.set_num_threads(previous)


class _Data(NamedTuple):
    bank: PatchBank               # training crops from the project's dailies
    val: ValidationSet            # held-out frames with synthetic wires
    pairs: PairBank | None        # crops from the artists' painted fixes
    pair_count: int


class _Start(NamedTuple):
    model: WireNet
    model_cfg: ModelConfig
    config: TrainConfig           # with the parent's network shape when training continues from it
    parent: str | None            # the promoted version trained from (None: from scratch)
    parent_state: dict[str, Any] | None


def _training_data(store: ProjectStore, config: TrainConfig, say: ProgressFn) -> _Data:
    """The patch banks (train, held-out) and the artist pairs the catalog lists."""
    say(0, config.steps, "reading training frames")
    bank = build_patch_bank(store, "train", config.frames_per_shot, config.crops_per_frame, seed=config.seed)
    val_bank = build_patch_bank(store, "val", config.val_frames_per_shot, 8, seed=config.seed)
    val = validation_set(val_bank)
    with store.catalog() as cat:
        pair_rows = [(str(r["plate"]), str(r["fix"])) for r in cat.pairs()]
    if pair_rows:
        say(0, config.steps, f"reading {len(pair_rows)} artist pair(s)")
    pairs = build_pair_bank(pair_rows, config.frames_per_shot, config.crops_per_frame, seed=config.seed)
    return _Data(bank, val, pairs, len(pair_rows))


def _start_model(store: ProjectStore, config: TrainConfig, device: str, say: ProgressFn) -> _Start:
    """The network to train: the promoted version's weights and shape when there is one, else fresh."""
    import torch

    parent = registry.current_version(store, TASK)
    model_cfg = config.model
    parent_state = None
    if parent is not None:
        parent_state, parent_cfg = registry.load_weights(store, TASK, parent)
        try:
            model_cfg = ModelConfig(**parent_cfg)
        except TypeError:  # a version from before the wire network: nothing to start from
            say(0, config.steps, f"{parent} is an older kind of model; training from scratch")
            parent_state = None
        else:
            config = replace(config, model=model_cfg)
    torch.manual_seed(TRAIN_SEED_BASE + config.seed)  # the same data and start give the same model
    model = build_model(model_cfg).to(device)
    if parent_state is not None:
        model.load_state_dict(parent_state)
    return _Start(model, model_cfg, config, parent, parent_state)


def _fit(start: _Start, data: _Data, device: str, ckpt_path: Path, run_key: str, say: ProgressFn,
         should_cancel: Callable[[], bool] | None) -> tuple[int, list[float]]:
    """The optimisation loop, resumed from a checkpoint of the same run; (first step, losses)."""
    import torch

    model, config = start.model, start.config
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr * 0.1)
    first = 0
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=True)
        if ckpt.get("run_key") == run_key:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["opt"])
            sched.load_state_dict(ckpt["sched"])
            first = int(ckpt["step"])

    def checkpoint(step: int) -> None:
        _save_checkpoint(ckpt_path, {"run_key": run_key, "step": step, "model": model.state_dict(),
                                     "opt": opt.state_dict(), "sched": sched.state_dict()})

    model.train()
    losses: list[float] = []
    for step in range(first, config.steps):
        if should_cancel is not None and should_cancel():
            checkpoint(step)
            raise TrainingCancelled(step, str(ckpt_path))
        images, hints, alphas = (torch.from_numpy(a).to(device) for a in _batch(data.bank, config, step, data.pairs))
        loss = matte_loss(model, images, hints, alphas, config.pos_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if (step + 1) % config.checkpoint_every == 0 and step + 1 < config.steps:
            checkpoint(step + 1)
        if (step + 1) % 10 == 0 or step + 1 == config.steps:
            say(step + 1, config.steps, f"step {step + 1}/{config.steps} loss {np.mean(losses[-10:]):.4f}")
    return first, losses


def _measure(start: _Start, val: ValidationSet, device: str, losses: list[float],
             train_seconds: float) -> tuple[dict[str, float], dict[str, float] | None]:
    """Held-out PSNR of the trained model, the untuned repair and (when there is one) the parent;
    returns (metrics, the current model's metrics for the promotion rule)."""
    metrics: dict[str, float] = {
        "val_psnr": repair_psnr(val, predict_mattes(start.model, val.plates, val.hints, device)),
        "baseline_psnr": repair_psnr(val, None),
        "train_loss_first": float(np.mean(losses[:10])) if losses else float("nan"),
        "train_loss_last": float(np.mean(losses[-10:])) if losses else float("nan"),
        "train_seconds": round(train_seconds, 2),
    }
    if start.parent_state is None:
        return metrics, None
    ref = build_model(start.model_cfg).to(device)
    ref.load_state_dict(start.parent_state)
    metrics["parent_psnr"] = repair_psnr(val, predict_mattes(ref, val.plates, val.hints, device))
    return metrics, {registry.PROMOTE_METRIC: metrics["parent_psnr"]}


def _register(store: ProjectStore, start: _Start, data: _Data, device: str, metrics: dict[str, float],
              current_metrics: dict[str, float] | None) -> tuple[str, bool]:
    """Register the trained model as a new version; promote it when it beats the current one."""
    config = start.config
    info = {"shots": data.bank.shot_names, "train_patches": int(len(data.bank.patches)),
            "artist_pairs": data.pair_count, "pair_patches": len(data.pairs) if data.pairs is not None else 0,
            "val_patches": int(len(data.val.truth)), "patch": config.patch, "batch": config.batch,
            "train_seed_base": TRAIN_SEED_BASE, "device": device}
    version = registry.register(store, TASK, start.model.cpu(), steps=config.steps, metrics=metrics, data=info,
                                parent=start.parent, config=start.model_cfg.to_dict())
    if not registry.should_promote(metrics, current_metrics):
        return version, False
    registry.promote(store, TASK, version)
    return version, True


def _train(store: ProjectStore, config: TrainConfig, device: str, progress: ProgressFn | None,
           should_cancel: Callable[[], bool] | None, register_model: bool) -> TrainResult:
    import torch

    if config.steps < 1:
        raise ValueError(f"steps must be at least 1, got {config.steps}")
    if parse_device(device).is_cuda and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but torch sees no CUDA device; use --device cpu")
    started = time.monotonic()
    say = progress or (lambda d, t, m: None)
    data = _training_data(store, config, say)
    start = _start_model(store, config, device, say)
    config = start.config
    ckpt_path = store.cache_dir / "train" / TASK / "checkpoint.pt"
    run_key = (f"{config.key()}-{start.parent}-{hashlib.sha1(data.bank.patches[:4].tobytes()).hexdigest()[:8]}"
               f"-{data.pair_count}")
    first, losses = _fit(start, data, device, ckpt_path, run_key, say, should_cancel)
    train_seconds = time.monotonic() - started

    say(config.steps, config.steps, "measuring on held-out frames")
    metrics, current_metrics = _measure(start, data.val, device, losses, train_seconds)
    version, promoted = None, False
    if register_model:
        version, promoted = _register(store, start, data, device, metrics, current_metrics)
    ckpt_path.unlink(missing_ok=True)
    return TrainResult(version, promoted, config.steps, first, start.parent, metrics,
                       round(time.monotonic() - started, 2))
