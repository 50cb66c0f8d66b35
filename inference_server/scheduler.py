"""A bounded job queue and the worker threads that own the compute device.

Workers never touch the ROUTER socket: they hand finished messages to ``send``, which
the server wires to an inproc socket its loop drains.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hostbridge import protocol as P
from inference_server.codec import encode_pixels
from inference_server.failures import wire_error
from inference_server.frames import Frame
from inference_server.shm_cache import SegmentError
from inference_server.tasks import load_task
from inference_server.tasks.base import TaskContext
from inference_server.windows import Box

log = logging.getLogger("rushes.scheduler")

SendFn = Callable[[bytes, dict[str, Any], Sequence[Any]], None]


@dataclass
class Job:
    id: str
    identity: bytes
    task: str
    params: dict[str, Any]
    inputs: Mapping[str, Sequence[Frame]]
    project: str | None = None
    encode: str | None = None
    reply_shm: Any = None            # attached segment for raw replies, or None
    detached: bool = False           # submitted: nobody waits on the socket
    state: str = "queued"            # queued | running | done | failed | cancelled
    done: int = 0
    total: int = 0
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    created: float = field(default_factory=time.time)
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    shm_offset: int = 0

    @property
    def key(self) -> tuple[bytes, str]:
        return (self.identity, self.id)


class Scheduler:
    def __init__(self, send: SendFn, device: str, store: Path, workers: int = 1, queue_size: int = 8) -> None:
        self.send = send
        self.device = device
        self.store = store
        self.queue: queue.Queue[Job] = queue.Queue(maxsize=queue_size)
        self.jobs: dict[tuple[bytes, str], Job] = {}  # (owner identity, job id): ids are per client
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, name=f"worker-{i}", daemon=True) for i in range(workers)]
        self.stopping = threading.Event()

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def submit(self, job: Job) -> None:
        """Queue a job; ProtocolError ``busy`` when the queue is at its bound, ``duplicate_request``
        when this client already has a job of that id."""
        with self.lock:
            if job.key in self.jobs:
                raise P.ProtocolError("duplicate_request", f"job id {job.id!r} is already in use by this client; "
                                                           "send a new id")
            try:
                self.queue.put_nowait(job)
            except queue.Full:
                raise P.ProtocolError("busy", f"the daemon's queue is full ({self.queue.maxsize} jobs); "
                                              "try again shortly") from None
            self.jobs[job.key] = job
            self._forget_old()

    def find(self, owner: bytes, job_id: str) -> Job | None:
        """The job ``job_id`` started by ``owner``; another client's job is not found."""
        with self.lock:
            return self.jobs.get((owner, job_id))

    def active(self) -> list[Job]:
        with self.lock:
            return [j for j in self.jobs.values() if j.state in ("queued", "running")]

    def stop(self, timeout: float) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout)

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs.values() if j.state not in ("queued", "running")]
        for j in sorted(finished, key=lambda j: j.created)[:-256]:
            del self.jobs[j.key]

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._run(job)
            finally:
                self._release(job)

    def _release(self, job: Job) -> None:
        """A finished job keeps only its summary: inputs, parts and segments are let go now."""
        for fn in job.cleanup:
            try:
                fn()
            except Exception:
                log.exception("cleanup failed", extra={"job": job.id})
        job.cleanup = []
        job.inputs = {}
        job.params = {}
        job.reply_shm = None

    def _reply(self, job: Job, mtype: str, parts: Sequence[Any] = (), **fields: Any) -> None:
        if not job.detached:
            self.send(job.identity, P.make_header(mtype, job.id, **fields), parts)

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            return self._fail(job, "cancelled", "the job was cancelled before it started")
        if self.stopping.is_set():
            return self._fail(job, "shutting_down", "the daemon is shutting down; send the job again")
        job.state = "running"
        started = time.perf_counter()
        log.info("job started", extra={"job": job.id, "task": job.task})
        module = load_task(job.task)
        ctx = TaskContext(device=self.device, store=self.store, project=job.project, cancel_event=job.cancel,
                          on_progress=lambda d, t, m: self._progress(job, d, t, m),
                          on_frame=lambda name, f: self._frame(job, name, f),
                          on_blob=lambda name, data: self._reply(job, P.BLOB, [data], name=name))
        try:
            summary = module.run(job.inputs, job.params, ctx)
        except Exception as exc:  # the one broad catch: one job, answered (and logged when unexpected)
            failure = wire_error(exc, "task_failed", f"{job.task} failed")
            if not failure.expected:
                log.error("job failed", extra={"job": job.id, "task": job.task, "traceback": traceback.format_exc()})
            return self._fail(job, failure.code, failure.detail)
        job.summary = dict(summary or {})
        log.info("job done", extra={"job": job.id, "task": job.task, "seconds": round(time.perf_counter() - started, 3)})
        self._reply(job, P.RESULT, summary=job.summary)
        job.state = "done"  # only once its result is on its way: a draining daemon stops when no job is active

    def _fail(self, job: Job, code: str, detail: str) -> None:
        job.error = {"code": code, "detail": detail}
        if not job.detached:
            self.send(job.identity, P.error_header(job.id, code, detail), ())
        job.state = "cancelled" if code == "cancelled" else "failed"  # after the reply, as in _run

    def _progress(self, job: Job, done: int, total: int, message: str) -> None:
        job.done, job.total, job.message = done, total, message
        self._reply(job, P.PROGRESS, done=done, total=total, message=message)

    def _frame(self, job: Job, name: str, frame: Frame) -> None:
        pixels = np.ascontiguousarray(frame.pixels)
        desc: dict[str, Any] = {"number": frame.number, "colour_space": frame.colour_space}
        if job.encode:
            data = encode_pixels(pixels, job.encode, _windows(job, frame), _straight(job, frame))
            desc.update(where="encoded", encoded={"format": job.encode, "part": 0})
            return self._reply(job, P.FRAME, [data], output=name, frame=desc)
        desc.update(shape=list(pixels.shape), dtype=pixels.dtype.name, layout="HWC")
        seg = job.reply_shm
        if seg is not None and job.shm_offset + pixels.nbytes <= seg.size:
            try:  # size checked (fstat) just before the copy; a segment shrunk meanwhile gets a part
                seg.write(job.shm_offset, pixels)
            except (SegmentError, OSError):
                seg = None
            if seg is not None:
                desc.update(where="shm", shm={"name": seg.name, "offset": job.shm_offset})
                job.shm_offset += pixels.nbytes
                return self._reply(job, P.FRAME, output=name, frame=desc)
        desc.update(where="part", part=0)
        self._reply(job, P.FRAME, [pixels], output=name, frame=desc)


