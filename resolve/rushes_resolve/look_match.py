"""Rushes Look Match: fit a LUT (and CDL) from hero grades, apply it to chosen clips.

For each hero clip the graded frame Resolve shows is paired with the same frame of the
source media; the daemon's ``look_fit`` task fits one look to all pairs. The ``.cube``
is written into Resolve's LUT folder (``<LUT>/Rushes/<project>/``), the LUT list is
refreshed, and the LUT is set on the chosen node of every target clip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hostbridge.files import atomic_write
from hostbridge.manifest import TaskManifest, filter_params, snapshot_manifest
from rushes_resolve import cdl as cdl_mod
from rushes_resolve import versions
from rushes_resolve.bridge import file_frame, run_task, task_manifest
from rushes_resolve.changelog import Run
from rushes_resolve.clips import Clip, choose, playhead_kept, video_clips
from rushes_resolve.frames import next_version
from rushes_resolve.paths import safe_name
from rushes_resolve.session import CLIP_COLORS, FLAG_COLORS, Session
from rushes_resolve.stills import export_graded, on_color_page, pick_frame, source_path
from rushes_resolve.ui import Field

TASK = "look_fit"
FIT = snapshot_manifest(TASK)
APPLY_TO = ("hero tracks", "marked clips", "heroes", "all clips")
APPLY = ("LUT", "CDL")
FIELDS = (
    Field("hero_color", "Hero clip colour", "choice", "Orange", CLIP_COLORS,
          "Clips with this clip colour are the graded heroes"),
    Field("hero_flag", "Hero flag", "choice", "", FLAG_COLORS, "Clips with this flag are heroes too"),
    Field("apply_to", "Apply to", "choice", "hero tracks", APPLY_TO,
          "hero tracks: every other clip on the heroes' tracks; marked clips: the target colour"),
    Field("target_color", "Target clip colour", "choice", "Teal", CLIP_COLORS),
    Field("layer", "Layer", "int", 1, tooltip="Node stack layer, from 1"),
    Field("node", "Node", "int", 1, tooltip="Node that receives the LUT, from 1"),
    Field("apply", "Apply", "choice", "LUT", APPLY,
          "LUT: the whole fitted look. CDL: its editable slope/offset/power/saturation part only "
          "(the LUT already holds the CDL, so the two are never stacked)"),
    Field("cdl_node", "CDL node", "int", 1),
    Field("graded_from", "Graded frame from", "choice", "export still", ("export still", "gallery still"),
          "export still: Project.ExportCurrentFrameAsStill; gallery still: GrabStill + ExportStills"),
    Field("name", "Look name", "text", "", tooltip="Blank: named after the first hero"),
    # the task's own parameters: type and default from look_fit's manifest, labels in the colorist's words
    Field.from_param(FIT.param("in_space"), "Source colour space",
                     "OCIO name of the clips as the node sees them (e.g. ARRI LogC4); blank: ACEScct"),
    Field.from_param(FIT.param("working_space"), "CDL working space", "Where the CDL acts: the timeline colour space"),
    Field.from_param(FIT.param("lut_size"), tooltip="33 or 65 points per side"),
    Field("server", "Daemon address", "text", ""),
)


def run(session: Session, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run Look Match; returns a summary (LUT path, clips changed, problems)."""
    opts = session.reporter.ask("Rushes Look Match", FIELDS, values)
    if opts is None:
        session.reporter.say("Look Match cancelled; nothing changed")
        return {"cancelled": True}
    _check_indices(opts)
    timeline = session.timeline
    clips = video_clips(timeline)
    heroes, how = choose(clips, timeline, session.media_pool, opts["hero_color"], opts["hero_flag"])
    if not heroes:
        raise ValueError("no hero clip: give the graded hero clips the hero clip colour or flag, "
                         "or put the playhead on one")
    targets = pick_targets(clips, heroes, opts)
    if not targets:
        raise ValueError(f"no clips to apply the look to (Apply to: {opts['apply_to']})")
    session.reporter.say(f"{len(heroes)} hero clip(s) ({how}): {', '.join(c.name for c in heroes)}; "
                         f"{len(targets)} target clip(s)")
    client = session.client(opts["server"])
    manifest = task_manifest(client, TASK)
    log_run = session.log.start_run("look_match", {k: v for k, v in opts.items() if k != "server"})
    try:
        summary = _match(session, heroes, targets, opts, client, manifest, log_run)
    except BaseException as exc:
        log_run.finish("failed", error=str(exc) or type(exc).__name__)
        raise
    log_run.finish("done" if not summary["problems"] else "partial", summary)
    return summary


