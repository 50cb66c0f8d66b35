"""An installed Resolve menu script finds rushes_resolve, hostbridge, pyzmq and msgpack with no site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"

BOOT = """
import sys
path = sys.argv[1]
src = open(path).read().split("bootstrap.run(")[0]   # the menu file up to running its tool
scope = {"__file__": path}
exec(src, scope)
scope["bootstrap"].add_paths()
import rushes_resolve, hostbridge, zmq, msgpack
print(rushes_resolve.__file__, zmq.__file__, sep="\\n")
"""


def test_installed_script_bootstraps_without_site_packages(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_DATA_HOME="", XDG_STATE_HOME="", XDG_CONFIG_HOME="")
    bundle = tmp_path / "bundle"
    subprocess.run([sys.executable, "installers/make_bundle.py", str(bundle), "--from-installed", "--python-versions", PY],
                   cwd=REPO, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "inference_server.cli", "install", "resolve", "--bundle", str(bundle),
                    "--python-versions", PY], cwd=REPO, env=env, check=True, capture_output=True)
    scripts = sorted((tmp_path / "home").rglob("Scripts/Utility/Rushes *.py"))
    assert [p.name for p in scripts] == ["Rushes Look Match.py", "Rushes Repair.py", "Rushes Revert.py", "Rushes Shot Match.py"]
    out = subprocess.run([sys.executable, "-I", "-S", "-c", BOOT, str(scripts[0])], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    found = out.stdout.split()
    assert all("Fusion" in f and str(tmp_path) in f for f in found), found
