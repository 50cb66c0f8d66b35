"""Fixtures for install tests: a temporary HOME per OS layout, a small source tree, a wheelhouse.

The wheelhouse is built with no network: this environment's own pyzmq and msgpack are
repacked into wheels from their RECORD files (``inference_server.install.wheels``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from inference_server.install.paths import Layout, OsName, layout_for
from inference_server.install.sources import Sources
from inference_server.install.wheels import HOST_PACKAGES, repack_installed

REPO = Path(__file__).resolve().parents[2]
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def make_layout(os_name: OsName, home: Path) -> Layout:
    """``os_name``'s layout rooted in ``home`` on this machine's filesystem."""
    env = {"APPDATA": str(home / "AppData" / "Roaming"), "LOCALAPPDATA": str(home / "AppData" / "Local")}
    return layout_for(os_name, home, env if os_name == "windows" else {}, path_cls=Path)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to compare before install / after uninstall)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def folders(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME with the XDG variables cleared, so this machine's layout lands inside it."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "RUSHES_BUNDLE", "RUSHES_WHEELHOUSE",
                "RUSHES_CONFIG", "RUSHES_SERVER"):
        monkeypatch.delenv(var, raising=False)
    return h


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pyzmq and msgpack wheels for this Python, repacked offline from the installed ones."""
    out = tmp_path_factory.mktemp("wheelhouse")
    for name in HOST_PACKAGES:
        repack_installed(name, out)
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def source_tree(tmp_path: Path) -> Iterator[Path]:
    """A small checkout: the real hostbridge/ and installers/, tiny nuke/ and resolve/ plugins."""
    tree = tmp_path / "src"
    shutil.copytree(REPO / "hostbridge", tree / "hostbridge", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "installers", tree / "installers", ignore=shutil.ignore_patterns("__pycache__"))
    _write(tree / "nuke" / "init.py", "# rushes nuke init\n")
    _write(tree / "nuke" / "menu.py", "import rushes_nuke\nrushes_nuke.install_menu()\n")
    _write(tree / "nuke" / "rushes_nuke" / "__init__.py", "__version__ = '0.1.0'\n")
    _write(tree / "nuke" / "rushes_nuke" / "__pycache__" / "junk.cpython-311.pyc", "not copied")
    _write(tree / "resolve" / "Fusion" / "Scripts" / "Utility" / "Rushes Look Match.py", "print('look')\n")
    _write(tree / "resolve" / "Fusion" / "Scripts" / "Color" / "Rushes Shot Match.py", "print('shot')\n")
    _write(tree / "resolve" / "rushes_resolve" / "__init__.py", "__version__ = '0.1.0'\n")
    yield tree


@pytest.fixture(scope="session")
def pip_installed(wheelhouse: Path) -> Iterator[Path]:
    """One real offline ``pip install --target`` of the wheelhouse for this Python."""
    from inference_server.install.paths import current_os
    from inference_server.install.wheels import install_for_python, nuke_platforms

    done = install_for_python(wheelhouse, PY, platforms=nuke_platforms(PY, current_os()))  # as for Nuke
    yield done
    shutil.rmtree(done, ignore_errors=True)


@pytest.fixture
def sources(source_tree: Path, wheelhouse: Path, pip_installed: Path, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Sources:
    """Sources whose wheel step copies the one real pip install for this Python (saves ~1 s each).

    Other Python versions still go through pip (and fail: the wheelhouse only has this one).
    """
    from inference_server.install import hosts, wheels

    def cached(house: Path, version: str, packages: tuple[str, ...] = HOST_PACKAGES,
               platforms: tuple[str, ...] = ()) -> Path:
        if version != PY or house != wheelhouse:
            return wheels.install_for_python(house, version, packages, platforms)
        copy = Path(tempfile.mkdtemp(dir=tmp_path))
        shutil.copytree(pip_installed, copy, dirs_exist_ok=True)
        return copy

    monkeypatch.setattr(hosts, "install_for_python", cached)
    return Sources(source_tree, wheelhouse, "0.1.0")
