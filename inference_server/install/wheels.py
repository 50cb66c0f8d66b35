"""Wheels for the hosts' Pythons: install from a local wheelhouse, or repack installed ones.

Hosts bring their own Python (Nuke 14/15/16: 3.9/3.10/3.11; Resolve: the system's), so
hostbridge's two dependencies (pyzmq, msgpack) are installed once per Python version into
``<lib>/py3.X`` with ``pip install --no-index --find-links WHEELHOUSE --target ...
--python-version 3.X --only-binary=:all:`` and, for Nuke, ``--platform`` tags of the Nuke
build (its OS and architecture, not this Python's): never the network here.

``repack_installed`` turns a distribution installed in this environment back into a wheel
(from its RECORD), which builds a wheelhouse on an offline machine for its own Python.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as metadata
import io
import os
import platform
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

HOST_PACKAGES = ("pyzmq", "msgpack")
NUKE_PYTHONS = ("3.9", "3.10", "3.11")
RESOLVE_PYTHONS = ("3.10", "3.11", "3.12")
_VERSION = re.compile(r"^3\.\d{1,2}$")


def parse_versions(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"3.9,3.10"`` -> ``("3.9", "3.10")``; ValueError naming a malformed version."""
    items = [v.strip() for v in (text.split(",") if isinstance(text, str) else text) if v.strip()]
    if not items:
        raise ValueError("no Python versions given (expected e.g. 3.9,3.10,3.11)")
    for v in items:
        if not _VERSION.match(v):
            raise ValueError(f"Python version {v!r} is not of the form 3.X (e.g. 3.10)")
    return tuple(dict.fromkeys(items))


NUKE_INTEL_ONLY_ON_MAC = ("3.9",)    # Nuke 14 shipped for Intel Macs only; Nuke 15 and 16 also for arm64


def machine_arch(machine: str | None = None) -> str:
    """``x86_64`` or ``arm64`` (and so on) from ``platform.machine()``'s many spellings."""
    m = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(m, m)


def nuke_platforms(python_version: str, os_name: str, arch: str | None = None) -> tuple[str, ...]:
    """pip ``--platform`` tags for wheels the Nuke build with ``python_version`` can load.

    ``os_name`` is linux/macos/windows, ``arch`` the Nuke build's (default: this machine's;
    an x86_64 Nuke under Rosetta on an arm64 Mac needs ``x86_64``). Linux Nuke 14 runs on
    glibc 2.17 (CentOS 7), Nuke 15/16 on 2.28 (Rocky 8). pip widens a macOS tag to older
    macOS versions and universal2 itself; manylinux tags are listed.
    """
    arch = machine_arch(arch)
    if os_name == "windows":
        if arch != "x86_64":
            raise ValueError(f"Nuke for Windows is built for x86_64 only, not {arch}")
        return ("win_amd64",)
    if os_name == "macos":
        arch = "x86_64" if python_version in NUKE_INTEL_ONLY_ON_MAC else arch
        if arch not in ("x86_64", "arm64"):
            raise ValueError(f"Nuke for macOS is built for x86_64 or arm64, not {arch}")
        return (f"macosx_11_0_{arch}",)
    if os_name != "linux" or arch != "x86_64":
        raise ValueError(f"Nuke is not built for {os_name} on {arch}; set RUSHES_NUKE_ARCH to the Nuke build's")
    if python_version == "3.9":
        return ("manylinux_2_17_x86_64", "manylinux2014_x86_64")
    return ("manylinux_2_28_x86_64", "manylinux_2_26_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def _platform_args(platforms: Sequence[str]) -> list[str]:
    return [arg for plat in platforms for arg in ("--platform", plat)]


def pip_target_command(wheelhouse: Path, target: Path, python_version: str,
                       packages: Sequence[str] = HOST_PACKAGES, platforms: Sequence[str] = ()) -> list[str]:
    """The offline pip command that installs ``packages`` for ``python_version`` into ``target``
    (for ``platforms``; none: this machine's)."""
    return [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse),
            "--target", str(target), "--python-version", python_version, "--only-binary=:all:",
            "--implementation", "cp", *_platform_args(platforms), "--no-compile", "--disable-pip-version-check",
            "--no-input", "--no-cache-dir", "--quiet", *packages]


