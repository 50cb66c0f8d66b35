"""Nodes built while the daemon is down carry exactly the task's parameters (from hostbridge's
snapshot of the manifests), and the Nuke package has no import cycle."""

from __future__ import annotations

import ast
import json
from types import ModuleType

import pytest
from rushes_nuke.specs import KINDS, output_choices, spec_from_manifest

from hostbridge.manifest import TaskManifest, filter_params
from inference_server.tasks import load_task
from tests.nuke.conftest import PLUGIN_DIR

OFFLINE_KINDS = sorted(KINDS) + ["Look"]


def live(kind: str) -> TaskManifest:
    return load_task(KINDS[kind].task if kind in KINDS else "look_fit").MANIFEST


@pytest.mark.parametrize("kind", OFFLINE_KINDS)
def test_offline_node_has_every_task_parameter_with_its_default(fake: ModuleType, down: str, kind: str) -> None:
    """Defaults, ranges, labels, choices, types: what the node sends unchanged is the task's defaults.

    The hand-written copy this replaces had WireRemoval's window at 4 (the task said 2) and no
    model_version; either fails here.
    """
    from rushes_nuke import kinds
    from rushes_nuke.knobs import knob_name, read_params

    node = kinds.create(kind, url=down)
    assert "knobs from the built-in list" in node["daemon_status"].value()
    task = live(kind)
    for p in task.params:
        knob = node.knob(knob_name(p.name))
        assert knob is not None, f"{kind} has no knob for {p.name}"
        if p.name == "model_version":  # the common knob: its own label and tooltip, "latest" too
            assert knob.value() == p.default, p.name
            continue
        assert knob.label() == p.label and knob.tooltip() == p.tooltip, p.name
        if p.type == "choice":
            assert (knob.values(), knob.value()) == (p.labels(), p.label_of(p.default)), p.name
        else:
            assert knob.value() == p.default and type(knob.value()) is type(p.default), p.name
        if p.type in ("int", "float"):
            bounded = p.min is not None and p.max is not None
            assert getattr(knob, "_range", None) == ((p.min, p.max) if bounded else None), p.name  # setRange's
    assert [row["name"] for row in json.loads(node["rushes_params"].value())] == task.param_names()
    assert filter_params(task, read_params(node)) == task.check_params({})


def test_generic_spec_from_any_manifest() -> None:
    spec = spec_from_manifest(load_task("exposure").MANIFEST)
    assert (spec.kind, spec.task, spec.label) == ("Exposure", "exposure", "Rushes Exposure")
    assert output_choices(spec) == ["Result", "Source"]
    wire = spec_from_manifest(load_task("wire_removal").MANIFEST, KINDS["WireRemoval"])
    assert [(i.port, i.label, i.kind) for i in wire.inputs] == [("plate", "Source", "frames"), ("hint", "Hint", "matte")]


def test_offline_generic_node_comes_from_the_snapshot(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    node = kinds.create("exposure", url=down)
    assert node.name() == "Exposure1" and node["stops"].value() == 0.0
    with pytest.raises(ValueError, match="unknown Rushes node 'Blur'"):
        kinds.create("Blur", url=down)


def import_graph() -> dict[str, set[str]]:
    """rushes_nuke module -> the rushes_nuke modules it imports, anywhere in the file (functions too)."""
    graph: dict[str, set[str]] = {}
    package = PLUGIN_DIR / "rushes_nuke"
    names = {p.stem for p in package.glob("*.py")} - {"__init__"}
    for name in names:
        found: set[str] = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "rushes_nuke":
                found |= {a.name for a in node.names if a.name in names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rushes_nuke."):
                found.add(str(node.module).split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("rushes_nuke.")}
        graph[name] = found - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                found.append(path + [nxt])
            elif nxt not in path and nxt > path[0]:
                walk(path + [nxt])

    for start in sorted(graph):
        walk([start])
    return found


def test_no_import_cycle_among_the_nuke_modules() -> None:
    graph = import_graph()
    assert {"look", "nodes", "state", "process", "kinds"} <= set(graph)
    assert cycles({"look": {"nodes"}, "nodes": {"state"}, "state": {"look"}}) == [["look", "nodes", "state", "look"]]
    assert cycles(graph) == []
    assert "look" not in graph["nodes"] | graph["state"] | graph["process"] | graph["view"], \
        "the generic node code never names the Look"


def test_a_node_sends_an_older_daemons_choice_values(fake: ModuleType, down: str) -> None:
    """Stable values to a current daemon; the labels to one whose values are the labels (e98acd3's
    wire removal), and to one that cannot describe the task."""
    from rushes_nuke import kinds
    from rushes_nuke.process import sendable_params

    from tests.hostbridge.test_manifest import old_wire_removal

    node = kinds.create("WireRemoval", url=down)
    node["method"].setValue("Temporal (moving scene)")
    assert sendable_params(node, live("WireRemoval"))["method"] == "temporal"
    old = sendable_params(node, old_wire_removal())
    assert (old["method"], old["output"]) == ("Temporal (moving scene)", "Repair")
    assert old_wire_removal().check_params(old)["method"] == "Temporal (moving scene)"
    bare = sendable_params(node, None)
    assert (bare["method"], bare["output"], "model_version" in bare) == ("Temporal (moving scene)", "Repair", False)


def test_transfer_knob_shows_labels_and_reads_as_stable_values(fake: ModuleType, down: str) -> None:
    """A script saved with a label (every script: Nuke saves an enumeration's text) reads as its value."""
    from rushes_nuke import kinds
    from rushes_nuke.knobs import transfer_by_path, transfer_value

    node = kinds.create("WireRemoval", url=down)
    assert node["transfer"].values() == ["Auto", "File paths", "EXR bytes"]
    seen = {}
    for label in node["transfer"].values():
        node["transfer"].setValue(label)
        seen[label] = (transfer_value(node), transfer_by_path(node, True), transfer_by_path(node, False))
    assert seen == {"Auto": ("auto", True, False), "File paths": ("paths", True, True),
                    "EXR bytes": ("bytes", False, False)}
