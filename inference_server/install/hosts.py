"""Nuke and Resolve installs: what goes where, as a ``Plan``.

Nuke (``<~/.nuke or --nuke-path>/rushes``)::

    rushes/init.py          bootstrap (installers/nuke/init.py.in): puts lib/ and lib/py3.X
                            on sys.path, then nuke.pluginAddPath(rushes/plugin)
    rushes/plugin/...       the repository's nuke/ folder (init.py, menu.py, rushes_nuke/)
    rushes/lib/hostbridge/  hostbridge (pure Python)
    rushes/lib/py3.X/       pyzmq + msgpack for each Nuke Python (3.9 / 3.10 / 3.11)

plus ONE line in ``<root>/init.py``: ``import nuke; nuke.pluginAddPath("<root>/rushes")  # added
by rushes install``.

Resolve (per-user Fusion folder, see ``Layout.resolve_fusion``)::

    Fusion/Scripts/...      the repository's resolve/Fusion/Scripts (Utility/*.py, ...)
    Fusion/Rushes/lib/      the resolve package(s) (e.g. rushes_resolve/) and hostbridge/
    Fusion/Rushes/lib/py3.X pyzmq + msgpack for each Python Resolve may use
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePath
from string import Template

from inference_server.install.fetch import Runner, fetch_wheels
from inference_server.install.manifest import Plan
from inference_server.install.paths import Layout, current_os, local
from inference_server.install.sources import Sources
from inference_server.install.wheels import HOST_PACKAGES, install_for_python, nuke_platforms, wheel_files

MARK = "# added by rushes install"


def nuke_line(plugin_dir: PurePath) -> str:
    """The one line added to the artist's init.py (forward slashes work on every OS)."""
    return f'import nuke; nuke.pluginAddPath("{plugin_dir.as_posix()}")  {MARK}'


def manifest_name(kind: str, root: PurePath, default_root: PurePath) -> str:
    """``nuke.json`` for the default place, ``nuke-<hash>.json`` for a ``--nuke-path``."""
    if str(root) == str(default_root):
        return f"{kind}.json"
    return f"{kind}-{hashlib.sha1(str(root).encode()).hexdigest()[:10]}.json"


def _host_tree(sources: Sources, name: str) -> Path:
    folder = sources.tree / name
    if not folder.is_dir() or not any(folder.iterdir()):
        raise FileNotFoundError(f"the {name}/ plugin folder is missing or empty in {sources.tree}")
    return folder


def _add_libs(plan: Plan, sources: Sources, lib: Path, pythons: Sequence[str]) -> None:
    plan.add_tree(sources.tree / "hostbridge", lib / "hostbridge")
    plan.info["python_versions"] = list(pythons)
    plan.info["wheelhouse"] = str(sources.wheelhouse) if sources.wheelhouse else None
    plan.info["wheel_targets"] = {v: str(lib / f"py{v}") for v in pythons}
    where = sources.wheelhouse or "the package index (no --bundle or --wheelhouse given)"
    for v in pythons:
        plan.notes.append(f"install {', '.join(HOST_PACKAGES)} for Python {v} from {where} into {lib / f'py{v}'}")


def nuke_plan(layout: Layout, sources: Sources, pythons: Sequence[str], nuke_root: Path | None = None) -> Plan:
    """Everything ``rushes install nuke`` writes (wheels are added by ``add_wheels``)."""
    root_parent = nuke_root if nuke_root is not None else local(layout.nuke_root)
    root = local(layout.nuke_plugin_dir(root_parent))
    plugin = _host_tree(sources, "nuke")
    plan = Plan(kind="nuke", root=root, info={"version": sources.version, "nuke_root": str(root_parent)})
    boot = Template(sources.template("nuke/init.py.in")).substitute(version=sources.version, root=str(root))
    plan.add_file(root / "init.py", data=boot.encode("utf-8"))
    plan.add_tree(plugin, root / "plugin")
    _add_libs(plan, sources, root / "lib", pythons)
    # wheels for the Nuke build (this machine's OS; its arch, or $RUSHES_NUKE_ARCH for an x86_64
    # Nuke under Rosetta), never simply for the Python running this installer
    arch = os.environ.get("RUSHES_NUKE_ARCH") or None
    plan.info["wheel_platforms"] = {v: list(nuke_platforms(v, current_os(), arch)) for v in pythons}
    plan.line = (root_parent / "init.py", nuke_line(root))
    return plan


def resolve_plan(layout: Layout, sources: Sources, pythons: Sequence[str]) -> Plan:
    """Everything ``rushes install resolve`` writes (wheels are added by ``add_wheels``)."""
    tree = _host_tree(sources, "resolve")
    scripts = tree / "Fusion" / "Scripts"
    if not scripts.is_dir():
        raise FileNotFoundError(f"{scripts} is missing: the Resolve scripts belong in resolve/Fusion/Scripts/Utility")
    fusion = local(layout.resolve_fusion)
    lib = local(layout.resolve_lib) / "lib"
    plan = Plan(kind="resolve", root=fusion, info={"version": sources.version, "lib": str(lib)})
    plan.add_tree(scripts, local(layout.resolve_scripts))
    for entry in sorted(tree.iterdir()):
        if entry.name in ("Fusion", "tests", "__pycache__") or entry.name.startswith("."):
            continue
        if entry.is_dir():
            plan.add_tree(entry, lib / entry.name)
        elif entry.suffix == ".py":
            plan.add_file(lib / entry.name, source=entry)
    _add_libs(plan, sources, lib, pythons)
    return plan


def add_wheels(plan: Plan, wheelhouse: Path | None, fetch: Runner | None = None) -> list[Path]:
    """Install the host wheels per Python version into temporary folders; add their files.

    Without a wheelhouse they are fetched from the package index into the wheel cache first
    (``fetch`` runs the pip command; tests pass their own). Returns the temporary folders
    (remove them with ``cleanup`` once the plan is applied).
    """
    platforms: dict[str, list[str]] = dict(plan.info.get("wheel_platforms") or {})
    if wheelhouse is None:
        wheelhouse = fetch_wheels({v: platforms.get(v, []) for v in plan.info["wheel_targets"]}, runner=fetch)
        plan.info["wheelhouse"] = str(wheelhouse)
    temps: list[Path] = []
    try:
        for version, target in plan.info["wheel_targets"].items():
            tmp = install_for_python(wheelhouse, version, platforms=platforms.get(version, ()))
            temps.append(tmp)
            for path in wheel_files(tmp):
                plan.add_file(Path(target) / path.relative_to(tmp), source=path)
    except BaseException:
        cleanup(temps)
        raise
    plan.notes = [n for n in plan.notes if not n.startswith("install ")]
    return temps


def cleanup(temps: Sequence[Path]) -> None:
    for tmp in temps:
        shutil.rmtree(tmp, ignore_errors=True)
