"""Talking to the Rushes daemon through hostbridge (the only Rushes package imported here).

The client (pyzmq, msgpack) is imported inside functions so that loading the menu scripts
stays cheap and a missing one is reported as one clear sentence; ``hostbridge.manifest``
is stdlib only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable

from hostbridge.local import default_url, send_by_path
from hostbridge.manifest import TaskManifest

if TYPE_CHECKING:
    from hostbridge import Client, FrameIn, FrameOut, Result



def server_url(explicit: str = "") -> str:
    """The daemon address: the option, else ``$RUSHES_SERVER``, else hostbridge's default."""
    return default_url(explicit)


PROBE_TIMEOUT_S = 2.0   # a daemon that is up answers a ping at once
RUN_TIMEOUT_S = 300.0   # longest silence tolerated during a job (a look fit sends no progress while fitting)


def open_client(url: str, timeout: float = RUN_TIMEOUT_S) -> Client:
    """A Client for ``url``, after a quick ping so that a daemon that is not running is
    reported in seconds (DaemonUnavailable says how to start it), not after the long timeout."""
    try:
        from hostbridge import Client
    except ImportError as exc:
        raise RuntimeError(f"the Rushes hostbridge package is not importable from Resolve's Python "
                           f"({exc}); run `rushes install resolve` again") from exc
    with Client(url, timeout=PROBE_TIMEOUT_S, retries=0) as probe:
        probe.ping()
    return Client(url, timeout=timeout, retries=1)


def file_frame(client: Client, path: str, number: int, colour_space: str = "") -> FrameIn:
    """A frame the daemon can read: by path on the same machine, else the file's bytes."""
    from hostbridge.frames import file_frame as frame

    if not os.path.isfile(path):
        raise FileNotFoundError(f"frame {number}: {path} does not exist")
    if client.same_host is None:
        client.hello()
    return frame(path, number, colour_space, by_path=send_by_path("auto", bool(client.same_host)))


def task_manifest(client: Client, task: str) -> TaskManifest:
    """The daemon's manifest for ``task``; ValueError naming what the daemon offers."""
    manifests = {m["name"]: m for m in client.list_tasks()}
    if task not in manifests:
        raise ValueError(f"the Rushes daemon at {client.url} has no task {task!r}; "
                         f"it offers {', '.join(sorted(manifests))}")
    return TaskManifest.from_wire(manifests[task])


def run_task(client: Client, task: str, inputs: Mapping[str, Sequence[FrameIn]],
             params: Mapping[str, Any] | None = None, progress: Callable[[int, int, str], bool] | None = None,
             encode: str | None = None, project: str | None = None,
             on_frame: Callable[[str, FrameOut], None] | None = None) -> Result:
    """``client.run`` with the progress callback wired (returning False cancels)."""
    def on_progress(done: int, total: int, message: str) -> bool:
        return True if progress is None else bool(progress(done, total, message))

    frames: dict[str, list[Any]] = {name: list(seq) for name, seq in inputs.items()}
    return client.run(task, frames, params=dict(params or {}), encode=encode, project=project,
                      on_progress=on_progress, on_frame=on_frame)
