"""Where a project lives on disk: store root, per-project folders, atomic writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from inference_server.config import configured_store
from inference_server.project.catalog import Catalog

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def default_store_root() -> Path:
    """The store root in force: the config's ``store`` (file, ``$RUSHES_STORE``), else the user data dir.

    The daemon and every command agree on it (before, the CLI always took the user data dir).
    """
    return configured_store()


# Names Windows reserves for devices, with or without an extension (CON, con.txt, LPT1...).
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)


def check_project_name(name: str) -> str:
    """Return ``name`` if it is a safe folder name on every studio platform, else raise ValueError naming it."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"project name {name!r} is not usable: use letters, digits, '.', '_' or '-' "
                         "(up to 128 characters, not starting with '.', '_' or '-')")
    if name.endswith("."):
        raise ValueError(f"project name {name!r} is not usable: it ends with '.', which Windows drops")
    if _RESERVED.match(name):
        raise ValueError(f"project name {name!r} is not usable: Windows reserves {name.split('.')[0]!r} "
                         "for a device")
    return name


@dataclass(frozen=True)
class ProjectStore:
    """One project's folders under a store root. Creating the object touches nothing on disk."""

    root: Path
    name: str

    def __post_init__(self) -> None:
        check_project_name(self.name)

    @property
    def path(self) -> Path:
        return self.root / self.name

    @property
    def catalog_path(self) -> Path:
        return self.path / "catalog.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    def models_dir(self, task: str) -> Path:
        return self.path / "models" / task

    def exists(self) -> bool:
        return self.catalog_path.is_file()

    def create(self) -> ProjectStore:
        """Make the project folders (idempotent) and return self."""
        for d in (self.path, self.cache_dir, self.path / "models"):
            d.mkdir(parents=True, exist_ok=True)
        return self

    def catalog(self) -> Catalog:
        """Open (creating if needed) this project's SQLite catalog."""
        self.create()
        return Catalog(self.catalog_path)


def open_project(project: str, store: Path | str | None = None, *, must_exist: bool = False) -> ProjectStore:
    """The ``ProjectStore`` for ``project`` under ``store`` (default: the user data dir).

    With ``must_exist`` a project that has never been ingested raises FileNotFoundError
    naming the folder looked in.
    """
    root = Path(store).expanduser() if store is not None else default_store_root()
    ps = ProjectStore(root, check_project_name(project))
    if must_exist and not ps.exists():
        raise FileNotFoundError(f"project {project!r} not found in store {root} "
                                f"(run `rushes ingest PATH --project {project}` first)")
    return ps
