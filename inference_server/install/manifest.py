"""Install manifests: a record of every file, folder and line an install added.

An install is planned first (``Plan``: files to write, one marked line to ensure, commands
to run), printed for ``--dry-run``, then applied. Applying writes each file atomically and
returns a ``Manifest``; ``uninstall`` removes exactly what a manifest lists. Re-applying a
plan over its own manifest is idempotent: same files, same line once, stale files removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference_server.fileio import atomic_write, sha256_file

SCHEMA = 1


@dataclass
class FileEntry:
    path: str
    sha256: str


@dataclass
class LineEntry:
    """One line added to a file the user owns (e.g. ``~/.nuke/init.py``)."""

    path: str
    line: str
    file_created: bool


@dataclass
class Manifest:
    """What one install added; saved as JSON in the layout's installs folder."""

    kind: str
    root: str
    rushes_version: str
    os: str
    installed_at: str = ""
    files: list[FileEntry] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    lines: list[LineEntry] = field(default_factory=list)
    uninstall_commands: list[list[str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "manifest") -> Manifest:
        try:
            raw = json.loads(text)
            if raw.get("schema") != SCHEMA:
                raise ValueError(f"schema {raw.get('schema')!r}, expected {SCHEMA}")
            return cls(kind=raw["kind"], root=raw["root"], rushes_version=raw["rushes_version"], os=raw["os"],
                       installed_at=raw.get("installed_at", ""),
                       files=[FileEntry(**f) for f in raw.get("files", [])],
                       dirs=list(raw.get("dirs", [])),
                       lines=[LineEntry(**ln) for ln in raw.get("lines", [])],
                       uninstall_commands=[list(c) for c in raw.get("uninstall_commands", [])],
                       info=dict(raw.get("info", {})))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"install manifest {where} is unreadable: {exc}") from exc


def load_manifest(path: Path) -> Manifest | None:
    """The manifest at ``path``, None when there is none; ValueError naming a broken one."""
    if not path.is_file():
        return None
    return Manifest.from_json(path.read_text(encoding="utf-8"), str(path))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileAction:
    """Write ``dest`` from ``data`` or by copying ``source``."""

    dest: Path
    data: bytes | None = None
    source: Path | None = None
    mode: int | None = None

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        return self.source.read_bytes()


@dataclass
class Plan:
    """Everything one install will do, in order; ``describe()`` is the ``--dry-run`` text."""

    kind: str
    root: Path
    files: list[FileAction] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    line: tuple[Path, str] | None = None
    commands: list[list[str]] = field(default_factory=list)
    uninstall_commands: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def add_file(self, dest: Path, *, data: bytes | None = None, source: Path | None = None,
                 mode: int | None = None) -> None:
        self.files.append(FileAction(dest, data=data, source=source, mode=mode))

    def add_tree(self, source: Path, dest: Path) -> None:
        """Copy every file under ``source`` (skipping caches and VCS folders) to ``dest``."""
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if any(part in SKIP_PARTS or part.endswith(".egg-info") for part in rel.parts):
                continue
            if path.is_file() and path.suffix not in SKIP_SUFFIXES:
                self.add_file(dest / rel, source=path)

    def describe(self) -> str:
        lines = [f"rushes install {self.kind}: {self.root}"]
        lines += [f"  create folder {d}" for d in self.dirs]
        lines += [f"  write {f.dest}" + (f"  (from {f.source})" if f.source else "") for f in self.files]
        if self.line:
            lines.append(f"  add to {self.line[0]}: {self.line[1]}")
        lines += ["  run " + " ".join(c) for c in self.commands]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


SKIP_PARTS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def _missing_parents(path: Path, stop: Path | None) -> list[Path]:
    """Folders from ``path`` upwards that do not exist yet (stopping at ``stop``)."""
    out: list[Path] = []
    cur = path
    while not cur.exists() and cur != cur.parent and cur != stop:
        out.append(cur)
        cur = cur.parent
    return out


