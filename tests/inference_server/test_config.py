from __future__ import annotations

from pathlib import Path

import pytest

from inference_server.config import Config, is_loopback, load_config


def test_layers_defaults_file_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "rushes.toml"
    toml.write_text('[daemon]\nlisten = "tcp://127.0.0.1:6000"\nworkers = 2\nqueue-size = 4\n')
    env = {"RUSHES_WORKERS": "3", "RUSHES_DEVICE": "cpu"}
    cfg, source = load_config({"queue_size": 9, "store": None}, toml, env)
    assert (cfg.listen, cfg.workers, cfg.queue_size, cfg.device) == ("tcp://127.0.0.1:6000", 3, 9, "cpu")
    assert source["listen"] == f"file {toml}" and source["workers"] == "env RUSHES_WORKERS"
    assert source["queue_size"] == "flag" and source["store"] == "default"
    assert cfg.max_frame_side == Config().max_frame_side


def test_bad_config_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("listen = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config({}, bad, {})
    bad.write_text('colour = "red"\n')
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        load_config({}, bad, {})
    with pytest.raises(ValueError, match="RUSHES_WORKERS"):
        load_config({}, None, {"RUSHES_WORKERS": "many", "RUSHES_CONFIG": str(tmp_path / "none.toml")})
    with pytest.raises(FileNotFoundError):
        load_config({}, tmp_path / "missing.toml", {})


def test_loopback_detection() -> None:
    assert is_loopback("tcp://127.0.0.1:5557") and is_loopback("tcp://localhost:1") and is_loopback("tcp://[::1]:5")
    assert not is_loopback("tcp://0.0.0.0:5557") and not is_loopback("tcp://*:5557")
    assert not is_loopback("tcp://192.168.1.4:5557")


def test_plate_roots_from_a_toml_list_or_the_environment(tmp_path: Path) -> None:
    import os

    from inference_server.config import plate_roots

    toml = tmp_path / "rushes.toml"
    toml.write_text(f'plate_roots = ["{tmp_path / "a"}", "{tmp_path / "b"}"]\nstore = "{tmp_path / "s"}"\n')
    cfg, _ = load_config({}, toml, {})
    assert plate_roots(cfg) == [Path(os.path.realpath(tmp_path / d)) for d in ("s", "a", "b")]
    cfg, source = load_config({}, toml, {"RUSHES_PLATE_ROOTS": str(tmp_path / "c")})
    assert plate_roots(cfg)[1:] == [Path(os.path.realpath(tmp_path / "c"))]
    assert source["plate_roots"] == "env RUSHES_PLATE_ROOTS"
    toml.write_text("plate_roots = [1]\n")
    with pytest.raises(ValueError, match="list of text"):
        load_config({}, toml, {})
