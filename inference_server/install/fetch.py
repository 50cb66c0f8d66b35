"""Host wheels from the package index, for machines that have one but no offline bundle.

``rushes install nuke`` without ``--bundle``/``--wheelhouse`` downloads pyzmq and msgpack for
each Nuke Python (and the Nuke build's OS and architecture) into a wheel cache, then installs
from that cache exactly as from a bundle. Air-gapped machines keep using bundles; a cache
that already covers a Python is used when the index does not answer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from inference_server.install.bundle import covers, wheel_tags
from inference_server.install.wheels import HOST_PACKAGES, fetch_command

Runner = Callable[[list[str]], str]   # runs a pip command; "" when it worked, else why not


def wheel_cache(env: Mapping[str, str] | None = None) -> Path:
    """``$RUSHES_WHEEL_CACHE``, else the user's cache folder (``~/.cache/rushes/wheels``)."""
    env = os.environ if env is None else env
    if env.get("RUSHES_WHEEL_CACHE"):
        return Path(env["RUSHES_WHEEL_CACHE"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "rushes" / "wheels"
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rushes" / "wheels"


def run_pip(cmd: list[str]) -> str:
    """Run ``cmd``; "" on success, else pip's last line (the index pip is configured with)."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return ""
    lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
    return lines[-1] if lines else f"pip exited with {done.returncode}"


def cached_for(cache: Path, python_version: str, packages: Sequence[str] = HOST_PACKAGES) -> bool:
    """True when ``cache`` holds a wheel of every package that works on ``python_version``."""
    names = [p.name for p in cache.glob("*.whl")] if cache.is_dir() else []
    return all(any(wheel_tags(n)[0] == pkg and covers(n, python_version) for n in names) for pkg in packages)


def fetch_wheels(platforms: Mapping[str, Sequence[str]], cache: Path | None = None,
                 runner: Runner | None = None) -> Path:
    """Download the host wheels for each Python in ``platforms`` into ``cache``; return it.

    FileNotFoundError naming each Python that is neither fetched nor already cached, and
    how to install without an index.
    """
    cache = cache or wheel_cache()
    cache.mkdir(parents=True, exist_ok=True)
    failed = []
    for version, plats in platforms.items():
        problem = (runner or run_pip)(fetch_command(cache, version, plats))
        if problem and not cached_for(cache, version):
            failed.append(f"Python {version}: {problem}")
    if failed:
        raise FileNotFoundError("no wheelhouse for pyzmq/msgpack, and fetching them from the package index failed ("
                                + "; ".join(failed) + "): pass --bundle DIR (an offline bundle from "
                                "installers/make_bundle.py) or --wheelhouse DIR")
    return cache