def _check_indices(opts: Mapping[str, Any]) -> None:
    for key in ("layer", "node", "cdl_node"):
        if int(opts[key]) < 1:
            raise ValueError(f"{key} is {opts[key]}; Resolve counts layers and nodes from 1")


def pick_targets(clips: list[Clip], heroes: list[Clip], opts: Mapping[str, Any]) -> list[Clip]:
    """The clips that receive the look, by the "Apply to" option."""
    hero_ids = {c.uid for c in heroes}
    mode = opts["apply_to"]
    if mode == "heroes":
        return list(heroes)
    if mode == "all clips":
        return [c for c in clips if c.uid not in hero_ids]
    if mode == "marked clips":
        if not opts["target_color"]:
            raise ValueError("Apply to is 'marked clips' but no target clip colour is chosen")
        return [c for c in clips if c.uid not in hero_ids and c.item.GetClipColor() == opts["target_color"]]
    if mode == "hero tracks":
        tracks = {c.track for c in heroes}
        return [c for c in clips if c.track in tracks and c.uid not in hero_ids]
    raise ValueError(f"Apply to {mode!r} is not one of {', '.join(APPLY_TO)}")


def _match(session: Session, heroes: list[Clip], targets: list[Clip], opts: Mapping[str, Any],
           client: Any, manifest: TaskManifest, log_run: Run) -> dict[str, Any]:
    reporter = session.reporter
    pairs = grab_pairs(session, heroes, os.path.join(session.folder, "stills", log_run.id),
                       opts["graded_from"] == "gallery still")
    source_port, graded_port = manifest.frame_inputs(2)
    inputs: dict[str, list[Any]] = {source_port: [], graded_port: []}
    for src, number, graded in pairs:
        inputs[source_port].append(file_frame(client, src, number, opts["in_space"]))
        inputs[graded_port].append(file_frame(client, graded, number))
    name = safe_name(opts["name"] or heroes[0].name + "_look")
    params = filter_params(manifest, {"in_space": opts["in_space"], "working_space": opts["working_space"],
                                    "lut_size": int(opts["lut_size"]), "title": name}, skip_blank=True)
    reporter.say(f"fitting the look on {len(pairs)} frame pair(s)")
    result = run_task(client, TASK, inputs, params, reporter.progress, project=session.rushes_project)
    lut_path, cdl_values = write_look(session, result.blobs, name, log_run)
    if not session.project.RefreshLUTList():
        reporter.say("Resolve did not confirm the LUT list refresh; trying the LUT anyway")
    mode = str(opts["apply"])
    if mode not in APPLY:
        raise ValueError(f"Apply {mode!r} is not one of {', '.join(APPLY)}")
    if mode == "CDL" and cdl_values is None:
        raise ValueError(f"the daemon's {TASK} returned no CDL (.cc); apply the LUT instead")
    applied, problems = apply_look(session, targets, lut_path if mode == "LUT" else None,
                                   cdl_values if mode == "CDL" else None,
                                   int(opts["layer"]), int(opts["node"]), int(opts["cdl_node"]), log_run)
    for problem in problems:
        reporter.error(problem)
    reporter.say(f"look {os.path.basename(lut_path)} set on {len(applied)} clip(s)")
    return {"lut": lut_path, "cdl": cdl_values, "heroes": [c.name for c in heroes],
            "applied": applied, "problems": problems, "fit": result.summary}


def grab_pairs(session: Session, heroes: list[Clip], folder: str, gallery: bool = False) -> list[tuple[str, int, str]]:
    """(source frame path, source frame number, exported graded still) per hero clip."""
    timeline = session.timeline
    pairs: list[tuple[str, int, str]] = []
    # ExportCurrentFrameAsStill and gallery stills grab the viewer: what it overlays is fitted too
    session.reporter.say("the graded frames are taken from the viewer: turn off data burn-in and any wipe or "
                         "split screen on the Color page first, or they become part of the fitted look")
    with on_color_page(session.resolve), playhead_kept(timeline):
        for n, hero in enumerate(heroes, 1):
            record = pick_frame(hero, timeline)
            src, number = source_path(hero, record)
            session.reporter.progress(n - 1, len(heroes), f"exporting the graded frame of {hero.name}")
            graded = export_graded(session.project, timeline, hero, record, folder, "graded", gallery)
            pairs.append((src, number, graded))
    return pairs


