"""`rushes batch` engines on one synthetic night: local vs Ray with two nodes, on this machine (issue 18).

The night: an ingest, four wire shots of 8 frames cut into 4-frame chunks (8 tasks), an object
removal and a look (no training: it would dominate and is the same on every engine). Each
engine renders a fresh copy. Printed per engine:

- wall: the run, from the first task submitted to the last result (Ray: plus connecting);
  the cluster's start is printed apart;
- task time: the sum of the tasks' own wall times (each a `rushes` command in a subprocess);
- in-task overhead per task: task time minus the compute the task itself reports
  (frames x its seconds per frame): process start, imports, reading and writing;
- scheduling overhead: wall x slots - task time, as a fraction of task time (what the engine
  costs on top of the tasks; 0 = the slots were busy all the time).

The machine is shared and small (2 cores): compare the engines' ratios, not the seconds.

    python bench/batch.py             # local with 1 and 2 slots, Ray with 2 nodes
    python bench/batch.py --no-ray
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference_server.batch.graph import build_tasks  # noqa: E402
from inference_server.batch.plan import load_plan  # noqa: E402
from inference_server.batch.synthetic import make_night  # noqa: E402


def night(root: Path) -> Path:
    return make_night(root, wire_shots=4, frames=8, train_steps=None, chunk=4).plan


def figures(name: str, wall: float, slots: int, results: list[dict[str, Any]]) -> None:
    bad = [r["id"] for r in results if r["status"] != "done"]
    if bad:
        print(f"{name}: {len(bad)} task(s) not done: {', '.join(bad)}")
    task_time = sum(float(r.get("seconds") or 0) for r in results)
    compute = sum(float(r.get("seconds_per_frame") or 0) * int(r.get("frames") or 0)
                  for r in results if (r.get("summary") or {}).get("seconds_per_frame") is not None)
    reported = [r for r in results if (r.get("summary") or {}).get("seconds_per_frame") is not None]
    in_task = (sum(float(r["seconds"]) for r in reported) - compute) / max(len(reported), 1)
    sched = wall * slots - task_time
    print(f"{name:<22} wall {wall:6.1f} s  tasks {len(results):2d}  task time {task_time:6.1f} s  "
          f"in-task overhead {in_task:4.2f} s/task  scheduling overhead {sched:6.1f} s "
          f"({sched / task_time:5.1%} of task time, {sched / len(results):4.2f} s/task)")


def run_local(root: Path, jobs: int) -> tuple[float, list[dict[str, Any]]]:
    from inference_server.batch.local import run_local as local

    plan = load_plan(night(root))
    tasks = build_tasks(plan)
    start = time.perf_counter()
    results = local(plan, tasks, jobs=jobs)
    return time.perf_counter() - start, results


def run_ray(root: Path) -> tuple[float, float, list[dict[str, Any]]]:
    import ray
    from ray.cluster_utils import Cluster

    from inference_server.batch.ray_engine import GPU_SLOT
    from inference_server.batch.ray_engine import run_ray as on_ray

    plan = load_plan(night(root))
    tasks = build_tasks(plan)
    args: dict[str, Any] = {"num_cpus": 1, "resources": {GPU_SLOT: 1}, "node_ip_address": "127.0.0.1"}
    start = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={**args, "include_dashboard": False})
    try:
        cluster.add_node(**args)
        cluster.wait_for_nodes()
        up = time.perf_counter() - start
        start = time.perf_counter()
        results = on_ray(plan, tasks, address=cluster.address)
        wall = time.perf_counter() - start
    finally:
        ray.shutdown()
        cluster.shutdown()
    return up, wall, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-ray", action="store_true", help="only the local engine")
    args = parser.parse_args()
    os.environ["RUSHES_SERVER"] = "tcp://127.0.0.1:1"   # tasks run in-process: no daemon on this machine
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    root = Path(tempfile.mkdtemp(prefix="rushes-bench-batch-"))
    try:
        print(f"machine: {os.cpu_count()} CPU(s); night: ingest, 4 wire shots x 8 frames in 4-frame chunks, "
              "an object removal, a look")
        wall, results = run_local(root / "local1", 1)
        figures("local, 1 slot", wall, 1, results)
        wall, results = run_local(root / "local2", 2)
        figures("local, 2 slots", wall, 2, results)
        if not args.no_ray:
            up, wall, results = run_ray(root / "ray")
            print(f"ray cluster (2 nodes) started in {up:.1f} s")
            figures("ray, 2 nodes x 1 slot", wall, 2, results)
            workers = {str(r.get("worker", "")).split("@")[0] for r in results}
            print(f"ray tasks ran on {len(workers)} node(s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