def apply_plan(plan: Plan, previous: Manifest | None, *, rushes_version: str, os_name: str,
               force: bool = False, on_failure: Callable[[Manifest], None] | None = None) -> Manifest:
    """Write the plan's files and line; return the manifest of what is now installed.

    A file that exists, was not installed by ``previous`` and differs from what would be
    written is a conflict: FileExistsError naming it (unless ``force``). Files the previous
    install added and this plan no longer writes are removed. If writing fails half-way
    (disk full, permissions), ``on_failure`` gets a manifest of everything written so far,
    so that ``rushes uninstall`` can still clean up, and the error is raised.
    """
    owned = {f.path for f in previous.files} if previous else set()
    for action in plan.files:
        dest = action.dest
        if dest.exists() and str(dest) not in owned and not force:
            if not dest.is_file() or sha256_file(dest) != sha256_bytes(action.content()):
                raise FileExistsError(f"{dest} already exists and was not installed by rushes "
                                      f"(move it away, or pass --force to overwrite it)")
    created: list[str] = list(previous.dirs) if previous else []
    entries: list[FileEntry] = []
    try:
        for folder in [*plan.dirs, *(f.dest.parent for f in plan.files)]:
            for missing in reversed(_missing_parents(folder, None)):
                missing.mkdir()
                created.append(str(missing))
        for action in plan.files:
            data = action.content()
            if not (action.dest.is_file() and sha256_file(action.dest) == sha256_bytes(data)):
                atomic_write(action.dest, data, action.mode)
            elif action.mode is not None:
                os.chmod(action.dest, action.mode)
            entries.append(FileEntry(str(action.dest), sha256_bytes(data)))
    except BaseException:
        if on_failure is not None:
            done = {e.path for e in entries}
            kept = [f for f in (previous.files if previous else []) if f.path not in done]
            on_failure(Manifest(kind=plan.kind, root=str(plan.root), rushes_version=rushes_version, os=os_name,
                                installed_at="incomplete", files=[*kept, *entries], dirs=created,
                                lines=list(previous.lines) if previous else [],
                                uninstall_commands=plan.uninstall_commands, info=dict(plan.info)))
        raise
    new_paths = {e.path for e in entries}
    for stale in sorted(owned - new_paths):
        Path(stale).unlink(missing_ok=True)
    lines = _ensure_line(plan, previous)
    needed = {str(p) for d in [*plan.dirs, *(f.dest.parent for f in plan.files)] for p in (d, *d.parents)}
    for d in sorted(set(created) - needed, key=len, reverse=True):   # emptied by stale-file removal
        if Path(d).is_dir():
            _remove_if_empty(Path(d))
    kept_dirs = [d for d in dict.fromkeys(created) if Path(d).is_dir()]
    return Manifest(kind=plan.kind, root=str(plan.root), rushes_version=rushes_version, os=os_name,
                    installed_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    files=entries, dirs=kept_dirs, lines=lines,
                    uninstall_commands=plan.uninstall_commands, info=dict(plan.info))


def _ensure_line(plan: Plan, previous: Manifest | None) -> list[LineEntry]:
    if plan.line is None:
        return []
    path, line = plan.line
    before = next((e for e in previous.lines if e.path == str(path)), None) if previous else None
    if previous:   # a re-install with a different line (e.g. a moved root) replaces the old one
        for old in previous.lines:
            if old.line != line or old.path != str(path):
                remove_line(Path(old.path), old.line, delete_if_empty=old.file_created)
    created = before.file_created if before else not path.exists()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if line not in text.splitlines():
        sep = "" if (not text or text.endswith("\n")) else "\n"
        atomic_write(path, (text + sep + line + "\n").encode("utf-8"))
    return [LineEntry(str(path), line, created)]


def remove_line(path: Path, line: str, *, delete_if_empty: bool) -> bool:
    """Remove every copy of exactly ``line`` from ``path``; True when the file changed."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    kept = [ln for ln in text.splitlines(keepends=True) if ln.rstrip("\r\n") != line]
    new = "".join(kept)
    if new == text:
        return False
    if delete_if_empty and not new.strip():
        path.unlink()
    else:
        atomic_write(path, new.encode("utf-8"))
    return True


def _remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` if it holds nothing but caches Python wrote for our files."""
    for cache in folder.glob("__pycache__"):
        if cache.is_dir() and all(p.suffix in SKIP_SUFFIXES for p in cache.iterdir()):
            shutil.rmtree(cache)
    try:
        folder.rmdir()
    except OSError:
        pass


def uninstall(manifest: Manifest) -> list[str]:
    """Remove the manifest's files, line and folders; return what had to be left behind."""
    left: list[str] = []
    for entry in manifest.files:
        path = Path(entry.path)
        if path.is_file():
            path.unlink()
    for ln in manifest.lines:
        remove_line(Path(ln.path), ln.line, delete_if_empty=ln.file_created)
    for d in sorted(manifest.dirs, key=len, reverse=True):
        folder = Path(d)
        if folder.is_dir():
            _remove_if_empty(folder)
            if folder.exists():
                left.append(f"{folder} (not empty: holds files rushes did not install)")
    return left