def write_look(session: Session, blobs: Mapping[str, bytes], name: str, log_run: Run) -> tuple[str, dict[str, str] | None]:
    """Write the fitted .cube (and .cc) as ``<name>_v###`` into the Rushes LUT folder."""
    cube = _blob(blobs, ".cube")
    if cube is None:
        raise ValueError(f"the daemon's {TASK} returned no .cube (got {', '.join(sorted(blobs)) or 'nothing'})")
    folder = session.lut_folder()
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the LUT folder {folder} ({exc}); make it writable or set "
                         "RUSHES_RESOLVE_LUT_DIR to a LUT folder Resolve scans") from exc
    version = next_version(os.listdir(folder), name)
    stem = os.path.join(folder, f"{name}_v{version:03d}")
    atomic_write(stem + ".cube", cube)
    log_run.add_file(stem + ".cube")
    cdl_values: dict[str, str] | None = None
    cc = _blob(blobs, ".cc")
    if cc is not None:
        atomic_write(stem + ".cc", cc)
        log_run.add_file(stem + ".cc")
        cdl_values = cdl_mod.parse_cc(cc)
    return stem + ".cube", cdl_values


def _blob(blobs: Mapping[str, bytes], ext: str) -> bytes | None:
    for key in sorted(blobs):
        if key.lower().endswith(ext):
            return bytes(blobs[key])
    return None


def apply_look(session: Session, targets: list[Clip], lut_path: str | None, cdl_values: Mapping[str, str] | None,
               layer: int, node: int, cdl_node: int, log_run: Run) -> tuple[list[str], list[str]]:
    """SetLUT or SetCDL on each target, inside a new grade version that Revert can leave."""
    applied: list[str] = []
    problems: list[str] = []
    timeline_id = session.timeline.GetUniqueId()
    name = versions.version_name("Look Match", log_run.id)
    for n, clip in enumerate(targets, 1):
        session.reporter.progress(n - 1, len(targets), f"setting the look on {clip.name}")
        problem = _apply_one(clip, lut_path, cdl_values, layer, node, cdl_node, name, log_run,
                             {"clip_id": clip.uid, "clip": clip.name, "track": clip.track, "timeline_id": timeline_id})
        if problem:
            problems.append(problem)
        else:
            applied.append(clip.name)
    session.reporter.progress(len(targets), len(targets), "look applied")
    return applied, problems


def _apply_one(clip: Clip, lut_path: str | None, cdl_values: Mapping[str, str] | None, layer: int, node: int,
               cdl_node: int, version: str, log_run: Run, where: dict[str, Any]) -> str:
    graph = clip.item.GetNodeGraph(layer)
    if graph is None:
        return f"clip {clip.name!r} has no node graph on layer {layer}"
    wanted = node if lut_path is not None else cdl_node
    count = int(graph.GetNumNodes())
    if wanted > count:
        return f"clip {clip.name!r} has {count} node(s) on layer {layer}; node {wanted} does not exist"
    try:
        prior = versions.begin(clip.item, clip.name, version)
    except ValueError as exc:
        return str(exc)
    log_run.add_change("version", prior=prior, value=version, **where)
    if lut_path is not None:
        graph = clip.item.GetNodeGraph(layer) or graph  # the new version's graph
        prior_lut = graph.GetLUT(node) or ""
        if not graph.SetLUT(node, lut_path):
            return (f"Resolve refused SetLUT on node {node} of clip {clip.name!r} ({lut_path}); "
                    "is the LUT folder one Resolve scans?")
        log_run.add_change("lut", layer=layer, node=node, prior=prior_lut, value=lut_path, version=version, **where)
    if cdl_values is not None:
        if not clip.item.SetCDL(cdl_mod.cdl_map(cdl_node, cdl_values)):
            return f"Resolve refused SetCDL on node {cdl_node} of clip {clip.name!r}"
        log_run.add_change("cdl", node=cdl_node, prior=None, value=dict(cdl_values), version=version, **where)
    return ""
