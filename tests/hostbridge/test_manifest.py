"""hostbridge.manifest: the manifest types, the wire, the one parameter filter, and the snapshot
the hosts fall back on while the daemon is down (checked equal to the tasks, parameter by parameter)."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from hostbridge import manifest_snapshot
from hostbridge.manifest import Param, Port, TaskManifest, filter_params, snapshot, snapshot_manifest
from inference_server.tasks import SNAPSHOT_PATH, TASK_MODULES, load_task, snapshot_text
from tests.conftest import REPO


def drift(live: list[dict[str, Any]], snap: list[dict[str, Any]]) -> list[str]:
    """Every difference between the tasks' wire manifests and a snapshot, one line each."""
    problems: list[str] = []
    snaps = {m["name"]: m for m in snap}
    for m in live:
        s = snaps.pop(m["name"], None)
        if s is None:
            problems.append(f"{m['name']}: missing from the snapshot")
            continue
        for key in ("label", "description", "inputs", "outputs", "nan_policy", "long_running"):
            if m[key] != s.get(key):
                problems.append(f"{m['name']}.{key}: {s.get(key)!r} != {m[key]!r}")
        sp = {p["name"]: p for p in s.get("params", [])}
        for p in m["params"]:
            q = sp.pop(p["name"], None)
            if q is None:
                problems.append(f"{m['name']}.{p['name']}: missing from the snapshot")
                continue
            for key in ("type", "default", "min", "max", "choices", "choice_labels", "label", "tooltip"):
                if p[key] != q.get(key) or type(p[key]) is not type(q.get(key)):
                    problems.append(f"{m['name']}.{p['name']}.{key}: {q.get(key)!r} != {p[key]!r}")
        problems += [f"{m['name']}.{name}: in the snapshot, not in the task" for name in sp]
        names, snap_names = [p["name"] for p in m["params"]], [p["name"] for p in s.get("params", [])]
        if names != snap_names and sorted(names) == sorted(snap_names):
            problems.append(f"{m['name']}: parameters in a different order")
    problems += [f"{name}: in the snapshot, not a task" for name in snaps]
    return problems


def live_wires() -> list[dict[str, Any]]:
    return [load_task(name).MANIFEST.to_wire() for name in TASK_MODULES]


def test_snapshot_equals_every_task_manifest_parameter_by_parameter() -> None:
    assert drift(live_wires(), manifest_snapshot.MANIFESTS) == []
    assert SNAPSHOT_PATH.read_text(encoding="utf-8") == snapshot_text(), \
        "regenerate: python -m inference_server.tasks --write-manifest-snapshot"


def test_the_check_catches_the_drift_the_hand_copies_had() -> None:
    """The Nuke copy had WireRemoval's window at 4 (the task said 2) and no model_version."""
    old = copy.deepcopy(manifest_snapshot.MANIFESTS)
    wire = next(m for m in old if m["name"] == "wire_removal")
    next(p for p in wire["params"] if p["name"] == "window")["default"] = 2
    wire["params"] = [p for p in wire["params"] if p["name"] != "model_version"]
    motion = next(p for p in next(m for m in old if m["name"] == "clean_plate")["params"] if p["name"] == "motion")
    motion["choice_labels"] = ["auto", "homography", "affine"]
    assert drift(live_wires(), old) == ["wire_removal.window.default: 2 != 4", "wire_removal.model_version: missing from "
                                        "the snapshot", "clean_plate.motion.choice_labels: ['auto', 'homography', "
                                        "'affine'] != ['Auto', 'Homography', 'Affine']"]


