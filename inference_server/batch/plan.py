"""The night's plan: a TOML file read and checked before anything runs.

```toml
project = "show"                        # required
store = "/shared/rushes-store"          # optional (default: the user store)
report = "/shared/reports/d042"         # optional (default: PLAN's folder / PLAN-stem_report)
[farm]                                  # optional
chunk = 50                              # frames per task for long shots (0 = whole shot)
gpus = 1                                # GPUs per repair task
gpu_memory = "8G"                       # per repair task, for farm exports
[[ingest]]
paths = ["/shared/dailies/d042"]
[train]
task = "wire-removal"
steps = 1300
[[wire_remove]]                         # one table per shot; the CLI's keys
plate = "A001.####.exr"
hint = "A001_hint.####.exr"
out = "A001_clean.####.exr"
[[clean_plate]]
[[look_apply]]
```

Relative paths are taken from the plan's folder. Errors are ``PlanError`` (a ValueError)
naming the table (``wire_remove[2]``) and the key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from inference_server import media
from inference_server.media import parse_frame_range

STAGES = ("ingest", "train", "repairs")
SHOT_TABLES = ("wire_remove", "clean_plate", "look_apply")
_TOP = {"project", "store", "report", "farm", "ingest", "train", *SHOT_TABLES}
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*[KMGT]?B?$", re.I)
_GENERIC = {"plate", "plates", "input", "in", "src", "source", "frames", "frame", "image", "img", "scan", "main", ""}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PlanError(ValueError):
    """A plan that cannot run; the message names the file, table and key."""


@dataclass(frozen=True)
class Key:
    """One allowed key of a table: its TOML type, whether required, whether it names a path."""

    kind: type | tuple[type, ...]
    required: bool = False
    path: bool = False
    choices: tuple[str, ...] = ()


# the CLI's options, by table (key -> Key); paths are made absolute against the plan's folder
SHOT_KEYS: dict[str, dict[str, Key]] = {
    "wire_remove": {
        "plate": Key(str, True, True), "hint": Key(str, True, True), "out": Key(str, True, True),
        "frames": Key(str), "mode": Key(str, choices=("auto", "temporal", "static", "spatial")),
        "output": Key(str, choices=("repair", "matte", "source", "repair-matted")),
        "window": Key(int), "regrain": Key((int, float)), "project": Key(str), "model_version": Key(str),
        "name": Key(str), "chunk": Key(int),
    },
    "clean_plate": {
        "plate": Key(str, True, True), "out": Key(str, True, True), "mask": Key(str, path=True),
        "frames": Key(str), "name": Key(str), "chunk": Key(int),
    },
    "look_apply": {
        "look": Key(str, True, True), "input": Key(str, True, True), "out": Key(str, True, True),
        "in_space": Key(str), "name": Key(str),
    },
}
INGEST_KEYS = {"paths": Key(list, True)}
TRAIN_KEYS = {"task": Key(str, choices=("wire-removal",)), "steps": Key(int), "preset": Key(str, choices=("smoke", "full")),
              "device": Key(str), "pairs": Key(list)}
FARM_KEYS = {"chunk": Key(int), "gpus": Key(int), "gpu_memory": Key(str), "cpus": Key(int)}


@dataclass(frozen=True)
class Shot:
    """One ``[[wire_remove]]``, ``[[clean_plate]]`` or ``[[look_apply]]`` table, paths absolute."""

    kind: str
    index: int            # 1-based position among the plan's tables of this kind
    name: str             # the shot's name in the report (the ``name`` key, else the plate's file stem)
    keys: dict[str, Any]

    @property
    def table(self) -> str:
        return f"{self.kind}[{self.index}]"


@dataclass(frozen=True)
class Plan:
    path: Path
    project: str
    store: str            # "" = the user store
    report: Path
    chunk: int = 0
    gpus: int = 1
    gpu_memory: str = ""
    cpus: int = 1
    ingest: tuple[tuple[str, ...], ...] = ()
    train: dict[str, Any] | None = None
    shots: tuple[Shot, ...] = field(default=())


def _fail(plan: Path, where: str, key: str, why: str) -> PlanError:
    place = f"[{where}] key {key!r}" if key else f"[{where}]"
    return PlanError(f"plan {plan}: {place} {why}")


def _absolute(base: Path, value: str) -> str:
    return str((base / os.path.expanduser(value)).absolute()) if value else value


def _check_table(plan: Path, where: str, table: Any, keys: dict[str, Key]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _fail(plan, where, "", f"should be a table, got {type(table).__name__}")
    for key in table:
        if key not in keys:
            raise _fail(plan, where, key, f"is not a known key; known: {', '.join(sorted(keys))}")
    out: dict[str, Any] = {}
    for key, spec in keys.items():
        if key not in table:
            if spec.required:
                raise _fail(plan, where, key, "is required")
            continue
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, spec.kind):
            kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
            want = " or ".join("a number" if k is float else {str: "a string", int: "an integer", list: "a list"}[k]
                               for k in kinds)
            raise _fail(plan, where, key, f"should be {want}, got {value!r}")
        if spec.choices and value not in spec.choices:
            raise _fail(plan, where, key, f"is {value!r}; choose one of {', '.join(spec.choices)}")
        if spec.path:
            value = str(value)
            if not value.strip():
                raise _fail(plan, where, key, "is empty")
            value = _absolute(plan.parent, value)
        out[key] = value
    return out


def _check_ranges(plan: Path, where: str, keys: dict[str, Any]) -> None:
    if "frames" in keys:
        try:
            parse_frame_range(keys["frames"])
        except ValueError as exc:
            raise _fail(plan, where, "frames", str(exc)) from None
    for key, lo, hi in (("window", 0, 16), ("regrain", 0.0, 2.0), ("chunk", 0, 1_000_000), ("steps", 1, 10_000_000),
                        ("gpus", 0, 64), ("cpus", 1, 1024)):
        if key in keys and not lo <= keys[key] <= hi:
            raise _fail(plan, where, key, f"is {keys[key]}; it should be between {lo} and {hi}")
    if "name" in keys and not _NAME.match(keys["name"]):
        raise _fail(plan, where, "name", f"is {keys['name']!r}; use letters, digits, '_', '-' and '.'")
    if "gpu_memory" in keys and not _MEMORY.match(keys["gpu_memory"]):
        raise _fail(plan, where, "gpu_memory", f"is {keys['gpu_memory']!r}; write it like 8G or 16384M")


def _shot_name(kind: str, keys: dict[str, Any]) -> str:
    if "name" in keys:
        return str(keys["name"])
    src = str(keys.get("plate") or keys.get("input") or kind)
    stem = os.path.basename(src).split(".")[0].split("%")[0].rstrip("._-#")
    if stem.lower() in _GENERIC:   # shot/A001/plate.####.exr: the shot is the folder
        stem = os.path.basename(os.path.dirname(src)) or stem
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) or kind


def _distinct_names(shots: list[Shot]) -> list[Shot]:
    """Shots named after a generic file stem (``plate.####.exr``) take their folder's name instead."""
    count: dict[tuple[str, str], int] = {}
    for shot in shots:
        count[(shot.kind, shot.name)] = count.get((shot.kind, shot.name), 0) + 1
    out = []
    for shot in shots:
        if count[(shot.kind, shot.name)] > 1 and "name" not in shot.keys:
            src = shot.keys.get("plate") or shot.keys.get("input") or ""
            folder = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(os.path.dirname(str(src))))
            shot = Shot(shot.kind, shot.index, folder or shot.name, shot.keys)
        out.append(shot)
    return out


