"""Where Rushes puts things on a Resolve workstation, per operating system.

Every function takes the platform name (``sys.platform`` style: ``linux``, ``darwin``,
``win32``), the environment and the home folder, so the rules can be tested anywhere.
Environment overrides: ``RUSHES_RESOLVE_LUT_DIR`` (Resolve's LUT folder),
``RUSHES_RESOLVE_STATE_DIR`` (change logs, stills), ``RUSHES_RESOLVE_RENDER_DIR``
(repaired image sequences).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

LUT_ENV = "RUSHES_RESOLVE_LUT_DIR"
STATE_ENV = "RUSHES_RESOLVE_STATE_DIR"
RENDER_ENV = "RUSHES_RESOLVE_RENDER_DIR"
LUT_SUBFOLDER = "Rushes"


def _platform(system: str | None) -> str:
    name = system if system is not None else sys.platform
    if name.startswith("win"):
        return "windows"
    if name == "darwin":
        return "macos"
    if name.startswith("linux"):
        return "linux"
    raise ValueError(f"unsupported platform {name!r}; Resolve runs on linux, darwin or win32")


def resolve_lut_folder(system: str | None = None, env: Mapping[str, str] | None = None,
                       home: str | None = None) -> str:
    """Resolve's master LUT folder for this OS (the folder ``RefreshLUTList`` scans).

    Linux ``/opt/resolve/LUT``; macOS ``/Library/Application Support/Blackmagic Design/
    DaVinci Resolve/LUT``; Windows ``%PROGRAMDATA%\\Blackmagic Design\\DaVinci Resolve\\
    Support\\LUT``. ``RUSHES_RESOLVE_LUT_DIR`` overrides it.
    """
    env = os.environ if env is None else env
    if env.get(LUT_ENV):
        return env[LUT_ENV]
    kind = _platform(system)
    if kind == "linux":
        return "/opt/resolve/LUT"
    if kind == "macos":
        return "/Library/Application Support/Blackmagic Design/DaVinci Resolve/LUT"
    program_data = env.get("PROGRAMDATA") or "C:\\ProgramData"
    return "\\".join([program_data.rstrip("\\"), "Blackmagic Design", "DaVinci Resolve",
                      "Support", "LUT"])


def rushes_lut_folder(project: str, system: str | None = None,
                      env: Mapping[str, str] | None = None, home: str | None = None) -> str:
    """``<Resolve LUT folder>/Rushes/<project>``: where fitted looks are written."""
    return _join(system, resolve_lut_folder(system, env, home), LUT_SUBFOLDER, safe_name(project))


def state_folder(system: str | None = None, env: Mapping[str, str] | None = None,
                 home: str | None = None) -> str:
    """Per-user Rushes state for Resolve (change logs, exported stills).

    Linux ``$XDG_DATA_HOME/rushes/resolve`` (default ``~/.local/share``); macOS
    ``~/Library/Application Support/rushes/resolve``; Windows ``%APPDATA%\\rushes\\resolve``.
    """
    env = os.environ if env is None else env
    if env.get(STATE_ENV):
        return env[STATE_ENV]
    kind = _platform(system)
    home = home if home is not None else os.path.expanduser("~")
    if kind == "linux":
        base = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        return os.path.join(base, "rushes", "resolve")
    if kind == "macos":
        return os.path.join(home, "Library", "Application Support", "rushes", "resolve")
    appdata = env.get("APPDATA") or f"{home}\\AppData\\Roaming"
    return "\\".join([appdata.rstrip("\\"), "rushes", "resolve"])


def project_folder(project: str, uid: str, system: str | None = None,
                   env: Mapping[str, str] | None = None, home: str | None = None) -> str:
    """The folder holding one Resolve project's change log and stills."""
    name = safe_name(project) + ("-" + safe_name(uid)[:12] if uid else "")
    return _join(system, state_folder(system, env, home), "projects", name)


def render_folder(project: str, system: str | None = None,
                  env: Mapping[str, str] | None = None, home: str | None = None) -> str:
    """Where repaired image sequences go (never next to the source media)."""
    env = os.environ if env is None else env
    if env.get(RENDER_ENV):
        return _join(system, env[RENDER_ENV], safe_name(project))
    return _join(system, state_folder(system, env, home), "renders", safe_name(project))


def safe_name(text: str) -> str:
    """A file-name-safe version of a clip or project name (letters, digits, ``._-``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned or "untitled"


def project_slug(name: str) -> str:
    """A Resolve project name as a daemon project name: letters, digits, ``._-``, at most 128
    characters, starting with a letter or digit ("Show 2 / Reel A" -> "Show_2_Reel_A")."""
    return safe_name(name).lstrip("-_.")[:128] or "untitled"


def _join(system: str | None, *parts: str) -> str:
    if _platform(system) == "windows" and not sys.platform.startswith("win"):
        return "\\".join(p.rstrip("\\") for p in parts)
    return os.path.join(*parts)
