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

from hostbridge.local import DEFAULT_URL, SERVER_ENV, default_url


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
    curve_authorized_keys: str = ""      # folder of client public keys (ZPL .key files) CURVE accepts
    plate_roots: str = ""                # folders path frames may name (os.pathsep-separated; TOML: a list)
    max_frame_pixels: int = 1 << 26      # 67 Mpx (8192x8192): counted before any pixel is decoded
    max_encoded_bytes: int = 512 << 20   # one encoded (EXR/PNG...) frame part
    max_segments: int = 64               # shared-memory segments kept open at once
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
    if kind is str and isinstance(value, list):  # TOML lists of folders
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"config value {name}={value!r} should be a list of text")
        return os.pathsep.join(value)
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


def configured_store() -> Path:
    """The project store in force: ``store`` from the config file, ``$RUSHES_STORE``, else the user data dir."""
    return store_path(load_config()[0])


def client_url(listen: str) -> str:
    """The URL a client uses to reach a daemon bound to ``listen`` (its first endpoint; wildcards -> loopback)."""
    listen = listen.split(",")[0].strip()
    for wildcard in ("tcp://*:", "tcp://0.0.0.0:"):
        if listen.startswith(wildcard):
            return "tcp://127.0.0.1:" + listen[len(wildcard):]
    return listen.replace("tcp://[::]:", "tcp://[::1]:")


def default_server(explicit: str = "", cfg: Config | None = None) -> str:
    """The daemon a command talks to: ``explicit``, else ``$RUSHES_SERVER``, else the configured
    ``listen`` address as a client reaches it (``cfg``, or the config in force)."""
    if explicit or os.environ.get(SERVER_ENV, "").strip():  # no need to read the config
        return default_url(explicit)
    return default_url(fallback=client_url((cfg or load_config()[0]).listen))


def listen_endpoints(listen: str) -> list[str]:
    """Every endpoint ``listen`` names (comma-separated), each checked; ValueError names a bad one.

    ZeroMQ itself would bind a ``tcp://src;dst`` form's second address, so ';' is refused, as
    are transports other than tcp, ipc and inproc, and tcp endpoints without a numeric port.
    """
    import ipaddress

    endpoints = [e.strip() for e in listen.split(",")]
    if not listen.strip() or any(not e for e in endpoints):
        raise ValueError(f"--listen {listen!r} has an empty endpoint")
    for e in endpoints:
        if any(c.isspace() or c == ";" for c in e):
            raise ValueError(f"--listen endpoint {e!r} has a ';' or a space; give one address per endpoint "
                             "(several endpoints are separated by commas)")
        scheme, sep, rest = e.partition("://")
        if not sep or scheme not in ("tcp", "ipc", "inproc") or not rest:
            raise ValueError(f"--listen endpoint {e!r} is not tcp://HOST:PORT, ipc://PATH or inproc://NAME")
        if scheme != "tcp":
            continue
        host, colon, port = rest.rpartition(":")
        if not colon or not host or not (port == "*" or (port.isdigit() and int(port) <= 65535)):
            raise ValueError(f"--listen endpoint {e!r} needs HOST:PORT with a port number 0-65535 (or *)")
        if host.startswith("["):
            if not host.endswith("]"):
                raise ValueError(f"--listen endpoint {e!r} has an unclosed '[' around its IPv6 address")
            try:
                ipaddress.IPv6Address(host[1:-1])
            except ValueError:
                raise ValueError(f"--listen endpoint {e!r} does not hold a valid IPv6 address") from None
    return endpoints


def _endpoint_is_loopback(endpoint: str) -> bool:
    import ipaddress

    if not endpoint.startswith("tcp://"):
        return endpoint.startswith(("ipc://", "inproc://"))
    host = endpoint[len("tcp://"):].rsplit(":", 1)[0]
    host = host[1:-1] if host.startswith("[") else host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # '*', an interface name or a host name: may be reachable from elsewhere
        return False


def is_loopback(url: str) -> bool:
    """True when every endpoint of ``url`` is ipc/inproc or tcp on 127.0.0.0/8, ::1 or localhost.

    A malformed ``url`` is not loopback (callers that bind use ``listen_endpoints`` for the reason).
    """
    try:
        return all(_endpoint_is_loopback(e) for e in listen_endpoints(url))
    except ValueError:
        return False


def plate_roots(cfg: Config) -> list[Path]:
    """The folders path frames may name: the project store, then ``plate_roots``, each resolved."""
    roots = [store_path(cfg), *(Path(p).expanduser() for p in cfg.plate_roots.split(os.pathsep) if p.strip())]
    return [Path(os.path.realpath(r)) for r in roots]
