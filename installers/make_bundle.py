#!/usr/bin/env python3
"""Build an offline Rushes bundle for air-gapped workstations and farm nodes.

On a connected machine (wheels for every Nuke Python, Linux x86_64)::

    python installers/make_bundle.py dist/rushes-bundle --download \\
        --python-versions 3.9,3.10,3.11 --platform manylinux2014_x86_64

Fully offline, from wheels you already have and this environment's own pyzmq/msgpack::

    python installers/make_bundle.py dist/rushes-bundle --find-links ~/wheels --from-installed

Then on the target machine, with no network::

    rushes install nuke --bundle rushes-bundle
    rushes install resolve --bundle rushes-bundle --python-versions 3.11

Add ``--archive`` for a .tar.gz (Linux/macOS) or ``--archive zip`` (Windows).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from inference_server import __version__
    from inference_server.install.bundle import build_bundle
    from inference_server.install.wheels import parse_versions

    p = argparse.ArgumentParser(prog="make_bundle.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="bundle folder to create (must not exist)")
    p.add_argument("--python-versions", default="3.9,3.10,3.11,3.12", help="host Pythons to carry wheels for")
    p.add_argument("--platform", action="append", default=[],
                   help="pip platform tag for --download (repeatable), e.g. manylinux2014_x86_64, "
                        "macosx_11_0_arm64, win_amd64 (default: this machine's)")
    p.add_argument("--find-links", action="append", type=Path, default=[], help="folder of wheels to take from")
    p.add_argument("--from-installed", action="store_true", help="repack this environment's pyzmq and msgpack")
    p.add_argument("--download", action="store_true", help="pip download the wheels (needs the network)")
    p.add_argument("--daemon", action="store_true", help="also build the rushes wheel itself (no deps)")
    p.add_argument("--allow-incomplete", action="store_true", help="write the bundle even if wheels are missing")
    p.add_argument("--archive", nargs="?", const="gztar", choices=("gztar", "zip"), help="also archive it")
    args = p.parse_args(argv)
    try:
        info = build_bundle(REPO, args.out, python_versions=parse_versions(args.python_versions),
                            platforms=args.platform, find_links=args.find_links,
                            from_installed=args.from_installed, download=args.download,
                            daemon_wheel=args.daemon, allow_incomplete=args.allow_incomplete, version=__version__)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"make_bundle: error: {exc}", file=sys.stderr)
        return 2
    wheels = info["wheels"]
    assert isinstance(wheels, dict)
    print(f"bundle {args.out}: rushes {__version__}, {len(wheels)} wheels, Pythons {args.python_versions}")
    for problem in info["missing"]:  # type: ignore[attr-defined]
        print(f"  missing: {problem}")
    if args.archive:
        made = shutil.make_archive(str(args.out), args.archive, root_dir=args.out.parent, base_dir=args.out.name)
        print(f"archive {made}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
