"""Authenticating clients when they connect (ZeroMQ's ZAP), before any message is read.

- CURVE (``curve_secret_file``): a client is served only when its public key is in the
  authorised-keys folder (``curve_authorized_keys``: ZPL ``.key`` certificates as
  ``zmq.auth.create_certificates`` writes them, or ``.pub`` files holding the z85 key on one
  line). The folder is re-read when it changes, so adding or removing a key needs no restart.
- A token without CURVE: clients log in with ZeroMQ's PLAIN mechanism (user ``rushes``, the
  token as password), so a client without the token cannot send a single byte of a request.

Key material must be private: a secret key file readable by anyone but its owner is refused,
and so are an authorised-keys folder or key files that others may write.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import zmq

PLAIN_USER = "rushes"
log = logging.getLogger("rushes.auth")


def _check_private(path: Path, what: str) -> None:
    """Refuse ``path`` when group or others may read or write it (POSIX)."""
    if sys.platform == "win32":
        return
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ValueError(f"{what} {path} has mode {stat.S_IMODE(mode):04o}: others may read it; "
                         f"run `chmod 600 {path}`")


def _check_not_writable_by_others(path: Path, what: str) -> None:
    if sys.platform == "win32":
        return
    st = path.stat()
    if st.st_mode & 0o022:
        raise ValueError(f"{what} {path} has mode {stat.S_IMODE(st.st_mode):04o}: others may change it; "
                         f"run `chmod go-w {path}`")
    if hasattr(os, "getuid") and st.st_uid not in (os.getuid(), 0):
        raise ValueError(f"{what} {path} belongs to another user (uid {st.st_uid}); the daemon's user or root "
                         "must own it")


def read_curve_keys(path: str) -> tuple[bytes, bytes]:
    """A key file holds two lines: the z85 public key, then the z85 secret key; it must be private."""
    p = Path(path)
    _check_private(p, "CURVE secret key file")
    lines = [ln.strip() for ln in p.read_text(encoding="ascii").splitlines() if ln.strip()]
    if len(lines) != 2 or any(len(ln) != 40 for ln in lines):
        raise ValueError(f"CURVE key file {path} must hold a 40-character public key line and secret key line")
    return lines[0].encode(), lines[1].encode()


def load_public_key(path: Path) -> bytes:
    """One client public key: a ZPL certificate (``public-key = "..."``) or one z85 line."""
    text = path.read_text(encoding="ascii", errors="replace")
    if "public-key" in text:
        import zmq.auth

        public, _ = zmq.auth.load_certificate(str(path))
        return bytes(public)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"authorised key file {path} must hold one 40-character z85 public key")
    return lines[0].encode()


class AuthorizedKeys:
    """The allow-list folder, re-read when it (or a file in it) changes; pyzmq's ZAP callback."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise ValueError(f"curve_authorized_keys {self.folder} is not a folder; create it and put one client "
                             "public key file (.key certificate or .pub) per client in it")
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] = ()
        self._keys: set[bytes] = set()
        self.reload()

    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix in (".key", ".pub") and p.is_file())

    def reload(self) -> set[bytes]:
        """Read the folder when it changed; a bad or unsafe key file is refused and logged, not served."""
        files = self._files()
        stamp = (self.folder.stat().st_mtime_ns, *((str(p), p.stat().st_mtime_ns) for p in files))
        with self._lock:
            if stamp == self._stamp:
                return self._keys
        _check_not_writable_by_others(self.folder, "curve_authorized_keys folder")
        keys: set[bytes] = set()
        for p in files:
            try:
                _check_not_writable_by_others(p, "authorised key file")
                keys.add(load_public_key(p))
            except (OSError, ValueError) as exc:
                log.error("authorised key refused", extra={"file": str(p), "detail": str(exc)})
        with self._lock:
            self._stamp, self._keys = stamp, keys
        return keys

    def callback(self, domain: str, key: bytes) -> bool:
        try:
            keys = self.reload()
        except (OSError, ValueError) as exc:  # the folder went away or became unsafe: serve nobody
            log.error("authorised keys unreadable", extra={"detail": str(exc)})
            return False
        ok = key in keys
        if not ok:
            log.info("client key refused", extra={"key": key.decode(errors="replace")})
        return ok


def setup(ctx: zmq.Context[Any], router: zmq.Socket[Any], token: str, curve_secret_file: str,
          authorized_keys: str) -> Any:
    """Configure ``router`` and start a ZAP handler in ``ctx``; returns it (``stop()`` it), or None."""
    from zmq.auth.thread import ThreadAuthenticator

    if not curve_secret_file and not token:
        return None
    allowed: AuthorizedKeys | None = None
    if curve_secret_file:
        if not authorized_keys:
            raise ValueError("CURVE is on (curve_secret_file) but no curve_authorized_keys folder is set: "
                             "without an allow-list any client key would be served")
        public, secret = read_curve_keys(curve_secret_file)
        allowed = AuthorizedKeys(authorized_keys)
    quiet = logging.getLogger("rushes.zap")  # pyzmq logs PLAIN passwords at debug level: keep it quiet
    quiet.setLevel(logging.WARNING)
    auth = ThreadAuthenticator(ctx, log=quiet)
    auth.start()
    if allowed is not None:
        auth.configure_curve_callback(domain="*", credentials_provider=allowed)
        router.curve_publickey, router.curve_secretkey = public, secret
        router.curve_server = True
    else:
        auth.configure_plain(domain="*", passwords={PLAIN_USER: token})
        router.plain_server = True
    return auth
