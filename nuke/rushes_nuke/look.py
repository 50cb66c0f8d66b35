"""Rushes Look: apply a project look (.cube and/or CDL) and fit one from graded/ungraded pairs.

Inside the node: Input "Source" -> OCIOCDLTransform "CDL" -> OCIOFileTransform "LUT" -> Output.
Fitting: select pairs in the graph (each graded node together with the ungraded node
upstream of it), press "Fit from selected"; the current frame of each pair is rendered,
sent to the daemon's ``look_fit`` task, and the fitted files become a new version.
"""

from __future__ import annotations

import os
import threading

import nuke
from hostbridge.manifest import Param, snapshot_manifest
from rushes_nuke import cache, colour, daemon, state
from rushes_nuke.graph import armed_write, full_resolution, inside, temporary_nodes
from rushes_nuke.job import Job
from rushes_nuke.knobs import (
    TILE_COLOR,
    button,
    common_knobs,
    create_group,
    identity_knobs,
    make_param_knob,
    own_knob_params,
    transfer_by_path,
)
from rushes_nuke.look_apply import read_cdl, refresh  # noqa: F401  (the node's look, applied)
from rushes_nuke.process import require_task, run, sendable_params, task_manifest
from rushes_nuke.report import Reporter
from rushes_nuke.specs import manifest_for

TASK = "look_fit"
APPLY_CHOICES = ["LUT", "CDL", "CDL + LUT"]
FIT_CMD = "import rushes_nuke.actions; rushes_nuke.actions.process_this()"


def create(url: str | None = None) -> nuke.Group:
    """Create a Rushes Look node connected to the selected node."""
    manifest, status = manifest_for(TASK, url or daemon.default_url())
    if manifest is None:
        raise ValueError(f"cannot make a Rushes Look: {status}")
    return create_group(lambda node: build(node, manifest.params, url), status)


def build(node: nuke.Group, params: tuple[Param, ...], url: str | None) -> None:
    node.setName("Look1", uncollide=True)
    node["tile_color"].setValue(TILE_COLOR)
    identity_knobs(node, "Look", TASK, state.new_id("Look"),
                   [{"port": "plate", "label": "Source", "kind": "frames", "optional": False}], [], [], params)
    node.addKnob(nuke.Tab_Knob("rushes", "Rushes"))
    apply = nuke.Enumeration_Knob("apply", "Apply", APPLY_CHOICES)
    apply.setTooltip("Apply the fitted 3D LUT, the CDL (slope/offset/power/saturation), or both.")
    node.addKnob(apply)
    lut = nuke.File_Knob("lut_file", "LUT (.cube)")
    lut.setTooltip("The look as a 3D LUT; set by fitting, or pick any .cube.")
    node.addKnob(lut)
    cdl = nuke.File_Knob("cdl_file", "CDL (.cc)")
    cdl.setTooltip("The look as an ASC CDL; set by fitting, or pick any .cc.")
    node.addKnob(cdl)
    for param in own_knob_params(params):
        node.addKnob(make_param_knob(param))
    node.addKnob(button("fit", "Fit from selected", FIT_CMD,
                        "Select pairs (each graded node with the ungraded node upstream of it) and fit a "
                        "look from their current frame; it becomes a new version."))
    version = nuke.Enumeration_Knob("version", "Version", ["none"])
    version.setTooltip("Earlier fitted looks stay in the cache; pick the one to apply.")
    node.addKnob(version)
    common_knobs(node, url)
    with inside(node):
        inp = nuke.nodes.Input()
        inp.setName("Source")
        cdl_node = nuke.nodes.OCIOCDLTransform()
        cdl_node.setName("CDL")
        cdl_node.setInput(0, inp)
        lut_node = nuke.nodes.OCIOFileTransform()
        lut_node.setName("LUT")
        lut_node.setInput(0, cdl_node)
        out = nuke.nodes.Output()
        out.setInput(0, lut_node)
    refresh(node)


def _upstream(node: nuke.Node, limit: int = 500) -> list[nuke.Node]:
    """Every node above ``node`` (inputs, their inputs...)."""
    seen: list[nuke.Node] = []
    todo = [node.input(i) for i in range(node.inputs())]
    while todo and len(seen) < limit:
        n = todo.pop()
        if n is None or n in seen:
            continue
        seen.append(n)
        todo.extend(n.input(i) for i in range(n.inputs()))
    return seen


