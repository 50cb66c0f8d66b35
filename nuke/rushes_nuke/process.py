"""Process: render a node's inputs, run its task on the daemon, cache the result as a version.

1. The internal Writes render each input for the frame range into a fresh partial folder.
2. Frames go to the daemon as file paths (same machine) or EXR bytes (another machine).
3. Output frames come back EXR-encoded and are written atomically as they arrive.
4. The partial folder becomes the next version (one rename); the node shows it.
A failure or a cancel removes the partial folder: the cache holds finished versions only.
Plates are only ever read.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

import nuke
from hostbridge.manifest import TaskManifest, filter_params
from rushes_nuke import cache, daemon, state, view
from rushes_nuke.graph import armed_write, full_resolution
from rushes_nuke.job import Job, execute
from rushes_nuke.knobs import COMMON_PARAMS, read_params, transfer_by_path
from rushes_nuke.report import ProcessCancelled, Reporter

ProgressFn = Callable[[int, int, str], bool]


def frame_range(node: nuke.Node) -> list[int]:
    first, last = int(node["first_frame"].value()), int(node["last_frame"].value())
    if last < first:
        raise ValueError(f"the frame range {first}-{last} is empty; the last frame comes before the first")
    return [first, last]


def check_inputs(node: nuke.Node) -> list[dict[str, Any]]:
    """The node's input ports; raise naming the first required input left unconnected."""
    ports: list[dict[str, Any]] = list(state.node_json(node, "rushes_inputs") or [])
    for i, port in enumerate(ports):
        if node.input(i) is None and not port.get("optional"):
            raise ValueError(f"connect the {port['label']} input first")
    return ports


def render_inputs(node: nuke.Group, ports: list[dict[str, Any]], work: str, first: int, last: int,
                  progress: ProgressFn) -> dict[str, list[str]]:
    """Render each connected input through its internal Write; return the file per frame."""
    folder = os.path.join(work, cache.INPUTS_DIR)
    os.makedirs(folder, exist_ok=True)
    rendered: dict[str, list[str]] = {}
    for i, port in enumerate(ports):
        if node.input(i) is None:
            continue
        name = cache.safe_key(str(port["port"]))
        write = node.node("Write_" + name)
        if write is None:
            raise ValueError(f"the internal Write for the {port['label']} input is missing; recreate the node")
        if not progress(i, len(ports) + 1, f"rendering {port['label']}"):
            raise ProcessCancelled()
        pattern = os.path.join(folder, f"{name}.####.exr").replace(os.sep, "/")
        with armed_write(write, pattern), full_resolution():
            try:
                nuke.execute(write, first, last)
            except RuntimeError as exc:
                if "cancel" in str(exc).lower():
                    raise ProcessCancelled() from None
                raise
        paths = [os.path.join(folder, cache.frame_name(name, f)) for f in range(first, last + 1)]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise ValueError(f"Nuke did not render {len(missing)} frame(s) of the {port['label']} input "
                             f"(first missing: {os.path.basename(missing[0])})")
        rendered[str(port["port"])] = paths
    return rendered


def task_manifest(client: Any, task: str) -> TaskManifest | None:
    """``task``'s manifest from the daemon; None when the daemon cannot list manifests."""
    from hostbridge.errors import UnknownType

    try:
        wire = daemon.find_manifest(client.list_tasks(), task)
        return TaskManifest.from_wire(wire) if wire is not None else None
    except UnknownType:  # an older daemon without list_tasks: use the built-in knobs
        return None


def sendable_params(node: nuke.Node, manifest: TaskManifest | None) -> dict[str, Any]:
    """The node's parameters the daemon's task takes (the node may predate or postdate it), as
    the daemon's choice values (an older daemon's are the labels). Without a manifest (a daemon
    that cannot describe the task) all but the common ones, choices as their labels."""
    values = read_params(node)
    if manifest is None:
        task = str(node["rushes_task"].value())
        return filter_params(None, {k: v for k, v in values.items() if k not in COMMON_PARAMS}, task=task)
    return filter_params(manifest, values)


def require_task(info: dict[str, Any], task: str, url: str) -> None:
    """Raise naming the task when the daemon's hello does not list it."""
    if task not in (info.get("tasks") or [task]):
        raise ValueError(f"the daemon at {url} has no {task!r} task; update Rushes on that machine")