def _plate_frames(job: Job, frame: Frame) -> Iterator[tuple[Any, int]]:
    """(input, index in it) of each input frame a result may be the repair of: inputs whose frames know
    their windows (``boxes``: plates; mattes are seen through ``AlignedFrames``) holding its number."""
    for seq in job.inputs.values():
        numbers = getattr(seq, "numbers", None)
        if hasattr(seq, "boxes") and numbers and frame.number in numbers:
            yield seq, list(numbers).index(frame.number)


def _windows(job: Job, frame: Frame) -> tuple[Box, Box] | None:
    """The (data window, display window) an encoded result takes: its plate frame's (``_plate_frames``)
    where the result covers the same region; else None."""
    h, w = frame.pixels.shape[:2]
    for seq, k in _plate_frames(job, frame):
        box, display = seq.boxes(k)
        if (box[2] - box[0], box[3] - box[1]) == (w, h) and (box != display or box[:2] != (0, 0)):
            return box, display
    return None


def _straight(job: Job, frame: Frame) -> bool:
    """Whether a result's alpha is straight: its plate frame (``_plate_frames``, the first that knows)
    came from a file that stored it so (a PNG). A task gives a plate's alpha back as it read it."""
    for seq, k in _plate_frames(job, frame):
        if hasattr(seq, "straight"):
            return bool(seq.straight(k))
    return False
