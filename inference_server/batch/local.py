"""The ``local`` engine: the plan's tasks on this machine, stage by stage.

Within a stage, ``jobs`` tasks run at once (default: one per visible GPU, else one); each GPU
task sees only its own GPU through ``CUDA_VISIBLE_DEVICES``. A stage with a failed task blocks
the stages after it (as a farm's dependencies would); failed repairs never stop the others.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from inference_server.batch import execute
from inference_server.batch.graph import Task, stages
from inference_server.batch.plan import Plan

ProgressFn = Callable[[int, int, str], None]


def visible_gpus() -> list[str]:
    """GPU ids this process may use: CUDA_VISIBLE_DEVICES when set, else what `nvidia-smi -L` lists."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(ln for ln in out.splitlines() if ln.startswith("GPU "))]


def blocked(plan: Plan, task: Task, why: str) -> dict[str, Any]:
    """The result of a task not run because a stage before it failed (kept for the report)."""
    result = {"id": task.id, "kind": task.kind, "stage": task.stage, "shot": task.shot, "chunk": task.chunk,
              "frames": len(task.frames), "status": "blocked", "error": why, "command": ["rushes", *task.argv]}
    execute.write_shared(execute.state_dir(plan) / "results" / f"{task.id}.json", json.dumps(result, indent=1))
    return result


def stage_failure(results: list[dict[str, Any]]) -> str:
    bad = [r["id"] for r in results if r.get("status") in ("failed", "blocked")]
    return f"not run: {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} failed before it" if bad else ""


def run_local(plan: Plan, tasks: list[Task], *, resume: bool = False, server: str | None = None,
              jobs: int | None = None, progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Run every task here; returns one result per task, in the tasks' order."""
    gpus = visible_gpus()
    jobs = jobs or max(1, len(gpus))
    slots: queue.Queue[str | None] = queue.Queue()
    for i in range(jobs):
        slots.put(gpus[i % len(gpus)] if gpus else None)
    results: dict[str, dict[str, Any]] = {}
    done = 0

    def one(task: Task) -> dict[str, Any]:
        gpu = slots.get()
        try:
            env = {"CUDA_VISIBLE_DEVICES": gpu} if (gpu is not None and task.gpu) else {}
            return execute.run_task(plan, task, resume=resume, server=server, env=env)
        finally:
            slots.put(gpu)

    why = ""
    for group in stages(tasks):
        if why:
            for task in group:
                results[task.id] = blocked(plan, task, why)
                done += 1
            continue
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(one, group):
                results[result["id"]] = result
                done += 1
                if progress is not None:
                    progress(done, len(tasks), f"{result['id']} {result['status']}")
        why = stage_failure([results[t.id] for t in group])
    return [results[t.id] for t in tasks]