def parse_plan(text: str, path: Path) -> Plan:
    """Check the plan ``text`` (read from ``path``); raises PlanError naming the table and key."""
    path = path.absolute()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"plan {path} is not valid TOML: {exc}") from None
    for key in data:
        if key not in _TOP:
            raise _fail(path, "top level", key, f"is not a known key or table; known: {', '.join(sorted(_TOP))}")
    top = _check_table(path, "top level", {k: data[k] for k in ("project", "store", "report") if k in data},
                       {"project": Key(str, True), "store": Key(str, path=True), "report": Key(str, path=True)})
    if not _NAME.match(top["project"]):
        raise _fail(path, "top level", "project", f"is {top['project']!r}; use letters, digits, '_', '-' and '.'")
    farm = _check_table(path, "farm", data.get("farm", {}), FARM_KEYS)
    _check_ranges(path, "farm", farm)
    ingest = []
    for i, table in enumerate(_array(path, data, "ingest"), 1):
        keys = _check_table(path, f"ingest[{i}]", table, INGEST_KEYS)
        paths = keys["paths"]
        if not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise _fail(path, f"ingest[{i}]", "paths", f"should be a non-empty list of folder or file names, got {paths!r}")
        ingest.append(tuple(_absolute(path.parent, p) for p in paths))
    train = None
    if "train" in data:
        train = _check_table(path, "train", data["train"], TRAIN_KEYS)
        _check_ranges(path, "train", train)
        for j, pair in enumerate(train.get("pairs", []), 1):
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p for p in pair)):
                raise _fail(path, "train", "pairs", f"entry {j} should be [PLATE, FIX], got {pair!r}")
        if "pairs" in train:
            train["pairs"] = [[_absolute(path.parent, p) for p in pair] for pair in train["pairs"]]
    shots = []
    for kind in SHOT_TABLES:
        for i, table in enumerate(_array(path, data, kind), 1):
            keys = _check_table(path, f"{kind}[{i}]", table, SHOT_KEYS[kind])
            _check_ranges(path, f"{kind}[{i}]", keys)
            shots.append(Shot(kind, i, _shot_name(kind, keys), keys))
    shots = _distinct_names(shots)
    _check_outputs(path, shots)
    report = Path(top["report"]) if "report" in top else path.parent / f"{path.stem}_report"
    return Plan(path=path, project=top["project"], store=top.get("store", ""), report=report,
                chunk=farm.get("chunk", 0), gpus=farm.get("gpus", 1), gpu_memory=farm.get("gpu_memory", ""),
                cpus=farm.get("cpus", 1), ingest=tuple(ingest), train=train, shots=tuple(shots))


