"""Host-code rules for nuke/: Python 3.9, hostbridge only, and mypy-clean against types-nuke."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nuke.conftest import FAKE_DIR, PLUGIN_DIR, REPO

FORBIDDEN = ("inference_server", "torch", "onnxruntime", "OpenImageIO", "cv2", "numpy", "PyOpenColorIO")


def plugin_files() -> list[Path]:
    files = sorted(PLUGIN_DIR.rglob("*.py"))
    assert len(files) >= 10, f"expected the plugin's files under {PLUGIN_DIR}"
    return files


def test_plugin_parses_as_python_3_9() -> None:
    for path in plugin_files():
        ast.parse(path.read_text(), str(path), feature_version=(3, 9))


def python39() -> str | None:
    """A working Python 3.9 interpreter (Nuke 14's), if this machine has one."""
    candidates = [shutil.which("python3.9") or ""] + sorted(
        str(p) for p in (Path.home() / ".pyenv" / "versions").glob("3.9*/bin/python3.9"))
    for exe in candidates:
        if exe and subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
            return exe
    return None


def test_plugin_runs_on_a_real_python_3_9_when_there_is_one() -> None:
    """ast misses runtime-only problems: build every node under 3.9; Process says pyzmq is missing."""
    exe = python39()
    if exe is None:
        pytest.fail("Python 3.9 is needed for this check (pyenv install 3.9, or put python3.9 on PATH)")
    code = ("import sys; sys.path[:0] = sys.argv[1:3]; import nuke, rushes_nuke, rushes_nuke.kinds as N, "
            "rushes_nuke.farm; rushes_nuke.install(); "
            "[N.create(k, url='tcp://127.0.0.1:9') for k in ('WireRemoval', 'CleanPlate', 'ObjectRemoval', "
            "'Matte', 'Look')]; n = nuke.toNode('WireRemoval1'); nuke.fake_press(n, 'process'); "
            "print(sys.version_info[:2], nuke.fake_state().messages)")
    done = subprocess.run([exe, "-B", "-c", code, str(FAKE_DIR), str(PLUGIN_DIR)], capture_output=True, text=True,
                          cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("(3, 9)") and "install pyzmq and msgpack" in done.stdout  # one clear message


def test_plugin_imports_only_hostbridge_from_rushes() -> None:
    for path in plugin_files():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_mypy_against_types_nuke() -> None:
    cmd = [sys.executable, "-m", "mypy", "nuke/", "--python-version", "3.10", "--follow-imports=silent"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
