"""Daemon task ``train``: tune a project's model on its ingested dailies (progress, cancel, resume).

A cancelled job leaves a checkpoint in the project's cache (so does a killed one, every
``checkpoint_every`` steps; the catalog then shows it 'interrupted'); running the same job
again resumes from it. The summary names the new version, whether it was promoted and its metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference_server.frames import Frame
from inference_server.project.pairs import open_pair
from inference_server.project.store import open_project
from inference_server.tasks.base import Cancelled, Param, TaskContext, TaskInputError, TaskManifest

MANIFEST = TaskManifest(
    name="train",
    label="Train project model",
    description="Tune a repair model on this project's ingested dailies; promoted only if it beats the current one.",
    inputs=(),
    outputs=(),
    params=(
        Param("task", "choice", "wire_removal", "Model", "Which tool's model to tune.",
              choices=(("wire_removal", "Wire Removal"),)),
        Param("steps", "int", 0, "Training steps",
              "0: the configuration's (smoke 1300, about 2 min on 2 CPU cores; full 20000, for a GPU). "
              "More steps take longer and usually find wires better.", 0, 1_000_000),
        Param("project", "string", "", "Project",
              "Project name (default: the project the request was sent for)."),
        Param("pairs", "string", "", "Artist pairs",
              "JSON list of [plate, fix] sequence paths: a plate and the artist's own painted fix of it. "
              "They are recorded in the project and learned from by this and every later training."),
        Param("config", "choice", "smoke", "Configuration",
              "smoke: small and quick (CPU); full: bigger model and batches (GPU).",
              choices=(("smoke", "Smoke (small, CPU)"), ("full", "Full (GPU)"))),
    ),
    nan_policy="reject",
    long_running=True,
)


def run(inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    from dataclasses import replace

    from inference_server.project.train import FULL, SMOKE, TrainingCancelled, train_wire_removal  # torch: only when training

    project = params.get("project") or ctx.project
    if not project:
        raise TaskInputError("train needs a project: pass params project=NAME or send the request for a project")
    try:
        store = open_project(str(project), ctx.store, must_exist=True)
    except (ValueError, FileNotFoundError) as exc:
        raise TaskInputError(str(exc)) from exc
    new_pairs = _parse_pairs(str(params.get("pairs") or ""))
    with store.catalog() as cat:
        for plate, fix, frames in new_pairs:
            cat.add_pair(plate, fix, frames)
    base = FULL if params.get("config") == "full" else SMOKE
    config = replace(base, steps=int(params.get("steps") or base.steps))
    with store.catalog() as cat:
        job = cat.start_job("train", dict(params))

        def progress(done: int, total: int, message: str) -> None:
            ctx.progress(done, total, message)
            if done % 50 == 0 or done == total:
                cat.update_job(job, done=done, total=total, message=message)

        try:
            result = train_wire_removal(store, config, device=ctx.device, progress=progress,
                                        should_cancel=ctx.cancel_event.is_set)
        except TrainingCancelled as exc:
            cat.update_job(job, state="cancelled", message=str(exc))
            raise Cancelled(str(exc)) from exc
        except BaseException as exc:
            cat.update_job(job, state="failed", message=f"{type(exc).__name__}: {exc}")
            raise
        summary = {"project": store.name, "task": params.get("task", "wire_removal"), **result.to_dict()}
        cat.update_job(job, state="done", done=config.steps, total=config.steps, result=summary)
    return summary


def _parse_pairs(text: str) -> list[tuple[str, str, int]]:
    """[(plate, fix, frames)] from the ``pairs`` param, each checked; TaskInputError names what is wrong."""
    import json

    if not text.strip():
        return []
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise TaskInputError(f"pairs must be a JSON list of [plate, fix] paths: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 2 and all(isinstance(p, str) for p in i)
                                              for i in items):
        raise TaskInputError(f"pairs must be a JSON list of [plate, fix] paths, got {text[:200]!r}")
    out = []
    for plate, fix in items:
        try:
            out.append((plate, fix, len(open_pair(plate, fix)[0])))
        except ValueError as exc:
            raise TaskInputError(str(exc)) from exc
    return out
