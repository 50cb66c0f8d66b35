"""Where Rushes puts things on Linux, macOS and Windows, computed for any OS from HOME and env.

Nothing here touches the disk: ``layout_for("windows", home, env)`` works on Linux, so the
installer can show (``--dry-run``) and the tests can check every OS's layout on one machine.
The per-user folders follow platformdirs' conventions (so the store default agrees with
``platformdirs.user_data_dir("rushes")``); host folders follow HOSTS.md.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Literal, cast

OsName = Literal["linux", "macos", "windows"]
OS_NAMES: tuple[OsName, ...] = ("linux", "macos", "windows")

APP = "rushes"
SERVICE_LABEL = "com.rushes.daemon"          # launchd label
SERVICE_UNIT = "rushes.service"              # systemd user unit
SERVICE_TASK = "Rushes\\Daemon"              # Windows scheduled task name (folder\name)


def current_os() -> OsName:
    """This machine's OS as one of ``OS_NAMES``."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def check_os(name: str) -> OsName:
    """Validate an OS name from the command line."""
    for known in OS_NAMES:
        if name == known:
            return known
    raise ValueError(f"unknown OS {name!r}; expected one of: {', '.join(OS_NAMES)}")


@dataclass(frozen=True)
class Layout:
    """Every per-user location Rushes installs to or reads from, for one OS and one user.

    ``data_dir`` is the default project store root; ``installs_dir`` holds one install
    manifest per installed component; ``resolve_fusion`` is the per-user Fusion folder
    (its ``Scripts`` subfolder is Resolve's Scripts menu root).
    """

    os: OsName
    home: PurePath
    config_dir: PurePath
    data_dir: PurePath
    state_dir: PurePath
    log_dir: PurePath
    service_file: PurePath
    nuke_root: PurePath
    resolve_fusion: PurePath

    @property
    def config_file(self) -> PurePath:
        return self.config_dir / "rushes.toml"

    @property
    def log_file(self) -> PurePath:
        return self.log_dir / "rushes.log"

    @property
    def installs_dir(self) -> PurePath:
        return self.state_dir / ".installs"

    @property
    def resolve_scripts(self) -> PurePath:
        return self.resolve_fusion / "Scripts"

    @property
    def resolve_lib(self) -> PurePath:
        """Where the Resolve package, hostbridge and the wheels for Resolve's Python go."""
        return self.resolve_fusion / "Rushes"

    def nuke_plugin_dir(self, nuke_root: PurePath | None = None) -> PurePath:
        """The folder added to Nuke's plugin path (``<~/.nuke or --nuke-path>/rushes``)."""
        return (nuke_root if nuke_root is not None else self.nuke_root) / APP


def _env_dir(env: Mapping[str, str], key: str, fallback: PurePath, cls: type[PurePath]) -> PurePath:
    value = env.get(key, "")
    return cls(value) if value else fallback


def layout_for(os_name: OsName, home: str | PurePath, env: Mapping[str, str],
               path_cls: type[PurePath] | None = None) -> Layout:
    """The layout for ``os_name`` given the user's home folder and environment.

    ``path_cls`` is the path type to build with: by default ``PureWindowsPath`` for
    Windows and ``PurePosixPath`` otherwise; pass ``Path`` to get a layout that can be
    written on this machine (the tests install a Windows layout into a temporary HOME).
    """
    os_name = check_os(os_name)
    cls = path_cls or (PureWindowsPath if os_name == "windows" else PurePosixPath)
    h = cls(str(home))
    if os_name == "linux":
        config_home = _env_dir(env, "XDG_CONFIG_HOME", h / ".config", cls)
        data_home = _env_dir(env, "XDG_DATA_HOME", h / ".local" / "share", cls)
        state_home = _env_dir(env, "XDG_STATE_HOME", h / ".local" / "state", cls)
        state = state_home / APP
        return Layout(os=os_name, home=h, config_dir=config_home / APP, data_dir=data_home / APP,
                      state_dir=state, log_dir=state / "log",
                      service_file=config_home / "systemd" / "user" / SERVICE_UNIT,
                      nuke_root=h / ".nuke",
                      resolve_fusion=h / ".local" / "share" / "DaVinciResolve" / "Fusion")
    if os_name == "macos":
        support = h / "Library" / "Application Support"
        return Layout(os=os_name, home=h, config_dir=support / APP, data_dir=support / APP,
                      state_dir=support / APP, log_dir=h / "Library" / "Logs" / APP,
                      service_file=h / "Library" / "LaunchAgents" / f"{SERVICE_LABEL}.plist",
                      nuke_root=h / ".nuke",
                      resolve_fusion=support / "Blackmagic Design" / "DaVinci Resolve" / "Fusion")
    roaming = _env_dir(env, "APPDATA", h / "AppData" / "Roaming", cls)
    local = _env_dir(env, "LOCALAPPDATA", h / "AppData" / "Local", cls)
    app = local / APP        # platformdirs user_data_dir("rushes", appauthor=False), as the project store uses
    return Layout(os=os_name, home=h, config_dir=app, data_dir=app, state_dir=app,
                  log_dir=app / "Logs", service_file=app / "service" / "rushes-daemon.xml",
                  nuke_root=h / ".nuke",
                  resolve_fusion=roaming / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion")


def local(path: PurePath) -> Path:
    """``path`` as written to: a ``Path`` for layouts built with ``path_cls=Path``.

    A pure (other-OS) layout keeps its flavour, so a ``--dry-run --os windows`` plan prints
    Windows paths; such plans are only described, never applied.
    """
    return cast(Path, path)


def this_machine(env: Mapping[str, str] | None = None, home: str | PurePath | None = None) -> Layout:
    """The layout for the current OS and user, with concrete ``Path`` objects."""
    import os

    environ = os.environ if env is None else env
    if home is None:
        home = environ.get("HOME") or environ.get("USERPROFILE") or str(Path.home())
    return layout_for(current_os(), home, environ, path_cls=Path)
