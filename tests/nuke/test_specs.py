"""The static node specs (used while the daemon is down) match the daemon's task manifests."""

from __future__ import annotations

import pytest
from rushes_nuke.specs import SPECS, choice_label, output_choices, spec_from_manifest

from inference_server.tasks import load_task


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_static_spec_matches_the_task_manifest(kind: str) -> None:
    spec = SPECS[kind]
    wire = load_task(spec.task).MANIFEST.to_wire()
    assert [(i.port, i.kind, i.optional) for i in spec.inputs] == [
        (p["name"], p["kind"], p["optional"]) for p in wire["inputs"]]
    assert [p for p, _ in spec.outputs] == [p["name"] for p in wire["outputs"] if p["kind"] != "blob"]
    def knob(p: dict) -> tuple:  # what decides the knob (labels and defaults may be retuned by the task)
        return p["name"], p["type"], list(p["choices"])

    live_knobs = [knob(p) for p in wire["params"]]
    assert [knob(p) for p in spec.params if knob(p) not in live_knobs] == [], "fallback knobs the task lacks"
    assert len(spec.params) >= len(wire["params"]) - 1, "the fallback misses task parameters"
    live = spec_from_manifest(wire, spec)
    assert (live.kind, live.inputs, live.outputs) == (spec.kind, spec.inputs, spec.outputs)


def test_look_fallback_matches_look_fit() -> None:
    from rushes_nuke.look import FALLBACK_PARAMS

    def key(p: dict) -> tuple:
        return p["name"], p["type"], p["default"], p["label"], p["min"], p["max"], p["choices"]

    assert [key(p) for p in FALLBACK_PARAMS] == [key(p) for p in load_task("look_fit").MANIFEST.to_wire()["params"]]


def test_generic_spec_from_any_manifest() -> None:
    spec = spec_from_manifest(load_task("exposure").MANIFEST.to_wire())
    assert (spec.kind, spec.task, spec.label) == ("Exposure", "exposure", "Rushes Exposure")
    assert output_choices(spec) == ["Result", "Source"]


def test_choice_labels() -> None:
    assert choice_label({}, "homography") == "Homography"
    assert choice_label({}, "temporal_static") == "Temporal static"
    assert choice_label({}, "Temporal (moving scene)") == "Temporal (moving scene)"
    assert choice_label({"auto": "Auto (recommended)"}, "auto") == "Auto (recommended)"
