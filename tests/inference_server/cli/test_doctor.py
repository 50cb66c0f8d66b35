"""`rushes doctor`: one table of checks, non-zero exit when something is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from inference_server import __version__
from inference_server.cli import main
from inference_server.fileio import atomic_write
from inference_server.install.checks import check_device, check_models, check_store, cuda_missing_reason, dist_version
from inference_server.install.manifest import FileEntry, Manifest
from inference_server.install.paths import this_machine

HAS_DRIVER = Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean HOME and no config file; returns an empty store folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RUSHES_CONFIG", str(tmp_path / "none.toml"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "RUSHES_SERVER", "RUSHES_DEVICE",
                "RUSHES_STORE", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(var, raising=False)
    store = tmp_path / "store"
    store.mkdir()
    return store


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    code = main(["doctor", "--json", *args])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] == (code == 0)
    return code, {c["name"]: c for c in report["checks"]}


def _model(store: Path, project: str, task: str, version: str, body: str = '{"task": "x"}') -> None:
    path = store / project / "models" / task / version / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(body)


def test_healthy_machine_with_a_daemon(daemon: str, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, rows = _doctor(capsys, "--server", daemon, "--store", str(env))
    assert rows["daemon"]["status"] == "ok"
    assert f"rushes {__version__} at {daemon}" in rows["daemon"]["detail"]
    for lib in ("numpy", "torch", "onnxruntime", "OpenImageIO", "opencolorio", "pyzmq", "msgpack"):
        assert rows[lib]["status"] == "ok", rows[lib]
    assert rows["store"]["status"] == "ok" and str(env) in rows["store"]["detail"]
    assert rows["nuke"]["detail"].startswith("not installed")
    assert rows["config: store"]["detail"] == f"{str(env)!r}  from flag"
    assert rows["config: listen"]["detail"].endswith("from default")
    assert code == 0


def test_unreachable_daemon_fails_and_says_how_to_start_it(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import free_port

    url = f"tcp://127.0.0.1:{free_port()}"
    code, rows = _doctor(capsys, "--server", url, "--store", str(env), "--timeout", "0.3")
    assert code == 1
    assert rows["daemon"]["status"] == "fail"
    assert "rushes serve" in rows["daemon"]["detail"]


def test_table_output(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--server", "tcp://127.0.0.1:9", "--store", str(env), "--timeout", "0.2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "rushes doctor" in out and "onnxruntime providers" in out and "1 problem(s): daemon" in out


def test_models_per_project(env: Path) -> None:
    _model(env, "alpha", "wire_removal", "v001")
    _model(env, "alpha", "wire_removal", "v002")
    (env / "alpha" / "models" / "wire_removal" / "promoted.json").write_text('{"current": "v001", "history": []}')
    _model(env, "beta", "wire_removal", "v001", body="{not json")
    (env / "gamma").mkdir()                                             # not a project: no models, no catalog
    rows = {r.name: r for r in check_models(env)}
    assert set(rows) == {"models: alpha", "models: beta"}
    assert rows["models: alpha"].status == "ok"
    assert rows["models: alpha"].detail == "wire_removal 2 version(s), latest v002, promoted v001"
    assert rows["models: beta"].status == "fail"
    assert "v001/manifest.json is unreadable" in rows["models: beta"].detail


def test_broken_model_manifest_fails_the_doctor(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _model(env, "beta", "look_fit", "v001", body="[1, 2")
    code, rows = _doctor(capsys, "--server", "tcp://127.0.0.1:9", "--store", str(env), "--timeout", "0.2")
    assert code == 1 and rows["models: beta"]["status"] == "fail"


def test_store_that_does_not_exist_yet(tmp_path: Path) -> None:
    row = check_store(tmp_path / "not" / "yet")
    assert row.status == "info" and "not created yet" in row.detail and "GiB free" in row.detail


def test_plugins_from_install_manifests(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = this_machine()
    present = tmp_path / "plugin.py"
    present.write_text("x")

    def write(kind: str, version: str, files: list[FileEntry], info: dict[str, Any]) -> None:
        m = Manifest(kind=kind, root=str(tmp_path), rushes_version=version, os=layout.os,
                     installed_at="2026-01-01T00:00:00Z", files=files, info=info)
        atomic_write(Path(str(layout.installs_dir)) / f"{kind}.json", m.to_json().encode())

    write("nuke", __version__, [FileEntry(str(present), "0")], {"python_versions": ["3.10", "3.11"]})
    write("resolve", "0.0.1", [FileEntry(str(present), "0")], {"python_versions": ["3.11"]})
    write("service", __version__, [FileEntry(str(tmp_path / "gone.service"), "0")], {})
    code, rows = _doctor(capsys, "--server", "tcp://127.0.0.1:9", "--store", str(env), "--timeout", "0.2")
    assert rows["nuke"]["status"] == "ok"
    assert rows["nuke"]["detail"] == (f"{__version__} at {tmp_path}, 1 files, installed 2026-01-01T00:00:00Z, "
                                      f"Pythons 3.10, 3.11")
    assert rows["resolve"]["status"] == "warn" and f"this rushes is {__version__}" in rows["resolve"]["detail"]
    assert rows["service"]["status"] == "fail" and "gone.service" in rows["service"]["detail"]
    assert code == 1


def test_config_values_say_where_they_came_from(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "rushes.toml"
    cfg.write_text('[daemon]\nqueue_size = 3\ntoken = "s3cret"\n')
    monkeypatch.setenv("RUSHES_CONFIG", str(cfg))
    monkeypatch.setenv("RUSHES_WORKERS", "2")
    _, rows = _doctor(capsys, "--server", "tcp://127.0.0.1:9", "--store", str(env), "--timeout", "0.2")
    assert rows["config: queue_size"]["detail"] == f"3  from file {cfg}"
    assert rows["config: workers"]["detail"] == "2  from env RUSHES_WORKERS"
    assert rows["config: token"]["detail"] == f"(set)  from file {cfg}"     # never printed
    assert "s3cret" not in json.dumps(rows)
    assert rows["config file"]["detail"] == f"{cfg} (read)"


def test_why_cuda_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "hides every GPU" in cuda_missing_reason({"CUDA_VISIBLE_DEVICES": "-1"})
    reason = cuda_missing_reason({})
    if dist_version("onnxruntime-gpu") is None:
        assert reason == "the CPU build of onnxruntime is installed; install onnxruntime-gpu"
    elif HAS_DRIVER:
        assert reason == ""
    else:
        assert reason.startswith("no NVIDIA driver on this machine")
    rows = {r.name: r for r in check_device("cuda")}
    ort_row = rows["onnxruntime providers"]
    assert "CPUExecutionProvider" in ort_row.detail
    if not HAS_DRIVER:
        assert ort_row.status == "fail" and "the config asks for device 'cuda'" in ort_row.detail
        assert {r.status for r in check_device("auto") if r.name == "onnxruntime providers"} == {"warn"}
