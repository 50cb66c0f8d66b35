"""Farm mode: Process Rushes nodes of a saved script without the GUI.

    nuke -t /path/to/nuke/rushes_nuke/farm.py SCRIPT.nk [--node NAME ...] [--frames A-B]
                                               [--server URL] [--save]
    python -m rushes_nuke.farm SCRIPT.nk ...      (where ``import nuke`` works)

Each node's new version lands in its cache folder; with ``--save`` the script is saved so
that it shows the new versions (otherwise the GUI lists them when the script is next opened).
Exit status: 0 when every node processed, 1 when one failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

if __name__ == "__main__" and __package__ in (None, ""):  # run as a file by `nuke -t`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rushes_nuke.report import Reporter


class FarmReporter(Reporter):
    """Progress as plain lines on stdout (farm logs), failures on stderr."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last = -1
        self.failed = False

    def progress(self, done: int, total: int, message: str) -> bool:
        pct = int(100 * done / total) if total else 0
        if pct // 10 != self.last // 10 or not total:
            print(f"rushes: {self.name}: {pct:3d}% {message}", flush=True)
            self.last = pct
        return True

    def message(self, text: str) -> None:
        self.failed = True
        print(f"rushes: error: {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def parse_frames(text: str) -> list[int]:
    """``1001-1100`` or ``1001`` -> [first, last]; ValueError naming the text otherwise."""
    parts = text.split("-", 1) if not text.startswith("-") else [text]
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"--frames {text!r} is not A-B or A (whole frame numbers)") from None
    first, last = nums[0], nums[-1]
    if last < first:
        raise ValueError(f"--frames {text!r}: the last frame comes before the first")
    return [first, last]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rushes_nuke.farm", description="Process Rushes nodes without the GUI.")
    p.add_argument("script", help="the Nuke script (.nk)")
    p.add_argument("--node", action="append", default=[], help="node to process (repeat; default: all)")
    p.add_argument("--frames", help="frame range A-B (default: each node's own range)")
    p.add_argument("--server", help="daemon URL (default: each node's own, else $RUSHES_SERVER or local)")
    p.add_argument("--save", action="store_true", help="save the script so it shows the new versions")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        frames = parse_frames(args.frames) if args.frames else None
    except ValueError as exc:
        print(f"rushes: error: {exc}", file=sys.stderr)
        return 2
    import nuke
    import rushes_nuke
    from rushes_nuke import state
    from rushes_nuke.process import run

    rushes_nuke.install()
    from rushes_nuke import callbacks

    callbacks.check_cache_on_load = False  # this run makes new versions; older ones may live elsewhere
    try:
        nuke.scriptOpen(args.script)
    except RuntimeError as exc:
        print(f"rushes: error: cannot open {args.script}: {exc}", file=sys.stderr)
        return 2
    finally:
        callbacks.check_cache_on_load = True
    found = [n for n in nuke.allNodes("Group", recurseGroups=True) if state.is_rushes(n)]
    if args.node:
        missing = [name for name in args.node if name not in {n.fullName() for n in found}]
        if missing:
            print(f"rushes: error: no Rushes node named {', '.join(missing)} in {args.script}", file=sys.stderr)
            return 2
        found = [n for n in found if n.fullName() in args.node]
    # Look nodes fit from a selection in the GUI; on the farm they only apply their look.
    todo = [n for n in found if isinstance(n, nuke.Group) and state.kind(n) != "Look"]
    if not todo:
        print(f"rushes: error: {args.script} has no Rushes node to process", file=sys.stderr)
        return 2
    status = 0
    for node in todo:
        kept = {k: node[k].value() for k in ("first_frame", "last_frame", "server")}
        if frames is not None:
            node["first_frame"].setValue(frames[0])
            node["last_frame"].setValue(frames[1])
        if args.server:
            node["server"].setValue(args.server)
        try:
            result = run(node, FarmReporter(node.fullName()))  # foreground: a version or None
            version = result if isinstance(result, str) else None
        finally:  # the farm's range and server are not the artist's settings
            for name, value in kept.items():
                node[name].setValue(value)
        if version is None:
            status = 1
        else:
            print(f"rushes: {node.fullName()}: {version} in {state.node_cache(node).version_dir(version)}", flush=True)
    if args.save and status == 0:
        nuke.scriptSave()
    return status


if __name__ == "__main__":
    sys.exit(main())
