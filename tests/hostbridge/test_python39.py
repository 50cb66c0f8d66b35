"""hostbridge imports and works on Python 3.9 with only pyzmq and msgpack installed."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
try:
    import numpy
    raise SystemExit("numpy is importable; this check needs an environment without it")
except ImportError:
    pass
import hostbridge
from hostbridge import Client
from hostbridge.frames import buffer_frame
import array, struct
url = sys.argv[1]
with Client(url, timeout=10) as c:
    info = c.hello()
    assert c.ping() < 5
    plate = array.array("f", [0.25] * (4 * 5 * 3))
    for shm in (True, False):
        c.use_shm = shm
        res = c.run("exposure", {"plate": [buffer_frame(plate, (4, 5, 3), "float32", 1001)]}, {"stops": 1.0})
        out = res.frames["result"][0]
        values = struct.unpack("60f", bytes(out.data))
        assert out.number == 1001 and out.shape == (4, 5, 3) and set(values) == {0.5}, (out, values[:3])
print("py", sys.version_info[:2], "same_host", info["same_host"], "ok")
"""


def find_python39() -> str | None:
    found = shutil.which("python3.9")
    if found and subprocess.run([found, "-c", "0"], capture_output=True).returncode == 0:
        return found
    for cand in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))):
        return cand
    return None


def make_env(python: str) -> Path:
    """A cached venv holding only pyzmq and msgpack (pip needs the package index once)."""
    env = Path(os.environ.get("RUSHES_TEST_CACHE", Path.home() / ".cache" / "rushes-tests")) / "py39-hostbridge"
    marker = env / "ready"
    if not marker.exists():
        shutil.rmtree(env, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(env)], check=True)
        subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", "pyzmq", "msgpack"], check=True)
        marker.write_text("ok")
    return env


def test_hostbridge_on_python39_without_numpy(daemon: str) -> None:
    python = find_python39()
    if python is None:
        pytest.fail("Python 3.9 is needed for this check (pyenv install 3.9, or put python3.9 on PATH)")
    env = make_env(python)
    out = subprocess.run([str(env / "bin" / "python"), "-c", SCRIPT, daemon], cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": os.environ["PATH"]},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "py (3, 9) same_host True ok" in out.stdout


def test_importing_hostbridge_loads_nothing_heavy() -> None:
    code = ("import sys, hostbridge, hostbridge.client, hostbridge.frames; "
            "bad = [m for m in ('numpy', 'torch', 'onnxruntime', 'OpenImageIO', 'cv2', 'inference_server') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_host_code_compiles_on_python39() -> None:
    """Everything Nuke 14 and Resolve load must at least parse and import-compile on 3.9."""
    python = find_python39()
    if python is None:
        pytest.fail("Python 3.9 is needed for this check (pyenv install 3.9, or put python3.9 on PATH)")
    files = [str(p) for folder in ("hostbridge", "nuke", "resolve") for p in sorted((REPO / folder).rglob("*.py"))]
    assert len(files) > 5
    code = ("import sys, ast; [ast.parse(open(f).read(), f, feature_version=(3, 9)) or compile(open(f).read(), f, 'exec') "
            "for f in sys.argv[1:]]")
    out = subprocess.run([python, "-c", code, *files], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
