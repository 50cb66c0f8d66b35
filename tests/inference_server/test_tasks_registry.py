from __future__ import annotations

import pytest

from inference_server import tasks
from inference_server.tasks.base import TaskInputError


def test_every_registered_task_has_a_manifest_named_after_it() -> None:
    found, problems = tasks.manifests_and_problems()
    assert problems == {}
    assert set(found) == set(tasks.TASK_MODULES)
    for name, manifest in found.items():
        assert manifest.name == name and manifest.label and manifest.description
        wire = manifest.to_wire()
        assert all(p["label"] for p in wire["params"]), f"{name}: every parameter needs an artist-facing label"


def test_a_broken_task_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tasks.TASK_MODULES, "broken", "inference_server.tasks.does_not_exist")
    found, problems = tasks.manifests_and_problems()
    assert "exposure" in found and "broken" not in found
    assert "does_not_exist" in problems["broken"]


def test_unknown_task_names_the_known_ones() -> None:
    with pytest.raises(TaskInputError, match="unknown task 'teleport'.*exposure"):
        tasks.load_task("teleport")
