"""`rushes --config FILE COMMAND`: the file reaches every command, not only serve and doctor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inference_server.cli import build_parser, main


@pytest.fixture()
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RUSHES_SERVER", "RUSHES_STORE", "RUSHES_LISTEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUSHES_CONFIG", str(tmp_path / "none.toml"))
    cfg = tmp_path / "studio.toml"
    cfg.write_text(f'[daemon]\nstore = "{tmp_path / "studio-store"}"\nlisten = "tcp://*:1"\n')
    return cfg


def test_train_preset_no_longer_shadows_the_global_config() -> None:
    args = build_parser().parse_args(["--config", "studio.toml", "train", "wire-removal", "--project", "p",
                                      "--preset", "full"])
    assert (args.config, args.preset) == ("studio.toml", "full")
    assert build_parser().parse_args(["train", "wire-removal", "--project", "p"]).preset == "smoke"


def test_models_lists_the_configured_store(studio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(studio), "models"]) == 0
    assert capsys.readouterr().out.strip() == f"no projects in {tmp_path / 'studio-store'}"
    assert os.environ["RUSHES_CONFIG"] == str(tmp_path / "none.toml")   # restored after the command


def test_ping_uses_the_configured_listen_address(studio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(studio), "ping", "--timeout", "0.3"]) == 2
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:1" in err and "rushes serve" in err   # the wildcard bind, reached on loopback


def test_a_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "typo.toml"), "models"]) == 2
    assert f"config file {tmp_path / 'typo.toml'} (given with --config) does not exist" in capsys.readouterr().err
