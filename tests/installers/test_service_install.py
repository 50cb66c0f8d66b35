"""`rushes install service`: systemd unit, launchd agent, Windows task; install, re-install, uninstall."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from inference_server.install import ops
from inference_server.install.manifest import load_manifest
from inference_server.install.service import serve_argv, systemd_quote
from inference_server.install.sources import Sources
from tests.installers.conftest import REPO, make_layout, snapshot

TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
ODD_STORE = "/studio/show 01/%store$x"


def _sources() -> Sources:
    return Sources(REPO, None, "0.1.0")


def _install(os_name: str, home: Path, python: str) -> tuple[ops.Outcome, Path]:
    layout = make_layout(os_name, home)  # type: ignore[arg-type]
    plan = ops.make_plan("service", layout, _sources(), python=python, store=ODD_STORE, device="cpu")
    outcome = ops.install(plan, layout, _sources(), start=False)
    return outcome, Path(str(layout.service_file))


def _systemd_verify(unit: Path, tmp: Path) -> None:
    """`systemd-analyze verify --user` when available; configparser checks run regardless."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        warnings.warn("systemd-analyze not found: the unit was checked with configparser only", stacklevel=2)
        return
    runtime = tmp / "runtime"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime))
    done = subprocess.run([tool, "verify", "--user", str(unit)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert unit.name not in done.stderr, done.stderr   # any complaint about the unit names the file


def test_systemd_unit(home: Path, tmp_path: Path) -> None:
    outcome, unit = _install("linux", home, sys.executable)
    assert unit == home / ".config" / "systemd" / "user" / "rushes.service"
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    svc = parser["Service"]
    assert svc["Restart"] == "on-failure"
    assert svc["Type"] == "simple"
    assert parser["Install"]["WantedBy"] == "default.target"
    words = shlex.split(svc["ExecStart"])
    log = home / ".local" / "state" / "rushes" / "log" / "rushes.log"
    assert words[:4] == [sys.executable, "-m", "inference_server.cli", "serve"]
    assert words[words.index("--log-file") + 1] == str(log)
    # % and $ are systemd specials: escaped as %% and $$ inside one quoted word
    assert words[words.index("--store") + 1] == ODD_STORE.replace("%", "%%").replace("$", "$$")
    assert log.parent.is_dir()
    _systemd_verify(unit, tmp_path)


def test_systemd_quoting() -> None:
    assert systemd_quote("/usr/bin/python3") == "/usr/bin/python3"
    assert systemd_quote("/a b/c") == '"/a b/c"'
    assert systemd_quote('say "hi"') == '"say \\"hi\\""'
    assert systemd_quote("50%") == "50%%"


def test_launchd_plist(home: Path) -> None:
    outcome, plist_path = _install("macos", home, "/opt/rushes/bin/python3")
    plist = plistlib.loads(plist_path.read_bytes())
    layout = make_layout("macos", home)
    assert plist["Label"] == "com.rushes.daemon"
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["ProgramArguments"] == serve_argv("/opt/rushes/bin/python3", layout, device="cpu", store=ODD_STORE)
    assert plist["StandardErrorPath"] == str(home / "Library" / "Logs" / "rushes" / "rushes.err.log")
    assert plist["StandardOutPath"].startswith(str(home / "Library" / "Logs" / "rushes"))
    assert outcome.manifest is not None
    assert outcome.manifest.uninstall_commands[0][:2] == ["launchctl", "bootout"]


def test_windows_task_xml(home: Path) -> None:
    python = r"C:\Rushes\venv\Scripts\pythonw.exe"
    outcome, xml_path = _install("windows", home, python)
    raw = xml_path.read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")          # UTF-16 with a BOM, as schtasks wants
    root = ET.fromstring(raw)
    assert root.tag == "{%s}Task" % TASK_NS["t"]
    assert root.find("t:Triggers/t:LogonTrigger/t:Enabled", TASK_NS).text == "true"  # type: ignore[union-attr]
    restart = root.find("t:Settings/t:RestartOnFailure", TASK_NS)
    assert restart is not None and int(restart.find("t:Count", TASK_NS).text) > 0  # type: ignore[union-attr,arg-type]
    assert root.find("t:Settings/t:ExecutionTimeLimit", TASK_NS).text == "PT0S"  # type: ignore[union-attr]
    assert root.find("t:Actions/t:Exec/t:Command", TASK_NS).text == python  # type: ignore[union-attr]
    args = root.find("t:Actions/t:Exec/t:Arguments", TASK_NS).text  # type: ignore[union-attr]
    assert args is not None and args.startswith("-m inference_server.cli serve --device cpu")
    assert f'--store "{ODD_STORE}"' in args
    assert str(home / "AppData" / "Local" / "rushes" / "Logs" / "rushes.log") in args


@pytest.mark.parametrize("os_name", ["linux", "macos", "windows"])
def test_reinstall_is_idempotent_and_uninstall_leaves_nothing(os_name: str, home: Path) -> None:
    before = snapshot(home)
    first, service_file = _install(os_name, home, "/opt/rushes/bin/python3")
    state = snapshot(home)
    second, _ = _install(os_name, home, "/opt/rushes/bin/python3")
    assert first.manifest is not None and second.manifest is not None
    assert [f.path for f in first.manifest.files] == [f.path for f in second.manifest.files]
    after = snapshot(home)
    manifest_rel = str(second.manifest_path.relative_to(home))
    assert {k: v for k, v in after.items() if k != manifest_rel} == {k: v for k, v in state.items() if k != manifest_rel}
    layout = make_layout(os_name, home)  # type: ignore[arg-type]
    removed = ops.remove("service", layout, stop=False)
    assert removed.left_behind == []
    assert not service_file.exists()
    assert load_manifest(second.manifest_path) is None
    assert snapshot(home) == before
    assert list(home.iterdir()) == []                       # no folder left either


def test_cli_dry_run_writes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inference_server.cli import main

    assert main(["install", "service", "--dry-run", "--os", "macos"]) == 0
    out = capsys.readouterr().out
    assert "<key>KeepAlive</key>" in out and "com.rushes.daemon.plist" in out
    assert main(["install", "service", "--dry-run"]) == 0
    assert "Restart=on-failure" in capsys.readouterr().out
    assert list(home.iterdir()) == []


def test_cli_install_and_uninstall_without_starting(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inference_server.cli import main

    assert main(["install", "service", "--no-start", "--device", "cpu"]) == 0
    unit = home / ".config" / "systemd" / "user" / "rushes.service"
    assert "--device cpu" in unit.read_text()
    assert "not started (--no-start)" in capsys.readouterr().out
    assert main(["uninstall", "service", "--no-start"]) == 0
    assert not unit.exists()
    assert main(["uninstall", "service", "--no-start"]) == 2     # nothing installed: a clear error
    assert "not installed" in capsys.readouterr().err


def test_foreign_os_needs_dry_run(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inference_server.cli import main

    assert main(["install", "service", "--os", "windows"]) == 2
    assert "add --dry-run" in capsys.readouterr().err
