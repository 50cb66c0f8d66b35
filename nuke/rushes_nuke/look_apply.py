"""Applying a Rushes Look: the version's files on the node's OCIO nodes, in names the
script's OCIO config accepts, and one line saying what is applied (and what is not)."""

from __future__ import annotations

import json
import os
from typing import Any

import nuke
from hostbridge.cdl import read_cdl
from rushes_nuke import cache, colour, state

FIT_TASK = "look_fit"


def fitted_job(lut_path: str, cdl_path: str) -> dict[str, Any] | None:
    """The job.json of the fitted version both files come from (its LUT holds its CDL), or None."""
    folder = os.path.dirname(lut_path)
    if not lut_path or not cdl_path or os.path.dirname(cdl_path) != folder:
        return None
    try:
        with open(os.path.join(folder, cache.JOB_FILE), encoding="utf-8") as fh:
            job = json.load(fh)
    except (OSError, ValueError):
        return None
    return job if isinstance(job, dict) and job.get("task") == FIT_TASK else None


def _point_at_version(node: nuke.Group, version: str) -> None:
    folder = state.node_cache(node).version_dir(version)
    for knob, ext in (("lut_file", (".cube",)), ("cdl_file", (".cc", ".ccc", ".cdl"))):
        found = sorted(n for n in os.listdir(folder) if n.endswith(ext))
        node[knob].setValue(os.path.join(folder, found[0]).replace(os.sep, "/") if found else "")


def refresh(node: nuke.Group, changed: str = "") -> None:
    """Point the files at the selected version (when it changed) and configure the OCIO nodes."""
    versions = state.set_versions(node)
    version = state.selected_version(node) if versions else None
    untouched = not node["lut_file"].value() and not node["cdl_file"].value()
    if version and (changed == "version" or (changed == "" and untouched)):
        _point_at_version(node, version)
    mode = str(node["apply"].value())
    lut_node, cdl_node = node.node("LUT"), node.node("CDL")
    lut_path, cdl_path = state.file_value(node, "lut_file"), state.file_value(node, "cdl_file")
    job = fitted_job(lut_path, cdl_path)
    notes: list[str] = []
    use_lut = bool(lut_path) and mode in ("LUT", "CDL + LUT")
    use_cdl = bool(cdl_path) and mode in ("CDL", "CDL + LUT")
    if use_lut and use_cdl and job is not None:
        use_cdl = False  # the fitted LUT is the whole look: stacking its CDL would apply it twice
        notes.append("the fitted LUT already holds its CDL, so only the LUT is applied")
    in_space = node.knob("in_space")
    asked = str(in_space.value()) if in_space is not None else ""
    # the space the LUT applies in: the artist's Input colour space, else (a fitted LUT) the
    # script's working space its frames were rendered in, else ACEScct (a grading LUT's usual)
    fitted_space = str(job.get("frames_space") or "") if job is not None else ""
    lut_wanted = [asked or fitted_space or "ACEScct"]
    if lut_node is not None:
        lut_node["file"].setValue(lut_path)
        name = colour.pick_space(lut_node.knob("working_space"), lut_wanted)
        if name is None and use_lut:
            use_lut = False
            notes.append(f"LUT off: {next(w for w in lut_wanted if w)} is not in this script's OCIO config; "
                         "set Input colour space to one of its names")
        elif name is not None:
            lut_node["working_space"].setValue(name)
        lut_node["disable"].setValue(not use_lut)
    if cdl_node is not None:
        space = str(node["working_space"].value())
        name = colour.pick_space(cdl_node.knob("working_space"), [space])
        if name is None and use_cdl:
            use_cdl = False
            notes.append(f"CDL off: its working space {space} is not in this script's OCIO config; "
                         "use an ACES config (Project Settings > Color) or set Working space")
        elif name is not None:
            cdl_node["working_space"].setValue(name)
        if use_cdl:
            for knob, value in read_cdl(cdl_path).items():
                cdl_node[knob].setValue(value)
        cdl_node["disable"].setValue(not use_cdl)
    state.show_status(node, f"{version or 'no look'} {mode}")
    state.show_note(node, "; ".join(notes))
