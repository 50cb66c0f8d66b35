"""`rushes install service|nuke|resolve` and `rushes uninstall service|nuke|resolve`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from inference_server.install import ops
from inference_server.install.manifest import load_manifest
from inference_server.install.paths import current_os, layout_for, this_machine
from inference_server.install.sources import find_sources
from inference_server.install.wheels import NUKE_PYTHONS, RESOLVE_PYTHONS, parse_versions

KINDS = ("service", "nuke", "resolve")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("install", help="install the daemon as a user service, or the Nuke / Resolve plugins",
                       description="Install Rushes on this workstation. Every file written is recorded in a "
                                   "manifest so that `rushes uninstall` removes exactly what was added.")
    p.add_argument("what", choices=KINDS, help="service: the daemon at login; nuke / resolve: the host plugins")
    _common(p)
    p.add_argument("--bundle", type=Path, help="an unpacked offline bundle (installers/make_bundle.py)")
    p.add_argument("--source", type=Path, help="take plugins and templates from this checkout")
    p.add_argument("--wheelhouse", type=Path, help="folder of pyzmq/msgpack wheels (default: the bundle's wheels/)")
    p.add_argument("--python-versions", help="host Pythons to install wheels for "
                                             "(nuke default 3.9,3.10,3.11; resolve 3.10,3.11,3.12)")
    p.add_argument("--python", help="service: interpreter that runs the daemon (default: this one)")
    p.add_argument("--listen", help="service: URL the daemon binds")
    p.add_argument("--device", help="service: auto, cpu, cuda or cuda:N")
    p.add_argument("--store", help="service: project store folder")
    p.add_argument("--os", dest="target_os", choices=("linux", "macos", "windows"),
                   help="with --dry-run: show what would be written on another OS")
    p.add_argument("--force", action="store_true", help="overwrite files rushes did not install")
    p.set_defaults(func=install_cmd)
    u = sub.add_parser("uninstall", help="remove exactly what `rushes install` added")
    u.add_argument("what", choices=KINDS)
    _common(u)
    u.set_defaults(func=uninstall_cmd)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")
    p.add_argument("--nuke-path", type=Path, help="nuke: a studio NUKE_PATH folder to use instead of ~/.nuke")
    p.add_argument("--no-start", action="store_true",
                   help="service: write the files only; do not register, start or stop the service")
    p.add_argument("--json", action="store_true", help="print a JSON summary")


def _layout(target_os: str | None, dry_run: bool):  # type: ignore[no-untyped-def]
    here = current_os()
    if target_os and target_os != here:
        if not dry_run:
            raise ValueError(f"this machine runs {here}; install for {target_os} on that machine "
                             f"(or add --dry-run to see what would be written there)")
        user = os.environ.get("USER") or os.environ.get("USERNAME") or "artist"
        home = {"windows": f"C:\\Users\\{user}", "macos": f"/Users/{user}"}.get(target_os, f"/home/{user}")
        return layout_for(target_os, home, {})  # type: ignore[arg-type]
    return this_machine()


def install_cmd(args: argparse.Namespace) -> int:
    layout = _layout(args.target_os, args.dry_run)
    if args.nuke_path is not None:
        args.nuke_path = args.nuke_path.expanduser().absolute()
    sources = find_sources(bundle=args.bundle, source=args.source, wheelhouse=args.wheelhouse)
    default = NUKE_PYTHONS if args.what == "nuke" else RESOLVE_PYTHONS
    pythons = parse_versions(args.python_versions) if args.python_versions else default
    plan = ops.make_plan(args.what, layout, sources, pythons=pythons, nuke_root=args.nuke_path,
                         python=args.python, listen=args.listen, device=args.device, store=args.store)
    if args.dry_run:
        if args.json:
            print(json.dumps({"dry_run": True, "writes": [str(f.dest) for f in plan.files],
                              "line": list(map(str, plan.line)) if plan.line else None,
                              "commands": plan.commands, "notes": plan.notes}, indent=2))
        else:
            print(plan.describe())
            if args.what == "service":
                print("\n--- " + str(plan.files[0].dest) + " ---")
                data = plan.files[0].content()
                print(data.decode("utf-16" if layout.os == "windows" else "utf-8"))
        return 0
    outcome = ops.install(plan, layout, sources, nuke_root=args.nuke_path, start=not args.no_start,
                          force=args.force)
    if args.json:
        print(json.dumps(ops.summary(outcome), indent=2))
    else:
        m = outcome.manifest
        assert m is not None
        print(f"rushes {args.what} {sources.version} installed: {len(m.files)} files under {plan.root}")
        if m.lines:
            print(f"  added to {m.lines[0].path}: {m.lines[0].line}")
        if args.what in ("nuke", "resolve"):
            print(f"  host Pythons: {', '.join(pythons)}")
        if args.what == "service":
            print(f"  logs: {plan.info['log_file']} (rotated at 10 MB, 5 kept)")
            if args.no_start:
                print("  not started (--no-start); to start it: " + "; ".join(" ".join(c) for c in plan.commands))
        for note in plan.notes:
            print(f"  note: {note}")
        print(f"  manifest: {outcome.manifest_path}")
    for problem in outcome.problems:
        print(f"rushes: warning: {problem}")
    if outcome.problems:
        print("rushes: the service file is in place but the service was not started; when a user session "
              "is available, run: " + "; ".join(" ".join(c) for c in plan.commands))
    return 1 if outcome.problems else 0


def uninstall_cmd(args: argparse.Namespace) -> int:
    layout = _layout(None, args.dry_run)
    if args.nuke_path is not None:
        args.nuke_path = args.nuke_path.expanduser().absolute()
    if args.dry_run:
        path = ops.manifest_path(layout, args.what, args.nuke_path)
        manifest = load_manifest(path)
        if manifest is None:
            raise FileNotFoundError(f"rushes {args.what} is not installed here (no manifest at {path})")
        lines = [f"rushes uninstall {args.what}: {manifest.root}"]
        lines += ["  run " + " ".join(c) for c in manifest.uninstall_commands if not args.no_start]
        lines += [f"  remove {f.path}" for f in manifest.files]
        lines += [f"  remove from {ln.path}: {ln.line}" for ln in manifest.lines]
        lines += [f"  remove folder if empty {d}" for d in sorted(manifest.dirs, key=len, reverse=True)]
        print("\n".join(lines))
        return 0
    outcome = ops.remove(args.what, layout, nuke_root=args.nuke_path, stop=not args.no_start)
    if args.json:
        print(json.dumps(ops.summary(outcome), indent=2))
    else:
        m = outcome.manifest
        assert m is not None
        print(f"rushes {args.what} uninstalled: {len(m.files)} files removed from {m.root}")
        for left in outcome.left_behind:
            print(f"  left: {left}")
    for problem in outcome.problems:
        print(f"rushes: warning: {problem}")
    return 1 if outcome.problems else 0
