"""A Rushes node's state: what it is, where its cache is, and which version it shows."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import nuke
from rushes_nuke import cache

STATUS_KNOB = "rushes_status"
# Drawn on the node in the DAG (Python dev guide: the autolabel knob's Python returns the text):
# the name, what Rushes shows, then the artist's own label, which Rushes never writes.
AUTOLABEL = ("nuke.thisNode().name() + chr(10) + nuke.thisNode()['rushes_status'].value()"
             " + (chr(10) + nuke.thisNode()['label'].value() if nuke.thisNode()['label'].value() else '')")


def show_status(node: nuke.Node, text: str) -> None:
    """What the node shows (``v002 Repair``), drawn under its name; the label stays the artist's."""
    knob = node.knob(STATUS_KNOB)
    if knob is None:  # a node made before Rushes kept its status in its own knob
        knob = nuke.String_Knob(STATUS_KNOB, STATUS_KNOB)
        knob.setFlag(nuke.INVISIBLE)
        node.addKnob(knob)
    knob.setValue(text)
    auto = node.knob("autolabel")
    if auto is not None and not str(auto.value()):
        auto.setValue(AUTOLABEL)


NOTE_KNOB = "rushes_note"


def show_note(node: nuke.Node, text: str) -> None:
    """One line on the Rushes tab saying what needs the artist's eye ("" clears it)."""
    knob = node.knob(NOTE_KNOB)
    if knob is None:
        if not text:
            return
        knob = nuke.Text_Knob(NOTE_KNOB, "Status", "")
        node.addKnob(knob)
    knob.setValue(text)


def file_value(node: nuke.Node, name: str) -> str:
    """A file knob's path as Nuke uses it: TCL (``[getenv SHOW]``, ``$env(X)``) expanded."""
    knob = node[name]
    if isinstance(knob, nuke.EvalString_Knob):
        return str(knob.evaluate())
    return str(knob.value())


def node_json(node: nuke.Node, name: str) -> Any:
    """A hidden JSON knob's value (``rushes_inputs``, ``rushes_outputs``...)."""
    knob = node.knob(name)
    if knob is None:
        raise ValueError(f"{node.name()} is not a Rushes node (it has no {name} knob)")
    return json.loads(knob.value() or "null")


def is_rushes(node: nuke.Node | None) -> bool:
    return node is not None and node.knob("rushes_kind") is not None


def kind(node: nuke.Node) -> str:
    return str(node["rushes_kind"].value())


def new_id(kind: str) -> str:
    """A node's cache key: its kind and 8 random hex digits (stable across renames)."""
    return f"{kind}_{uuid.uuid4().hex[:8]}"


def ensure_unique_id(node: nuke.Node) -> bool:
    """Give ``node`` a new cache id when another node shares it (a copy-paste).

    Returns True when the id changed (the copy then starts its own versions).
    """
    key = str(node["rushes_id"].value())
    for other in nuke.allNodes("Group", recurseGroups=True, group=nuke.root()):
        if other is not node and other.knob("rushes_id") is not None and str(other["rushes_id"].value()) == key:
            node["rushes_id"].setValue(new_id(kind(node)))
            return True
    return False


def script_path() -> str:
    """The saved script's path, or "" for an untitled script."""
    knob = nuke.root().knob("name")
    return str(knob.value()) if knob is not None else ""


def cache_root(node: nuke.Node) -> str:
    value = file_value(node, "cache_root").strip()
    return value or cache.default_root(script_path())


def node_cache(node: nuke.Node) -> cache.NodeCache:
    return cache.NodeCache(cache_root(node), str(node["rushes_id"].value()))


def output_ports(node: nuke.Node) -> list[list[str]]:
    return list(node_json(node, "rushes_outputs") or [])


def output_labels(node: nuke.Node) -> list[str]:
    return [label for _port, label in output_ports(node)] + list(node_json(node, "rushes_extra_outputs") or [])


def set_versions(node: nuke.Node, select: str | None = None) -> list[str]:
    """List the cached versions on the Version knob; select ``select`` (or keep the current)."""
    versions = node_cache(node).versions()
    knob = node["version"]
    assert isinstance(knob, nuke.Enumeration_Knob)
    current = select or str(knob.value())
    knob.setValues(versions or ["none"])
    if versions:
        knob.setValue(current if current in versions else versions[-1])
    return versions


def selected_version(node: nuke.Node) -> str | None:
    value = str(node["version"].value())
    return None if value in ("", "none") else value


def qc_note(summary: Any) -> str:
    """"QC: 2 frame(s) to check: 1012, 1013" from a task summary's optional "qc" (docs: QC.md).

    Older daemons send no "qc"; anything malformed is ignored rather than shown wrong.
    """
    qc = summary.get("qc") if isinstance(summary, dict) else None
    if not isinstance(qc, dict):
        return ""
    note = qc.get("note")
    if isinstance(note, str) and note.strip():
        return "QC: " + note.strip()
    flagged = qc.get("flagged")
    if isinstance(flagged, list) and flagged:
        return f"QC: {len(flagged)} frame(s) to check: {', '.join(str(f) for f in flagged)}"
    if isinstance(flagged, list):
        return "QC: every frame passed" + (f" ({qc['measure']})" if isinstance(qc.get("measure"), str) else "")
    return ""


def missing_cache(node: nuke.Node) -> str:
    """"" when the version the node shows is on this machine's disk, else a sentence saying so."""
    version = selected_version(node)
    if version is None:
        return ""
    try:
        folder = node_cache(node).version_dir(version)
    except ValueError as exc:
        return f"{node.fullName()}: {exc}"
    if os.path.isdir(folder):
        return ""
    return (f"{node.fullName()} shows {version} but its cache {folder} is not visible on this machine; "
            "mount it, or set $RUSHES_NUKE_CACHE / the node's Cache folder to where it is mounted")