def _array(path: Path, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if isinstance(value, dict):
        raise _fail(path, key, "", f"should be an array of tables: write [[{key}]], not [{key}]")
    if not isinstance(value, list):
        raise _fail(path, key, "", f"should be an array of tables ([[{key}]]), got {value!r}")
    return value


def _check_outputs(path: Path, shots: list[Shot]) -> None:
    """Two shots may not write one output, nor any shot write over another's input."""
    outs: dict[str, str] = {}
    ins: dict[str, str] = {}
    for shot in shots:
        for key in ("plate", "hint", "mask", "input", "look"):
            if key in shot.keys:
                ins.setdefault(shot.keys[key], f"[{shot.table}] key {key!r}")
    for shot in shots:
        out = shot.keys["out"]
        if media.is_movie(out):
            raise _fail(path, shot.table, "out", f"is a movie ({out}); write an image sequence such as name.####.exr")
        if out in outs:
            raise _fail(path, shot.table, "out", f"{out!r} is also the output of {outs[out]}")
        if out in ins:
            raise _fail(path, shot.table, "out", f"{out!r} is an input ({ins[out]}); choose another output name")
        outs[out] = f"[{shot.table}]"
    names: dict[tuple[str, str], str] = {}
    for shot in shots:
        if (shot.kind, shot.name) in names:
            raise _fail(path, shot.table, "name", f"shot name {shot.name!r} is also that of {names[(shot.kind, shot.name)]}; "
                        "give each shot a distinct name")
        names[(shot.kind, shot.name)] = f"[{shot.table}]"


def load_plan(path: str | os.PathLike[str]) -> Plan:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no plan file {str(p)!r}")
    return parse_plan(p.read_text(encoding="utf-8"), p)


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)   # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to a plan")


def dump_plan(plan: Plan) -> str:
    """``plan`` as TOML with every path absolute and every shot named: a snapshot farm jobs read."""
    lines = [f"project = {_toml_value(plan.project)}"]
    if plan.store:
        lines.append(f"store = {_toml_value(plan.store)}")
    lines += [f"report = {_toml_value(str(plan.report))}", "", "[farm]", f"chunk = {plan.chunk}",
              f"gpus = {plan.gpus}", f"cpus = {plan.cpus}"]
    if plan.gpu_memory:
        lines.append(f"gpu_memory = {_toml_value(plan.gpu_memory)}")
    for paths in plan.ingest:
        lines += ["", "[[ingest]]", f"paths = {_toml_value(list(paths))}"]
    if plan.train is not None:
        lines += ["", "[train]"] + [f"{k} = {_toml_value(v)}" for k, v in plan.train.items()]
    for shot in plan.shots:
        keys = {**shot.keys, "name": shot.name}
        lines += ["", f"[[{shot.kind}]]"] + [f"{k} = {_toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"
