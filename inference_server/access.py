"""Who may make the daemon read what: client segments, path frames and artist pairs.

Clients are told apart by their ZeroMQ routing identity (every message must also carry the
token where one is configured). A client's ``hello`` may prove, for shared-memory segments
it names, that it can write them: it writes 16 random bytes at the start of each and sends
them; the daemon reads them back. Only the names a client proved this way are served for it,
as input frames or as the segment replies are written into. The hello probe segment also
tells the daemon the client's user id (the segment's owner): a same-host client.

Path frames are read only inside the *roots*: the project store and ``plate_roots`` from the
config. With no ``plate_roots`` configured, a same-host client may also name a file that its
own user may read (the daemon reads nothing for it that it could not read itself), so a
workstation works out of the box and other users' files stay out of reach. A refusal reads
the same whether the file exists or not. Artist pairs for training are kept and re-read by
later trainings, so they must lie inside the roots.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostbridge.protocol import ProtocolError
from inference_server.shm_cache import SegmentError, open_segment

MAX_CLIENTS = 4096          # identities remembered (least recently seen forgotten first)
MAX_SEGMENTS_PER_CLIENT = 32


@dataclass
class ClientInfo:
    uid: int | None = None                                  # proven by the hello probe (same host)
    segments: OrderedDict[str, None] = field(default_factory=OrderedDict)


class ClientRegistry:
    """Routing identity -> what that client proved (its user id, the segments it owns)."""

    def __init__(self) -> None:
        self._clients: OrderedDict[bytes, ClientInfo] = OrderedDict()
        self._owner: dict[str, bytes] = {}  # segment name -> identity that registered it
        self._lock = threading.Lock()

    def _info(self, identity: bytes) -> ClientInfo:
        info = self._clients.get(identity)
        if info is None:
            info = self._clients[identity] = ClientInfo()
            while len(self._clients) > MAX_CLIENTS:
                old_id, old = self._clients.popitem(last=False)
                for name in old.segments:
                    self._owner.pop(name, None)
        self._clients.move_to_end(identity)
        return info

    def hello(self, identity: bytes, probe: Any, segments: Any) -> tuple[bool, list[str]]:
        """Check the probe and register the segments proven; (same_host, names registered)."""
        uid = _proved_uid(probe)
        with self._lock:
            info = self._info(identity)
            if uid is not None:
                info.uid = uid
        registered: list[str] = []
        for item in segments if isinstance(segments, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ProtocolError("bad_message", "hello 'segments' must be a list of {name, secret} maps")
            name = item["name"]
            if _proved_uid(item) is None:
                raise ProtocolError("shm_error", f"shared-memory segment {name!r} was not registered: its first "
                                                 "16 bytes are not the secret sent with it")
            with self._lock:
                owner = self._owner.get(name)
                if owner is not None and owner != identity:
                    raise ProtocolError("shm_error", f"shared-memory segment {name!r} belongs to another client")
                self._owner[name] = identity
                info.segments[name] = None
                info.segments.move_to_end(name)
                while len(info.segments) > MAX_SEGMENTS_PER_CLIENT:
                    gone, _ = info.segments.popitem(last=False)
                    self._owner.pop(gone, None)
            registered.append(name)
        return uid is not None, registered

    def check_segment(self, identity: bytes, name: str) -> None:
        """Refuse a segment this client did not register (the same words whether it exists or not)."""
        with self._lock:
            ok = self._owner.get(name) == identity
        if not ok:
            raise ProtocolError("shm_unregistered", f"shared-memory segment {name!r} was not registered by this client; "
                                             "name it in a hello first (hostbridge's Client does this)")

    def uid(self, identity: bytes) -> int | None:
        with self._lock:
            info = self._clients.get(identity)
            return None if info is None else info.uid


def _proved_uid(probe: Any) -> int | None:
    """The owner uid of the segment ``probe`` names, when its first 16 bytes are ``probe['secret']``."""
    if not isinstance(probe, dict) or not isinstance(probe.get("name"), str) or not isinstance(probe.get("secret"), str):
        return None
    try:
        seg = open_segment(probe["name"])
    except (SegmentError, OSError):
        return None
    try:
        if seg.read_bytes(0, 16).hex() != probe["secret"].lower():
            return None
        uid = seg.owner_uid
        return -1 if uid is None else uid  # -1: on this host, user unknown (world-readable files only)
    except (SegmentError, OSError):
        return None
    finally:
        seg.close()


class PathPolicy:
    """Which files path frames and artist pairs may name."""

    def __init__(self, roots: Sequence[Path], user_fallback: bool) -> None:
        self.roots = [str(r) for r in roots]
        self.user_fallback = user_fallback

    def _refusal(self, path: str, what: str) -> ProtocolError:
        where = ", ".join(self.roots)
        how = ("" if not self.user_fallback else
               " and, for a client on this machine, files its own user may read")
        return ProtocolError("bad_frame", f"{what} {path!r} is not readable through this daemon: it reads only "
                                          f"inside {where}{how}. Add the folder to plate_roots "
                                          "(rushes.toml) or RUSHES_PLATE_ROOTS where the daemon runs")

    def inside_roots(self, real: str) -> bool:
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)

    def check_frame(self, path: str, uid: int | None, what: str = "path frame") -> str:
        """The resolved path to read; ProtocolError when it may not be read for this client."""
        if not os.path.isabs(path) or "\0" in path:
            raise ProtocolError("bad_frame", f"{what} {path!r} must be an absolute path")
        real = os.path.realpath(path)
        if self.inside_roots(real):
            if not os.path.isfile(real):
                raise ProtocolError("bad_frame", f"{what}: no such file {path}")
            return real
        if not self.user_fallback or uid is None:
            raise self._refusal(path, what)
        if not _traversable(os.path.dirname(real), uid):
            raise self._refusal(path, what)
        try:
            st = os.stat(real)
        except FileNotFoundError:  # the client's user could see that for itself
            raise ProtocolError("bad_frame", f"{what}: no such file {path}") from None
        except OSError:
            raise self._refusal(path, what) from None
        if not stat.S_ISREG(st.st_mode) or not _allowed(st, uid, _groups(uid), 4):
            raise self._refusal(path, what)
        return real

    def check_pairs(self, text: Any) -> None:
        """Every plate and fix of a train request's ``pairs`` must lie inside the roots."""
        if not isinstance(text, str) or not text.strip():
            return
        try:
            items = json.loads(text)
        except ValueError:
            return  # the task names the syntax error
        for item in items if isinstance(items, list) else []:
            for spec in item if isinstance(item, list) else []:
                if not isinstance(spec, str):
                    continue
                if not os.path.isabs(spec) or not self.inside_roots(os.path.realpath(spec)):
                    raise ProtocolError("bad_params", f"artist pair {spec!r} is outside the folders this daemon "
                                                      f"keeps pairs from ({', '.join(self.roots)}); add its folder "
                                                      "to plate_roots (rushes.toml) or RUSHES_PLATE_ROOTS")


def _groups(uid: int) -> set[int]:
    try:
        import pwd

        pw = pwd.getpwuid(uid)
        return set(os.getgrouplist(pw.pw_name, pw.pw_gid))
    except (ImportError, KeyError, OSError):
        return set()


def _allowed(st: os.stat_result, uid: int, groups: set[int], bit: int) -> bool:
    """Whether ``uid`` has permission ``bit`` (4 read, 1 search) by the mode bits (ACLs are not consulted)."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid in groups:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


def _traversable(folder: str, uid: int) -> bool:
    """True when ``uid`` may search every folder from / down to ``folder``."""
    groups = _groups(uid)
    path = Path(folder)
    for part in [*reversed(path.parents), path]:
        try:
            st = os.stat(part)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode) or not _allowed(st, uid, groups, 1):
            return False
    return True
