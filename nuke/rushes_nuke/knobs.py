"""Knobs: built from task parameters (``hostbridge.manifest.Param``) and read back into
parameters, plus the knobs every Rushes node has (hidden state, buttons, daemon and cache).

A choice knob shows the artist labels; the hidden parameter table (``rushes_params``, saved
with the script) maps each label to the parameter's stable value, which is what is sent.
A script saved before stable values mapped labels to themselves (wire removal's "Temporal
(moving scene)"); ``upgrade_choices`` rewrites such tables to stable values on load.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import nuke
from hostbridge.local import DEFAULT_URL, SERVER_ENV, TRANSFERS, send_by_path
from hostbridge.manifest import Param, TaskManifest

# Group knobs a parameter must not shadow.
RESERVED = {"name", "label", "disable", "selected", "help", "note_font", "tile_color", "xpos", "ypos",
            "icon", "indicators", "hide_input", "cached", "postage_stamp", "lifetimeStart", "lifetimeEnd",
            "useLifetime", "knobChanged", "onCreate", "onDestroy", "updateUI", "autolabel", "first_frame",
            "last_frame", "version", "process", "project", "model_version", "server"}
# Task parameters held by a knob every node has (``common_knobs``) rather than a knob of their own.
COMMON_PARAMS = ("model_version",)
PARAMS_KNOB = "rushes_params"
PROCESS_CMD = "import rushes_nuke.actions; rushes_nuke.actions.process_this()"
CHECK_CMD = "import rushes_nuke.actions; rushes_nuke.actions.check_daemon_this()"
# The transfer knob: hostbridge.local.TRANSFERS values with the labels the knob shows. Nuke's
# Enumeration_Knob holds and saves its menu text, so the label is what a script stores;
# ``transfer_by_path`` reads it back as the stable value (a value stored by hand reads too).
TRANSFER_CHOICES = (("auto", "Auto"), ("paths", "File paths"), ("bytes", "EXR bytes"))
TILE_COLOR = 0x3B6E8FFF  # every Rushes node has the same tile colour (0xRRGGBBAA, as tile_color holds it)


def knob_name(param: str) -> str:
    """The knob name for a parameter (prefixed when it would clash with a Group knob)."""
    if param in COMMON_PARAMS:
        return param
    return "param_" + param if param in RESERVED else param


def own_knob_params(params: Sequence[Param]) -> list[Param]:
    """The parameters that get a knob of their own (the common ones live on every node already)."""
    return [p for p in params if p.name not in COMMON_PARAMS]


def make_param_knob(param: Param) -> nuke.Knob:
    """One knob for one manifest parameter, with its default, range, labels and tooltip."""
    kname = knob_name(param.name)
    default = param.default
    knob: nuke.Knob
    if param.type in ("int", "float"):
        # Int_Knob and Double_Knob are both Array_Knobs, which have setRange(min, max) (Nuke Python API
        # reference, nuke.Array_Knob); it bounds the slider, the task still checks the value.
        knob = nuke.Int_Knob(kname, param.label) if param.type == "int" else nuke.Double_Knob(kname, param.label)
        if param.min is not None and param.max is not None:
            knob.setRange(param.min, param.max)
        knob.setValue(int(default or 0) if param.type == "int" else float(default or 0.0))
    elif param.type == "bool":
        knob = nuke.Boolean_Knob(kname, param.label)
        knob.setValue(bool(default))
        knob.setFlag(nuke.STARTLINE)
    elif param.type == "choice":
        knob = nuke.Enumeration_Knob(kname, param.label, param.labels())
        knob.setValue(param.label_of(str(default)))
    else:
        knob = nuke.String_Knob(kname, param.label)
        knob.setValue(str(default or ""))
    knob.setTooltip(param.tooltip)
    return knob


def describe_params(params: Sequence[Param]) -> str:
    """JSON kept in a hidden knob: how to read each parameter knob back (survives save/load)."""
    rows: list[dict[str, Any]] = []
    for p in params:
        row: dict[str, Any] = {"name": p.name, "type": p.type, "knob": knob_name(p.name)}
        if p.type == "choice":
            row["choices"] = {label: value for value, label in p.choices}
        rows.append(row)
    return json.dumps(rows, sort_keys=True)


def _rows(node: nuke.Node) -> list[dict[str, Any]]:
    holder = node.knob(PARAMS_KNOB)
    return list(json.loads(holder.value() or "[]")) if holder is not None else []


def read_params(node: nuke.Node) -> dict[str, Any]:
    """The node's parameter values, as the task expects them (choice labels -> stable values)."""
    values: dict[str, Any] = {}
    for row in _rows(node):
        knob = node.knob(row["knob"])
        if knob is None:
            continue
        value = knob.value()
        if row["type"] == "choice":
            value = row["choices"].get(str(value), str(value))
        elif row["type"] == "int":
            value = int(value)
        elif row["type"] == "float":
            value = float(value)
        elif row["type"] == "bool":
            value = bool(value)
        else:
            value = str(value)
        values[str(row["name"])] = value
    for name in COMMON_PARAMS:  # the common knob is the one the artist sees (older nodes had both)
        knob = node.knob(name)
        if knob is not None:
            values[name] = str(knob.value()).strip() or "latest"
    return values


def choice_label(node: nuke.Node, param: str, value: str) -> str:
    """The label the node shows for a choice parameter's stable value (``value`` when none matches)."""
    for row in _rows(node):
        if row["name"] == param and row["type"] == "choice":
            return next((label for label, v in row["choices"].items() if v == value), value)
    return value