def pairs_from(selected: list[nuke.Node]) -> list[tuple[nuke.Node, nuke.Node]]:
    """(ungraded, graded) pairs: each graded node with the one selected node upstream of it."""
    pairs: list[tuple[nuke.Node, nuke.Node]] = []
    used: list[nuke.Node] = []
    for graded in selected:
        above = [n for n in selected if n is not graded and n in _upstream(graded)]
        if len(above) == 1 and above[0] not in used and graded not in used:
            pairs.append((above[0], graded))
            used.extend([above[0], graded])
    left = [n.name() for n in selected if n not in used]
    if not pairs or left:
        raise ValueError("select pairs: each graded node together with the ungraded node upstream of it"
                         + (f" ({', '.join(left)} could not be paired)" if left else ""))
    return pairs


def fit_from_selection(node: nuke.Group, reporter: Reporter,
                       background: bool = False) -> str | threading.Thread | None:
    """Fit a look from the selected pairs at the current frame; one message on failure.

    The pairs render on the main thread; the daemon job runs on a worker thread when
    ``background`` (returned), and the new version is shown on the main thread after.
    """
    # the button runs inside the Look group: the pairs are selected in the graph around it
    selected = [n for n in node.parent().selectedNodes() if n is not node]
    frame = nuke.frame()
    return run(node, reporter, background, prepare_job=lambda n, _r: prepare_fit(n, selected, frame),
               done=finish_fit)


def finish_fit(node: nuke.Group, version: str) -> None:
    """Main thread: list the new version and point the OCIO nodes at its files."""
    state.set_versions(node, select=version)
    refresh(node, "version")


def prepare_fit(node: nuke.Group, selected: list[nuke.Node], frame: int) -> Job:
    """Main thread: pair the selection, ask the daemon, render each pair at ``frame``."""
    pairs = pairs_from(selected)
    url = str(node["server"].value()).strip() or daemon.default_url()
    if not str(node["cache_root"].value()).strip():
        node["cache_root"].setValue(state.cache_root(node))
    state.ensure_unique_id(node)  # a pasted copy starts its own versions
    layout = state.node_cache(node)
    with daemon.connect(url, timeout=daemon.hello_timeout(), retries=0) as client:
        info = client.hello()
        require_task(info, TASK, url)
        manifest = task_manifest(client, TASK)
        same_host = bool(client.same_host)
    by_path = transfer_by_path(node, same_host)  # before any folder is made: a bad knob leaves nothing
    names = (manifest or snapshot_manifest(TASK)).frame_inputs(2)  # (ungraded, graded) port names
    params = sendable_params(node, manifest)
    work = layout.begin()
    try:
        rendered = _render_pairs(node, pairs, names, os.path.join(work, cache.INPUTS_DIR), frame)
    except BaseException:
        layout.discard(work)
        raise
    # raw internal Writes hold the script's working space: say so (the fit otherwise assumes ACEScct)
    frames_space = colour.script_working_space()
    return Job(node=node.fullName(), task=TASK, url=url, params=params,
               colour_space=colour.daemon_name(frames_space),
               project=str(node["project"].value()).strip() or None,
               by_path=by_path, rendered=rendered,
               numbers=list(range(len(pairs))), layout=layout, work=work,
               keep_inputs=bool(node["keep_inputs"].value()), require_blobs=True,
               meta={"frame": frame, "pairs": [[u.fullName(), g.fullName()] for u, g in pairs],
                     "frames_space": frames_space,
                     "server_version": info.get("server_version")})


def _render_pairs(node: nuke.Group, pairs: list[tuple[nuke.Node, nuke.Node]], names: list[str], folder: str,
                  frame: int) -> dict[str, list[str]]:
    """Render ``frame`` of each (ungraded, graded) node through temporary Writes beside the Look node."""
    os.makedirs(folder)
    rendered: dict[str, list[str]] = {names[0]: [], names[1]: []}
    with temporary_nodes(node.parent()) as made, inside(node.parent()):
        for k, pair in enumerate(pairs):
            for side, src in zip(names, pair):
                write = nuke.nodes.Write()
                made.append(write)
                write.setInput(0, src)
                write["file_type"].setValue("exr")
                write["channels"].setValue("rgb")
                write["datatype"].setValue("32 bit float")  # the knob's default is 16 bit half
                write["raw"].setValue(True)
                write["disable"].setValue(True)
                with armed_write(write, os.path.join(folder, f"{side}{k}.####.exr").replace(os.sep, "/")), \
                        full_resolution():
                    nuke.execute(write, frame, frame)
                path = os.path.join(folder, cache.frame_name(f"{side}{k}", frame))
                if not os.path.isfile(path):
                    raise ValueError(f"Nuke did not render frame {frame} of {src.name()}")
                rendered[side].append(path)
    return rendered
