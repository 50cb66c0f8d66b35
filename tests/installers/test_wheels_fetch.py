"""Host wheels for the Nuke build, not this Python (issue 17, item 9): the pip command lines,
fetching into a cache when an index answers, and the offline paths."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from inference_server.install import ops
from inference_server.install.bundle import download_command, host_platforms
from inference_server.install.sources import Sources
from inference_server.install.wheels import fetch_command, nuke_platforms, pip_target_command
from tests.installers.conftest import PY, make_layout

MANYLINUX_2_28 = ["manylinux_2_28_x86_64", "manylinux_2_26_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]


def platform_args(cmd: list[str]) -> list[str]:
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--platform"]


@pytest.mark.parametrize("python, os_name, arch, expected", [
    ("3.9", "linux", "x86_64", ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]),   # Nuke 14: CentOS 7
    ("3.10", "linux", "x86_64", MANYLINUX_2_28),                                       # Nuke 15: Rocky 8
    ("3.11", "linux", "amd64", MANYLINUX_2_28),
    ("3.9", "macos", "arm64", ["macosx_11_0_x86_64"]),        # Nuke 14 is Intel-only, even on an arm64 Mac
    ("3.11", "macos", "arm64", ["macosx_11_0_arm64"]),
    ("3.11", "macos", "x86_64", ["macosx_11_0_x86_64"]),      # an x86_64 Nuke 16 under Rosetta
    ("3.10", "windows", "AMD64", ["win_amd64"]),
])
def test_pip_gets_the_nuke_builds_platform(python: str, os_name: str, arch: str, expected: list[str]) -> None:
    plats = nuke_platforms(python, os_name, arch)
    assert list(plats) == expected
    install = pip_target_command(Path("/wh"), Path("/t"), python, platforms=plats)
    assert platform_args(install) == expected and install[install.index("--python-version") + 1] == python
    assert "--no-index" in install and "--only-binary=:all:" in install
    fetch = fetch_command(Path("/cache"), python, plats)
    assert fetch[3:5] == ["download", "--only-binary=:all:"] and platform_args(fetch) == expected
    assert fetch[fetch.index("--dest") + 1] == "/cache" and fetch[-2:] == ["pyzmq", "msgpack"]
    assert "--no-index" not in fetch, "fetching is the one step that uses the package index"


def test_unknown_nuke_platforms_are_refused() -> None:
    with pytest.raises(ValueError, match="Nuke is not built for linux on arm64"):
        nuke_platforms("3.11", "linux", "aarch64")
    with pytest.raises(ValueError, match="x86_64 or arm64"):
        nuke_platforms("3.11", "macos", "ppc")


def test_bundle_downloads_name_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    from inference_server.install import bundle

    monkeypatch.setattr(bundle, "current_os", lambda: "macos")
    assert host_platforms("3.11", []) == [["macosx_11_0_x86_64"], ["macosx_11_0_arm64"]]
    assert host_platforms("3.9", []) == [["macosx_11_0_x86_64"]]
    assert host_platforms("3.11", ["win_amd64"]) == [["win_amd64"]]
    cmd = download_command(Path("/b"), "3.11", ["macosx_11_0_arm64"])
    assert platform_args(cmd) == ["macosx_11_0_arm64"]


def test_install_without_a_bundle_fetches_into_the_cache_then_works_offline(
        home: Path, sources: Sources, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "wheel-cache"
    monkeypatch.setenv("RUSHES_WHEEL_CACHE", str(cache))
    ran: list[list[str]] = []

    def index(cmd: list[str]) -> str:   # a package index that has this Python's wheels
        ran.append(cmd)
        dest = Path(cmd[cmd.index("--dest") + 1])
        for whl in wheelhouse.glob("*.whl"):
            shutil.copy2(whl, dest / whl.name)
        return ""

    from inference_server.install import fetch

    monkeypatch.setattr(fetch, "run_pip", index)
    no_bundle = Sources(sources.tree, None, "0.1.0")
    layout = make_layout("linux", home)
    outcome = ops.install(ops.make_plan("nuke", layout, no_bundle, pythons=(PY,)), layout, no_bundle, start=False)
    lib = home / ".nuke" / "rushes" / "lib" / f"py{PY}"
    assert (lib / "zmq" / "__init__.py").is_file() and (lib / "msgpack" / "__init__.py").is_file()
    [cmd] = ran
    assert cmd[0] == sys.executable and cmd[3] == "download" and platform_args(cmd) == MANYLINUX_2_28
    assert outcome.plan is not None and outcome.plan.info["wheelhouse"] == str(cache)
    assert sorted(p.name.split("-")[0] for p in cache.glob("*.whl")) == ["msgpack", "pyzmq"]
    ops.remove("nuke", layout, stop=False)

    monkeypatch.setattr(fetch, "run_pip", lambda cmd: "ERROR: Could not fetch URL: connection refused")
    ops.install(ops.make_plan("nuke", layout, no_bundle, pythons=(PY,)), layout, no_bundle, start=False)
    assert (lib / "zmq" / "__init__.py").is_file(), "the cache serves when the index is gone"
