"""Where install takes its files from: a repository checkout or an unpacked offline bundle.

A source tree holds ``hostbridge/``, ``nuke/``, ``resolve/`` and ``installers/`` (the
templates). A bundle (``installers/make_bundle.py``) is ``bundle.json`` + ``src/`` (a
source tree) + ``wheels/`` (the wheelhouse).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from inference_server import __version__
from inference_server.install.bundle import verify_bundle

NEEDED = ("hostbridge", "installers")


@dataclass(frozen=True)
class Sources:
    """A source tree and (optionally) a wheelhouse; ``version`` is what gets installed."""

    tree: Path
    wheelhouse: Path | None
    version: str

    @property
    def templates(self) -> Path:
        return self.tree / "installers"

    def template(self, rel: str) -> str:
        path = self.templates / rel
        if not path.is_file():
            raise FileNotFoundError(f"installer template {path} is missing from the source tree {self.tree}")
        return path.read_text(encoding="utf-8")


def repo_root() -> Path:
    """The checkout this ``inference_server`` package was imported from."""
    return Path(__file__).resolve().parents[2]


def _check_tree(tree: Path, what: str) -> Path:
    missing = [name for name in NEEDED if not (tree / name).is_dir()]
    if missing:
        raise FileNotFoundError(f"{what} {tree} has no {' or '.join(n + '/' for n in missing)}: "
                                f"pass --bundle DIR (an unpacked offline bundle) or --source DIR (a checkout)")
    return tree


def find_sources(*, bundle: Path | None = None, source: Path | None = None,
                 wheelhouse: Path | None = None) -> Sources:
    """Resolve ``--bundle``/``--source``/``--wheelhouse`` (and RUSHES_BUNDLE, RUSHES_WHEELHOUSE)."""
    if bundle is None and os.environ.get("RUSHES_BUNDLE"):
        bundle = Path(os.environ["RUSHES_BUNDLE"])
    if wheelhouse is None and os.environ.get("RUSHES_WHEELHOUSE"):
        wheelhouse = Path(os.environ["RUSHES_WHEELHOUSE"])
    if bundle is not None:
        info_path = bundle / "bundle.json"
        if not info_path.is_file():
            raise FileNotFoundError(f"{bundle} is not a rushes bundle (no bundle.json); "
                                    f"build one with installers/make_bundle.py")
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{info_path} is not valid JSON: {exc}") from exc

        damaged = verify_bundle(bundle)
        if damaged:
            raise ValueError(f"bundle {bundle} is damaged: {'; '.join(damaged)}")
        tree = _check_tree(source or bundle / "src", "bundle source")
        return Sources(tree, wheelhouse or bundle / "wheels", str(info.get("version", __version__)))
    tree = _check_tree(source or repo_root(), "source tree")
    return Sources(tree, wheelhouse, __version__)
