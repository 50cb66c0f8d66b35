"""`python -m inference_server.tasks --write-manifest-snapshot`: regenerate hostbridge/manifest_snapshot.py."""

from __future__ import annotations

import argparse
import sys

from inference_server.tasks import SNAPSHOT_PATH, write_snapshot


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m inference_server.tasks",
                                description="Tools for the daemon's task registry.")
    p.add_argument("--write-manifest-snapshot", action="store_true",
                   help=f"write every task's manifest to {SNAPSHOT_PATH} (the hosts' offline fallback)")
    args = p.parse_args(argv)
    if not args.write_manifest_snapshot:
        p.print_help()
        return 2
    print(f"wrote {write_snapshot()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
