"""Run one task, idempotently.

- **Claim**: an exclusive ``flock`` on ``REPORT/state/claims/ID.lock`` for the whole run. A second
  worker given the same task waits for it, then (with ``resume``) finds it done and skips it.
  The kernel (or the NFS server) drops the lock when its holder dies, so a lost node never
  blocks the retry.
- **Stage then rename**: the command writes into a hidden folder beside the outputs
  (``.rushes-stage.ID.TOKEN``); once it exits cleanly and every expected frame is there,
  each file is renamed into place (same filesystem, so each appears whole) and the rest dropped.
- **Done record**: ``REPORT/state/done/ID.json`` lists the outputs with their sizes and a
  fingerprint of the command line and its input files (size, mtime). ``resume`` skips a task
  whose record matches and whose outputs are all still there at those sizes. Ingests always
  run again (they skip unchanged files themselves); a training is skipped once done for the
  same command line (delete its record, or run without ``--resume``, to train again).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from inference_server import media
from inference_server.batch.graph import Task
from inference_server.batch.plan import Plan
from inference_server.fileio import atomic_write

SERVER_KINDS = ("wire_remove", "clean_plate", "train")


def write_shared(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` atomically, readable by the other users a farm's workers may run as."""
    atomic_write(path, text.encode("utf-8"), mode=0o664)


def state_dir(plan: Plan) -> Path:
    return plan.report / "state"


def done_path(plan: Plan, task: Task) -> Path:
    return state_dir(plan) / "done" / f"{task.id}.json"


