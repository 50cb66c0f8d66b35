"""`rushes` command line. Each group module defines ``register(subparsers)``.

Registration must be cheap: heavy third-party libraries (torch, onnxruntime, ray, OpenColorIO,
OpenImageIO, cv2, PyAV) are imported inside the functions that use them, so the group modules
import the daemon's own modules at the top.
A handler takes the parsed ``argparse.Namespace`` and returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inference_server import __version__
from inference_server.cli.common import run_handler

GROUPS = (
    "inference_server.cli.daemon",    # serve, ping
    "inference_server.cli.doctor",    # doctor
    "inference_server.cli.demo",      # demo
    "inference_server.cli.wire",      # wire-remove
    "inference_server.cli.clean",     # clean-plate
    "inference_server.cli.look",      # look fit / look apply, shot-match
    "inference_server.cli.project",   # ingest, train, models
    "inference_server.cli.install",   # install, uninstall
    "inference_server.cli.batch",     # batch
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rushes", description="Rushes: project-tuned AI tools for post-production.")
    parser.add_argument("--version", action="version", version=f"rushes {__version__}")
    parser.add_argument("--config", help="TOML config file (default: the user config dir's rushes.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_handler(args)


if __name__ == "__main__":
    sys.exit(main())
