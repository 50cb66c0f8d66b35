"""The daemon step of Process: plain data in, a cache version out. No Nuke here.

It may run on a worker thread (the GUI keeps responding and the ProgressTask's Cancel
works) because it touches only files under the node's partial folder, its own hostbridge
Client, and the reporter.
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from rushes_nuke import __version__, cache, daemon
from rushes_nuke.report import ProcessCancelled, Reporter


@dataclass
class Job:
    """What the daemon step needs, gathered on the main thread by ``process.prepare``."""

    node: str                         # the node's full name (for messages and job.json)
    task: str
    url: str
    params: dict[str, Any]
    project: str | None
    by_path: bool                     # file references (same machine) or EXR bytes
    rendered: dict[str, list[str]]    # input port -> one EXR per frame
    numbers: list[int]                # frame numbers, same order as the files
    layout: cache.NodeCache
    work: str                         # the partial folder the version is built in
    keep_inputs: bool = False
    require_blobs: bool = False       # a run that returns no files (e.g. no LUT) is a failure
    done_units: int = 0               # progress already shown (rendering), out of total_units
    total_units: int = 100
    meta: dict[str, Any] = field(default_factory=dict)   # more for job.json
    colour_space: str = ""            # the rendered frames' OCIO name for the daemon ("": unsaid)


def frames_for(rendered: dict[str, list[str]], numbers: list[int], by_path: bool,
               colour_space: str = "") -> dict[str, list[Any]]:
    """hostbridge frames: file references (same machine) or the EXR bytes (remote)."""
    from hostbridge.frames import file_frame

    return {port: [file_frame(path, number, colour_space, by_path) for number, path in zip(numbers, paths)]
            for port, paths in rendered.items()}


def check_frames(task: str, written: dict[str, list[int]], numbers: list[int]) -> None:
    """Raise naming what is missing unless the daemon sent every frame asked for, for each output
    it sent any of (one frame for the shot of a still task, ``cache.STILL_TASKS``), and none it was
    not sent: a version is published only whole (a run the daemon ended early, or an older daemon
    that skipped a frame, must not read as done over frames never repaired)."""
    if not written:
        raise ValueError(f"the daemon's {task} returned no frames; nothing was cached")
    for port, got in sorted(written.items()):
        stray = sorted(set(got) - set(numbers))
        if stray:   # cached, it would show over a frame of the shot the artist never sent
            raise ValueError(f"the daemon's {task} returned {port} frame {stray[0]}, not among the {len(numbers)} "
                             f"frame(s) sent; nothing was cached")
        if task in cache.STILL_TASKS:
            continue
        missing = sorted(set(numbers) - set(got))
        if missing:
            raise ValueError(f"the daemon's {task} returned no {port} frame {missing[0]} ({len(missing)} of "
                             f"{len(numbers)} missing); nothing was cached")


def execute(job: Job, reporter: Reporter) -> str:
    """Send the rendered inputs, write what comes back atomically, publish the version.

    On any failure or cancel the partial folder is removed and the error re-raised
    (``ProcessCancelled`` for a cancel).
    """
    from hostbridge import Cancelled

    span = job.total_units - job.done_units

    def on_progress(done: int, total: int, message: str) -> bool:
        frac = done / total if total else 0.0
        return reporter.progress(job.done_units + int(frac * span), job.total_units, message)

    try:
        writer = cache.OutputWriter(job.work)

        def on_frame(output: str, frame: Any) -> None:
            if frame.encoded != "exr":
                raise ValueError(f"the daemon sent {output} frame {frame.number} as raw pixels, not EXR; "
                                 "update Rushes on the daemon's machine")
            writer.frame(output, frame.number, bytes(frame.data))

        with daemon.connect(job.url, timeout=daemon.hello_timeout(), retries=0) as client:
            client.hello()
            client.timeout = daemon.run_timeout()  # silence allowed between progress messages
            try:
                result = client.run(job.task, frames_for(job.rendered, job.numbers, job.by_path, job.colour_space), job.params,
                                    encode="exr", project=job.project, on_progress=on_progress, on_frame=on_frame)
            except Cancelled:
                raise ProcessCancelled() from None
        if job.require_blobs and not result.blobs:
            raise ValueError(f"the daemon's {job.task} returned no files")
        if not job.require_blobs:
            check_frames(job.task, writer.written, job.numbers)
        for name, data in result.blobs.items():
            writer.blob(name, data)
        inputs = os.path.join(job.work, cache.INPUTS_DIR)
        if not job.keep_inputs and os.path.isdir(inputs):
            shutil.rmtree(inputs)
        writer.job(dict(job.meta, task=job.task, params=job.params, project=job.project, node=job.node,
                        server=job.url, transfer="path" if job.by_path else "encoded", frames=[
                            min(job.numbers), max(job.numbers)] if job.numbers else [], summary=result.summary,
                        blobs=sorted(result.blobs), plugin_version=__version__,
                        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")))
        version = job.layout.commit(job.work)
    except BaseException:
        job.layout.discard(job.work)
        raise
    reporter.progress(job.total_units, job.total_units, f"{version} done")
    return version
