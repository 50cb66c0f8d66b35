"""Where the local daemon is, and how to start it: the one wording hosts, client and CLI use.

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
