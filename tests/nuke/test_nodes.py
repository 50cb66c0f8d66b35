"""Node creation, knobs, knob changes, menus and start-up files, in the fake Nuke."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path
from types import ModuleType

import pytest

from tests.nuke.conftest import FAKE_DIR, PLUGIN_DIR


def test_wire_removal_node_without_daemon(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds
    from rushes_nuke.knobs import read_params

    node = kinds.create("WireRemoval", url=down)
    assert node.Class() == "Group" and node.name() == "WireRemoval1"
    inside = {n.name(): n for n in node.nodes()}
    assert [inside["Source"]["number"].value(), inside["Hint"]["number"].value()] == [0, 1]
    assert inside["Write_plate"]["channels"].value() == "rgba", "the plate's alpha goes through the repair"
    # Foundry, Read reference: frames past first-last hold the last by default; a repair never made is black
    assert (inside["Read_repair"]["before"].value(), inside["Read_repair"]["after"].value()) == ("black", "black")
    order = [k.name() for k in node.allKnobs()]
    assert order.index("rushes_note") < order.index("advanced"), "the QC line is on the Rushes tab"
    assert inside["Write_hint"]["channels"].value() == "alpha", "the roto's alpha is the hint"
    assert all(inside[w]["disable"].value() for w in ("Write_plate", "Write_hint")), "Render All never runs them"
    assert inside["Read_repair"]["file"].value() == ""
    assert inside["OutputSwitch"]["which"].value() == 1 and inside["OutputSwitch"].input(1) is inside["Source"]
    assert node["rushes_status"].value() == "not processed" and node["version"].values() == ["none"]
    assert "did not answer" in node["daemon_status"].value() and "rushes serve" in node["daemon_status"].value()
    assert node["method"].values() == ["Auto", "Temporal (moving scene)", "Temporal (static scene)", "Spatial"]
    assert node["output"].values() == ["Repair", "Wire Matte", "Source", "Repair Matted"]
    assert (node["window"].value(), node["regrain"].value()) == (4, 1.0)  # the task's default, from the snapshot
    for name in ("method", "window", "regrain", "output", "first_frame", "process", "version", "project",
                 "model_version", "daemon_status", "server", "cache_root", "transfer"):
        assert node[name].tooltip() or name == "daemon_status", f"{name} has no tooltip"
    assert "grain" in node["regrain"].tooltip().lower()
    assert node.knob("param_model_version") is None, "the common Model version knob is the one"
    assert read_params(node) == {"method": "auto", "window": 4, "regrain": 1.0, "output": "repair",
                                 "use_project_model": True, "model_version": "latest"}
    node["method"].setValue("Temporal (moving scene)")
    node["window"].setValue(8)
    node["model_version"].setValue("v003")
    assert read_params(node) | {"method": "temporal", "window": 8, "model_version": "v003"} == read_params(node)


def test_each_node_kind_has_its_inputs(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    expected = {"WireRemoval": ["Source", "Hint"], "CleanPlate": ["Source", "Ignore_Matte"],
                "ObjectRemoval": ["Source", "Object_Matte"], "Matte": ["Source"], "Look": ["Source"]}
    ids = set()
    for kind, inputs in expected.items():
        node = kinds.create(kind, url=down)
        assert node.name() == f"{kind}1"
        assert [n.name() for n in node.nodes() if n.Class() == "Input"] == inputs
        ids.add(node["rushes_id"].value())
    second = kinds.create("WireRemoval", url=down)
    assert second.name() == "WireRemoval2"
    ids.add(second["rushes_id"].value())
    assert len(ids) == 6, "every node has its own cache folder"


def test_manifest_drives_the_knobs_when_the_daemon_runs(fake: ModuleType, daemon: str) -> None:
    from rushes_nuke import kinds

    node = kinds.create("WireRemoval", url=daemon)
    assert node["daemon_status"].value() == f"running at {daemon}"
    assert node["use_project_model"].value() is True
    assert [n.name() for n in node.nodes() if n.Class() == "Input"] == ["Source", "Hint"]
    exposure = kinds.create("exposure", url=daemon)
    assert exposure.name() == "Exposure1" and exposure["stops"].value() == 0.0
    assert "stop" in exposure["stops"].tooltip()


def test_unknown_kind_without_daemon_is_refused(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    with pytest.raises(ValueError, match="unknown Rushes node 'Blur': the Rushes daemon .*rushes serve"):
        kinds.create("Blur", url=down)


def test_new_node_connects_to_the_selection(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    read = fake.nodes.Read(file="/plates/a.####.exr")
    read.setSelected(True)
    node = kinds.create("Matte", url=down)
    assert node.input(0) is read


def test_input_range_button(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    node = kinds.create("Matte", url=down)
    fake.fake_press(node, "input_range")
    assert fake.fake_state().messages == ["Matte1: connect the Source input first."]
    read = fake.nodes.Read(file="/plates/a.####.exr", first=1009, last=1040)
    node.setInput(0, read)
    fake.fake_press(node, "input_range")
    assert (node["first_frame"].value(), node["last_frame"].value()) == (1009, 1040)


def test_knob_changes_on_other_groups_are_ignored(fake: ModuleType, down: str) -> None:
    other = fake.createNode("Group")
    knob = fake.Int_Knob("version", "Version")
    other.addKnob(knob)
    fake.fake_user_set(knob, 3)     # the callback sees a Group that is not a Rushes node
    assert fake.fake_state().log == []


def test_init_registers_callbacks_once_and_never_raises(fake: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    init = (PLUGIN_DIR / "init.py").read_text()
    before = {k: len(v) for k, v in fake.fake_state().callbacks.items()}
    exec(compile(init, "init.py", "exec"), {})  # noqa: S102 - as Nuke runs it
    assert {k: len(v) for k, v in fake.fake_state().callbacks.items()} == before, "install() is idempotent"
    assert before == {"knobChanged": 1, "onScriptLoad": 1}
    monkeypatch.setitem(sys.modules, "rushes_nuke", None)   # a broken install: import fails
    err = io.StringIO()
    with redirect_stderr(err):
        exec(compile(init, "init.py", "exec"), {})  # noqa: S102
        exec(compile((PLUGIN_DIR / "menu.py").read_text(), "menu.py", "exec"), {})  # noqa: S102
    assert "Rushes: plugin not loaded" in err.getvalue() and "Rushes: menus not loaded" in err.getvalue()


def test_menu_adds_entries_that_create_nodes(fake: ModuleType, down: str) -> None:
    exec(compile((PLUGIN_DIR / "menu.py").read_text(), "menu.py", "exec"), {})  # noqa: S102
    toolbar = fake.toolbar("Nodes").findItem("Rushes")
    assert sorted(toolbar.fake_items) == ["CleanPlate", "Look", "Matte", "ObjectRemoval", "WireRemoval"]
    main = fake.menu("Nuke").findItem("Rushes")
    assert "Process selected" in main.fake_items and "Daemon status" in main.fake_items
    code = toolbar.fake_items["WireRemoval"].replace("rushes_nuke.kinds.create('WireRemoval')",
                                                     f"rushes_nuke.kinds.create('WireRemoval', url={down!r})")
    exec(code, {})  # noqa: S102 - what the menu entry runs
    assert fake.toNode("WireRemoval1") is not None
    exec(main.fake_items["Process selected"], {})  # noqa: S102 - WireRemoval1 is selected, Hint unconnected
    assert fake.fake_state().messages == ["WireRemoval1: connect the Source input first"]


def test_importing_the_plugin_does_nothing(tmp_path: Path) -> None:
    code = ("import sys; import rushes_nuke, rushes_nuke.nodes, rushes_nuke.process, rushes_nuke.look, "
            "rushes_nuke.farm, rushes_nuke.actions, rushes_nuke.callbacks, rushes_nuke.menus, rushes_nuke.job, "
            "rushes_nuke.state, rushes_nuke.daemon, rushes_nuke.cache, rushes_nuke.specs, rushes_nuke.kinds; "
            "import nuke; bad = [m for m in ('hostbridge.client', 'zmq', 'msgpack', 'numpy', 'inference_server') "
            "if m in sys.modules]; "
            "assert not bad, bad; assert nuke.fake_state().callbacks == {}; "
            "assert nuke.fake_state().toolbars == {}")
    env = {"PYTHONPATH": f"{FAKE_DIR}:{PLUGIN_DIR}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


OLD_WIRE_TABLE = [  # rushes_params as a WireRemoval saved before stable values held it: labels were the values
    {"name": "method", "type": "choice", "knob": "method", "choices": {
        "Auto": "Auto", "Temporal (moving scene)": "Temporal (moving scene)",
        "Temporal (static scene)": "Temporal (static scene)", "Spatial": "Spatial"}},
    {"name": "window", "type": "int", "knob": "window"},
    {"name": "regrain", "type": "float", "knob": "regrain"},
    {"name": "output", "type": "choice", "knob": "output", "choices": {
        "Repair": "Repair", "Wire Matte": "Wire Matte", "Source": "Source", "Repair Matted": "Repair Matted"}},
    {"name": "use_project_model", "type": "bool", "knob": "use_project_model"}]


def test_a_script_saved_with_labels_loads_as_stable_values(fake: ModuleType, down: str) -> None:
    """Nuke saves an Enumeration knob by its item text and the hidden table beside it (Nuke Python
    a user knob is written into the .nk with its items and value); an old table mapped labels to
    themselves. On load the table is rewritten so the script stores the stable values."""
    import json

    from rushes_nuke import kinds
    from rushes_nuke.knobs import read_params

    def saved_script() -> None:
        node = kinds.create("WireRemoval", url=down)
        node["rushes_params"].setValue(json.dumps(OLD_WIRE_TABLE))
        node["method"].setValue("Temporal (moving scene)")
        node["output"].setValue("Wire Matte")
        node["window"].setValue(4)   # what the old built-in knobs gave; the artist's value now

    fake.fake_register_script("/shows/old.nk", saved_script)
    fake.scriptOpen("/shows/old.nk")
    node = fake.toNode("WireRemoval1")
    table = {row["name"]: row for row in json.loads(node["rushes_params"].value())}
    assert table["method"]["choices"] == {"Auto": "auto", "Temporal (moving scene)": "temporal",
                                          "Temporal (static scene)": "static", "Spatial": "spatial"}
    assert table["output"]["choices"]["Repair Matted"] == "repair-matted"
    assert node["method"].value() == "Temporal (moving scene)", "the artist's choice is kept"
    params = read_params(node)
    assert (params["method"], params["output"], params["window"]) == ("temporal", "matte", 4)
    assert node["rushes_status"].value() == "not processed"
