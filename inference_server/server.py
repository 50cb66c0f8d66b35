"""The daemon's ROUTER loop: decode, validate, hand over to the scheduler, answer at once.

The loop never runs task work. Anything wrong with a request is answered with a typed
error naming the problem, and the loop keeps serving.
"""

from __future__ import annotations

import hmac
import logging
import signal
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import zmq

from hostbridge import protocol as P
from inference_server import __version__, auth
from inference_server.access import ClientRegistry, PathPolicy
from inference_server.codec import Limits, build_inputs, check_path_format
from inference_server.config import Config, is_loopback, listen_endpoints, plate_roots, store_path
from inference_server.devices import resolve_device
from inference_server.failures import wire_error
from inference_server.outflow import Outflow
from inference_server.scheduler import Job, Scheduler
from inference_server.shm_cache import Segment, SegmentCache, SegmentError
from inference_server.tasks import TASK_MODULES, load_task, manifests_and_problems

log = logging.getLogger("rushes.server")
OUTBOX = "inproc://rushes-outbox"


def _waiting(sock: zmq.Socket, most: int) -> Iterator[list[Any]]:
    """The messages ``sock`` holds now, ``most`` at the most (the loop then turns to its other work)."""
    for _ in range(most):
        try:
            yield sock.recv_multipart(zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return


class Daemon:
    def __init__(self, cfg: Config) -> None:
        self.endpoints = listen_endpoints(cfg.listen)
        for endpoint in self.endpoints:
            if not is_loopback(endpoint) and not (cfg.token or cfg.curve_secret_file):
                raise ValueError(f"refusing to listen on {endpoint}: it is reachable from other machines; "
                                 "set a token (RUSHES_TOKEN) or CURVE keys (curve_secret_file), or listen on 127.0.0.1")
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.ctx = zmq.Context()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 1000)
        self.router.setsockopt(zmq.ROUTER_HANDOVER, 1)  # a client reconnecting keeps its identity
        self.router.setsockopt(zmq.SNDBUF, 8 << 20)  # large frames: fewer, bigger kernel copies
        self.router.setsockopt(zmq.RCVBUF, 8 << 20)
        # a larger part drops the connection unanswered: the hello tells clients, who refuse it before sending
        self.max_part = max(cfg.max_frame_bytes, cfg.max_encoded_bytes) + P.MAX_HEADER_BYTES
        self.router.setsockopt(zmq.MAXMSGSIZE, self.max_part)
        self.auth = auth.setup(self.ctx, self.router, cfg.token, cfg.curve_secret_file, cfg.curve_authorized_keys)
        self.outflow = Outflow(self.router, self._client_gone)  # lossless, flow-controlled replies
        self.outbox = self.ctx.socket(zmq.PULL)
        self.outbox.bind(OUTBOX)
        self._local = threading.local()
        self.scheduler = Scheduler(self._send_from_worker, self.device, store_path(cfg), cfg.workers, cfg.queue_size)
        self.seen: OrderedDict[tuple[bytes, str], None] = OrderedDict()
        self.segments = SegmentCache(cfg.max_segments)
        self.clients = ClientRegistry()
        self.paths = PathPolicy(plate_roots(cfg), user_fallback=not cfg.plate_roots.strip())
        self.limits = Limits(cfg.max_frame_bytes, cfg.max_frame_side, cfg.max_frame_pixels, cfg.max_encoded_bytes)
        self.stop_requests = 0
        self.endpoint = ""

    # -- wiring ------------------------------------------------------------------------
    def bind(self) -> str:
        bound = []
        for endpoint in self.endpoints:
            self.router.bind(endpoint)
            bound.append(str(self.router.getsockopt_string(zmq.LAST_ENDPOINT)))
        self.endpoint = ",".join(bound)
        return self.endpoint

    def _send_from_worker(self, identity: bytes, header: dict[str, Any], parts: Sequence[Any]) -> None:
        sock = getattr(self._local, "push", None)
        if sock is None:
            sock = self._local.push = self.ctx.socket(zmq.PUSH)
            sock.connect(OUTBOX)
        job_id = str(header.get("id", ""))
        job = self.scheduler.jobs.get((identity, job_id))  # jobs belong to their client
        credit = f"{identity.hex()}/{job_id}"  # two clients may use the same job id
        self.outflow.acquire(credit, lambda: job is None or job.cancel.is_set() or self.scheduler.stopping.is_set())
        sock.send_multipart([identity, credit.encode(), P.encode_header(header), *parts], copy=False)

    def _send(self, identity: bytes, header: dict[str, Any], parts: Sequence[Any] = ()) -> None:
        self.outflow.send(identity, [identity, P.encode_header(header), *parts])

    def _client_gone(self, identity: bytes) -> None:
        for job in self.scheduler.active():
            if job.identity == identity and not job.detached:
                log.info("client gone; cancelling its job", extra={"job": job.id})
                job.cancel.set()

    # -- main loop -----------------------------------------------------------------------
    def install_signals(self) -> None:
        def on_term(signum: int, _frame: Any) -> None:
            self.stop_requests += 1
            log.info("stop requested", extra={"signal": signum, "count": self.stop_requests})

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)

    def serve(self) -> None:
        """Serve until asked to stop: first signal drains (finish the job in hand), second stops now."""
        if not self.endpoint:
            self.bind()
        sys.setswitchinterval(0.0005)  # the loop and the workers hand frames to each other; keep hand-offs short
        self.scheduler.start()
        log.info("serving", extra={"listen": self.endpoint, "device": self.device, "version": __version__})
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        poller.register(self.outbox, zmq.POLLIN)
        last_beat = time.monotonic()
        while True:
            if self.stop_requests >= 2:
                for job in self.scheduler.active():
                    job.cancel.set()
                    if not job.detached:  # tell its client now: nobody will answer it after this
                        self.outflow.send(job.identity, [job.identity, P.encode_header(P.error_header(
                            job.id, "shutting_down", retryable=False,
                            detail=f"the daemon was told to stop now (a second stop signal) while {job.task} ran, "
                                   f"{job.done} of {job.total or '?'} frame(s) done; run it again once it is back"))])
                self.outflow.flush()
                log.info("stopping now")
                break
            if self.stop_requests == 1 and not self.scheduler.active():
                self._forward_outbox()  # a job's last reply may still be on its way from its worker
                if not self.outflow.pending:
                    log.info("drained; stopping")
                    break
            events = dict(poller.poll(10 if self.outflow.pending else 100))
            self.outflow.flush()
            if self.outbox in events:
                self._forward_outbox()
            if self.router in events:
                for msg in _waiting(self.router, 64):
                    self.handle(msg)
            if time.monotonic() - last_beat >= self.cfg.heartbeat_s:
                last_beat = time.monotonic()
                self._heartbeat()
                self.segments.sweep()
        self.close()

    def _forward_outbox(self) -> None:
        """Send on what the workers have handed the loop (frames, progress, results)."""
        for msg in _waiting(self.outbox, 256):
            self.outflow.send(msg[0].bytes, [msg[0], *msg[2:]], job=msg[1].bytes.decode())

    def close(self) -> None:
        self.scheduler.stop(timeout=2.0 if self.stop_requests < 2 else 0.1)
        self.router.close(linger=500)
        self.outbox.close(linger=0)
        self.segments.close()
        if self.auth is not None:
            self.auth.stop()
        # Closing does not send: the last replies (a RESULT, a stop notice) leave while the context
        # terminates. Workers' sockets may stay open, so wait for that in a thread, at most 1 s.
        ender = threading.Thread(target=self.ctx.term, name="zmq-term", daemon=True)
        ender.start()
        ender.join(1.0)

    def _heartbeat(self) -> None:
        for job in self.scheduler.active():
            if not job.detached:
                self.outflow.send(job.identity, [job.identity, P.encode_header(P.make_header(
                    P.PROGRESS, job.id, done=job.done, total=job.total, message=job.message or job.state,
                    heartbeat=True))], droppable=True)

    # -- one request ---------------------------------------------------------------------
    def handle(self, msg: list[Any]) -> None:
        """Answer one request; the broad catch keeps the loop serving whatever happens."""
        identity = msg[0].bytes
        rid = "unknown"
        try:
            if len(msg) < 2:
                raise P.ProtocolError("bad_message", "empty message: no header part")
            header = P.decode_header(msg[1].bytes)
            rid = header["id"]
            parts = [m.buffer for m in msg[2:]]
            P.check_request(header, len(parts), self.cfg.max_frame_bytes, self.cfg.max_frame_side)
            self._dispatch(identity, header, parts)
        except Exception as exc:
            failure = wire_error(exc, "internal", "internal error")
            if not failure.expected:
                log.exception("request failed", extra={"request": rid})
            log.info("request refused", extra={"code": failure.code, "detail": failure.detail, "request": rid})
            self._send(identity, P.error_header(rid, failure.code, failure.detail))

    def _dispatch(self, identity: bytes, header: dict[str, Any], parts: list[Any]) -> None:
        """A request that passed ``check_request``: who may ask, then the answer."""
        rid, mtype = header["id"], header["type"]
        token = header.get("token")
        if self.cfg.token and not (isinstance(token, str) and hmac.compare_digest(token.encode(), self.cfg.token.encode())):
            raise P.ProtocolError("unauthorized", "this daemon needs a valid token (set RUSHES_TOKEN on the host)")
        if mtype in (P.RUN, P.SUBMIT):
            return self._start_job(identity, header, parts)
        if mtype == P.HELLO:
            same_host, registered = self.clients.hello(identity, header.get("shm_probe"), header.get("segments"))
            self._send(identity, P.make_header(
                P.HELLO_REPLY, rid, server_version=__version__, protocol=P.PROTOCOL_VERSION, device=self.device,
                tasks=sorted(TASK_MODULES), same_host=same_host, segments=registered,
                host=socket.gethostname(), max_part_bytes=self.max_part))
        elif mtype == P.PING:
            self._send(identity, P.make_header(P.PONG, rid))
        elif mtype == P.LIST_TASKS:
            found, problems = manifests_and_problems()
            if problems:
                log.error("task modules failed to load", extra={"problems": problems})
            self._send(identity, P.make_header(P.TASKS, rid, tasks=[m.to_wire() for m in found.values()],
                                               unavailable=problems))
        elif mtype == P.STATUS:
            job = self.scheduler.find(identity, header["job"])
            if job is None:
                raise P.ProtocolError("not_found", f"no job {header['job']!r} on this daemon")
            self._send(identity, P.make_header(P.STATUS_REPLY, rid, job=job.id, task=job.task, state=job.state,
                                               done=job.done, total=job.total, message=job.message,
                                               summary=job.summary, error=job.error))
        elif mtype == P.CANCEL:
            job = self.scheduler.find(identity, header["job"])
            if job is None:
                raise P.ProtocolError("not_found", f"no job {header['job']!r} on this daemon")
            job.cancel.set()
            self._send(identity, P.make_header(P.OK, rid, job=job.id))

    def _start_job(self, identity: bytes, header: dict[str, Any], parts: list[Any]) -> None:
        """A well-formed run/submit: the daemon's own checks (task, parameters, paths, segments), then queue it."""
        rid = header["id"]
        key = (identity, rid)
        if key in self.seen:
            raise P.ProtocolError("duplicate_request", f"request id {rid!r} was already used; send a new id")
        self.seen[key] = None
        if len(self.seen) > 10000:
            self.seen.popitem(last=False)
        if self.stop_requests:
            raise P.ProtocolError("shutting_down", "the daemon is shutting down; send the job again shortly")
        task = header["task"]
        if task not in TASK_MODULES:
            raise P.ProtocolError("unknown_task", f"unknown task {task!r}; this daemon runs {', '.join(sorted(TASK_MODULES))}")
        manifest = load_task(task).MANIFEST
        try:
            params = manifest.validate_params(header.get("params") or {})
        except ValueError as exc:  # the task's word on its parameters
            raise P.ProtocolError("bad_params", str(exc)) from None
        if task == "train":  # artist pairs are kept and read again: only from the allowed roots
            self.paths.check_pairs(params.get("pairs"))
        inputs = header["inputs"]
        manifest.validate_inputs(list(inputs))  # TaskInputError: bad_input
        uid = self.clients.uid(identity)
        for port, items in inputs.items():
            for d in items:
                if d["where"] == "path":
                    what = f"input {port!r} frame {d.get('number', 0)}"
                    d["path"] = self.paths.check_frame(d["path"], uid, what)
                    check_path_format(d["path"], what)
                elif d["where"] == "shm":
                    self.clients.check_segment(identity, d["shm"]["name"])
        pinned: list[Segment] = []

        def open_segment(name: str) -> Segment:
            try:
                seg = self.segments.get(name)
            except (SegmentError, OSError, ValueError) as exc:
                raise P.ProtocolError("shm_error", f"shared-memory segment {name!r} cannot be opened: {exc}") from None
            if seg not in pinned:  # held open (outside the cache's count) until the job lets go
                self.segments.pin(seg)
                pinned.append(seg)
            return seg

        def unpin() -> None:
            for seg in pinned:
                self.segments.unpin(seg)

        try:
            frames = build_inputs(inputs, parts, open_segment, manifest.nan_policy, self.limits,
                                  frozenset(p.name for p in manifest.inputs if p.kind == "matte"),
                                  next((p.name for p in manifest.inputs if p.kind != "matte"), ""))
            encode = header.get("encode")
            reply = header.get("reply_shm")
            reply_seg = None
            if reply is not None and encode is None:
                self.clients.check_segment(identity, reply["name"])
                reply_seg = open_segment(reply["name"])
            self.scheduler.submit(Job(id=rid, identity=identity, task=task, params=params, inputs=frames,
                                      project=header.get("project"), encode=encode, reply_shm=reply_seg,
                                      detached=header["type"] == P.SUBMIT, cleanup=[unpin]))
        except BaseException:
            unpin()
            raise
        self._send(identity, P.make_header(P.ACCEPTED, rid, job=rid))
        log.info("job queued", extra={"job": rid, "task": task})
