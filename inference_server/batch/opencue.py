"""Export a plan as an OpenCue job, built with ``opencue-pyoutline`` and serialised to the job-spec XML.

Layers: ``ingest`` (frame i runs ``ingest.i``), ``train``, one layer per repair or look shot and
a ``report`` layer. A wire-removal layer's range is the shot's frames and its chunk the plan's
chunk, so each dispatched frame ``#IFRAME#`` is the first frame of one batch task
(``--task wire_remove.A001@#IFRAME#``). GPU layers carry ``gpus``/``gpu_memory`` and run through
``rushes-cue-wrap``, which turns the GPUs RQD booked for the frame (``CUE_GPU_CORES``) into
``CUDA_VISIBLE_DEVICES``. Dependencies are layer on layer: train on ingest, every shot on train
(or ingest), report on every shot. pyoutline is imported here only (the daemon never needs it).

Writes ``job.xml`` (submit with ``opencue.api.launchSpec(open("job.xml").read())``), the
plan's snapshot ``plan.toml`` and the wrapper.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from inference_server.batch.execute import write_shared
from inference_server.batch.graph import Task
from inference_server.batch.plan import Plan, dump_plan
from inference_server.fileio import atomic_write

WRAPPER = "rushes-cue-wrap"
SERVICE = "rushes"
WRAPPER_TEXT = """#!/usr/bin/env bash
# OpenCue GPU wrapper: RQD books GPUs for a frame and lists them in CUE_GPU_CORES ("0,1");
# CUDA (torch, onnxruntime) reads CUDA_VISIBLE_DEVICES, numbered as nvidia-smi numbers them.
set -euo pipefail
cores="${CUE_GPU_CORES:-}"
cores="${cores// /}"
if [ -n "$cores" ]; then
  if ! [[ "$cores" =~ ^[0-9]+(,[0-9]+)*$ ]]; then
    echo "rushes-cue-wrap: CUE_GPU_CORES=$CUE_GPU_CORES is not a list of GPU numbers" >&2; exit 2
  fi
  export CUDA_DEVICE_ORDER=PCI_BUS_ID
  export CUDA_VISIBLE_DEVICES="$cores"
fi
exec "$@"
"""


def _layer_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _memory(text: str) -> str:
    """``8G`` -> ``8g`` (pyoutline's memory strings)."""
    return text.strip().lower().rstrip("b")


def build_outline(plan: Plan, tasks: list[Task], plan_copy: Path, wrapper: Path, rushes: str = "rushes",
                  show: str | None = None, shot: str = "dailies", user: str | None = None) -> Any:
    """The pyoutline ``Outline`` of the job (see the module doc)."""
    import outline
    import outline.depend
    import outline.modules.shell as shell

    LayerOnLayer = outline.depend.DependType.LayerOnLayer  # noqa: N806
    ol = outline.Outline(f"rushes_{_layer_name(plan.project)}", shot=shot, show=show or plan.project,
                         user=user)
    base = [*shlex.split(rushes), "batch", str(plan_copy), "--resume", "--task"]

    def add(name: str, task_arg: str, frames: str, chunk: int, gpu: bool) -> Any:
        cmd = [str(wrapper), *base, task_arg] if gpu else [*base, task_arg]
        args: dict[str, Any] = {"command": shlex.join(cmd), "range": frames, "chunk": chunk, "service": SERVICE,
                                "cores": float(plan.cpus)}
        if gpu:
            args["gpus"] = max(plan.gpus, 1)
            args["gpu_memory"] = _memory(plan.gpu_memory) if plan.gpu_memory else "1g"
        layer = shell.Shell(_layer_name(name), **args)
        ol.add_layer(layer)
        return layer

    before = []
    ingest = [t for t in tasks if t.stage == "ingest"]
    if ingest:
        before = [add("ingest", "ingest.#IFRAME#", f"1-{len(ingest)}", 1, False)]
    if any(t.stage == "train" for t in tasks):
        train = add("train", "train", "1-1", 1, True)
        for dep in before:
            train.depend_on(dep, LayerOnLayer)
        before = [train]
    shots: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for task in tasks:
        if task.stage != "repairs" or (task.kind, task.shot) in seen:
            continue
        seen.add((task.kind, task.shot))
        group = [t for t in tasks if (t.kind, t.shot) == (task.kind, task.shot)]
        if task.kind == "wire_remove":
            frames = [n for t in group for n in t.frames]
            layer = add(f"{task.kind}_{task.shot}", f"{task.kind}.{task.shot}@#IFRAME#",
                        f"{frames[0]}-{frames[-1]}", len(group[0].frames), True)
        else:
            layer = add(f"{task.kind}_{task.shot}", task.id, "1-1", 1, task.gpu)
        for dep in before:
            layer.depend_on(dep, LayerOnLayer)
        shots.append(layer)
    report = shell.Shell("report", command=shlex.join([*shlex.split(rushes), "batch", str(plan_copy), "--report"]),
                         range="1-1", chunk=1, service=SERVICE, cores=1.0)
    ol.add_layer(report)
    for dep in shots or before:
        report.depend_on(dep, LayerOnLayer)
    return ol


def job_spec(ol: Any) -> str:
    """The OpenCue job-spec XML of outline ``ol`` (commands run as written, without pycuerun)."""
    import outline.cuerun
    from outline.backend import cue

    return str(cue.serialize_simple(outline.cuerun.OutlineLauncher(ol, pause=False)))


def export_opencue(plan: Plan, tasks: list[Task], out: Path, rushes: str = "rushes") -> list[Path]:
    """Write ``out/job.xml``, ``out/plan.toml`` and ``out/rushes-cue-wrap``; returns the files written."""
    import os

    try:
        import outline  # noqa: F401
    except ImportError:
        raise ValueError("--export opencue needs OpenCue's pyoutline: pip install opencue-pyoutline "
                         "(not the unrelated PyPI 'pyoutline')") from None
    out = out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    plan_copy, wrapper = out / "plan.toml", out / WRAPPER
    write_shared(plan_copy, dump_plan(plan))
    atomic_write(wrapper, WRAPPER_TEXT.encode(), mode=0o755)
    spec = job_spec(build_outline(plan, tasks, plan_copy, wrapper, rushes, user=os.environ.get("USER") or None))
    write_shared(out / "job.xml", spec)
    return [out / "job.xml", plan_copy, wrapper]