def prepare(node: nuke.Group, reporter: Reporter) -> Job:
    """Main thread: check the node, ask the daemon, render the inputs into a partial folder.

    Raises ValueError / OSError / HostBridgeError for the caller to show, and
    ProcessCancelled when the person cancels.
    """
    if not state.is_rushes(node):
        raise ValueError(f"{node.name()} is not a Rushes node")
    first, last = frame_range(node)
    ports = check_inputs(node)
    task = str(node["rushes_task"].value())
    url = str(node["server"].value()).strip() or daemon.default_url()
    with daemon.connect(url, timeout=daemon.hello_timeout(), retries=0) as client:
        info = client.hello()
        require_task(info, task, url)
        manifest = task_manifest(client, task)
        same_host = bool(client.same_host)
    params = sendable_params(node, manifest)
    model_version = str(node["model_version"].value()).strip() or "latest"
    by_path = transfer_by_path(node, same_host)
    if not str(node["cache_root"].value()).strip():
        node["cache_root"].setValue(state.cache_root(node))  # keep versions findable if the script moves
    if state.ensure_unique_id(node):
        view.refresh(node)
    layout = state.node_cache(node)
    total = (len(ports) + 1) * 100
    work = layout.begin()
    try:
        rendered = render_inputs(node, ports, work, first, last, lambda d, t, m: reporter.progress(d * 100, total, m))
    except BaseException:
        layout.discard(work)
        raise
    return Job(node=node.fullName(), task=task, url=url, params=params,
               project=str(node["project"].value()).strip() or None,
               by_path=by_path, rendered=rendered,
               numbers=list(range(first, last + 1)), layout=layout, work=work,
               keep_inputs=bool(node["keep_inputs"].value()), done_units=len(ports) * 100, total_units=total,
               meta={"model_version": model_version, "server_version": info.get("server_version")})


def finish(node: nuke.Group, version: str) -> None:
    """Main thread: list the new version on the node and show it."""
    state.set_versions(node, select=version)
    view.refresh(node)


def _finish_later(node: nuke.Group, version: str, done: Callable[[nuke.Group, str], None] = finish) -> None:
    """``done`` (``finish``) after a background run; the node may have been deleted meanwhile."""
    try:
        done(node, version)
    except (ValueError, RuntimeError, OSError) as exc:
        nuke.warning(f"Rushes: {version} was cached but the node could not show it: {exc}")


def process(node: nuke.Group, reporter: Reporter) -> str:
    """Prepare, run on the daemon and show the result, all on this thread; the new version."""
    version = execute(prepare(node, reporter), reporter)
    finish(node, version)
    return version


def _failure(exc: BaseException) -> str | None:
    """The sentence for a failure; None for a cancel. An unexpected one (a bug, a library's error)
    is a sentence too, its traceback printed to the Script Editor: raised, it reached the artist as
    a traceback on the main thread, and on the worker thread nowhere at all (the progress bar went
    and nothing was said)."""
    import traceback

    from hostbridge import HostBridgeError

    if isinstance(exc, ProcessCancelled):
        return None
    if isinstance(exc, HostBridgeError):  # the daemon's or the client's sentence
        return str(exc)
    if isinstance(exc, (ValueError, OSError, RuntimeError)):  # this plugin's own (HostBridgeMissing included) and Nuke's
        return str(exc)
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        raise exc
    traceback.print_exception(type(exc), exc, exc.__traceback__)
    return f"Rushes failed unexpectedly ({type(exc).__name__}: {exc}); the Script Editor holds the details"


def run(node: nuke.Group, reporter: Reporter, background: bool = False,
        prepare_job: Callable[[nuke.Group, Reporter], Job] = prepare,
        done: Callable[[nuke.Group, str], None] = finish) -> str | threading.Thread | None:
    """``process`` with every failure turned into one sentence for the person.

    ``prepare_job`` (main thread) renders and returns the Job, ``done`` (main thread) shows
    the new version; Process and the Look's Fit share this. In the foreground returns the new
    version, or None after a failure or a cancel. In the background the daemon step runs on a
    worker thread (returned); the node is updated on the main thread when it finishes.
    """
    try:
        import hostbridge.client  # noqa: F401  (pyzmq and msgpack, which only a run needs)
    except ImportError as exc:
        reporter.message(f"{node.name()}: Rushes cannot load hostbridge ({exc}); add the Rushes folder to "
                         "PYTHONPATH and install pyzmq and msgpack for this Nuke's Python.")
        reporter.close()
        return None
    name = node.name()
    def fail(exc: BaseException) -> None:
        text = _failure(exc)
        reporter.close()
        if text is not None:
            reporter.message(f"{name}: {text}")

    try:
        job = prepare_job(node, reporter)
    except BaseException as exc:
        fail(exc)
        return None

    def work() -> str | None:
        try:
            version = execute(job, reporter)
        except BaseException as exc:
            fail(exc)
            return None
        reporter.close()
        if background:
            nuke.executeInMainThread(_finish_later, args=(node, version, done))
        else:
            done(node, version)
        return version

    if not background:
        return work()
    reporter.close()  # the worker opens its own ProgressTask, on its own thread
    thread = threading.Thread(target=work, name=f"rushes-{name}", daemon=True)
    thread.start()
    return thread
