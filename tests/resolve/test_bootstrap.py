"""The Scripts-menu files find rushes_resolve without __file__ (per-user Fusion folder) and through
$RUSHES_HOME; the shared bootstrap adds hostbridge and this Python's wheel folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "resolve" / "Fusion" / "Scripts" / "Utility" / "Rushes Repair.py"
PY = "py%d.%d" % sys.version_info[:2]
PROBE = """
import sys
src = open(sys.argv[1]).read().split("bootstrap.run(")[0]
scope = {} if sys.argv[2] == "no-file" else {"__file__": sys.argv[1]}
exec(src, scope)
scope["bootstrap"].add_paths()
import rushes_resolve, hostbridge.files
print(rushes_resolve.__file__, hostbridge.files.__file__, [p for p in sys.path if p.endswith("%s")], sep="|")
""" % PY


def _lib(at: Path) -> Path:
    shutil.copytree(REPO / "resolve" / "rushes_resolve", at / "rushes_resolve",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "hostbridge", at / "hostbridge", ignore=shutil.ignore_patterns("__pycache__"))
    (at / PY).mkdir()
    return at


def _probe(env: dict[str, str], how: str, cwd: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(SCRIPT), how], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split("|")


def test_without_file_the_per_user_fusion_folder_is_searched(tmp_path: Path) -> None:
    lib = _lib(tmp_path / "home" / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Rushes" / "lib")
    package, bridge, wheels = _probe({"HOME": str(tmp_path / "home"), "PATH": os.environ["PATH"]}, "no-file", tmp_path)
    assert package == str(lib / "rushes_resolve" / "__init__.py")
    assert bridge == str(lib / "hostbridge" / "files.py") and wheels == str([str(lib / PY)])


def test_rushes_home_comes_first(tmp_path: Path) -> None:
    home = tmp_path / "rushes"
    lib = _lib(home / "resolve")
    env = {"HOME": str(tmp_path / "nobody"), "PATH": os.environ["PATH"], "RUSHES_HOME": str(home)}
    package, bridge, _ = _probe(env, "file", tmp_path)
    assert package == str(lib / "rushes_resolve" / "__init__.py")   # not the checkout beside the script
    assert bridge == str(lib / "hostbridge" / "files.py")