def upgrade_choices(node: nuke.Node, manifest: TaskManifest) -> bool:
    """Map a saved table's choice labels to the manifest's stable values; True when it changed.

    The choice knob keeps the label the script saved; only what the label stands for changes.
    """
    rows = _rows(node)
    changed = False
    for row in rows:
        param = manifest.get_param(row["name"]) if row["type"] == "choice" else None
        if param is None:
            continue
        mapped = {label: param.value_of(str(value)) or param.value_of(label) or value
                  for label, value in row["choices"].items()}
        if mapped != row["choices"]:
            row["choices"], changed = mapped, True
    if changed:
        node[PARAMS_KNOB].setValue(json.dumps(rows, sort_keys=True))
    return changed


def hidden(node: nuke.Node, name: str, value: str) -> None:
    knob = nuke.String_Knob(name, name)
    knob.setValue(value)
    knob.setFlag(nuke.INVISIBLE)
    node.addKnob(knob)


def identity_knobs(node: nuke.Node, kind: str, task: str, node_id: str, inputs: Sequence[dict[str, Any]],
                   outputs: Sequence[Sequence[str]], extra_outputs: Sequence[str], params: Sequence[Param]) -> None:
    """The hidden knobs a saved script needs to run without the daemon: kind, task, id, ports, parameters."""
    for name, value in (("rushes_kind", kind), ("rushes_task", task), ("rushes_id", node_id),
                        ("rushes_inputs", json.dumps(list(inputs))), ("rushes_outputs", json.dumps([list(o) for o in outputs])),
                        ("rushes_extra_outputs", json.dumps(list(extra_outputs))), (PARAMS_KNOB, describe_params(params))):
        hidden(node, name, value)


def create_group(build: Callable[[nuke.Group], None], status: str, connect: bool = True) -> nuke.Group:
    """A new Rushes Group, connected to the selected node like any Nuke node: ``build`` adds its knobs
    and graph, ``status`` goes on its Daemon knob; ``connect`` False leaves it unconnected."""
    try:
        upstream: nuke.Node | None = nuke.selectedNode()
    except ValueError:  # nothing selected
        upstream = None
    node = nuke.createNode("Group", inpanel=False)
    assert isinstance(node, nuke.Group)
    build(node)
    node["daemon_status"].setValue(status)
    if connect and upstream is not None and node.input(0) is None:
        node.setInput(0, upstream)  # an empty Group had no input to autoconnect
    return node


def button(name: str, label: str, command: str, tooltip: str) -> nuke.PyScript_Knob:
    knob = nuke.PyScript_Knob(name, label, command)
    knob.setTooltip(tooltip)
    return knob


def common_knobs(node: nuke.Node, url: str | None) -> None:
    """Project, model version, daemon and cache knobs: the same on every Rushes node."""
    project = nuke.String_Knob("project", "Project")
    project.setTooltip("The Rushes project whose trained models are used (empty: the stock models).")
    node.addKnob(project)
    model = nuke.String_Knob("model_version", "Model version")
    model.setValue("latest")
    model.setTooltip("Which trained model version of the project to use; 'latest' takes the newest promoted one.")
    node.addKnob(model)
    node.addKnob(nuke.Text_Knob("daemon_status", "Daemon", "not checked"))
    node.addKnob(button("check_daemon", "Check daemon", CHECK_CMD, "Ask whether the Rushes daemon is running."))
    node.addKnob(nuke.Tab_Knob("advanced", "Advanced"))
    server = nuke.String_Knob("server", "Daemon address")
    server.setValue(url or "")
    server.setTooltip(f"Empty: ${SERVER_ENV} or the local daemon ({DEFAULT_URL}).")
    node.addKnob(server)
    cache_root = nuke.File_Knob("cache_root", "Cache folder")
    cache_root.setTooltip("Where results are cached, one folder per node and version. Empty: "
                          "$RUSHES_NUKE_CACHE, else rushes_cache next to the script (set on first Process).")
    node.addKnob(cache_root)
    transfer = nuke.Enumeration_Knob("transfer", "Send frames as", [label for _, label in TRANSFER_CHOICES])
    transfer.setTooltip("Auto sends file paths when the daemon runs on this machine and EXR bytes otherwise.")
    node.addKnob(transfer)
    keep = nuke.Boolean_Knob("keep_inputs", "Keep rendered inputs")
    keep.setTooltip("Keep the EXRs rendered from the inputs in the version folder (uses disk).")
    node.addKnob(keep)


def transfer_value(node: nuke.Node) -> str:
    """The node's transfer knob as a stable value of hostbridge.local.TRANSFERS ("auto" when the
    node has no such knob); ValueError naming a text that is neither a value nor a label."""
    knob = node.knob("transfer")
    if knob is None:
        return "auto"
    text = str(knob.value())
    value = text if text in TRANSFERS else dict((label, v) for v, label in TRANSFER_CHOICES).get(text)
    if value is None:
        raise ValueError(f"{node.name()}: 'Send frames as' is {text!r}; choose one of "
                         f"{', '.join(label for _, label in TRANSFER_CHOICES)}")
    return value


def transfer_by_path(node: nuke.Node, same_host: bool) -> bool:
    """Whether the node sends its rendered frames as paths (else as EXR bytes)."""
    return send_by_path(transfer_value(node), same_host)