def test_regenerating_writes_the_module_the_hosts_import(tmp_path: Any) -> None:
    out = tmp_path / "snap.py"
    done = subprocess.run([sys.executable, "-c", "import sys, pathlib; from inference_server.tasks import write_snapshot;"
                           f"write_snapshot(pathlib.Path({str(out)!r}))"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    scope: dict[str, Any] = {}
    exec(compile(out.read_text(), str(out), "exec"), scope)  # noqa: S102 (the generated module, as Python runs it)
    assert scope["MANIFESTS"] == live_wires() and not list(tmp_path.glob("*.tmp"))


def test_wire_round_trip_for_every_task() -> None:
    for name in TASK_MODULES:
        declared = load_task(name).MANIFEST
        back = TaskManifest.from_wire(declared.to_wire())
        assert back.to_wire() == declared.to_wire() and back.params == declared.params, name
    assert [m.name for m in snapshot()] == list(TASK_MODULES)
    assert snapshot_manifest("wire_removal").param("window").default == 4


def test_choices_are_stable_values_with_labels() -> None:
    method = snapshot_manifest("wire_removal").param("method")
    assert method.values() == ["auto", "temporal", "static", "spatial"]
    assert method.label_of("temporal") == "Temporal (moving scene)" and method.label_of("odd") == "odd"
    assert [method.value_of(t) for t in ("temporal", "Temporal (moving scene)", "Auto", "Magic")] == \
        ["temporal", "temporal", "auto", None]
    assert method.check("Temporal (static scene)") == "static"  # an older host's label
    with pytest.raises(ValueError, match="'method' is 'Magic'; choose one of auto, temporal, static, spatial"):
        method.check("Magic")
    motion = snapshot_manifest("clean_plate").param("motion")
    assert motion.choices == (("auto", "Auto"), ("homography", "Homography"), ("affine", "Affine"))


def test_a_manifest_from_a_daemon_before_labels_reads_values_as_labels() -> None:
    wire = {"name": "wire_removal", "label": "Wire Removal", "description": "", "inputs": [], "outputs": [],
            "params": [{"name": "method", "type": "choice", "default": "Auto", "label": "Repair method",
                        "tooltip": "", "min": None, "max": None, "choices": ["Auto", "Spatial"]}]}
    m = TaskManifest.from_wire(wire)
    assert m.param("method").choices == (("Auto", "Auto"), ("Spatial", "Spatial"))
    with pytest.raises(ValueError, match="malformed manifest for task 'x'"):
        TaskManifest.from_wire({"name": "x", "params": [{"type": "int"}]})


def test_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="default 'b' is not one of its values"):
        Param("p", "choice", "b", "P", choices=(("a", "A"),))
    with pytest.raises(ValueError, match=r"choices must be \(value, label\) pairs"):
        Param("p", "choice", "a", "P", choices=("a",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labels must each be unique"):
        Param("p", "choice", "a", "P", choices=(("a", "A"), ("b", "A")))
    with pytest.raises(ValueError, match="type 'colour'"):
        Param("p", "colour", 0, "P")
    with pytest.raises(ValueError, match="kind 'audio'"):
        Port("p", "P", "audio")
    with pytest.raises(ValueError, match="declares a parameter twice"):
        TaskManifest("t", "T", "", (), (), (Param("a", "int", 0, "A"), Param("a", "int", 1, "A")))


def test_check_params_fills_defaults_and_names_what_is_wrong() -> None:
    m = snapshot_manifest("wire_removal")
    assert m.check_params({"window": 3.0})["window"] == 3 and m.check_params({})["method"] == "auto"
    for raw, message in (({"window": 17}, "'window' is 17, above its maximum 16"),
                         ({"window": 1.5}, "'window' must be a whole number"),
                         ({"regrain": float("nan")}, "'regrain' must be finite"),
                         ({"use_project_model": 1}, "must be true or false"),
                         ({"colour": 1}, "has no parameter 'colour'")):
        with pytest.raises(ValueError, match=message):
            m.check_params(raw)


def test_filter_params_is_what_hosts_send() -> None:
    m = snapshot_manifest("wire_removal")
    sent = filter_params(m, {"method": "Temporal (static scene)", "window": 3, "gone": 1, "model_version": ""})
    assert sent == {"method": "static", "window": 3, "model_version": ""}
    assert filter_params(m, {"method": "spatial", "model_version": "", "regrain": None}, skip_blank=True) == \
        {"method": "spatial"}
    assert filter_params(None, {"anything": 1}) == {"anything": 1}  # a daemon that cannot list tasks


def old_wire_removal() -> TaskManifest:
    """wire_removal as a daemon from before stable values declared it (e98acd3): labels as values."""
    wire = snapshot_manifest("wire_removal").to_wire()
    for p in wire["params"]:
        if p["type"] == "choice":
            p["choices"] = list(p.pop("choice_labels"))
            p["default"] = {"method": "Auto", "output": "Repair"}[p["name"]]
    return TaskManifest.from_wire(wire)


def test_filter_params_sends_an_older_daemons_label_values() -> None:
    """A new host sends "temporal"; a daemon whose values are the labels gets "Temporal (moving scene)"."""
    old = old_wire_removal()
    assert old.param("method").values()[:2] == ["Auto", "Temporal (moving scene)"]
    sent = filter_params(old, {"method": "temporal", "output": "repair-matted", "window": 3})
    assert sent == {"method": "Temporal (moving scene)", "output": "Repair Matted", "window": 3}
    assert old.check_params(sent)["method"] == "Temporal (moving scene)"  # the old daemon takes it
    # a label from an older host, and a value neither side knows, go as they are
    assert filter_params(old, {"method": "Spatial", "output": "bogus"}) == {"method": "Spatial", "output": "bogus"}
    # the current daemon still gets stable values
    assert filter_params(snapshot_manifest("wire_removal"), {"method": "temporal"}) == {"method": "temporal"}
    # clean_plate's old values were already its stable values: unchanged
    assert filter_params(snapshot_manifest("clean_plate"), {"motion": "affine"}) == {"motion": "affine"}


def test_filter_params_without_a_manifest_sends_labels_of_a_known_task() -> None:
    sent = filter_params(None, {"method": "static", "window": 2, "other": "x"}, task="wire_removal")
    assert sent == {"method": "Temporal (static scene)", "window": 2, "other": "x"}
    assert snapshot_manifest("wire_removal").check_params({"method": sent["method"]})["method"] == "static"
    assert filter_params(None, {"method": "static"}, task="no_such_task") == {"method": "static"}


def test_frame_inputs_are_the_ports_hosts_key_frames_by() -> None:
    assert snapshot_manifest("look_fit").frame_inputs(2) == ["source", "graded"]
    assert snapshot_manifest("shot_match").frame_inputs(2) == ["shot", "hero"]
    with pytest.raises(ValueError, match="task 'exposure' takes 1 frame input\\(s\\) \\(plate\\); this host sends 2"):
        snapshot_manifest("exposure").frame_inputs(2)


def test_manifest_imports_without_pyzmq() -> None:
    """Nuke without pyzmq still builds nodes from the snapshot: hostbridge.manifest needs the stdlib only."""
    code = ("import sys; sys.modules['zmq'] = None; sys.modules['msgpack'] = None; "
            "from hostbridge.manifest import snapshot_manifest; import hostbridge; "
            "print(snapshot_manifest('clean_plate').param('motion').default)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "auto"), done.stderr
    code = "import sys; sys.modules['zmq'] = None; import hostbridge; hostbridge.Client"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1 and "zmq" in done.stderr  # the client itself still needs it, and says so
