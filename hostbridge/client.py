"""The host's client: a DEALER socket in the Lazy Pirate pattern.

Each request waits for messages with a timeout; when nothing arrives the socket is
rebuilt and a retryable request is sent again (with a fresh attempt id, so late replies
to an earlier attempt are recognised and dropped). Long jobs keep the line alive with
progress messages (the daemon's heartbeat). One Client serves one thread.

A daemon that stops answering (killed, hung, unplugged) is given ``give_up`` seconds in all,
counted from the last message heard and covering every retry; then ``GaveUp`` is raised
with a sentence saying so (``RUSHES_GIVE_UP_S`` sets the default, 60 s). A job sent again
after a retry delivers each (output, frame number) to ``on_frame`` once.
"""

from __future__ import annotations

import os
import secrets
import socket
import stat
import time
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar

import zmq
from zmq.utils.monitor import recv_monitor_message

from hostbridge import protocol as P
from hostbridge.errors import (
    Cancelled,
    DaemonUnavailable,
    FrameTooLarge,
    GaveUp,
    HostBridgeError,
    SegmentNotRegistered,
    Unauthorized,
    error_from_wire,
)
from hostbridge.frames import FrameIn, FrameOut, Result, as_frame_in
from hostbridge.local import START_HINT
from hostbridge.shm import Arena, create, release

_T = TypeVar("_T")
ProgressFn = Callable[[int, int, str], Optional[bool]]
FrameFn = Callable[[str, FrameOut], None]

DEFAULT_GIVE_UP_S = 60.0


def _give_up_default() -> float:
    text = os.environ.get("RUSHES_GIVE_UP_S", "")
    if not text:
        return DEFAULT_GIVE_UP_S
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"RUSHES_GIVE_UP_S={text!r} is not a number of seconds") from None
    if not value > 0:
        raise ValueError(f"RUSHES_GIVE_UP_S={text!r} must be more than 0 seconds")
    return value
PLAIN_USER = b"rushes"  # with a token (and no CURVE) the client logs in with PLAIN: user rushes, the token
_HANDSHAKE_FAILED = getattr(zmq, "EVENT_HANDSHAKE_FAILED_AUTH", 0) | getattr(zmq, "EVENT_HANDSHAKE_FAILED_PROTOCOL", 0)


def read_client_keys(path: str) -> Tuple[bytes, bytes]:
    """A CURVE client key file: the z85 public key line, then the secret key line; must be private."""
    mode = os.stat(path).st_mode
    if os.name != "nt" and mode & 0o077:
        raise ValueError(f"CURVE client key file {path} may be read by others (mode "
                         f"{stat.S_IMODE(mode):04o}); run `chmod 600 {path}`")
    with open(path, encoding="ascii") as fh:
        lines = [ln.strip() for ln in fh.read().splitlines() if ln.strip()]
    if len(lines) != 2 or any(len(ln) != 40 for ln in lines):
        raise ValueError(f"CURVE client key file {path} must hold a 40-character public key line and secret key line")
    return lines[0].encode(), lines[1].encode()


def _address(data: Any) -> int:
    """Start address of a numpy array's pixels (0 for other buffers)."""
    iface = getattr(data, "__array_interface__", None)
    return int(iface["data"][0]) if iface else 0


def _error(header: Dict[str, Any]) -> HostBridgeError:
    """The exception an ``error`` reply stands for."""
    return error_from_wire(str(header.get("code")), str(header.get("detail")), bool(header.get("retryable")))


def _close_arenas(*arenas: Arena) -> None:
    for arena in arenas:
        arena.close()


