"""The per-node, per-version cache on disk (plain Python; no Nuke, no numpy).

Layout under the cache root::

    <root>/<node id>/v001/job.json                 what was run, frames, summary
    <root>/<node id>/v001/<output>/<output>.1001.exr
    <root>/<node id>/v001/inputs/<port>.1001.exr   (only when inputs are kept)
    <root>/<node id>/v001/<blob name>               (e.g. look.cube, look.cc)
    <root>/<node id>/.v002.partial-<pid>/           while processing; renamed or removed

A version folder only appears (by an atomic rename) once everything in it is written,
so a cancelled or failed run leaves nothing behind. Every file inside is written as a
temporary file in the same folder and moved into place with ``os.replace``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from typing import Any

from hostbridge.files import atomic_write

_VERSION = re.compile(r"^v(\d{3,})$")
JOB_FILE = "job.json"
INPUTS_DIR = "inputs"
STILL_TASKS = ("clean_plate",)  # one frame for the whole shot (a clean background), held over it in the node


def default_root(script_path: str = "") -> str:
    """Where caches go when the node's Cache folder knob is empty.

    ``$RUSHES_NUKE_CACHE`` if set; else ``rushes_cache`` next to the saved script; else
    ``~/.cache/rushes/nuke`` for an untitled script.
    """
    env = os.environ.get("RUSHES_NUKE_CACHE", "").strip()
    if env:
        return env
    if script_path:
        return os.path.join(os.path.dirname(os.path.abspath(script_path)), "rushes_cache")
    return os.path.join(os.path.expanduser("~"), ".cache", "rushes", "nuke")


def safe_key(text: str) -> str:
    """A folder name from a node id: letters, digits, ``-`` and ``_`` only."""
    key = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")
    if not key:
        raise ValueError(f"cannot make a cache folder name from {text!r}")
    return key


def frame_name(port: str, number: int) -> str:
    """``repair.1001.exr``: four-digit padding, as Nuke's ``####`` reads it."""
    return f"{port}.{number:04d}.exr"


class NodeCache:
    """The versions of one node under ``root``."""

    def __init__(self, root: str, key: str) -> None:
        if not root:
            raise ValueError("the cache folder is empty; set it on the node's Advanced tab")
        self.root = os.path.abspath(root)
        self.dir = os.path.join(self.root, safe_key(key))

    def versions(self) -> list[str]:
        """Finished versions, oldest first (``["v001", "v002"]``)."""
        if not os.path.isdir(self.dir):
            return []
        found = [n for n in os.listdir(self.dir)
                 if _VERSION.match(n) and os.path.isfile(os.path.join(self.dir, n, JOB_FILE))]
        return sorted(found, key=lambda n: int(n[1:]))

    def version_dir(self, version: str) -> str:
        if not _VERSION.match(version):
            raise ValueError(f"{version!r} is not a cache version name (expected v001, v002...)")
        return os.path.join(self.dir, version)

    def job(self, version: str) -> dict[str, Any]:
        with open(os.path.join(self.version_dir(version), JOB_FILE), encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict):
            raise ValueError(f"{version}/{JOB_FILE} does not hold a job description")  # noqa: TRY004
        return data

    def output_pattern(self, version: str, port: str) -> str:
        """The Read file pattern for one output of one version (``.../repair.####.exr``)."""
        key = safe_key(port)
        return os.path.join(self.version_dir(version), key, f"{key}.####.exr").replace(os.sep, "/")

    def begin(self) -> str:
        """Create and return a fresh partial folder for the next version."""
        os.makedirs(self.dir, exist_ok=True)
        return tempfile.mkdtemp(prefix=f".{self._next_name()}.partial-", dir=self.dir)

    def commit(self, work: str) -> str:
        """Move a finished partial folder into place as the next version; return its name."""
        if not os.path.isfile(os.path.join(work, JOB_FILE)):
            raise ValueError(f"{work} has no {JOB_FILE}; refusing to publish it as a version")
        for _ in range(100):
            name = self._next_name()
            try:
                os.rename(work, os.path.join(self.dir, name))
                return name
            except OSError:
                if not os.path.exists(os.path.join(self.dir, name)):
                    raise
        raise OSError(f"could not publish a new version in {self.dir}")

    def discard(self, work: str) -> None:
        """Remove a partial folder (after a failure or a cancel)."""
        if os.path.basename(work).startswith(".") and os.path.dirname(os.path.abspath(work)) == self.dir:
            shutil.rmtree(work, ignore_errors=True)

    def _next_name(self) -> str:
        used = [int(n[1:]) for n in (os.listdir(self.dir) if os.path.isdir(self.dir) else []) if _VERSION.match(n)]
        return f"v{max(used, default=0) + 1:03d}"


class OutputWriter:
    """Writes what the daemon sends into a partial version folder, each file atomically."""

    def __init__(self, work: str) -> None:
        self.work = work
        self.written: dict[str, list[int]] = {}

    def frame(self, port: str, number: int, data: bytes) -> str:
        folder = os.path.join(self.work, safe_key(port))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, frame_name(safe_key(port), number))
        atomic_write(path, data)
        self.written.setdefault(port, []).append(number)
        return path

    def blob(self, name: str, data: bytes) -> str:
        base = os.path.basename(name)
        if base in ("", ".", "..", JOB_FILE, INPUTS_DIR) or base != name:
            raise ValueError(f"the daemon sent a file named {name!r}; refusing to write it")
        path = os.path.join(self.work, base)
        atomic_write(path, data)
        return path

    def job(self, description: dict[str, Any]) -> str:
        data = dict(description, outputs={k: sorted(v) for k, v in self.written.items()})
        path = os.path.join(self.work, JOB_FILE)
        atomic_write(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
        return path


def frame_range(job: dict[str, Any], port: str) -> list[int] | None:
    """First and last frame written for ``port`` in a job description, or None."""
    numbers = job.get("outputs", {}).get(port)
    if not numbers:
        return None
    return [int(min(numbers)), int(max(numbers))]
