"""The plan as tasks: each a `rushes` command line, the files it reads, the frames it keeps.

Stages run in order: every ingest, then the training, then the repairs and looks (any order,
in parallel). A long wire-removal shot is cut into chunks of ``chunk`` frames; each chunk is
run with handles either side (the frames a temporal repair may borrow from, far ones included:
``frames_read``) and keeps only its own frames, so a chunked shot matches the whole-shot render.
Clean plates and object removal look at the whole shot and are never chunked; a look is cheap
and its CLI takes no frame range, so it runs one task per shot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from inference_server import media
from inference_server.batch.plan import Plan, PlanError, Shot
from inference_server.engines.wire.repair import frames_read
from inference_server.tasks.wire_removal import MANIFEST as WIRE

GPU_KINDS = ("train", "wire_remove", "clean_plate")


@dataclass(frozen=True)
class Task:
    """One unit of work for an engine or a farm (see the module doc)."""

    id: str                       # "ingest.1", "train", "wire_remove.A001.1001-1050", "look_apply.C003"
    stage: str                    # ingest | train | repairs
    kind: str                     # ingest | train | wire_remove | clean_plate | look_apply
    shot: str                     # the shot's name ("" for ingest and train)
    argv: tuple[str, ...]         # `rushes` arguments; ``out`` among them is swapped for the staging path
    out: str = ""                 # the output spec ("" for ingest and train)
    frames: tuple[int, ...] = ()  # output frames this task keeps (empty: whatever the command writes)
    inputs: tuple[str, ...] = ()  # input files (for the resume fingerprint)
    gpu: bool = False
    deps: tuple[str, ...] = field(default=())

    @property
    def chunk(self) -> str:
        return f"{self.frames[0]}-{self.frames[-1]}" if self.frames else ""


def _opt(argv: list[str], flag: str, value: object) -> None:
    if value is not None and value != "":
        argv += [flag, str(value)]


def _numbers(shot: Shot, key: str, frames: str | None = None) -> tuple[list[int], list[str]]:
    """Frame numbers and files of the sequence under ``key``; PlanError naming the table and key."""
    spec = shot.keys[key]
    try:
        rng = media.parse_frame_range(frames) if frames else None
        seq = media.open_sequence(spec, rng)
    except (ValueError, FileNotFoundError) as exc:
        raise PlanError(f"[{shot.table}] key {key!r}: {exc}") from None
    paths = sorted(set(seq.paths)) if seq.paths else [spec]
    return list(seq.numbers), paths


def _files(shot: Shot, key: str) -> list[str]:
    if key not in shot.keys:
        return []
    spec = shot.keys[key]

    if media.is_pattern(spec):
        return _numbers(shot, key)[1]
    if not os.path.exists(spec):
        raise PlanError(f"[{shot.table}] key {key!r}: no file {spec!r}")
    return [spec]


def _wire_tasks(plan: Plan, shot: Shot, deps: tuple[str, ...]) -> list[Task]:
    k = shot.keys
    numbers, plate_files = _numbers(shot, "plate", k.get("frames"))
    inputs = tuple(plate_files + _files(shot, "hint"))
    chunk = k.get("chunk", plan.chunk) or len(numbers)
    handles = frames_read(k.get("window", WIRE.param("window").default))  # the task's own default window
    base = ["wire-remove", k["plate"], k["out"], "--hint", k["hint"]]
    for flag, key in (("--mode", "mode"), ("--output", "output"), ("--window", "window"), ("--regrain", "regrain"),
                      ("--model-version", "model_version")):
        _opt(base, flag, k.get(key))
    _opt(base, "--project", k.get("project", plan.project))
    if len(numbers) > 1 and not media.is_pattern(k["out"]):
        raise PlanError(f"[{shot.table}] key 'out': {k['out']!r} names one file but the plate has {len(numbers)} "
                        "frames; use a pattern such as repair.####.exr")
    tasks = []
    for i in range(0, len(numbers), chunk):
        keep = numbers[i:i + chunk]
        lo = numbers[max(0, i - handles)]
        hi = numbers[min(len(numbers) - 1, i + chunk - 1 + handles)]
        argv = [*base, "--frames", f"{lo}-{hi}"]
        tid = f"wire_remove.{shot.name}" + (f".{keep[0]}-{keep[-1]}" if chunk < len(numbers) else "")
        tasks.append(Task(tid, "repairs", "wire_remove", shot.name, tuple(argv), k["out"], tuple(keep), inputs,
                          True, deps))
    return tasks


def _clean_task(plan: Plan, shot: Shot, deps: tuple[str, ...]) -> Task:
    k = shot.keys
    numbers, plate_files = _numbers(shot, "plate", k.get("frames"))
    argv = ["clean-plate", k["plate"], k["out"]]
    _opt(argv, "--mask", k.get("mask"))
    _opt(argv, "--frames", k.get("frames"))
    frames = tuple(numbers) if "mask" in k else ()   # without a mask: one clean frame and its matte
    return Task(f"clean_plate.{shot.name}", "repairs", "clean_plate", shot.name, tuple(argv), k["out"], frames,
                tuple(plate_files + _files(shot, "mask")), True, deps)


def _look_task(plan: Plan, shot: Shot, deps: tuple[str, ...]) -> Task:
    k = shot.keys
    numbers, files = _numbers(shot, "input")
    if len(numbers) > 1 and not media.is_pattern(k["out"]):
        raise PlanError(f"[{shot.table}] key 'out': {k['out']!r} names one file but the input has {len(numbers)} "
                        "frames; use a pattern such as graded.####.exr")
    argv = ["look", "apply", k["look"], k["input"], k["out"]]
    _opt(argv, "--in-space", k.get("in_space"))
    return Task(f"look_apply.{shot.name}", "repairs", "look_apply", shot.name, tuple(argv), k["out"], tuple(numbers),
                tuple(files + _files(shot, "look")), False, deps)


def build_tasks(plan: Plan) -> list[Task]:
    """Every task of ``plan`` in stage order; checks that each input exists (PlanError names table and key)."""
    tasks: list[Task] = []
    deps: tuple[str, ...] = ()
    store = ["--store", plan.store] if plan.store else []
    ingest = []
    for i, paths in enumerate(plan.ingest, 1):
        for p in paths:
            if not os.path.exists(p):
                raise PlanError(f"[ingest[{i}]] key 'paths': no folder or file {p!r}")
        ingest.append(Task(f"ingest.{i}", "ingest", "ingest", "", ("ingest", *paths, "--project", plan.project, *store),
                           inputs=paths))
    tasks += ingest
    deps = tuple(t.id for t in ingest) or deps
    if plan.train is not None:
        t = plan.train
        argv = ["train", "wire-removal", "--project", plan.project, *store]
        _opt(argv, "--steps", t.get("steps"))
        _opt(argv, "--preset", t.get("preset"))
        _opt(argv, "--device", t.get("device"))
        for plate, fix in t.get("pairs", []):
            argv += ["--pair", plate, fix]
        tasks.append(Task("train", "train", "train", "", tuple(argv), gpu=True, deps=deps))
        deps = ("train",)
    for shot in plan.shots:
        if shot.kind == "wire_remove":
            tasks += _wire_tasks(plan, shot, deps)
        elif shot.kind == "clean_plate":
            tasks.append(_clean_task(plan, shot, deps))
        else:
            tasks.append(_look_task(plan, shot, deps))
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise PlanError(f"plan {plan.path}: two tasks are both called {task.id!r}; give the shots distinct names")
        seen.add(task.id)
    return tasks


def stages(tasks: list[Task]) -> list[list[Task]]:
    """Tasks grouped by stage, in run order (empty stages left out)."""
    order = ("ingest", "train", "repairs")
    return [group for s in order if (group := [t for t in tasks if t.stage == s])]


def find_task(tasks: list[Task], task_id: str) -> Task:
    """The task called ``task_id``; ``KIND.SHOT@N`` names the task of that shot that keeps frame N (OpenCue)."""
    if "@" in task_id:
        prefix, _, frame = task_id.rpartition("@")
        try:
            n = int(frame)
        except ValueError:
            raise ValueError(f"task {task_id!r}: {frame!r} after '@' is not a frame number") from None
        for task in tasks:
            if f"{task.kind}.{task.shot}" == prefix and n in task.frames:
                return task
        raise ValueError(f"the plan has no task of {prefix!r} that keeps frame {n}")
    for task in tasks:
        if task.id == task_id:
            return task
    raise ValueError(f"the plan has no task {task_id!r}; its tasks: {', '.join(t.id for t in tasks)}")