def fetch_command(dest: Path, python_version: str, platforms: Sequence[str] = (),
                  packages: Sequence[str] = HOST_PACKAGES) -> list[str]:
    """``pip download`` of ``packages`` wheels for ``python_version`` and ``platforms`` into ``dest``
    (the package index pip is configured with; one retry, so an offline machine answers soon)."""
    return [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "--dest", str(dest),
            "--python-version", python_version, "--implementation", "cp", *_platform_args(platforms),
            "--retries", "1", "--timeout", "15", "--disable-pip-version-check", "--no-input", "--quiet",
            *packages]


def install_for_python(wheelhouse: Path, python_version: str, packages: Sequence[str] = HOST_PACKAGES,
                       platforms: Sequence[str] = ()) -> Path:
    """Install ``packages`` for ``python_version`` into a new temporary folder and return it.

    The caller copies the files into place (so each one lands in the install manifest) and
    removes the folder. Missing wheels raise FileNotFoundError naming the version and how
    to get them.
    """
    if not wheelhouse.is_dir():
        raise FileNotFoundError(f"wheelhouse {wheelhouse} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f"rushes-py{python_version}-"))
    # PATH cut to this Python's folder: pip would otherwise run `rustc --version` for its user
    # agent, and rustup writes ~/.rustup as a side effect. No other program is needed here.
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull,
           "PATH": os.path.dirname(sys.executable)}
    done = subprocess.run(pip_target_command(wheelhouse, tmp, python_version, packages, platforms),
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        last = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        raise FileNotFoundError(
            f"the wheelhouse {wheelhouse} has no {' / '.join(packages)} wheels for Python {python_version} on "
            f"{' / '.join(platforms) or 'this platform'} ({last[-1].strip() if last else 'pip failed'}); "
            f"build a bundle that includes them with installers/make_bundle.py --python-versions "
            f"{python_version}, or leave {python_version} out with --python-versions")
    return tmp


def wheel_files(folder: Path) -> list[Path]:
    """Files pip installed into ``folder`` (its ``bin/`` and caches left out)."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and rel.parts[0] != "bin" and "__pycache__" not in rel.parts:
            out.append(path)
    return out


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_name(dist_name: str, version: str, tags: Sequence[str]) -> str:
    """PEP 427 file name with compressed tag sets (``cp311-cp311-manylinux_a.manylinux_b``)."""
    parts = [t.split("-") for t in tags]
    py, abi, plat = (".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))
    name = re.sub(r"[-_.]+", "_", dist_name).lower()
    return f"{name}-{version}-{py}-{abi}-{plat}.whl"


def repack_installed(dist_name: str, dest: Path) -> Path:
    """Write a wheel of the installed distribution ``dist_name`` into ``dest``; return its path."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(f"{dist_name} is not installed in {sys.prefix}; cannot repack it") from exc
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [ln.split(":", 1)[1].strip() for ln in wheel_meta.splitlines() if ln.startswith("Tag:")]
    if not tags or not dist.files:
        raise ValueError(f"{dist_name} has no WHEEL tags or RECORD; it was not installed from a wheel")
    name = wheel_name(dist.metadata["Name"], dist.version, tags)
    site = Path(str(dist.locate_file("")))
    skip = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / name
    tmp = out.with_name(out.name + ".tmp")
    info_dir = ""
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(dist.files, key=str):
            text = str(rel).replace("\\", "/")
            parts = text.split("/")
            if text.startswith("..") or "__pycache__" in parts:
                continue
            if parts[0].endswith(".dist-info"):
                info_dir = parts[0]
                if parts[-1] in skip and len(parts) == 2:
                    continue
            data = (site / text).read_bytes()
            zf.writestr(text, data)
            writer.writerow([text, _record_hash(data), len(data)])
        record_name = f"{info_dir}/RECORD"
        writer.writerow([record_name, "", ""])
        zf.writestr(record_name, record.getvalue())
    os.replace(tmp, out)
    return out
