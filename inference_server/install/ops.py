"""Install, re-install and uninstall one component (service, nuke, resolve) for a layout.

Each install writes a manifest to ``<layout.installs_dir>/<kind>[-<hash>].json``;
uninstall reads it back and removes exactly what it lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inference_server.fileio import atomic_write
from inference_server.install import hosts, service
from inference_server.install.manifest import Manifest, Plan, apply_plan, load_manifest, uninstall
from inference_server.install.paths import Layout
from inference_server.install.sources import Sources

KINDS = ("service", "nuke", "resolve")


@dataclass
class Outcome:
    """What an install or uninstall did: the plan text, the manifest, problems worth printing."""

    plan: Plan | None
    manifest: Manifest | None
    manifest_path: Path
    problems: list[str] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)


def manifest_path(layout: Layout, kind: str, nuke_root: Path | None = None) -> Path:
    installs = Path(str(layout.installs_dir))
    if kind == "nuke" and nuke_root is not None:
        return installs / hosts.manifest_name("nuke", nuke_root, Path(str(layout.nuke_root)))
    return installs / f"{kind}.json"


def installed(layout: Layout) -> list[tuple[Path, Manifest]]:
    """Every install manifest for this layout (unreadable ones raise ValueError naming the file)."""
    folder = Path(str(layout.installs_dir))
    out: list[tuple[Path, Manifest]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        manifest = load_manifest(path)
        if manifest is not None:
            out.append((path, manifest))
    return out


def make_plan(kind: str, layout: Layout, sources: Sources, *, pythons: Sequence[str] = (),
              nuke_root: Path | None = None, python: str | None = None, listen: str | None = None,
              device: str | None = None, store: str | None = None) -> Plan:
    if kind == "service":
        return service.service_plan(layout, sources, python=python, listen=listen, device=device, store=store)
    if kind == "nuke":
        return hosts.nuke_plan(layout, sources, pythons, nuke_root)
    if kind == "resolve":
        return hosts.resolve_plan(layout, sources, pythons)
    raise ValueError(f"unknown install target {kind!r}; expected one of: {', '.join(KINDS)}")


def install(plan: Plan, layout: Layout, sources: Sources, *, nuke_root: Path | None = None,
            start: bool = True, force: bool = False) -> Outcome:
    """Apply ``plan`` (installing host wheels first), save the manifest, register the service."""
    path = manifest_path(layout, plan.kind, nuke_root)
    previous = load_manifest(path)
    temps = hosts.add_wheels(plan, sources.wheelhouse) if plan.kind in ("nuke", "resolve") else []
    try:
        manifest = apply_plan(plan, previous, rushes_version=sources.version, os_name=layout.os, force=force,
                              on_failure=lambda partial: _save(path, partial))
    finally:
        hosts.cleanup(temps)
    _save(path, manifest)
    outcome = Outcome(plan, manifest, path)
    if start and plan.commands:
        outcome.problems = service.run_commands(plan.commands, ignore_first_failure=layout.os == "macos")
    return outcome


def remove(kind: str, layout: Layout, *, nuke_root: Path | None = None, stop: bool = True) -> Outcome:
    """Uninstall ``kind``: stop the service if asked, remove what the manifest lists, drop it."""
    path = manifest_path(layout, kind, nuke_root)
    manifest = load_manifest(path)
    if manifest is None:
        raise FileNotFoundError(f"rushes {kind} is not installed here (no manifest at {path})")
    outcome = Outcome(None, manifest, path)
    if stop and manifest.uninstall_commands:
        outcome.problems = service.run_commands(manifest.uninstall_commands)
    path.unlink()
    try:
        outcome.left_behind = uninstall(manifest)
    except BaseException:
        atomic_write(path, manifest.to_json().encode("utf-8"))   # keep the record for a second try
        raise
    _hand_over_folders(layout, manifest)
    ours = (path.parent, *path.parent.parents)   # other manifests may share these folders
    outcome.left_behind = [x for x in outcome.left_behind if not any(x.startswith(f"{p} (") for p in ours)]
    if kind == "service" and stop and layout.os == "linux":
        outcome.problems += service.run_commands([["systemctl", "--user", "daemon-reload"]])
    return outcome


def _save(path: Path, manifest: Manifest) -> None:
    """Write ``manifest`` to ``path``, recording the installs folders it had to create."""
    missing = _missing_dirs(path.parent)
    manifest.dirs += [str(d) for d in missing if str(d) not in manifest.dirs]
    atomic_write(path, manifest.to_json().encode("utf-8"))


def _hand_over_folders(layout: Layout, gone: Manifest) -> None:
    """Folders ``gone`` created that others still use (the installs folder, shared parents)
    pass to the remaining manifests, so the last uninstall removes them."""
    left = [d for d in gone.dirs if Path(d).is_dir()]
    if not left:
        return
    for other_path, other in installed(layout):
        extra = [d for d in left if d not in other.dirs]
        if extra:
            other.dirs += extra
            atomic_write(other_path, other.to_json().encode("utf-8"))


def _missing_dirs(folder: Path) -> list[Path]:
    out: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


def summary(outcome: Outcome) -> dict[str, object]:
    """A JSON-able summary for ``--json`` output and tests."""
    m = outcome.manifest
    return {"manifest": str(outcome.manifest_path), "files": len(m.files) if m else 0,
            "line": m.lines[0].line if m and m.lines else None, "problems": outcome.problems,
            "left_behind": outcome.left_behind, "info": json.loads(json.dumps(m.info)) if m else {}}
