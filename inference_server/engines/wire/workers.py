"""The wire searches of a frame's bands, run in worker processes: the first search of the plate
(``band_mattes``) and the search of the repaired frame for lines left (``lines_left``).

The search is many small numpy steps (a path's columns, a ridge's pieces, a colour line's sides)
that each hold the GIL: two threads searched two bands one after the other, and the search took
as long as it did on one core (measured on the wire bench's 2K shot: 6.2 s of items in 6.2 s of
wall over 8 frames, against the fill's 8.0 s of items in 4.3 s). In processes the bands are
searched side by side, and a render's next frame is searched there while this one is filled
(``repair.WireRemover._ahead``).

A stroke's bands are searched in two passes (``repair.WireRemover._matte_u8``): each measures its
texture's floors, then each is searched against the floors pooled over the stroke. What the
first pass measured (the ridge responses: megabytes a band) stays in the process that measured
it, so a band goes to the same process both times (band k to process k modulo their number) and
only its crop, once, and the small memo travel. The processes are started once per process that
repairs wires (spawned: the daemon's other threads are not copied), on first use; they leave when
it does, killed or not; where they cannot start, or one dies, the searches run on threads as
before (``available`` is then False). The results are the threads' to the bit (the same code on
the same crops; the wire bench's 51 classes compared field by field).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from inference_server.engines.wire.matte import RAW, find_wire_matte, pooled_floors, share_floors

log = logging.getLogger(__name__)

# processes the bands are searched in (1 or less: none, threads as before)
PROCESSES = int(os.environ.get("RUSHES_WIRE_PROCESSES", str(max(1, min(4, os.cpu_count() or 1)))))

PARENT_POLL = 0.5  # s: how often a worker checks that the process that started it is still there

_LOCK = threading.Lock()
_pools: list[ProcessPoolExecutor] = []
_broken = False

# in a worker: what a band's floors pass left for its search, by the band's key
_kept: dict[str, tuple[np.ndarray, np.ndarray, str, dict[Any, Any]]] = {}


def _pools_now() -> list[ProcessPoolExecutor]:
    """The worker processes, started on first use; [] where there are none to use."""
    global _broken
    if PROCESSES < 2 or _broken:
        return []
    with _LOCK:
        if not _pools:
            try:
                import multiprocessing

                ctx = multiprocessing.get_context("spawn")
                _pools.extend(ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_one_lane,
                                                  initargs=(os.getpid(),)) for _ in range(PROCESSES))
                atexit.register(shutdown)
            except (OSError, ValueError, NotImplementedError) as exc:
                log.warning("wire search: no worker processes (%s); searching on threads", exc)
                _broken = True
                return []
        return list(_pools)


def _one_lane(parent: int) -> None:
    """A worker's start: OpenCV on one thread (the processes are the lanes; more threads in each
    only contend for the same cores), and a watch on ``parent``: a worker whose parent was killed
    (the daemon stopped by a signal, no exit handlers run) was left running, idle, holding its
    memory, its parent gone; it now exits within a second of it."""
    import cv2

    cv2.setNumThreads(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def available() -> bool:
    """Whether band searches run in worker processes (``PROCESSES`` of 2 or more, and they work)."""
    return bool(_pools_now())


def start() -> bool:
    """Start the worker processes now and load the search in each (imports, compiled loops: a second
    or two, once), rather than on the first frame with two bands; whether they run."""
    try:
        for done in [pool.submit(_ready) for pool in _pools_now()]:
            done.result()
    except Exception as exc:  # noqa: BLE001 - any failure to start means threads, said once
        broken(exc)
    return available()


def _ready() -> None:
    """In a worker: the search loaded and its compiled loops run once, on a small synthetic band."""
    image = np.full((48, 96, 3), 0.5, np.float32)
    image[22:25] = 0.1
    hint = np.zeros((48, 96), np.float32)
    hint[16:32] = 1.0
    find_wire_matte(image, hint, "auto", centres=np.zeros(hint.shape, bool))


def pids() -> list[int]:
    """The worker processes' ids (none before they start)."""
    with _LOCK:
        return [pid for pool in _pools for pid in getattr(pool, "_processes", None) or {}]


def shutdown() -> None:
    """Stop the worker processes (they start again on the next search)."""
    with _LOCK:
        for pool in _pools:
            pool.shutdown(wait=False, cancel_futures=True)
        _pools.clear()


def broken(exc: BaseException) -> None:
    """A worker died or could not be reached: searches run on threads from now on."""
    global _broken
    log.warning("wire search: a worker process failed (%s); searching on threads from now on", exc)
    _broken = True
    shutdown()


def without_raw(memo: dict[Any, Any]) -> dict[Any, Any]:
    """A copy of a band's memo without what a floors pass kept for its search (``matte.RAW``)."""
    return {k: ({n: v for n, v in stroke.items() if n != RAW} if isinstance(stroke, dict) else stroke)
            for k, stroke in memo.items()}


