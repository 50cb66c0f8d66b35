"""Daemon configuration: shipped defaults, overlaid by a TOML file, by RUSHES_* env vars, by flags.

Loaded in ``main()``, never at import. ``load_config`` also says where each value came from.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import tomllib

from hostbridge.protocol import DEFAULT_URL


@dataclass(frozen=True)
class Config:
    listen: str = DEFAULT_URL
    device: str = "auto"                 # auto | cpu | cuda | cuda:N
    store: str = ""                      # "" = the platform's user data dir
    workers: int = 1
    queue_size: int = 8
    max_frame_bytes: int = 1 << 30       # 1 GiB: an 8K RGBA float32 frame fits
    max_frame_side: int = 16384
    heartbeat_s: float = 1.0
    token: str = ""                      # shared secret; required to bind beyond loopback (or CURVE)
    curve_secret_file: str = ""          # file holding the server's z85 public and secret keys
    log_level: str = "INFO"
    log_file: str = ""                   # "" = stderr


ENV_PREFIX = "RUSHES_"


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("rushes", appauthor=False)) / "rushes.toml"


def default_store() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rushes", appauthor=False))


def _coerce(name: str, value: Any, kind: type) -> Any:
    try:
        if kind is int:
            return int(value)
        if kind is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ValueError(f"config value {name}={value!r} should be {kind.__name__}") from None


def load_config(flags: Mapping[str, Any] | None = None, path: str | Path | None = None,
                env: Mapping[str, str] | None = None) -> tuple[Config, dict[str, str]]:
    """Build the Config in force and a map of field -> where its value came from."""
    env = os.environ if env is None else env
    kinds = {f.name: type(f.default) for f in fields(Config)}
    values: dict[str, Any] = {}
    source = {name: "default" for name in kinds}
    cfg_path = Path(path) if path else Path(env.get(ENV_PREFIX + "CONFIG", "") or default_config_path())
    if cfg_path.is_file():
        try:
            data = tomllib.loads(cfg_path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"config file {cfg_path} is not valid TOML: {exc}") from None
        table = data.get("daemon", data)
        for key, value in table.items():
            name = key.replace("-", "_")
            if name not in kinds:
                raise ValueError(f"config file {cfg_path} sets unknown key {key!r}; known: {', '.join(kinds)}")
            values[name] = _coerce(name, value, kinds[name])
            source[name] = f"file {cfg_path}"
    elif path:
        raise FileNotFoundError(f"config file {cfg_path} does not exist")
    for name, kind in kinds.items():
        key = ENV_PREFIX + name.upper()
        if key in env and env[key] != "":
            values[name] = _coerce(key, env[key], kind)
            source[name] = f"env {key}"
    for name, value in (flags or {}).items():
        if value is not None and name in kinds:
            values[name] = _coerce(name, value, kinds[name])
            source[name] = "flag"
    return dataclasses.replace(Config(), **values), source


def store_path(cfg: Config) -> Path:
    return Path(cfg.store).expanduser() if cfg.store else default_store()


def is_loopback(url: str) -> bool:
    """True for ipc/inproc URLs and tcp URLs bound to 127.0.0.0/8, ::1 or localhost."""
    if not url.startswith("tcp://"):
        return url.startswith(("ipc://", "inproc://"))
    host = url[len("tcp://"):].rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or host == "::1" or host.startswith("127.")
