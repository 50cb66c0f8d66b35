"""Full disks for tests: a small tmpfs mounted in a private mount namespace (needs root and unshare)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import REPO


@functools.lru_cache(maxsize=1)
def why_not() -> str:
    """Empty when a small disk can be mounted here, else the reason it cannot."""
    if sys.platform != "linux":
        return f"a private mount namespace needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return f"mounting a tmpfs in a private mount namespace needs root; tests run as uid {os.geteuid()}"
    if shutil.which("unshare") is None:
        return "the unshare command (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as d:
        res = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {d}"],
                             capture_output=True, text=True)
    if res.returncode != 0:
        return f"unshare -m / mount -t tmpfs was refused here: {res.stderr.strip()}"
    return ""


def need_small_disk() -> None:
    reason = why_not()
    if reason:
        pytest.skip(f"cannot fill a disk safely: {reason}")


def on_small_disk(mount: Path, size_kib: int, argv: Sequence[str]) -> list[str]:
    """A command line running ``argv`` with a ``size_kib`` tmpfs mounted over ``mount`` (seen by it alone)."""
    mount.mkdir(parents=True, exist_ok=True)
    return ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size={size_kib}k tmpfs "$0" && exec "$@"',
            str(mount), *argv]


def python_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **extra)
