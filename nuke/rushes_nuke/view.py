"""What a task node shows: its Reads pointed at the selected version, the switch at the chosen output."""

from __future__ import annotations

import nuke
from rushes_nuke import cache
from rushes_nuke.knobs import choice_label
from rushes_nuke.state import (
    node_cache,
    output_labels,
    output_ports,
    qc_note,
    selected_version,
    set_versions,
    show_note,
    show_status,
)


def refresh(node: nuke.Group, changed: str = "") -> None:
    """Point the internal Reads at the selected version and the switch at what Output asks.

    Output "Source" (and a node with no version yet) passes the Source input through; any
    other Output shows the version's result. The label says which version is shown. ``changed``
    (the knob that changed) is part of every node kind's refresh; a task node redoes it all.
    """
    versions = set_versions(node)
    version = selected_version(node) if versions else None
    labels = output_labels(node)
    choice = str(node["output"].value()) if node.knob("output") is not None else ""
    layout = node_cache(node)
    job = layout.job(version) if version else {}
    ports = output_ports(node)
    holds: set[str] = set()   # the outputs this version holds frames of
    still = job.get("task") in cache.STILL_TASKS
    for port, _label in ports:
        read = node.node("Read_" + cache.safe_key(port))
        if read is None:
            continue
        span = cache.frame_range(job, port) if version else None
        if version and span:
            holds.add(port)
            read["file"].setValue(layout.output_pattern(version, port))
            for name, value in (("first", span[0]), ("last", span[1]), ("origfirst", span[0]),
                                ("origlast", span[1])):
                read[name].setValue(value)
            # a still for the shot (a clean plate) is held over it; a repair is black past its range
            for name in ("before", "after"):
                read[name].setValue("hold" if still else "black")
        else:
            read["file"].setValue("")
    source = labels.index("Source") if "Source" in labels else 0
    shown = labels.index(choice) if choice in labels else 0
    # an output this version never made (Revealed Matte, not asked for): the Source, said so, not black
    missing = bool(version) and shown < len(ports) and ports[shown][0] not in holds and choice != "Source"
    switch = node.node("OutputSwitch")
    if switch is not None:
        switch["which"].setValue(shown if version and choice != "Source" and not missing else source)
    show_note(node, qc_note(job.get("summary")))
    if not version:
        show_status(node, "not processed")
    elif missing:
        show_status(node, f"{version} has no {choice} (it was not asked for); Source shown")
    else:
        made = choice_label(node, "output", str(job.get("params", {}).get("output") or "")) or \
            (labels[shown] if labels else "")
        span = cache.frame_range(job, ports[0][0]) if ports else None
        done = f" {span[0]}-{span[1]}" if span else ""  # the frames processed: black outside them
        if still and span:
            done = f" (frame {span[0]}, held over the shot)"
        show_status(node, f"{version} {made}{done}".strip() if choice != "Source" else f"{version} (Source shown)")
