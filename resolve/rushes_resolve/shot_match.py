"""Rushes Shot Match: a CDL per chosen clip that makes it look like the hero, via SetCDL.

Shot Match "makes clips look the same, not good": the daemon's ``shot_match`` task
compares each clip's source frame with the hero's source frame (best on colour-managed,
normalised clips) and answers with slope/offset/power/saturation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hostbridge.manifest import filter_params, snapshot_manifest
from rushes_resolve import cdl as cdl_mod
from rushes_resolve import versions
from rushes_resolve.bridge import file_frame, run_task, task_manifest
from rushes_resolve.clips import Clip, choose, video_clips
from rushes_resolve.session import CLIP_COLORS, FLAG_COLORS, Session
from rushes_resolve.stills import pick_frame, source_path
from rushes_resolve.ui import Field

TASK = "shot_match"
MATCH = snapshot_manifest(TASK)
FIELDS = (
    Field("hero_color", "Hero clip colour", "choice", "Orange", CLIP_COLORS),
    Field("hero_flag", "Hero flag", "choice", "", FLAG_COLORS),
    Field("target_color", "Clips to match: clip colour", "choice", "Teal", CLIP_COLORS,
          "Without marked clips: the Media Pool selection, else the clip at the playhead"),
    Field("target_flag", "Clips to match: flag", "choice", "", FLAG_COLORS),
    Field("node", "CDL node", "int", 1, tooltip="Node that receives the CDL, from 1"),
    # the task's own parameters: type and default from shot_match's manifest, labels in the colorist's words
    Field.from_param(MATCH.param("in_space"), "Source colour space",
                     "OCIO name of the clips as the node sees them; blank: ACEScct"),
    Field.from_param(MATCH.param("working_space"), "CDL working space", "The timeline colour space"),
    Field("server", "Daemon address", "text", ""),
)


def run(session: Session, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Match each chosen clip to the hero; returns {"hero", "matched": {clip: cdl}, "problems"}."""
    opts = session.reporter.ask("Rushes Shot Match", FIELDS, values)
    if opts is None:
        session.reporter.say("Shot Match cancelled; nothing changed")
        return {"cancelled": True}
    node = int(opts["node"])
    if node < 1:
        raise ValueError(f"CDL node is {node}; Resolve counts nodes from 1")
    timeline = session.timeline
    clips = video_clips(timeline)
    heroes, _ = choose(clips, timeline, session.media_pool, opts["hero_color"], opts["hero_flag"],
                       fallback_current=False)
    if not heroes:
        raise ValueError("no hero clip: give the hero the hero clip colour or flag")
    hero = heroes[0]
    shots, how = choose(clips, timeline, session.media_pool, opts["target_color"], opts["target_flag"],
                        exclude=heroes)
    if not shots:
        raise ValueError("no clips to match: mark them with the clip colour or flag, select their media "
                         "in the Media Pool, or put the playhead on one")
    session.reporter.say(f"matching {len(shots)} clip(s) ({how}) to hero {hero.name}")
    client = session.client(opts["server"])
    manifest = task_manifest(client, TASK)
    ports = manifest.frame_inputs(2)  # (shot, hero) port names
    hero_path, hero_number = source_path(hero, pick_frame(hero, timeline))
    hero_frame = file_frame(client, hero_path, hero_number, opts["in_space"])
    params = filter_params(manifest, {"in_space": opts["in_space"], "working_space": opts["working_space"]},
                           skip_blank=True)
    log_run = session.log.start_run("shot_match", {k: v for k, v in opts.items() if k != "server"})
    matched: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    version = versions.version_name("Shot Match", log_run.id)
    try:
        for n, shot in enumerate(shots, 1):
            session.reporter.progress(n - 1, len(shots), f"matching {shot.name}")
            values_ = _match_one(session, client, shot, hero_frame, params, opts["in_space"], ports)
            where = {"clip_id": shot.uid, "clip": shot.name, "track": shot.track,
                     "timeline_id": timeline.GetUniqueId()}
            try:  # a new grade version: SetCDL replaces the node's primaries, which no API reads back
                prior = versions.begin(shot.item, shot.name, version)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            log_run.add_change("version", prior=prior, value=version, **where)
            if shot.item.SetCDL(cdl_mod.cdl_map(node, values_)):
                log_run.add_change("cdl", node=node, prior=None, value=values_, version=version, **where)
                matched[shot.name] = values_
            else:
                problems.append(f"Resolve refused SetCDL on node {node} of clip {shot.name!r}")
        session.reporter.progress(len(shots), len(shots), "shot match done")
    except BaseException as exc:
        log_run.finish("failed", error=str(exc) or type(exc).__name__)
        raise
    for problem in problems:
        session.reporter.error(problem)
    summary = {"hero": hero.name, "matched": matched, "problems": problems}
    log_run.finish("done" if not problems else "partial", summary)
    return summary


def _match_one(session: Session, client: Any, shot: Clip, hero_frame: Any, params: Mapping[str, Any],
               in_space: str, ports: Sequence[str]) -> dict[str, str]:
    path, number = source_path(shot, pick_frame(shot, session.timeline))
    inputs = {ports[0]: [file_frame(client, path, number, in_space)], ports[1]: [hero_frame]}
    result = run_task(client, TASK, inputs, params, project=session.rushes_project)
    return cdl_from_result(result.blobs, result.summary)


def cdl_from_result(blobs: Mapping[str, bytes], summary: Mapping[str, Any]) -> dict[str, str]:
    """CDL strings from a ``.cc``/``.cdl`` blob, else from the summary's values."""
    for key in sorted(blobs):
        if key.lower().endswith((".cc", ".cdl", ".ccc")):
            return cdl_mod.parse_cc(bytes(blobs[key]))
    source = summary.get("cdl", summary)
    if isinstance(source, Mapping) and "slope" in {str(k).lower() for k in source}:
        return cdl_mod.from_values(source)
    raise ValueError(f"the daemon's {TASK} returned no CDL (blobs: {', '.join(sorted(blobs)) or 'none'}; "
                     f"summary keys: {', '.join(sorted(summary)) or 'none'})")
