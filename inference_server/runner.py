"""Run a task: through the local daemon when one answers, else in this process.

Both paths validate the same manifest and stream the same frames to the callbacks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hostbridge import Client
from hostbridge.errors import DaemonUnavailable, Unauthorized
from hostbridge.frames import FrameOut, array_frame, path_frame
from hostbridge.local import send_by_path
from hostbridge.protocol import ProtocolError
from inference_server.codec import check_pixels
from inference_server.config import default_server, load_config, store_path
from inference_server.devices import resolve_device
from inference_server.frames import Frame, FrameSeq, NanPolicy
from inference_server.tasks import load_task
from inference_server.tasks.base import TaskContext, TaskInputError

FrameFn = Callable[[str, Frame], None]
BlobFn = Callable[[str, bytes], None]
ProgressFn = Callable[[int, int, str], None]


def daemon_answers(url: str, timeout: float = 0.5) -> bool:
    try:
        with Client(url, timeout=timeout, retries=0) as client:
            client.hello()
        return True
    except DaemonUnavailable:
        return False


def run_task(task: str, inputs: Mapping[str, Sequence[Frame]], params: dict[str, Any], *,
             server: str | None = None, project: str | None = None, store: Path | None = None,
             on_frame: FrameFn | None = None, on_blob: BlobFn | None = None,
             on_progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run ``task``; an explicit ``server`` must answer, the default one is used if it does."""
    url = default_server(server or "")
    if server or (store is None and daemon_answers(url)):
        return run_remote(url, task, inputs, params, project, on_frame, on_blob, on_progress)
    return run_local(task, inputs, params, project, store, on_frame, on_blob, on_progress)


def run_local(task: str, inputs: Mapping[str, Sequence[Frame]], params: dict[str, Any], project: str | None,
              store: Path | None, on_frame: FrameFn | None, on_blob: BlobFn | None,
              on_progress: ProgressFn | None) -> dict[str, Any]:
    module = load_task(task)
    manifest = module.MANIFEST
    manifest.validate_inputs(list(inputs))
    checked = manifest.validate_params(params)
    cfg, _ = load_config()
    ctx = TaskContext(device=resolve_device(cfg.device), store=store or store_path(cfg), project=project,
                      on_progress=on_progress, on_frame=on_frame, on_blob=on_blob)
    guarded = {name: CheckedFrames(seq, name, manifest.nan_policy) for name, seq in inputs.items()}
    try:
        return dict(module.run(guarded, checked, ctx) or {})
    except ProtocolError as exc:  # pixels refused as the daemon would refuse them
        raise TaskInputError(exc.detail) from None


class CheckedFrames(FrameSeq):
    """Frames checked for NaN/Inf as the task reads them, by the task's policy (as the daemon does)."""

    def __init__(self, frames: Sequence[Frame], port: str, policy: NanPolicy) -> None:
        self.frames, self.port, self.policy = frames, port, policy
        self.paths = getattr(frames, "paths", None)
        self.numbers = getattr(frames, "numbers", None)

    def __len__(self) -> int:
        return len(self.frames)

    def _frame(self, i: int) -> Frame:
        frame = self.frames[i]
        check_pixels(frame.pixels, f"input {self.port!r} frame {frame.number}", self.policy)
        return frame


def run_remote(url: str, task: str, inputs: Mapping[str, Sequence[Frame]], params: dict[str, Any],
               project: str | None, on_frame: FrameFn | None, on_blob: BlobFn | None,
               on_progress: ProgressFn | None) -> dict[str, Any]:
    with Client(url, timeout=3.0, retries=1) as client:  # find out quickly whether anyone is there...
        same_host = bool(client.hello().get("same_host"))
        client.timeout, client.retries = 15.0, 3  # ...then be patient (RUSHES_GIVE_UP_S bounds it all)
        wire: dict[str, list[Any]] = {}
        for name, seq in inputs.items():
            # Not hostbridge.frames.file_frame: off this host the CLI sends the pixels it has already
            # decoded (movie frames, a frame range, a matte aligned to the plate), never the file's bytes.
            paths = getattr(seq, "paths", None)
            if send_by_path("auto", same_host) and paths:
                wire[name] = [path_frame(p, n, "") for p, n in zip(paths, _numbers(seq))]
            else:
                wire[name] = [array_frame(f.pixels, f.number, f.colour_space) for f in seq]

        def frame_cb(output: str, out: FrameOut) -> None:
            if on_frame is not None:
                on_frame(output, Frame(np.array(out.array()), out.number, out.colour_space))

        def progress_cb(done: int, total: int, message: str) -> bool:
            if on_progress is not None:
                on_progress(done, total, message)
            return True

        result = client.run(task, wire, params, project=project, on_progress=progress_cb, on_frame=frame_cb)
    if on_blob is not None:
        for name, data in result.blobs.items():
            on_blob(name, data)
    return result.summary


def _numbers(seq: Sequence[Frame]) -> list[int]:
    numbers = getattr(seq, "numbers", None)
    return list(numbers) if numbers is not None else [f.number for f in seq]


def wait_for_daemon(proc: Any, url: str, timeout: float, log: Path) -> None:
    """Return once the daemon process ``proc`` answers at ``url`` (a refusal for want of a token counts).

    Raises RuntimeError with the end of its ``log`` when it exits or stays silent for ``timeout`` s.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the daemon exited with status {proc.returncode}; {log}: {_tail(log)}")
        try:
            with Client(url, timeout=0.5, retries=0) as c:
                c.ping()
            return
        except Unauthorized:  # it answers; it wants a token
            return
        except DaemonUnavailable:
            time.sleep(0.1)
    raise RuntimeError(f"the daemon did not answer within {timeout:g} s; {log}: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.is_file() else "(no log)"


class TemporaryDaemon:
    """A `rushes serve` subprocess on a free loopback port, for commands that must use the daemon path.

    Use as a context manager; ``url`` is set once it answers. Stopped with SIGTERM on exit.
    """

    def __init__(self, store: Path, device: str = "auto", timeout: float = 60.0,
                 env: Mapping[str, str] | None = None) -> None:
        self.store, self.device, self.timeout = store, device, timeout
        self.env = dict(env or {})
        self.url = ""
        self.proc: Any = None

    def __enter__(self) -> TemporaryDaemon:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{port}"
        self.store.mkdir(parents=True, exist_ok=True)
        log = self.store / "daemon.log"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "inference_server.cli", "serve", "--listen", self.url,
                                          "--store", str(self.store), "--device", self.device],
                                         stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        try:
            wait_for_daemon(self.proc, self.url, self.timeout, log)
        except RuntimeError:
            self.proc.kill()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
