"""Offline bundles for air-gapped workstations and farm nodes.

A bundle is a folder (optionally archived)::

    bundle.json   version, Python versions, platforms, each wheel with its sha256, coverage
    src/          hostbridge/, nuke/, resolve/, installers/ from the checkout
    wheels/       pyzmq + msgpack per host Python (and, with --daemon, the rushes wheel)

Wheels come from (any mix): ``--find-links DIR`` (an existing wheelhouse: offline),
``--from-installed`` (repack this environment's pyzmq/msgpack: offline, this Python only),
``--download`` (``pip download`` per Python version and platform: needs the network, done
on a connected machine). ``--daemon`` adds the rushes wheel (and, with ``--download``, every
dependency of the daemon for Python 3.11). On the target, with no network::

    python3.11 -m venv venv && venv/bin/pip install --no-index --find-links DIR/wheels rushes
    venv/bin/rushes install nuke --bundle DIR
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from inference_server.fileio import sha256_file
from inference_server.install.manifest import SKIP_PARTS, SKIP_SUFFIXES
from inference_server.install.paths import current_os
from inference_server.install.wheels import HOST_PACKAGES, nuke_platforms, repack_installed

SOURCE_DIRS = ("hostbridge", "nuke", "resolve", "installers")
DAEMON_PYTHON = "3.11"
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<ver>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def wheel_tags(filename: str) -> tuple[str, str, set[str], set[str], set[str]]:
    """(normalised name, version, python tags, abi tags, platform tags) from a wheel file name."""
    m = _WHEEL.match(filename)
    if not m:
        raise ValueError(f"{filename!r} is not a wheel file name")
    return (m["name"].lower().replace("_", "-"), m["ver"], set(m["py"].split(".")), set(m["abi"].split(".")),
            set(m["plat"].split(".")))


def covers(filename: str, python_version: str) -> bool:
    """True when the wheel can install on CPython ``python_version`` (any platform)."""
    _, _, py, abi, _ = wheel_tags(filename)
    major, minor = (int(x) for x in python_version.split("."))
    tag = f"cp{major}{minor}"
    if tag in py or "py3" in py or f"py{major}{minor}" in py:
        return True
    if "abi3" in abi:   # cp38-abi3 works on every CPython >= 3.8
        return any(p.startswith("cp3") and int(p[3:] or 0) <= minor for p in py)
    return False


def copy_sources(repo: Path, dest: Path) -> list[str]:
    """Copy the plugin folders and templates (no caches) into ``dest``; return what was copied."""
    copied = []
    for name in SOURCE_DIRS:
        src = repo / name
        if not src.is_dir():
            raise FileNotFoundError(f"{src} is missing: run make_bundle.py from a rushes checkout")
        shutil.copytree(src, dest / name, ignore=lambda d, names: [
            n for n in names if n in SKIP_PARTS or Path(n).suffix in SKIP_SUFFIXES or n.endswith(".egg-info")])
        copied.append(name)
    return copied


def download_command(dest: Path, python_version: str, platform: str | Sequence[str] | None,
                     packages: Sequence[str] = HOST_PACKAGES) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "--dest", str(dest),
           "--python-version", python_version, "--implementation", "cp", "--disable-pip-version-check"]
    for plat in [platform] if isinstance(platform, str) else (platform or []):
        cmd += ["--platform", plat]
    return [*cmd, *packages]


def host_platforms(python_version: str, platforms: Sequence[str]) -> list[list[str]]:
    """The ``--platform`` sets to download host wheels with: each given tag, else the Nuke
    builds of this OS (both architectures on macOS), never just this Python's platform."""
    if platforms:
        return [[p] for p in platforms]
    os_name = current_os()
    archs = ("x86_64", "arm64") if os_name == "macos" else ("x86_64",)
    return [list(p) for p in dict.fromkeys(nuke_platforms(python_version, os_name, a) for a in archs)]


def build_daemon_wheel(repo: Path, dest: Path) -> Path:
    """Build the rushes wheel (no deps, no network) from a scratch copy, so the checkout stays clean."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rushes-wheel-") as scratch:
        work = Path(scratch) / "rushes"
        work.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (repo / name).is_file():
                shutil.copy2(repo / name, work / name)
        for name in ("hostbridge", "inference_server"):
            shutil.copytree(repo / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", str(work), "--no-deps", "--no-build-isolation",
                        "--no-index", "--wheel-dir", str(dest), "--quiet", "--disable-pip-version-check"],
                       check=True, cwd=scratch)
    return sorted(dest.glob("rushes-*.whl"))[-1]


def build_bundle(repo: Path, out: Path, *, python_versions: Sequence[str], platforms: Sequence[str] = (),
                 find_links: Sequence[Path] = (), from_installed: bool = False, download: bool = False,
                 daemon_wheel: bool = False, allow_incomplete: bool = False, version: str = "") -> dict[str, object]:
    """Build the bundle folder ``out`` (must not exist yet); return the bundle.json contents."""
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose a new bundle folder")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    wheels = tmp / "wheels"
    wheels.mkdir(parents=True)
    try:
        copied = copy_sources(repo, tmp / "src")
        for folder in find_links:
            if not folder.is_dir():
                raise FileNotFoundError(f"--find-links folder {folder} does not exist")
            for whl in sorted(folder.glob("*.whl")):
                if wheel_tags(whl.name)[0] in HOST_PACKAGES:
                    shutil.copy2(whl, wheels / whl.name)
        if from_installed:
            for name in HOST_PACKAGES:
                repack_installed(name, wheels)
        plats: list[str | None] = [*platforms] or [None]
        if download:
            for v in python_versions:
                for group in host_platforms(v, platforms):
                    subprocess.run(download_command(wheels, v, group), check=True)
        if daemon_wheel:
            build_daemon_wheel(repo, wheels)
            if download:   # the daemon's own dependencies, for the daemon's Python
                own = sorted(wheels.glob("rushes-*.whl"))[-1]
                for plat in plats:
                    cmd = download_command(wheels, DAEMON_PYTHON, plat, packages=[str(own)])
                    subprocess.run([c for c in cmd if c != "--no-deps"], check=True)
        names = sorted(p.name for p in wheels.glob("*.whl"))
        coverage = {v: {pkg: sorted(n for n in names if wheel_tags(n)[0] == pkg and covers(n, v))
                        for pkg in HOST_PACKAGES} for v in python_versions}
        missing = [f"{pkg} for Python {v}" for v, per in coverage.items() for pkg, found in per.items() if not found]
        if missing and not allow_incomplete:
            raise FileNotFoundError("the bundle would lack wheels: " + ", ".join(missing) +
                                    " (add --find-links DIR, --from-installed or --download, "
                                    "or pass --allow-incomplete)")
        info: dict[str, object] = {
            "version": version, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python_versions": list(python_versions), "platforms": list(platforms), "sources": copied,
            "wheels": {n: sha256_file(wheels / n) for n in names}, "coverage": coverage, "missing": missing,
        }
        (tmp / "bundle.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def verify_bundle(bundle: Path) -> list[str]:
    """Problems with an unpacked bundle: missing or altered wheels (empty list when sound)."""
    info = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    problems = []
    for name, digest in info.get("wheels", {}).items():
        path = bundle / "wheels" / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"{path} does not match its sha256 in bundle.json")
    return problems
