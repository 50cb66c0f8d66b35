"""`rushes demo`: synthesise a wire shot, repair it, and show the result (no external data)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from inference_server.cli.common import progress_bar, run_task
from inference_server.config import default_server
from inference_server.demo import run_demo
from inference_server.runner import TemporaryDaemon, daemon_answers


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="make a wire shot from nothing, repair it, write a contact sheet and PSNR")
    p.add_argument("--out", default="demo-out", help="output folder (default ./demo-out)")
    p.add_argument("--frames", type=int, default=24, help="number of frames (default 24)")
    p.add_argument("--server", help="daemon URL (default: the local daemon if it answers, else in-process)")
    p.set_defaults(func=demo)


def demo(args: argparse.Namespace) -> int:
    """Run through the daemon at --server, or the local one, or a temporary one started for the demo."""
    if args.frames < 3:
        raise ValueError(f"--frames must be at least 3, got {args.frames}")
    if args.server or daemon_answers(default_server()):
        return _demo(args, default_server(args.server or ""))
    with tempfile.TemporaryDirectory(prefix="rushes-demo-") as store:
        with TemporaryDaemon(Path(store), device="auto") as daemon:
            print(f"started a temporary daemon at {daemon.url} for the demo", flush=True)
            return _demo(args, daemon.url)


def _demo(args: argparse.Namespace, server: str) -> int:
    with progress_bar("demo wire removal") as update:
        def run(task: str, inputs: dict, params: dict, on_frame: object = None) -> dict:  # type: ignore[type-arg]
            return run_task(task, inputs, params, server=server, on_frame=on_frame,  # type: ignore[arg-type]
                            on_progress=update)

        run_demo(Path(args.out), frames=args.frames, run=run)
    return 0
