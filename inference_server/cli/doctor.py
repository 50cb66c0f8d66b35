"""`rushes doctor`: one table saying whether this workstation is healthy; non-zero exit if not."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from inference_server.config import Config, default_config_path, default_server, load_config, store_path
from inference_server.engines.look.spaces import BUILTIN_CONFIG
from inference_server.install import checks
from inference_server.install.checks import Check
from inference_server.install.paths import this_machine

STYLE = {"ok": "green", "info": "cyan", "warn": "yellow", "fail": "bold red"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("doctor", help="check the daemon, GPU, libraries, store, models, plugins and config")
    p.add_argument("--server", help="daemon URL to check (default: RUSHES_SERVER, else the configured listen URL)")
    p.add_argument("--store", help="project store folder (default: from the config)")
    p.add_argument("--timeout", type=float, default=1.5, help="seconds to wait for the daemon (default 1.5)")
    p.add_argument("--json", action="store_true", help="print the checks as JSON instead of a table")
    p.set_defaults(func=doctor)


def gather(args: argparse.Namespace) -> list[Any]:
    """Every check, in table order."""
    rows: list[Check] = []
    try:
        cfg, sources = load_config({"store": args.store}, getattr(args, "config", None))
    except (ValueError, FileNotFoundError) as exc:
        cfg, sources = Config(), {}
        rows.append(Check("config", "fail", str(exc)))
    url = default_server(args.server or "", cfg)
    rows.append(checks.check_daemon(url, args.timeout, token=cfg.token))
    rows += checks.check_device(cfg.device)
    rows += checks.check_versions()
    rows.append(checks.check_ocio(BUILTIN_CONFIG))
    store = store_path(cfg)
    for name, run in (("store", lambda: [checks.check_store(store)]), ("models", lambda: checks.check_models(store)),
                      ("installs", lambda: checks.check_installs(this_machine()))):
        try:
            rows += run()
        except OSError as exc:   # unreadable folders: one failed row, the rest of the table still prints
            rows.append(Check(name, "fail", str(exc)))
    cfg_file = getattr(args, "config", None) or os.environ.get("RUSHES_CONFIG") or str(default_config_path())
    rows.append(Check("config file", "info", f"{cfg_file} ({'read' if os.path.isfile(cfg_file) else 'none there'})"))
    for name, value in vars(cfg).items():
        shown = "(set)" if name == "token" and value else repr(value)
        rows.append(Check(f"config: {name}", "info", f"{shown}  from {sources.get(name, 'default')}"))
    return rows


def doctor(args: argparse.Namespace) -> int:
    rows = gather(args)
    failed = [r for r in rows if r.status == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [r.to_dict() for r in rows]}, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="rushes doctor", show_lines=False)
        table.add_column("check", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("detail", overflow="fold")
        for r in rows:
            table.add_row(r.name, f"[{STYLE[r.status]}]{r.status}[/]", r.detail)
        console = Console()
        console.print(table)
        if failed:
            console.print(f"[bold red]{len(failed)} problem(s):[/] " + "; ".join(r.name for r in failed))
        else:
            console.print("[green]healthy[/]")
    return 1 if failed else 0
