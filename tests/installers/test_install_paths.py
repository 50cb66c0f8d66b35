"""Per-OS locations, computed for Linux, macOS and Windows on this one machine."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from inference_server.install.paths import layout_for


def test_linux_defaults_follow_xdg_and_hosts_md() -> None:
    lay = layout_for("linux", "/home/ana", {})
    assert lay.config_file == PurePosixPath("/home/ana/.config/rushes/rushes.toml")
    assert lay.data_dir == PurePosixPath("/home/ana/.local/share/rushes")
    assert lay.log_file == PurePosixPath("/home/ana/.local/state/rushes/log/rushes.log")
    assert lay.service_file == PurePosixPath("/home/ana/.config/systemd/user/rushes.service")
    assert lay.nuke_plugin_dir() == PurePosixPath("/home/ana/.nuke/rushes")
    assert lay.resolve_scripts == PurePosixPath("/home/ana/.local/share/DaVinciResolve/Fusion/Scripts")
    assert lay.installs_dir == PurePosixPath("/home/ana/.local/state/rushes/.installs")


def test_linux_honours_xdg_variables() -> None:
    lay = layout_for("linux", "/home/ana", {"XDG_CONFIG_HOME": "/cfg", "XDG_DATA_HOME": "/data",
                                            "XDG_STATE_HOME": "/state"})
    assert lay.service_file == PurePosixPath("/cfg/systemd/user/rushes.service")
    assert lay.data_dir == PurePosixPath("/data/rushes")
    assert lay.log_dir == PurePosixPath("/state/rushes/log")
    # Resolve's per-user folder is fixed by Resolve, not by XDG.
    assert lay.resolve_fusion == PurePosixPath("/home/ana/.local/share/DaVinciResolve/Fusion")


def test_macos_layout() -> None:
    lay = layout_for("macos", "/Users/ana", {"XDG_DATA_HOME": "/ignored"})
    assert lay.data_dir == PurePosixPath("/Users/ana/Library/Application Support/rushes")
    assert lay.log_dir == PurePosixPath("/Users/ana/Library/Logs/rushes")
    assert lay.service_file == PurePosixPath("/Users/ana/Library/LaunchAgents/com.rushes.daemon.plist")
    assert lay.resolve_scripts == PurePosixPath(
        "/Users/ana/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")


def test_windows_layout_from_env_and_defaults() -> None:
    env = {"APPDATA": r"D:\Profiles\ana\Roaming", "LOCALAPPDATA": r"D:\Profiles\ana\Local"}
    lay = layout_for("windows", r"C:\Users\ana", env)
    assert isinstance(lay.data_dir, PureWindowsPath)
    assert str(lay.data_dir) == r"D:\Profiles\ana\Local\rushes"
    assert str(lay.log_file) == r"D:\Profiles\ana\Local\rushes\Logs\rushes.log"
    assert str(lay.resolve_scripts) == (r"D:\Profiles\ana\Roaming\Blackmagic Design\DaVinci Resolve"
                                        r"\Support\Fusion\Scripts")
    assert str(lay.nuke_plugin_dir()) == r"C:\Users\ana\.nuke\rushes"
    bare = layout_for("windows", r"C:\Users\ana", {})
    assert str(bare.resolve_fusion) == r"C:\Users\ana\AppData\Roaming\Blackmagic Design\DaVinci Resolve\Support\Fusion"
    assert str(bare.service_file) == r"C:\Users\ana\AppData\Local\rushes\service\rushes-daemon.xml"


def test_agrees_with_platformdirs_and_the_project_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from platformdirs.macos import MacOS
    from platformdirs.unix import Unix

    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    lin = layout_for("linux", tmp_path, {})
    unix = Unix("rushes", appauthor=False)
    assert (str(lin.data_dir), str(lin.config_dir), str(lin.log_dir)) == (
        unix.user_data_dir, unix.user_config_dir, unix.user_log_dir)
    mac = layout_for("macos", tmp_path, {})
    darwin = MacOS("rushes", appauthor=False)
    assert (str(mac.data_dir), str(mac.log_dir)) == (darwin.user_data_dir, darwin.user_log_dir)


def test_unknown_os_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown OS 'beos'"):
        layout_for("beos", "/home/x", {})  # type: ignore[arg-type]