def floors(key: str, image: np.ndarray, hint: np.ndarray, polarity: str, memo: dict[Any, Any]) -> dict[Any, Any]:
    """In a worker: a band's floors pass (``find_wire_matte(floors_only=True)``), its crop and what the
    pass measured kept under ``key`` for its search; returns the memo (the worker's copy) without it."""
    find_wire_matte(image, hint, polarity, memo=memo, floors_only=True)
    _kept[key] = (image, hint, polarity, memo)
    return without_raw(memo)


def search(key: str, pooled: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray, dict[Any, Any]]:
    """In a worker: a band's search (``find_wire_matte(beyond=True, centres=)``) after its floors pass
    (kept under ``key``), with the stroke's ``pooled`` floors in place of its own. Returns (matte,
    centre lines, the memo without the floors pass's measurements)."""
    image, hint, polarity, memo = _kept.pop(key)
    share_floors(memo, pooled)
    m, centres = band_search(image, hint, polarity, memo)
    return m, centres, without_raw(memo)


def band_search(image: np.ndarray, hint: np.ndarray, polarity: str, memo: dict[Any, Any]
                ) -> tuple[np.ndarray, np.ndarray]:
    """A band's first search of the plate, wherever it runs (here, or ``repair.WireRemover._band_matte``
    on a thread): (``find_wire_matte(beyond=True)``'s matte, bool centre lines); ``memo`` is updated."""
    centres = np.zeros(hint.shape, bool)
    return find_wire_matte(image, hint, polarity, memo=memo, beyond=True, centres=centres)[0], centres


def lines(image: np.ndarray, hint: np.ndarray, polarity: str, memo: dict[Any, Any]
          ) -> tuple[np.ndarray, list[float], np.ndarray, dict[Any, Any]]:
    """The search of a repaired band for lines left, wherever it runs (a worker, or a thread of
    ``repair.WireRemover._residual``): ``find_wire_matte(whole_stroke=False, centres=)``, int centre
    lines; returns (matte, scores, centre lines, ``memo``, updated as the search left it)."""
    centres = np.zeros(hint.shape, np.int32)
    m, scores = find_wire_matte(image, hint, polarity, whole_stroke=False, memo=memo, centres=centres)
    return m, scores, centres, memo


def drop(keys: list[str]) -> None:
    """In a worker: forget bands whose search will not come (the caller failed between passes)."""
    for key in keys:
        _kept.pop(key, None)


def band_mattes(jobs: list[tuple[np.ndarray, np.ndarray, dict[Any, Any]]], polarity: str
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(matte, centre lines) of each band (image, hint, memo) of one frame's two or more, searched in
    the worker processes as ``repair.WireRemover._matte_u8`` searches them on threads: every band's
    floors first, then each band against their pool. Each memo is updated in
    place with what the search kept. Raises ``RuntimeError`` when the processes failed (the caller
    searches on threads)."""
    pools = _pools_now()
    if len(jobs) < 2 or not pools:
        raise RuntimeError("wire search processes: none running, or one band (searched where it is)")
    keys = [uuid.uuid4().hex for _ in jobs]
    at = [pools[k % len(pools)] for k in range(len(jobs))]
    try:
        firsts: list[Future[dict[Any, Any]]] = [
            pool.submit(floors, key, image, hint, polarity, without_raw(memo))
            for pool, key, (image, hint, memo) in zip(at, keys, jobs, strict=True)]
        for (_, _, memo), done in zip(jobs, firsts, strict=True):
            memo.clear()
            memo.update(done.result())
        pooled = pooled_floors([memo for _, _, memo in jobs])
        seconds = [pool.submit(search, key, pooled) for pool, key in zip(at, keys, strict=True)]
        out = []
        for (_, _, memo), searched in zip(jobs, seconds, strict=True):
            m, centres, kept = searched.result()
            memo.clear()
            memo.update(kept)
            out.append((m, centres))
        return out
    except Exception as exc:  # a worker died (BrokenProcessPool), or could not take the job
        if isinstance(exc, BrokenProcessPool | OSError | EOFError):
            broken(exc)
            raise RuntimeError(f"wire search processes failed: {exc}") from exc
        for pool in set(at):
            try:
                pool.submit(drop, keys)
            except RuntimeError:
                pass
        raise


def lines_left(jobs: list[tuple[np.ndarray, np.ndarray, dict[Any, Any]]], polarity: str
               ) -> list[tuple[np.ndarray, list[float], np.ndarray]]:
    """(matte, scores, centre lines) of the lines a repaired frame's bands (image, hint, memo) still
    hold, searched in the worker processes as ``repair.WireRemover._residual`` searches them on
    threads (``lines``); each memo is updated in place as that search leaves it. Raises
    ``RuntimeError`` when the processes failed (the caller searches on threads)."""
    pools = _pools_now()
    if not pools:
        raise RuntimeError("no wire search processes")
    try:
        done = [pools[k % len(pools)].submit(lines, image, hint, polarity, without_raw(memo))
                for k, (image, hint, memo) in enumerate(jobs)]
        out = []
        for (_, _, memo), each in zip(jobs, done, strict=True):
            m, scores, centres, kept = each.result()
            memo.clear()
            memo.update(kept)
            out.append((m, scores, centres))
        return out
    except (BrokenProcessPool, OSError, EOFError) as exc:
        broken(exc)
        raise RuntimeError(f"wire search processes failed: {exc}") from exc