def fingerprint(task: Task) -> str:
    """sha256 over the command line and each input file's size and mtime."""
    stats = []
    for path in task.inputs:
        try:
            st = os.stat(path)
            stats.append([path, st.st_size, st.st_mtime_ns])
        except OSError:
            stats.append([path, -1, -1])
    blob = json.dumps({"argv": list(task.argv), "inputs": stats}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def completed(plan: Plan, task: Task, fp: str | None = None) -> dict[str, Any] | None:
    """The task's done record when it matches ``fp`` and every output is still there, else None."""
    path = done_path(plan, task)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != (fp or fingerprint(task)):
        return None
    for out in record.get("outputs", []):
        try:
            if os.path.getsize(out["path"]) != out["size"]:
                return None
        except OSError:
            return None
    return dict(record)


def run_task(plan: Plan, task: Task, *, resume: bool = False, server: str | None = None,
             worker: str = "", env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``task`` under its claim; returns its result (status done, skipped or failed).

    The result is also kept in ``REPORT/state/results/ID.json`` for the report. ``env`` is added
    to the command's environment (``CUDA_VISIBLE_DEVICES`` for its GPU, say).
    """
    result = _claim_and_run(plan, task, resume, server, worker, env or {})
    write_shared(state_dir(plan) / "results" / f"{task.id}.json", json.dumps(result, indent=1, default=str))
    log_history(plan, result)
    return result


def log_history(plan: Plan, result: dict[str, Any]) -> None:
    """Append one line per attempt to ``REPORT/state/history.jsonl`` (one write, so lines never interleave)."""
    line = json.dumps({"id": result["id"], "status": result["status"], "worker": result.get("worker"),
                       "seconds": result.get("seconds"), "time": time.time()}) + "\n"
    fd = os.open(state_dir(plan) / "history.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o664)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _claim_and_run(plan: Plan, task: Task, resume: bool, server: str | None, worker: str,
                   env: dict[str, str]) -> dict[str, Any]:
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    claims = state_dir(plan) / "claims"
    claims.mkdir(parents=True, exist_ok=True)
    with open(claims / f"{task.id}.lock", "a+") as lock:
        waited = time.monotonic()
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        waited = time.monotonic() - waited
        lock.seek(0)
        lock.truncate()
        lock.write(json.dumps({"worker": worker, "host": socket.gethostname(), "pid": os.getpid(),
                               "since": time.time()}))
        lock.flush()
        try:
            fp = fingerprint(task)
            # an ingest always runs: it is incremental itself, and new frames deep in a folder tree
            # would not show in a fingerprint of the folders named
            record = completed(plan, task, fp) if resume and task.kind != "ingest" else None
            if record is not None:
                return {**_base(task, worker), **{k: record.get(k) for k in ("outputs", "qc", "summary", "seconds",
                                                                             "seconds_per_frame", "worker")},
                        "status": "skipped", "ran_on": record.get("worker"), "waited": round(waited, 2)}
            try:
                return _run_claimed(plan, task, fp, server, worker, env)
            except OSError as exc:   # an output folder that cannot be made or written, a full disk...
                return {**_base(task, worker), "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            lock.seek(0)
            lock.truncate()
            lock.flush()
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _base(task: Task, worker: str) -> dict[str, Any]:
    return {"id": task.id, "kind": task.kind, "stage": task.stage, "shot": task.shot, "chunk": task.chunk,
            "frames": len(task.frames), "worker": worker, "command": ["rushes", *task.argv]}


def _command(task: Task, staged_out: str | None, server: str | None) -> list[str]:
    argv = [staged_out if (staged_out is not None and a == task.out) else a for a in task.argv]
    if server and task.kind in SERVER_KINDS:
        argv += ["--server", server]
    return [sys.executable, "-m", "inference_server.batch.child", str(os.getpid()), "--", *argv]


def _run_claimed(plan: Plan, task: Task, fp: str, server: str | None, worker: str,
                 extra_env: dict[str, str]) -> dict[str, Any]:
    logs = state_dir(plan) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    summary_file = logs / f"{task.id}.summary.jsonl"
    summary_file.unlink(missing_ok=True)
    done_path(plan, task).unlink(missing_ok=True)
    stage = None
    if task.out:
        final = Path(task.out).parent
        final.mkdir(parents=True, exist_ok=True)
        for stale in final.glob(f".rushes-stage.{task.id}.*"):  # a dead worker's; we hold the claim
            shutil.rmtree(stale, ignore_errors=True)
        stage = final / f".rushes-stage.{task.id}.{uuid.uuid4().hex[:8]}"
        stage.mkdir()
    env = dict(os.environ, **extra_env, RUSHES_SUMMARY_FILE=str(summary_file), PYTHONUNBUFFERED="1")
    if plan.store:
        env["RUSHES_STORE"] = plan.store
    cmd = _command(task, str(stage / os.path.basename(task.out)) if stage else None, server)
    result = _base(task, worker)
    result["cuda_visible_devices"] = env.get("CUDA_VISIBLE_DEVICES")
    start = time.perf_counter()
    log = logs / f"{task.id}.log"
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
            try:
                code = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        seconds = time.perf_counter() - start
        summary = _summary(summary_file)
        result.update(seconds=round(seconds, 3), log=str(log), summary=_small(summary))
        if summary.get("qc") is not None:
            result["qc"] = summary["qc"]
        if code != 0:
            return {**result, "status": "failed", "error": _error(log, code)}
        outputs = _commit(task, stage) if stage else []
        frames = len(task.frames) or len(outputs)
        spf = summary.get("seconds_per_frame")
        result.update(outputs=outputs, frames=frames, status="done",
                      seconds_per_frame=round(float(spf), 4) if isinstance(spf, int | float) else
                      (round(seconds / frames, 4) if frames else None))
        write_shared(done_path(plan, task), json.dumps({**result, "fingerprint": fp, "finished": time.time()},
                                                            indent=1, default=str))
        return result
    except ValueError as exc:   # the command ran but its outputs are not whole
        return {**result, "status": "failed", "error": str(exc)}
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


def _commit(task: Task, stage: Path) -> list[dict[str, Any]]:
    """Rename the staged outputs into place; ValueError when an expected frame is missing."""
    present = sorted(p.name for p in stage.iterdir() if p.is_file() and not p.name.startswith("."))
    if task.frames:
        names = [os.path.basename(media.output_path(task.out, n)) for n in task.frames]
        missing = [n for n in names if n not in present]
        if missing:
            raise ValueError(f"the command exited cleanly but wrote no {', '.join(missing[:4])}"
                             f"{' ...' if len(missing) > 4 else ''} ({len(missing)} of {len(names)} frames missing)")
        if task.kind == "clean_plate":   # object removal: also any side outputs the command wrote
            names += [n for n in present if n not in names]
    else:
        names = present
        if not names:
            raise ValueError("the command exited cleanly but wrote nothing")
    final = Path(task.out).parent
    outputs = []
    for name in names:
        target = final / name
        os.replace(stage / name, target)
        outputs.append({"path": str(target), "size": target.stat().st_size})
    return outputs


def _summary(path: Path) -> dict[str, Any]:
    try:
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    except OSError:
        return {}
    if not lines:
        return {}
    try:
        return dict(json.loads(lines[-1]).get("summary") or {})
    except ValueError:
        return {}


def _small(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary's plain figures (numbers and short strings), for the report."""
    return {k: v for k, v in summary.items() if k != "qc" and (isinstance(v, int | float | bool) or
                                                              (isinstance(v, str) and len(v) < 200))}


def _error(log: Path, code: int) -> str:
    text = log.read_text(errors="replace") if log.is_file() else ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("rushes: error:"):
            return line[len("rushes: "):]
    tail = lines[-1] if lines else "(no output)"
    return f"exit status {code}: {tail}"
