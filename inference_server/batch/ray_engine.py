"""The ``ray`` engine: the plan's tasks on a Ray cluster, stage by stage.

Resources: a GPU task asks for ``gpus`` Ray GPUs when the cluster has any (Ray then sets
``CUDA_VISIBLE_DEVICES`` in the worker, which the task's command inherits), else one unit of the
custom resource ``gpu_slot`` when the nodes declare it (``ray start --resources '{"gpu_slot": 1}'``),
else one CPU. A task on a node that is lost is retried elsewhere by Ray (``max_retries``); the
retry takes over the task's claim, which the dead worker can no longer hold.

Ray is optional (``pip install 'rushes[ray]'``) and imported only here, inside the functions.
Usage reporting is turned off. Without ``address`` a one-node cluster is started on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from inference_server.batch import execute
from inference_server.batch.graph import Task, stages
from inference_server.batch.local import blocked, stage_failure
from inference_server.batch.plan import Plan

GPU_SLOT = "gpu_slot"
MAX_RETRIES = 3
ProgressFn = Callable[[int, int, str], None]


def _execute(plan: Plan, task: Task, resume: bool, server: str | None) -> dict[str, Any]:
    """What runs in a Ray worker: the task under its claim, named after the node it ran on."""
    import socket

    import ray

    node = ray.get_runtime_context().get_node_id()
    worker = f"ray:{node[:12]}@{socket.gethostname()}:{os.getpid()}"
    return execute.run_task(plan, task, resume=resume, server=server, worker=worker)


def task_options(task: Task, plan: Plan, resources: dict[str, float]) -> dict[str, Any]:
    """Ray options for ``task`` on a cluster offering ``resources`` (see the module doc)."""
    opts: dict[str, Any] = {"max_retries": MAX_RETRIES, "retry_exceptions": False, "num_cpus": 1}
    if task.gpu and resources.get("GPU", 0) >= max(plan.gpus, 1):
        opts["num_gpus"] = max(plan.gpus, 1)
    elif task.gpu and resources.get(GPU_SLOT, 0) >= 1:
        opts["resources"] = {GPU_SLOT: 1}
        opts["num_cpus"] = 0
    return opts


def connect(address: str | None) -> bool:
    """Connect to the cluster at ``address`` (or start one here); True when this call started Ray."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'rushes[ray]'") from None
    if ray.is_initialized():
        return False
    if not address:
        ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
        return True
    if _is_loopback(address):
        # Ray swaps a loopback address for the IP it probes on the outward route, where a cluster
        # started on 127.0.0.1 does not listen; its own switch for that (read at import as
        # RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER) only steers that choice in this driver.
        import ray._private.ray_constants as ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
        ray.init(address=address, _node_ip_address="127.0.0.1", log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)
    return True


def _is_loopback(address: str) -> bool:
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def run_ray(plan: Plan, tasks: list[Task], *, address: str | None = None, resume: bool = False,
            server: str | None = None, progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Run every task on the cluster; returns one result per task, in the tasks' order."""
    import ray

    started = connect(address)
    try:
        remote = ray.remote(_execute)
        resources = dict(ray.cluster_resources())
        results: dict[str, dict[str, Any]] = {}
        why = ""
        done = 0
        for group in stages(tasks):
            if why:
                for task in group:
                    results[task.id] = blocked(plan, task, why)
                continue
            refs = {remote.options(**task_options(t, plan, resources)).remote(plan, t, resume, server): t
                    for t in group}
            pending = list(refs)
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                task = refs[ready[0]]
                try:
                    result = ray.get(ready[0])
                except Exception as exc:  # a worker or node lost more often than Ray retries
                    result = {"id": task.id, "kind": task.kind, "stage": task.stage, "shot": task.shot,
                              "chunk": task.chunk, "frames": len(task.frames), "status": "failed",
                              "error": f"Ray could not run the task: {type(exc).__name__}: {str(exc)[:300]}"}
                results[task.id] = result
                done += 1
                if progress is not None:
                    progress(done, len(tasks), f"{task.id} {result['status']}")
            why = stage_failure([results[t.id] for t in group])
        return [results[t.id] for t in tasks]
    finally:
        if started:
            ray.shutdown()
