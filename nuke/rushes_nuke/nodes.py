"""Building Rushes nodes: Groups with user knobs and an internal Write/Read graph.

Inside a task node::

    Input "Source" -> Write_plate (disabled; armed only while Process renders)
    Input "Hint"   -> Write_hint
    Read_<output> per task output (points at the selected cache version)
    OutputSwitch (the Reads, then the Source input) -> Output

Knob values that must survive save/load (task, ports, parameter table) live in hidden
knobs, so a saved script works without the daemon and without this session.
"""

from __future__ import annotations

import nuke
from rushes_nuke import cache, daemon, state, view
from rushes_nuke.graph import inside
from rushes_nuke.knobs import (
    PROCESS_CMD,
    TILE_COLOR,
    button,
    common_knobs,
    create_group,
    identity_knobs,
    make_param_knob,
    own_knob_params,
)
from rushes_nuke.specs import NodeSpec, kind_for, manifest_for, output_choices, output_param, spec_from_manifest

RANGE_CMD = "import rushes_nuke.actions; rushes_nuke.actions.use_input_range_this()"
# tasks that repair a plate's colour and give its alpha back as it was (the daemon's ``colour_count``):
# their Source is rendered with its alpha, so the result keeps it (rendered as rgb, a keyed plate's
# matte was lost, and a Merge over it gave A+B)
ALPHA_THROUGH = ("wire_removal", "object_removal")


def resolve_spec(kind: str, url: str | None = None) -> tuple[NodeSpec, str]:
    """The spec for a node kind (``WireRemoval``) or task name (``exposure``), and a status line."""
    url = url or daemon.default_url()
    node_kind = kind_for(kind)
    manifest, status = manifest_for(node_kind.task, url)
    if manifest is None:
        raise ValueError(f"unknown Rushes node {kind!r}: {status}")
    return spec_from_manifest(manifest, node_kind), status


def create(kind: str, url: str | None = None) -> nuke.Group:
    """Create a Rushes task node (connected to the selection, like any Nuke node)."""
    spec, status = resolve_spec(kind, url)
    return create_group(lambda node: build(node, spec, url), status, connect=bool(spec.inputs))


def build(node: nuke.Group, spec: NodeSpec, url: str | None = None) -> None:
    """Add the knobs and the internal graph of ``spec`` to an empty Group."""
    node.setName(spec.kind + "1", uncollide=True)
    node["tile_color"].setValue(TILE_COLOR)
    identity_knobs(node, spec.kind, spec.task, state.new_id(spec.kind),
                   [{"port": i.port, "label": i.label, "kind": i.kind, "optional": i.optional} for i in spec.inputs],
                   spec.outputs, spec.extra_outputs, spec.params)
    node.addKnob(nuke.Tab_Knob("rushes", "Rushes"))
    node.addKnob(nuke.Text_Knob("about", "", spec.help))
    for param in own_knob_params(spec.params):
        node.addKnob(make_param_knob(param))
    _task_knobs(node, spec)
    # the QC line, here on the Rushes tab (added when first shown, it landed on the last tab, Advanced)
    node.addKnob(nuke.Text_Knob(state.NOTE_KNOB, "Status", ""))
    common_knobs(node, url)
    _internal_graph(node, spec)
    view.refresh(node)


def _task_knobs(node: nuke.Node, spec: NodeSpec) -> None:
    if output_param(spec) is None:  # else the task's own Output parameter knob is the one
        output = nuke.Enumeration_Knob("output", "Output", output_choices(spec))
        output.setTooltip("What the node shows: the processed result, or the untouched Source.")
        node.addKnob(output)
    _frame_range_knobs(node)
    node.addKnob(button("process", "Process", PROCESS_CMD,
                         "Render the inputs for the frame range, send them to the Rushes daemon, and "
                         "cache the result as a new version. The plate is never written."))
    version = nuke.Enumeration_Knob("version", "Version", ["none"])
    version.setTooltip("Earlier results stay in the cache; pick the one to show.")
    node.addKnob(version)


def _frame_range_knobs(node: nuke.Node) -> None:
    first = nuke.Int_Knob("first_frame", "Frame range")
    first.setValue(nuke.root().firstFrame())
    first.setTooltip("First frame to process.")
    last = nuke.Int_Knob("last_frame", "")
    last.setValue(nuke.root().lastFrame())
    last.setTooltip("Last frame to process.")
    last.clearFlag(nuke.STARTLINE)
    node.addKnob(first)
    node.addKnob(last)
    node.addKnob(button("input_range", "Input range", RANGE_CMD, "Set the frame range from the Source input."))


def _internal_graph(node: nuke.Group, spec: NodeSpec) -> None:
    with inside(node):
        inputs: list[nuke.Node] = []
        for number, in_spec in enumerate(spec.inputs):
            inp = nuke.nodes.Input()
            inp.setName(cache.safe_key(in_spec.label).replace("-", "_"))  # the input arrow's label
            inp["number"].setValue(number)
            inp.setXYpos(number * 150, 0)
            inputs.append(inp)
            write = nuke.nodes.Write()
            write.setName("Write_" + cache.safe_key(in_spec.port))
            write.setInput(0, inp)
            write["file_type"].setValue("exr")
            write["channels"].setValue("alpha" if in_spec.kind == "matte" else
                                       "rgba" if spec.task in ALPHA_THROUGH else "rgb")
            write["datatype"].setValue("32 bit float")
            write["raw"].setValue(True)
            write["disable"].setValue(True)
            write.setXYpos(number * 150, 100)
        switch = nuke.nodes.Switch()
        switch.setName("OutputSwitch")
        reads: dict[str, nuke.Node] = {}
        for i, (port, _label) in enumerate(spec.outputs):
            read = nuke.nodes.Read()
            read.setName("Read_" + cache.safe_key(port))
            read["raw"].setValue(True)
            read["on_error"].setValue("black")
            # past the processed range: black, not the last repaired frame held (Read's default), which
            # rendered as a repair of frames never processed
            read["before"].setValue("black")
            read["after"].setValue("black")
            read.setXYpos(i * 150, 250)
            reads[port] = read
        slots: list[nuke.Node | None] = [reads[p] for p, _ in spec.outputs]
        slots += [inputs[0] if extra == "Source" and inputs else None for extra in spec.extra_outputs]
        for i, src in enumerate(slots):
            switch.setInput(i, src)
        switch.setXYpos(0, 400)
        out = nuke.nodes.Output()
        out.setInput(0, switch)
        out.setXYpos(0, 500)

