"""The task registry: task name -> module. Manifests are read without loading weights."""

from __future__ import annotations

import importlib
from types import ModuleType

from inference_server.tasks.base import TaskInputError, TaskManifest

TASK_MODULES: dict[str, str] = {
    "exposure": "inference_server.tasks.exposure",
    "echo": "inference_server.tasks.echo",
    "wire_removal": "inference_server.tasks.wire_removal",
    "look_fit": "inference_server.tasks.look_fit",
    "shot_match": "inference_server.tasks.shot_match",
    "clean_plate": "inference_server.tasks.clean_plate",
    "object_removal": "inference_server.tasks.object_removal",
    "foreground_matte": "inference_server.tasks.foreground_matte",
    "train": "inference_server.tasks.train",
}


def load_task(name: str) -> ModuleType:
    """Import one task module; unknown names raise TaskInputError naming the task."""
    if name not in TASK_MODULES:
        raise TaskInputError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASK_MODULES))}")
    return importlib.import_module(TASK_MODULES[name])


def manifests() -> dict[str, TaskManifest]:
    """Every registered task's manifest (imports the light task modules only); broken ones are skipped."""
    return manifests_and_problems()[0]


def manifests_and_problems() -> tuple[dict[str, TaskManifest], dict[str, str]]:
    """Manifests of the tasks that load, and for each that does not, why (one task never hides the rest)."""
    found: dict[str, TaskManifest] = {}
    problems: dict[str, str] = {}
    for name in TASK_MODULES:
        try:
            found[name] = load_task(name).MANIFEST
        except Exception as exc:  # a broken task module is reported, not fatal
            problems[name] = f"{type(exc).__name__}: {exc}"
    return found, problems
