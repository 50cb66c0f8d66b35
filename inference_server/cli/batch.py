"""`rushes batch PLAN.toml`: a night of dailies on this machine, on Ray, or exported to a farm."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from inference_server.batch import execute
from inference_server.batch.graph import Task, build_tasks, find_task
from inference_server.batch.local import run_local
from inference_server.batch.opencue import export_opencue
from inference_server.batch.openjd import export_openjd
from inference_server.batch.plan import Plan, load_plan
from inference_server.batch.ray_engine import run_ray
from inference_server.batch.report import write_report
from inference_server.cli.common import progress_bar


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("batch", help="run a night's plan (ingest, train, repairs, looks) or export it to a farm",
                       description="Run the plan's tasks (ingest -> train -> repairs and looks, per shot and "
                                   "frame chunk) here or on a Ray cluster, or export them as an Open Job "
                                   "Description template or an OpenCue job. Writes report.json and report.html "
                                   "in the plan's report folder.")
    p.add_argument("plan", metavar="PLAN.toml", help="the night's plan")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="where to run (default local)")
    p.add_argument("--address", metavar="ADDR", help="with --engine ray: the cluster (default: start one here)")
    p.add_argument("--resume", action="store_true", help="skip tasks whose outputs are complete for the same inputs")
    p.add_argument("--export", choices=("openjd", "opencue"), help="write a farm job instead of running")
    p.add_argument("--out", metavar="DIR", help="with --export: folder for the job files")
    p.add_argument("--jobs", type=int, help="local engine: tasks at once (default: one per GPU, else 1)")
    p.add_argument("--server", help="daemon URL for the tasks (default: the CLI's rule, else in-process)")
    p.add_argument("--task", metavar="ID", help="run one task of the plan (what farm jobs call)")
    p.add_argument("--report", action="store_true", help="only (re)write the report from the tasks' results")
    p.add_argument("--dry-run", action="store_true", help="check the plan and list its tasks; run nothing")
    p.set_defaults(func=batch)


def _check_args(args: argparse.Namespace) -> None:
    if args.address and args.engine != "ray":
        raise ValueError("--address is for --engine ray")
    if bool(args.export) != bool(args.out):
        raise ValueError("--export and --out go together: rushes batch PLAN.toml --export openjd|opencue --out DIR")
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs should be 1 or more, got {args.jobs}")
    modes = [m for m in ("export", "task", "report", "dry_run") if getattr(args, m)]
    if len(modes) > 1:
        raise ValueError(f"choose one of --export, --task, --report, --dry-run (got {', '.join(modes)})")


def batch(args: argparse.Namespace) -> int:
    _check_args(args)
    plan = load_plan(args.plan)
    tasks = build_tasks(plan)   # every input checked before anything runs
    if args.dry_run:
        for t in tasks:
            print(f"{t.stage:<8} {t.id:<40} rushes {' '.join(t.argv)}")
        return 0
    if args.export:
        return _export(args, plan, tasks)
    if args.report:
        report = write_report(plan, tasks, engine="farm")
        print(f"report: {plan.report / 'report.html'} ({_counts(report['counts'])})")
        return 0 if report["ok"] else 1
    if args.task:
        def _cancel(signum: int, frame: object) -> None:  # a farm's cancel: clean up the task's staging
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _cancel)

        result = execute.run_task(plan, find_task(tasks, args.task), resume=args.resume, server=args.server)
        print(f"{result['id']}: {result['status']}" + (f": {result['error']}" if result.get("error") else ""),
              file=sys.stderr)
        return 0 if result["status"] in ("done", "skipped") else 1
    start = time.perf_counter()
    with progress_bar(f"batch {plan.project}") as update:
        if args.engine == "ray":
            run_ray(plan, tasks, address=args.address, resume=args.resume, server=args.server, progress=update)
        else:
            run_local(plan, tasks, resume=args.resume, server=args.server, jobs=args.jobs, progress=update)
    report = write_report(plan, tasks, engine=args.engine, wall_seconds=time.perf_counter() - start)
    for shot in report["shots"]:
        if shot["errors"]:
            print(f"  {shot['kind']} {shot['shot']}: {shot['errors'][0]}", file=sys.stderr)
    print(f"{len(tasks)} task(s): {_counts(report['counts'])}; report: {plan.report / 'report.html'}")
    return 0 if report["ok"] else 1


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def _export(args: argparse.Namespace, plan: Plan, tasks: list[Task]) -> int:
    if args.export == "openjd":
        written = export_openjd(plan, tasks, Path(args.out))
    else:
        written = export_opencue(plan, tasks, Path(args.out))
    for path in written:
        print(f"wrote {path}")
    return 0
