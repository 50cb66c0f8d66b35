"""Connecting to Resolve (and saying exactly why not), and Python 3.9 compatibility."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rushes_resolve.connect import ResolveUnavailable, get_resolve
from rushes_resolve.entry import main
from rushes_resolve.ui import Reporter

RESOLVE_DIR = Path(__file__).resolve().parents[2] / "resolve"


def _python39() -> str:
    """A real Python 3.9 interpreter (pyenv's, or one on PATH that is not a pyenv shim)."""
    found = sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3.9"))
    if found:
        return str(found[-1])
    on_path = shutil.which("python3.9") or ""
    return "" if "shims" in on_path else on_path


PY39 = _python39()


def test_injected_resolve_wins() -> None:
    marker = object()
    assert get_resolve({"resolve": marker}, env={}) is marker


def test_env_unset_says_so_and_mentions_studio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    with pytest.raises(ResolveUnavailable) as err:
        get_resolve({}, env={}, system="linux")
    text = str(err.value)
    assert "RESOLVE_SCRIPT_API and RESOLVE_SCRIPT_LIB are not set" in text
    assert "/opt/resolve/Developer/Scripting" in text and "/opt/resolve/libs/Fusion/fusionscript.so" in text
    assert "21.1" in text and "Studio" in text


def test_module_found_but_resolve_not_answering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    modules = tmp_path / "Scripting" / "Modules"
    modules.mkdir(parents=True)
    (modules / "DaVinciResolveScript.py").write_text("def scriptapp(name):\n    return None\n")
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    env = {"RESOLVE_SCRIPT_API": str(tmp_path / "Scripting"), "RESOLVE_SCRIPT_LIB": "/x/fusionscript.so"}
    with pytest.raises(ResolveUnavailable, match="did not answer.*External scripting.*Studio"):
        get_resolve({}, env=env)
    (modules / "DaVinciResolveScript.py").write_text("def scriptapp(name):\n    return ('app', name)\n")
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    assert get_resolve({}, env=env) == ("app", "Resolve")


def test_entry_reports_the_unavailable_api_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RESOLVE_SCRIPT_API", "RESOLVE_SCRIPT_LIB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    reporter = Reporter()
    assert main("look_match", {}, reporter=reporter) == 1
    assert len(reporter.lines) == 1
    assert reporter.lines[0].startswith("error: DaVinci Resolve's scripting API is unavailable: "
                                        "RESOLVE_SCRIPT_API and RESOLVE_SCRIPT_LIB are not set")


def test_sources_parse_as_python_39() -> None:
    files = sorted(RESOLVE_DIR.rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


def test_modules_import_and_run_under_python_39(tmp_path: Path) -> None:
    """A real 3.9 interpreter without pyzmq imports every module (hostbridge's client is only imported
    inside functions) and runs the pure helpers: timecodes, paths, CDL, the change log (hostbridge's
    stdlib helpers do its CDL parsing and atomic writes)."""
    if not PY39:
        pytest.fail("Python 3.9 is needed for this check (pyenv install 3.9, or put python3.9 on PATH)")
    log = str(tmp_path / "log.json")
    code = f"""
import sys; sys.path[:0] = [{str(RESOLVE_DIR)!r}, {str(RESOLVE_DIR.parent)!r}]  # installed side by side
try:
    import zmq
    raise SystemExit("pyzmq is importable; this check needs a Python without it")
except ImportError:
    pass
import rushes_resolve.entry, rushes_resolve.look_match, rushes_resolve.shot_match
import rushes_resolve.repair, rushes_resolve.revert, rushes_resolve.ui
from rushes_resolve import cdl, frames, paths
from rushes_resolve.changelog import ChangeLog
from rushes_resolve.ui import Field
seq = frames.parse_source_path('/a/b.[1-2].exr')
tc = frames.frame_to_timecode(1800, 29.97, True)
run = ChangeLog({log!r}).start_run('look_match')
run.add_change('cdl', node=1, value=cdl.cdl_map(1, cdl.IDENTITY))
run.finish('done')
print('|'.join(map(str, [seq.frame_path(2), tc, frames.timecode_to_frame(tc, 29.97), paths.project_slug('My Show'),
      paths.rushes_lut_folder('S', 'win32', {{}}), Field('n', 'N', 'int', 1).parse(' 3 '),
      ChangeLog({log!r}).last_undoable()['tool']])))
"""
    out = subprocess.run([PY39, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split("|") == [
        "/a/b.2.exr", "00:01:00;02", "1800", "My_Show",
        "C:\\ProgramData\\Blackmagic Design\\DaVinci Resolve\\Support\\LUT\\Rushes\\S", "3", "look_match"]


def test_menu_entry_file_runs_with_the_injected_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The Scripts-menu file finds rushes_resolve from its own location and uses ``resolve``."""
    import runpy

    from tests.resolve import scene

    monkeypatch.setenv("RUSHES_RESOLVE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p).resolve() != RESOLVE_DIR])
    for name in [m for m in sys.modules if m.startswith("rushes_resolve")]:
        monkeypatch.delitem(sys.modules, name)
    resolve, _, _ = scene.project(tmp_path)
    runpy.run_path(str(RESOLVE_DIR / "Fusion" / "Scripts" / "Utility" / "Rushes Revert.py"),
                   init_globals={"resolve": resolve}, run_name="__main__")
    assert "[Rushes] nothing to revert: no Rushes change is recorded for this project" in capsys.readouterr().out
    assert str(RESOLVE_DIR) in [str(Path(p).resolve()) for p in sys.path]
