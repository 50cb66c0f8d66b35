"""Offline bundles: build one with no network, install Nuke from it with pip --no-index.

No network is used at any point: the wheels are this environment's own pyzmq and msgpack,
repacked from their RECORD files by ``make_bundle.py --from-installed``; pip runs with
``--no-index``, PIP_NO_INDEX=1 and proxies pointing at a closed port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from inference_server.install.bundle import covers, verify_bundle, wheel_tags
from inference_server.install.wheels import wheel_name
from tests.installers.conftest import PY, REPO

MAKE_BUNDLE = REPO / "installers" / "make_bundle.py"
NO_NET = {"PIP_NO_INDEX": "1", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
          "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def _make_bundle(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, str(MAKE_BUNDLE), str(out), *args], capture_output=True, text=True,
                          env={**os.environ, **NO_NET}, timeout=120)


def test_wheel_tag_rules() -> None:
    assert covers("pyzmq-27.0.0-cp39-cp39-manylinux_2_28_x86_64.whl", "3.9")
    assert not covers("pyzmq-27.0.0-cp39-cp39-manylinux_2_28_x86_64.whl", "3.10")
    assert covers("pyzmq-27.0.0-cp38-abi3-macosx_11_0_arm64.whl", "3.11")
    assert not covers("pyzmq-27.0.0-cp312-abi3-win_amd64.whl", "3.11")
    assert covers("msgpack-1.0.0-py3-none-any.whl", "3.12")
    assert wheel_tags("msgpack-1.2.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")[4] == {
        "manylinux_2_17_x86_64", "manylinux2014_x86_64"}
    assert wheel_name("PyZMQ", "27.3.0", ["cp311-cp311-manylinux_2_26_x86_64", "cp311-cp311-manylinux_2_28_x86_64"]
                      ) == "pyzmq-27.3.0-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl"
    with pytest.raises(ValueError, match="not a wheel"):
        wheel_tags("pyzmq.tar.gz")


def test_incomplete_bundle_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    done = _make_bundle(tmp_path / "b", "--from-installed", "--python-versions", f"3.9,{PY}")
    assert done.returncode == 2
    assert "pyzmq for Python 3.9" in done.stderr and "msgpack for Python 3.9" in done.stderr
    assert f"for Python {PY}" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_offline_bundle_install_imports_without_the_venv(tmp_path: Path, home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    done = _make_bundle(bundle, "--from-installed", "--python-versions", PY)
    assert done.returncode == 0, done.stderr
    info = json.loads((bundle / "bundle.json").read_text())
    assert info["missing"] == [] and info["python_versions"] == [PY]
    assert sorted(info["coverage"][PY]) == ["msgpack", "pyzmq"]
    assert (bundle / "src" / "hostbridge" / "client.py").is_file()
    assert (bundle / "src" / "installers" / "nuke" / "init.py.in").is_file()
    assert not list((bundle / "src").rglob("__pycache__"))
    for whl in bundle.glob("wheels/*.whl"):
        with zipfile.ZipFile(whl) as zf:
            assert zf.testzip() is None
            assert any(n.endswith(".dist-info/RECORD") for n in zf.namelist())
    assert verify_bundle(bundle) == []

    for key, value in NO_NET.items():
        monkeypatch.setenv(key, value)
    from inference_server.cli import main

    assert main(["install", "nuke", "--bundle", str(bundle), "--python-versions", PY]) == 0
    root = home / ".nuke" / "rushes"
    # Run the bootstrap in a bare interpreter (-S: no site-packages, so no venv) with a stand-in
    # `nuke` module: it must put hostbridge and the wheels on sys.path and add the plugin folder.
    probe = textwrap.dedent(f"""
        import json, sys, types
        calls = []
        sys.modules["nuke"] = types.SimpleNamespace(pluginAddPath=calls.append)
        exec(compile(open({str(root / "init.py")!r}).read(), "init.py", "exec"), {{"__name__": "__main__"}})
        import hostbridge, zmq, msgpack
        print(json.dumps({{"calls": calls, "hostbridge": hostbridge.__file__, "zmq": zmq.__file__,
                          "msgpack": msgpack.__file__, "zmq_version": zmq.zmq_version(),
                          "roundtrip": msgpack.unpackb(msgpack.packb({{"a": [1, 2]}}))}}))
    """)
    run = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["calls"] == [str(root / "plugin")]
    assert got["hostbridge"].startswith(str(root / "lib" / "hostbridge"))
    assert got["zmq"].startswith(str(root / "lib" / f"py{PY}" / "zmq"))
    assert got["msgpack"].startswith(str(root / "lib" / f"py{PY}" / "msgpack"))
    assert got["roundtrip"] == {"a": [1, 2]}

    assert main(["uninstall", "nuke"]) == 0
    assert list(home.iterdir()) == []


def test_tampered_bundle_is_reported(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert _make_bundle(bundle, "--from-installed", "--python-versions", PY).returncode == 0
    whl = next(bundle.glob("wheels/msgpack-*.whl"))
    whl.write_bytes(whl.read_bytes() + b"x")
    problems = verify_bundle(bundle)
    assert len(problems) == 1 and whl.name in problems[0]
    assert _make_bundle(bundle, "--from-installed").returncode == 2        # never overwrites a bundle


def test_damaged_bundle_is_refused_by_install(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle"
    assert _make_bundle(bundle, "--from-installed", "--python-versions", PY).returncode == 0
    next(bundle.glob("wheels/pyzmq-*.whl")).unlink()
    from inference_server.cli import main

    assert main(["install", "nuke", "--bundle", str(bundle), "--python-versions", PY]) == 2
    assert "is damaged" in capsys.readouterr().err
    assert list(home.iterdir()) == []


def test_daemon_wheel_in_the_bundle_installs_offline(tmp_path: Path) -> None:
    import os

    bundle = tmp_path / "bundle"
    done = _make_bundle(bundle, "--from-installed", "--python-versions", PY, "--daemon")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in bundle.glob("wheels/rushes-*.whl")] == ["rushes-0.1.0-py3-none-any.whl"]
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(bundle / "wheels"),
                          "--no-deps", "--target", str(target), "--quiet", "--disable-pip-version-check", "rushes"],
                         capture_output=True, text=True, env={**os.environ, **NO_NET}, timeout=120)
    assert pip.returncode == 0, pip.stderr
    assert (target / "inference_server" / "install" / "paths.py").is_file()
    assert (target / "hostbridge" / "client.py").is_file()
    entry = next(target.glob("rushes-*.dist-info")) / "entry_points.txt"
    assert "rushes = inference_server.cli:main" in entry.read_text()
