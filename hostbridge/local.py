"""Where the local daemon is, how to start it (the one wording hosts, client and CLI use), and
whether frames go to it by path or as bytes.

Standard library only (no pyzmq, no msgpack): a host can show the address before it can connect.
"""

from __future__ import annotations

import os
from typing import Optional

DEFAULT_URL = "tcp://127.0.0.1:5557"
SERVER_ENV = "RUSHES_SERVER"
START_HINT = "start it with `rushes serve` (or install the service: `rushes install service`)"


def default_url(explicit: str = "", fallback: Optional[str] = None) -> str:
    """The daemon address: ``explicit`` if given, else ``$RUSHES_SERVER``, else ``fallback``
    (the CLI passes its config's listen address), else the shipped ``DEFAULT_URL``."""
    if explicit and explicit.strip():
        return explicit.strip()
    env = os.environ.get(SERVER_ENV, "").strip()
    return env or fallback or DEFAULT_URL


def not_running(url: str) -> str:
    """One sentence for a daemon that does not answer at ``url``."""
    return f"not running at {url}; {START_HINT}"


# How a host sends the files it rendered: "auto" by path when the daemon runs on this machine
# (it can read them), else as bytes; "paths" always by path (a shared filesystem); "bytes" always
# as the file's bytes. Hosts show their own labels for these; this is what their code uses.
TRANSFERS = ("auto", "paths", "bytes")


def send_by_path(transfer: str, same_host: bool) -> bool:
    """Whether frames go as paths (True) or as bytes, for a ``transfer`` of TRANSFERS and whether
    the daemon is on this machine; ValueError naming an unknown transfer."""
    if transfer not in TRANSFERS:
        raise ValueError(f"frame transfer {transfer!r} is not one of {', '.join(TRANSFERS)}")
    return bool(same_host) if transfer == "auto" else transfer == "paths"
