"""`rushes ingest`, `rushes train wire-removal`, `rushes models`: the project store from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from inference_server.cli.common import add_server_arg, progress_bar, run_task
from inference_server.project import registry
from inference_server.project.ingest import ingest
from inference_server.project.store import default_store_root, open_project
from inference_server.tasks import train as train_task
from inference_server.tasks.base import TaskContext


def _add_store(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, help="project store root (default: the config's store, else the user data dir)")


def register(sub: Any) -> None:
    p = sub.add_parser("ingest", help="scan dailies into a project's catalog (sequences, movies, ALE sidecars)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders or files to scan")
    p.add_argument("--project", required=True, help="project name")
    _add_store(p)
    p.set_defaults(func=ingest_command)

    p = sub.add_parser("train", help="tune a project's model on its dailies")
    tunable, preset = train_task.MANIFEST.param("task"), train_task.MANIFEST.param("config")  # the task's choices
    p.add_argument("model", choices=[t.replace("_", "-") for t in tunable.values()], help="which tool's model to tune")
    p.add_argument("--project", required=True, help="project name")
    p.add_argument("--steps", type=int, help="training steps (default: the configuration's)")
    p.add_argument("--preset", choices=preset.values(), default=preset.default,
                   help=f"training preset: {'; '.join(f'{v}: {label}' for v, label in preset.choices)} "
                        f"(default {preset.default}). (The global `rushes --config FILE` is the TOML config.)")
    p.add_argument("--device", help="train here on this device (cpu, cuda, cuda:N) instead of the daemon")
    p.add_argument("--pair", nargs=2, action="append", metavar=("PLATE", "FIX"), default=[],
                   help="an artist pair to learn from: a plate sequence and the artist's painted fix of it "
                        "(repeatable; kept in the project for later trainings)")
    _add_store(p)
    add_server_arg(p)
    p.set_defaults(func=train_command)

    p = sub.add_parser("models", help="list a project's model versions with their metrics")
    p.add_argument("--project", help="project name (default: every project in the store)")
    p.add_argument("--promote", metavar="VERSION", help="serve this version from now on")
    p.add_argument("--rollback", action="store_true", help="go back to the previously promoted version")
    _add_store(p)
    p.set_defaults(func=models_command)


def ingest_command(args: argparse.Namespace) -> int:
    store = open_project(args.project, args.store)
    with progress_bar(f"ingest {args.project}") as update:
        report = ingest(args.paths, store, progress=update)
    s = report.summary()
    print(f"project {store.name} ({store.path}): {s['added']} added, {s['updated']} updated, "
          f"{s['unchanged']} unchanged, {s['sidecars']} sidecars, {s['failed']} failed")
    for path, err in report.failed.items():
        print(f"  failed: {path}: {err}", file=sys.stderr)
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def train_command(args: argparse.Namespace) -> int:
    store = open_project(args.project, args.store, must_exist=True)
    params: dict[str, Any] = {"task": args.model.replace("-", "_"), "project": store.name, "config": args.preset}
    if args.steps is not None:
        params["steps"] = args.steps
    if args.pair:
        params["pairs"] = json.dumps([[_absolute(p), _absolute(f)] for p, f in args.pair])
    with progress_bar(f"train {args.model} {store.name}") as update:
        if args.device and not args.server:
            ctx = TaskContext(device=args.device, store=store.root, project=store.name, on_progress=update)
            summary = train_task.run({}, train_task.MANIFEST.validate_params(params), ctx)
        else:
            # without --store the local daemon (if one answers) trains with its own store
            summary = run_task("train", {}, params, server=args.server, project=store.name, store=args.store,
                               on_progress=update)
    m = summary.get("metrics", {})
    state = ("promoted" if summary.get("promoted") else
             "kept, not promoted (it did not beat the current model, or the untuned repair when there is none)")
    print(f"{store.name} wire_removal {summary.get('version')}: {state}; held-out PSNR in region "
          f"{m.get('val_psnr', float('nan')):.2f} dB vs untuned {m.get('baseline_psnr', float('nan')):.2f} dB; "
          f"{summary.get('steps')} steps in {summary.get('seconds')} s")
    return 0


def _print_versions(project: str, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        m = r.get("metrics", {})
        mark = "*" if r.get("promoted") else " "
        print(f"{mark} {project:<20} {r['task']:<14} {r['version']:<6} steps {r['steps']:>6}  "
              f"held-out {m.get('val_psnr', float('nan')):6.2f} dB  untuned {m.get('baseline_psnr', float('nan')):6.2f} dB"
              f"  parent {r.get('parent') or '-'}")


def models_command(args: argparse.Namespace) -> int:
    if (args.promote or args.rollback) and not args.project:
        raise ValueError("--promote and --rollback need --project NAME")
    root = Path(args.store) if args.store else default_store_root()
    if args.project:
        projects = [open_project(args.project, root, must_exist=True)]
    else:
        projects = [open_project(d.name, root) for d in sorted(root.iterdir())
                    if (d / "catalog.sqlite").is_file()] if root.is_dir() else []
    task = "wire_removal"
    if args.promote:
        registry.promote(projects[0], task, args.promote)
        print(f"{projects[0].name} {task}: {args.promote} promoted")
    elif args.rollback:
        print(f"{projects[0].name} {task}: rolled back to {registry.rollback(projects[0], task)}")
    if not projects:
        print(f"no projects in {root}")
    for ps in projects:
        rows = registry.list_versions(ps, task)
        if not rows:
            print(f"  {ps.name:<20} {task:<14} no versions (rushes train wire-removal --project {ps.name})")
        _print_versions(ps.name, rows)
    return 0


def _absolute(spec: str) -> str:
    """A sequence spec with its folder made absolute (the daemon's working folder is not ours)."""
    return str(Path(spec).expanduser().absolute())