def check_url(url: str) -> None:
    """ValueError naming ``url`` unless it is a ZeroMQ address the client can connect to
    (``tcp://host:port``, ``ipc://path``): pyzmq raised a bare "Invalid argument" for
    ``127.0.0.1:5557``, which reached the artist as a traceback."""
    scheme, sep, rest = str(url).partition("://")
    if not sep or scheme not in ("tcp", "ipc", "inproc") or not rest:
        raise ValueError(f"the daemon address {url!r} is not one Rushes can connect to; write it as "
                         "tcp://HOST:PORT, e.g. tcp://127.0.0.1:5557")
    if scheme == "tcp" and not rest.rpartition(":")[2].isdigit():
        raise ValueError(f"the daemon address {url!r} has no port; write it as tcp://HOST:PORT, "
                         "e.g. tcp://127.0.0.1:5557")


class Client:
    """Talks to one daemon. Use as a context manager, or call ``close()``."""

    def __init__(self, url: str = P.DEFAULT_URL, timeout: float = 10.0, retries: int = 3,
                 token: Optional[str] = None, server_key: Optional[bytes] = None,
                 use_shm: bool = True, give_up: Optional[float] = None,
                 client_keys: Optional[Tuple[bytes, bytes]] = None) -> None:
        check_url(url)
        self.url = url
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.give_up = float(give_up) if give_up is not None else _give_up_default()
        self._limit: Optional[float] = None  # during run(): give up at this monotonic time
        self.token = token if token is not None else os.environ.get("RUSHES_TOKEN") or None
        key = os.environ.get("RUSHES_SERVER_KEY", "")
        self.server_key = server_key if server_key is not None else (key.encode() if key else None)
        key_file = os.environ.get("RUSHES_CLIENT_KEY_FILE", "")
        self.client_keys = client_keys if client_keys is not None else (read_client_keys(key_file) if key_file else None)
        self.use_shm = use_shm
        self.same_host: Optional[bool] = None
        self.max_part: Optional[int] = None  # the daemon's largest message part (its hello says; older ones do not)
        self._identity = ("rh-" + secrets.token_hex(16)).encode()  # kept across reconnects: owns our segments
        self._monitor: Optional[zmq.Socket] = None
        self._registered: Dict[str, None] = {}
        self._ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self._sock: Optional[zmq.Socket] = None
        self._arena = Arena("rushes_c")
        self._reply_arena = Arena("rushes_r")
        self._reply_size = 64 << 20
        self._shared: Dict[int, Any] = {}  # address -> segment of frames made by shared_frame()
        weakref.finalize(self, _close_arenas, self._arena, self._reply_arena)

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._reset()
        self._arena.close()
        self._reply_arena.close()
        for seg in self._shared.values():
            release(seg)
            seg.unlink()
        self._shared.clear()

    def shared_frame(self, shape: Sequence[int], dtype: str) -> Any:
        """A numpy array living in shared memory (needs numpy).

        Render or copy a frame into it and pass it to ``run``: on the same host it crosses
        with no copy at all, only its name and offset go over the socket. Elsewhere it is
        sent as a message part like any array. Freed by ``close()``.
        """
        import numpy as np

        nbytes = P.frame_nbytes(list(shape), dtype)
        seg = create(nbytes, "rushes_f")
        arr = np.ndarray(tuple(shape), dtype=dtype, buffer=seg.buf)  # type: ignore[arg-type]
        self._shared[arr.ctypes.data] = seg
        return arr

    def _socket(self) -> zmq.Socket:
        if self._sock is None:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDBUF, 8 << 20)
            sock.setsockopt(zmq.RCVBUF, 8 << 20)
            sock.setsockopt(zmq.ROUTING_ID, self._identity)
            if self.server_key is not None:
                public, secret = self.client_keys or zmq.curve_keypair()
                sock.curve_publickey, sock.curve_secretkey = public, secret
                sock.curve_serverkey = self.server_key
            elif self.token:
                sock.plain_username, sock.plain_password = PLAIN_USER, self.token.encode()
            if _HANDSHAKE_FAILED:
                self._monitor = sock.get_monitor_socket(_HANDSHAKE_FAILED)
            sock.connect(self.url)
            self._sock = sock
        return self._sock

    def _reset(self) -> None:
        if self._monitor is not None:
            if self._sock is not None:
                self._sock.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    def _check_handshake(self) -> None:
        """Raise Unauthorized when the daemon refused this client while connecting (token or key)."""
        mon = self._monitor
        while mon is not None and mon.poll(0):
            event = recv_monitor_message(mon)
            if event["event"] & _HANDSHAKE_FAILED:
                self._reset()
                raise Unauthorized(f"the Rushes daemon at {self.url} refused this client while connecting: a "
                                   "missing or wrong token (RUSHES_TOKEN) or a CURVE key it does not list "
                                   "(RUSHES_SERVER_KEY, RUSHES_CLIENT_KEY_FILE)")

    # -- simple requests -------------------------------------------------------------
    def hello(self) -> Dict[str, Any]:
        """Introduce this client; finds out whether frames can go through shared memory."""
        probe = None
        fields: Dict[str, Any] = {"client": f"hostbridge@{socket.gethostname()}"}
        if self.use_shm:
            try:
                secret = secrets.token_bytes(16)
                probe = create(16, "rushes_probe")
                buf = probe.buf
                assert buf is not None
                buf[:16] = secret
                fields["shm_probe"] = {"name": probe.name, "secret": secret.hex()}
            except Exception:  # no shared memory on this platform: parts only
                if probe is not None:
                    probe.close()
                    probe.unlink()
                probe = None
        self._registered.clear()  # a new daemon (or a restarted one) knows none of our segments
        try:
            header, _ = self._request(P.HELLO, fields, retry=True)
        finally:
            if probe is not None:
                probe.close()
                probe.unlink()
        self.same_host = bool(header.get("same_host")) and probe is not None
        most = header.get("max_part_bytes")
        self.max_part = int(most) if isinstance(most, int) and most > 0 else None
        if self.same_host:
            self._register_segments()
        return header

    def _live_segments(self) -> List[Any]:
        segs = [a.seg for a in (self._arena, self._reply_arena) if a.seg is not None]
        return segs + list(self._shared.values())

    def _register_segments(self) -> None:
        """Prove to the daemon that our new segments are ours: 16 random bytes written at the start of
        each, sent in a hello, read back by the daemon (the bytes they held are then put back)."""
        fresh = [s for s in self._live_segments() if s.name not in self._registered and s.buf is not None]
        if not fresh:
            return
        saved = [bytes(s.buf[:16]) for s in fresh]
        items = []
        for seg in fresh:
            secret = secrets.token_bytes(16)
            seg.buf[:16] = secret
            items.append({"name": seg.name, "secret": secret.hex()})
        try:
            self._request(P.HELLO, {"segments": items}, retry=True)
        finally:
            for seg, old in zip(fresh, saved):
                seg.buf[:16] = old
        self._registered.update((s.name, None) for s in fresh)

    def ping(self) -> float:
        """Round-trip time in seconds."""
        t0 = time.perf_counter()
        self._request(P.PING, {}, retry=True)
        return time.perf_counter() - t0

    def list_tasks(self) -> List[Dict[str, Any]]:
        header, _ = self._request(P.LIST_TASKS, {}, retry=True)
        return list(header.get("tasks", []))

    def status(self, job: str) -> Dict[str, Any]:
        header, _ = self._request(P.STATUS, {"job": job}, retry=True)
        return header

    def cancel(self, job: str) -> None:
        self._request(P.CANCEL, {"job": job}, retry=True)

    # -- tasks -------------------------------------------------------------------------
    def submit(self, task: str, params: Optional[Mapping[str, Any]] = None,
               project: Optional[str] = None, inputs: Optional[Mapping[str, Sequence[Any]]] = None) -> str:
        """Start a long job that runs on without this client (e.g. training); returns its job id.

        Poll it with ``status(job)``; stop it with ``cancel(job)``. Frames it emits are
        not kept: submit work whose results land in the project store.
        """
        if inputs and self.same_host is None:
            self.hello()
        descs, parts, _ = self._pack_inputs(inputs or {})
        fields = {"task": task, "params": dict(params or {}), "inputs": descs, "project": project}
        if parts:
            raise ValueError("submit takes frames by path only; use run() to send pixels")
        header, _ = self._request(P.SUBMIT, fields, retry=False)  # a retry could start the job twice
        return str(header["job"])

    def run(self, task: str, inputs: Mapping[str, Sequence[Any]], params: Optional[Mapping[str, Any]] = None,
            encode: Optional[str] = None, project: Optional[str] = None,
            on_progress: Optional[ProgressFn] = None, on_frame: Optional[FrameFn] = None) -> Result:
        """Run a task and wait for it, streaming progress and frames to the callbacks.

        ``inputs`` maps input names to lists of frames (``hostbridge.frames`` helpers or
        numpy arrays). ``on_progress(done, total, message)`` returning False cancels the
        job. Frames passed to ``on_frame`` are not also kept in the Result. When the job is
        sent again (the daemon went silent or was busy), ``on_frame`` sees each (output,
        number) once; the Result holds the frames of the attempt that finished.
        """
        if self.same_host is None:
            self.hello()
        fields: Dict[str, Any] = {"task": task, "params": dict(params or {}), "encode": encode,
                                  "project": project}
        delivered: Set[Tuple[str, int]] = set()

        def send(rid: str) -> None:
            if self.same_host is None:  # the daemon went silent: it may be a new one, say hello again
                self.hello()
            descs, parts, nbytes = self._pack_inputs(inputs)
            fields["inputs"] = descs
            fields.pop("reply_shm", None)
            if self.same_host and self.use_shm:
                self._reply_size = max(self._reply_size, 2 * nbytes)
                seg = self._reply_arena.ensure(self._reply_size)
                fields["reply_shm"] = {"name": seg.name, "size": seg.size}
                self._register_segments()
            self._send(rid, P.RUN, fields, parts)

        self._limit = time.monotonic() + self.give_up
        try:
            return self._attempts(True, send, lambda rid: self._read_job(rid, on_progress, on_frame, delivered))
        except GaveUp as exc:
            raise GaveUp(f"{exc.detail}; {len(delivered)} frame(s) of {task} had arrived, the job did not finish") \
                from None
        finally:
            self._limit = None

    # -- internals ---------------------------------------------------------------------
    def _send(self, rid: str, mtype: str, fields: Dict[str, Any], parts: Sequence[Any] = ()) -> None:
        if self.token:
            fields = dict(fields, token=self.token)
        header = P.encode_header(P.make_header(mtype, rid, **fields))
        for k, part in enumerate(parts):  # the daemon drops a larger part with the connection, unanswered
            size = memoryview(part).nbytes
            if self.max_part is not None and size > self.max_part:
                raise FrameTooLarge(f"part {k} of this request is {size} bytes; the daemon takes parts of up to "
                                    f"{self.max_part} bytes (its max_frame_bytes / max_encoded_bytes): send the "
                                    "frame in pieces the daemon accepts, by shared memory or by path",
                                    code="frame_too_large", retryable=False)
        self._socket().send_multipart([header, *parts], copy=False)

    def _recv(self, rid: str, deadline_s: float) -> Tuple[Dict[str, Any], List[Any]]:
        """Next message for ``rid``; raises DaemonUnavailable after ``deadline_s`` of silence.

        During ``run()`` raises GaveUp once ``give_up`` seconds passed since the daemon was last heard.
        """
        sock = self._socket()
        end = time.monotonic() + deadline_s
        while True:
            limit = self._limit
            stop = end if limit is None else min(end, limit)
            left = stop - time.monotonic()
            self._check_handshake()
            # polled in short slices, so a refused handshake is reported promptly; a late return
            # still reads what is waiting
            if not sock.poll(min(max(int(left * 1000), 0) + 1, 100)):
                now = time.monotonic()
                if limit is not None and now >= limit:
                    raise GaveUp(f"the Rushes daemon at {self.url} stopped answering: nothing heard for "
                                 f"{self.give_up:g} s, so the client gave up (RUSHES_GIVE_UP_S sets how long)")
                if now >= end:
                    raise DaemonUnavailable(f"the Rushes daemon at {self.url} did not answer within "
                                            f"{deadline_s:g} s; {START_HINT}")
                continue
            frames = sock.recv_multipart(copy=False)
            if self._limit is not None:
                self._limit = time.monotonic() + self.give_up
            try:
                header = P.decode_header(frames[0].bytes)
            except P.ProtocolError:
                continue
            if header.get("id") != rid:
                continue  # a late reply to an earlier attempt
            return header, list(frames[1:])

    def _request(self, mtype: str, fields: Dict[str, Any], retry: bool) -> Tuple[Dict[str, Any], List[Any]]:
        """A request answered by one message (its header and parts)."""
        return self._attempts(retry, lambda rid: self._send(rid, mtype, fields), self._read_reply)

    def _read_reply(self, rid: str) -> Tuple[Dict[str, Any], List[Any]]:
        header, parts = self._recv(rid, self.timeout)
        if header["type"] == P.ERROR:
            raise _error(header)
        return header, parts

    def _attempts(self, retry: bool, send: Callable[[str], None], read: Callable[[str], _T]) -> _T:
        """The Lazy Pirate loop, the only one: send under a fresh request id, read its replies to the end.

        Silence (``DaemonUnavailable``) rebuilds the socket and forgets whether the daemon shares
        this host (a new one may be there); a retryable refusal (busy, shutting down) waits a
        little. Either way the request goes again, ``retries`` times at most when ``retry``.
        A daemon that forgot this client's segments (it restarted) gets them again, once, free.
        """
        attempts = self.retries + 1 if retry else 1
        attempt = 0
        reregistered = False
        while True:
            rid = f"{secrets.token_hex(6)}-{attempt}"
            try:
                send(rid)
                return read(rid)
            except HostBridgeError as exc:
                if not reregistered and self._segments_forgotten(exc):
                    reregistered = True
                    self._registered.clear()  # ``send`` registers them again
                    continue
                attempt += 1
                if not exc.retryable or attempt >= attempts:
                    raise
                if isinstance(exc, DaemonUnavailable):
                    self._reset()
                    self.same_host = None
                else:
                    time.sleep(min(0.25 * (2 ** (attempt - 1)), 2.0))

    def _segments_forgotten(self, exc: HostBridgeError) -> bool:
        """The daemon does not know a segment this client registered (it restarted)."""
        if not self._registered:
            return False
        if isinstance(exc, SegmentNotRegistered):
            return True
        # a daemon from before the shm_unregistered code said it as shm_error with these words
        return exc.code == "shm_error" and "not registered by this client" in str(exc)

    def _pack_inputs(self, inputs: Mapping[str, Sequence[Any]]) -> Tuple[Dict[str, List[Dict[str, Any]]], List[Any], int]:
        frames: Dict[str, List[FrameIn]] = {
            name: [as_frame_in(f, i) for i, f in enumerate(seq)] for name, seq in inputs.items()}
        use_shm = bool(self.same_host) and self.use_shm
        total = sum(memoryview(f.data).nbytes for seq in frames.values() for f in seq  # type: ignore[arg-type,misc]
                    if f.kind == "buffer" and _address(f.data) not in self._shared)
        seg = self._arena.ensure(total) if use_shm and total else None
        offset = 0
        parts: List[Any] = []
        descs: Dict[str, List[Dict[str, Any]]] = {}
        for name, seq in frames.items():
            out = descs.setdefault(name, [])
            for f in seq:
                d: Dict[str, Any] = {"number": f.number, "colour_space": f.colour_space}
                if f.kind == "path":
                    d.update(where="path", path=f.path)
                elif f.kind == "encoded":
                    d.update(where="encoded", encoded={"format": f.fmt, "part": len(parts)})
                    parts.append(f.data)
                else:
                    assert f.shape is not None
                    d.update(shape=list(f.shape), dtype=f.dtype, layout="HWC")
                    view = memoryview(f.data).cast("B")  # type: ignore[arg-type]
                    home = self._shared.get(_address(f.data)) if use_shm else None
                    if home is not None:  # already in shared memory: no copy
                        d.update(where="shm", shm={"name": home.name, "offset": 0})
                    elif seg is not None and seg.buf is not None:
                        seg.buf[offset:offset + view.nbytes] = view
                        d.update(where="shm", shm={"name": seg.name, "offset": offset})
                        offset += view.nbytes
                    else:
                        d.update(where="part", part=len(parts))
                        parts.append(f.data)
                out.append(d)
        return descs, parts, total

    def _read_job(self, rid: str, on_progress: Optional[ProgressFn], on_frame: Optional[FrameFn],
                  delivered: Set[Tuple[str, int]]) -> Result:
        """One attempt's replies to its RESULT. ``on_frame`` skips frames an earlier attempt delivered
        (listed in ``delivered``); the Result is this attempt's own, so a frame is kept once."""
        result = Result()
        earlier = set(delivered)
        cancelling = False
        try:
            while True:
                header, extra = self._recv(rid, self.timeout)
                mtype = header["type"]
                if mtype == P.ERROR:
                    raise _error(header)
                if mtype == P.PROGRESS and on_progress is not None and not cancelling:
                    if on_progress(int(header.get("done", 0)), int(header.get("total", 0)),
                                   str(header.get("message", ""))) is False:
                        cancelling = True
                        self._send(f"{rid}-c", P.CANCEL, {"job": rid})
                elif mtype == P.FRAME:
                    out = self._frame_out(header, extra)
                    key = (out.output, out.number)
                    if on_frame is None:
                        result.frames.setdefault(out.output, []).append(out)
                    elif key not in earlier:
                        on_frame(out.output, out)
                    delivered.add(key)
                elif mtype == P.BLOB:
                    result.blobs[str(header["name"])] = bytes(extra[0].buffer) if extra else b""
                elif mtype == P.RESULT:
                    if cancelling:
                        raise Cancelled("the job was cancelled")
                    result.summary = dict(header.get("summary", {}))
                    return result
        except HostBridgeError:
            raise
        except BaseException:  # a callback failed (a frame could not be written...): stop the job too
            try:
                self._send(f"{rid}-c", P.CANCEL, {"job": rid})
            except zmq.ZMQError:
                pass
            raise

    def _frame_out(self, header: Dict[str, Any], extra: List[Any]) -> FrameOut:
        d = header["frame"]
        shape = tuple(d["shape"]) if d.get("shape") else None
        data: Any
        if d.get("where") == "shm":  # written into our reply arena: a view, valid until the next request
            seg = self._reply_arena.seg
            if seg is None or d["shm"].get("name") != seg.name:
                raise HostBridgeError(f"the daemon replied in an unknown shared-memory segment {d['shm'].get('name')!r}")
            n = P.frame_nbytes(d["shape"], d["dtype"])
            off = int(d["shm"].get("offset", 0))
            data = seg.buf[off:off + n]  # type: ignore[index]
        else:  # a message part, kept without copying
            data = extra[0].buffer if extra else b""
            if d.get("where") == "part" and self.same_host:
                self._reply_size = max(self._reply_size, 2 * len(data))  # did not fit: grow for next time
        return FrameOut(output=str(header.get("output", "")), number=int(d.get("number", 0)),
                        colour_space=str(d.get("colour_space", "")), shape=shape,  # type: ignore[arg-type]
                        dtype=d.get("dtype"), encoded=(d.get("encoded") or {}).get("format"), data=data)
