"""Knobs built from task parameters (manifest wire dicts), and read back into params."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import nuke
from rushes_nuke.specs import choice_label

# Group knobs a parameter must not shadow.
RESERVED = {"name", "label", "disable", "selected", "help", "note_font", "tile_color", "xpos", "ypos",
            "icon", "indicators", "hide_input", "cached", "postage_stamp", "lifetimeStart", "lifetimeEnd",
            "useLifetime", "knobChanged", "onCreate", "onDestroy", "updateUI", "autolabel", "first_frame",
            "last_frame", "version", "process", "project", "model_version", "server"}
PARAMS_KNOB = "rushes_params"


def knob_name(param: str) -> str:
    """The knob name for a parameter (prefixed when it would clash with a Group knob)."""
    return "param_" + param if param in RESERVED else param


def make_param_knob(param: dict[str, Any], labels: dict[str, str]) -> nuke.Knob:
    """One knob for one manifest parameter, with its default, range and tooltip."""
    name, kind, label = str(param["name"]), str(param["type"]), str(param.get("label") or param["name"])
    kname = knob_name(name)
    default = param.get("default")
    knob: nuke.Knob
    if kind == "int":
        knob = nuke.Int_Knob(kname, label)
        knob.setValue(int(default or 0))
    elif kind == "float":
        knob = nuke.Double_Knob(kname, label)
        if param.get("min") is not None and param.get("max") is not None:
            knob.setRange(float(param["min"]), float(param["max"]))
        knob.setValue(float(default or 0.0))
    elif kind == "bool":
        knob = nuke.Boolean_Knob(kname, label)
        knob.setValue(bool(default))
        knob.setFlag(nuke.STARTLINE)
    elif kind == "choice":
        choices = [choice_label(labels, str(c)) for c in param.get("choices", [])]
        knob = nuke.Enumeration_Knob(kname, label, choices)
        if default is not None:
            knob.setValue(choice_label(labels, str(default)))
    else:
        knob = nuke.String_Knob(kname, label)
        knob.setValue(str(default or ""))
    knob.setTooltip(str(param.get("tooltip") or ""))
    return knob


def describe_params(params: Sequence[dict[str, Any]], labels: dict[str, str]) -> str:
    """JSON kept in a hidden knob: how to read each parameter knob back (survives save/load)."""
    rows: list[dict[str, Any]] = []
    for p in params:
        row: dict[str, Any] = {"name": p["name"], "type": p["type"], "knob": knob_name(str(p["name"]))}
        if p["type"] == "choice":
            row["choices"] = {choice_label(labels, str(c)): str(c) for c in p.get("choices", [])}
        rows.append(row)
    return json.dumps(rows, sort_keys=True)


def read_params(node: nuke.Node) -> dict[str, Any]:
    """The node's parameter values, as the task expects them (choice labels -> values)."""
    holder = node.knob(PARAMS_KNOB)
    rows = json.loads(holder.value() or "[]") if holder is not None else []
    values: dict[str, Any] = {}
    for row in rows:
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
    return values
