"""`--engine ray` on a real two-node Ray cluster (on this machine): one node lost mid-run.

One cluster, kept small (1 CPU and one ``gpu_slot`` per node) so that it runs on CI's 2 cores.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inference_server.batch.graph import build_tasks
from inference_server.batch.plan import load_plan

from .conftest import assert_same_renders, renders, repairs_night

pytestmark = pytest.mark.slow


def _holders(claims: Path) -> list[dict[str, Any]]:
    out = []
    for p in claims.glob("*.lock"):
        try:
            text = p.read_text()
        except OSError:
            continue
        if text.strip():
            try:
                out.append({**json.loads(text), "task": p.stem})
            except ValueError:   # being written
                continue
    return out


def test_ray_spreads_tasks_over_two_nodes_and_finishes_a_lost_nodes_tasks(
        tmp_path: Path, reference_renders: dict[str, np.ndarray]) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is part of the dev install; CI has it")
    from ray.cluster_utils import Cluster

    from inference_server.batch.ray_engine import GPU_SLOT, run_ray

    night = repairs_night(tmp_path / "night")
    plan = load_plan(night.plan)
    tasks = build_tasks(plan)
    node_args: dict[str, Any] = {"num_cpus": 1, "resources": {GPU_SLOT: 1}, "node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, head_node_args={**node_args, "include_dashboard": False})
    lost: dict[str, Any] = {}
    try:
        doomed = cluster.add_node(**node_args)
        cluster.wait_for_nodes()
        doomed_id = doomed.node_id[:12]
        assert cluster.head_node is not None
        head_id = cluster.head_node.node_id[:12]

        def lose_the_node_mid_task() -> None:
            end = time.monotonic() + 180
            while time.monotonic() < end:
                held = [h for h in _holders(plan.report / "state" / "claims") if doomed_id in str(h.get("worker"))]
                if held:
                    time.sleep(0.3)   # well inside its task (each takes seconds)
                    lost["task"] = held[0]["task"]
                    cluster.remove_node(doomed, allow_graceful=False)
                    return
                time.sleep(0.05)

        remover = threading.Thread(target=lose_the_node_mid_task, daemon=True)
        remover.start()
        results = run_ray(plan, tasks, address=cluster.address)
        remover.join(10)
    finally:
        ray.shutdown()
        cluster.shutdown()

    assert [r["status"] for r in results] == ["done"] * len(tasks), results
    # GPU tasks held a gpu_slot (a custom resource): Ray sets no CUDA_VISIBLE_DEVICES for those
    assert {r["cuda_visible_devices"] for r in results} <= {None, ""}
    assert "task" in lost, "no task ever ran on the second node"
    history = [json.loads(line) for line in (plan.report / "state" / "history.jsonl").read_text().splitlines()]
    done_on = {h["id"]: h["worker"] for h in history if h["status"] == "done"}
    assert set(done_on) == {t.id for t in tasks}
    # the task the lost node held was finished by the head; nothing it started ever finished there
    assert head_id in done_on[lost["task"]]
    assert all(doomed_id not in str(h["worker"]) for h in history if h["id"] == lost["task"])
    assert not list((night.root / "renders").rglob(".rushes-stage*"))
    assert_same_renders(renders(night), reference_renders)
