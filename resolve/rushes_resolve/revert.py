"""Rushes Revert: undo the last Rushes run recorded in the project's change log.

LUT and CDL changes are made in a new local grade version; Revert loads the version that
was in use before (Resolve's API cannot read a CDL back, and no documented call removes a
LUT). Logs written before grade versions are undone as before: the prior LUT set again,
the identity CDL for a CDL. Repairs are undone by removing the placed clip from the timeline, the imported
clip from the Media Pool and any track Rushes added; the rendered files stay on disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rushes_resolve import cdl as cdl_mod
from rushes_resolve import versions
from rushes_resolve.changelog import _now
from rushes_resolve.clips import video_clips
from rushes_resolve.session import Session

if TYPE_CHECKING:
    from fusionscript import Folder, MediaPoolItem, Timeline, TimelineItem


def run(session: Session, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Undo the newest run that is not yet reverted; returns {"run", "undone", "problems"}."""
    record = session.log.last_undoable()
    if record is None:
        session.reporter.say("nothing to revert: no Rushes change is recorded for this project")
        return {"run": None, "undone": 0, "problems": []}
    session.reporter.say(f"reverting {record['tool']} run {record['id']} ({len(record['changes'])} change(s))")
    problems: list[str] = []
    undone = 0
    changes = list(reversed(record["changes"]))
    for n, change in enumerate(changes, 1):
        session.reporter.progress(n - 1, len(changes), f"undoing {change['kind']} on {change.get('clip', '')}")
        try:
            problem = undo(session, change)
        except ValueError as exc:
            problem = str(exc)
        if problem:
            problems.append(problem)
        else:
            undone += 1
    session.reporter.progress(len(changes), len(changes), "revert done")
    record["status"] = "reverted"
    record["reverted_at"] = _now()
    record["revert_problems"] = problems
    session.log.save()
    for problem in problems:
        session.reporter.error(problem)
    return {"run": record["id"], "undone": undone, "problems": problems}


def undo(session: Session, change: Mapping[str, Any]) -> str:
    """Undo one change; returns "" or a sentence saying what could not be undone."""
    kind = change["kind"]
    timeline = find_timeline(session, str(change.get("timeline_id", "")))
    if kind in ("lut", "cdl") and change.get("version"):
        return ""  # made inside a Rushes grade version: undone by loading the one before it
    if kind == "version":
        item = find_item(timeline, str(change["clip_id"]))
        return versions.restore(item, str(change["clip"]), dict(change["prior"]), str(change["value"]))
    if kind == "lut":
        item = find_item(timeline, str(change["clip_id"]))
        graph = item.GetNodeGraph(int(change["layer"]))
        prior = str(change.get("prior") or "")
        if not prior:  # a log from before grade versions: SetLUT(node, "") is not documented to clear
            return (f"clear the LUT on node {change['node']} of clip {change['clip']!r} by hand "
                    "(Resolve's API has no documented way to remove a LUT)")
        if graph is None or not graph.SetLUT(int(change["node"]), prior):
            return (f"could not put LUT {prior} back on node {change['node']} of clip {change['clip']!r}; "
                    "set it by hand")
        return ""
    if kind == "cdl":
        item = find_item(timeline, str(change["clip_id"]))
        if not item.SetCDL(cdl_mod.cdl_map(int(change["node"]), cdl_mod.IDENTITY)):
            return f"could not reset the CDL on node {change['node']} of clip {change['clip']!r}"
        return ""
    if kind == "place":
        item = find_item(timeline, str(change["clip_id"]))
        if not timeline.DeleteClips([item], False):
            return f"could not remove {change['clip']!r} from video track {change['track']}"
        return ""
    if kind == "import":
        media = find_media(session, str(change["media_id"]))
        if media is None:
            return ""  # already gone from the Media Pool
        if not session.media_pool.DeleteClips([media]):
            return f"could not remove {change['value']} from the Media Pool"
        return ""
    if kind == "track":
        track = int(change["track"])
        empty = track <= int(timeline.GetTrackCount("video")) and not timeline.GetItemListInTrack("video", track)
        if empty and not timeline.DeleteTrack("video", track):
            return f"could not delete the empty video track {track} Rushes added"
        return ""
    return f"unknown change kind {kind!r} in the change log"


def find_timeline(session: Session, uid: str) -> Timeline:
    """The project's timeline with ``uid`` (the current one when the log has none)."""
    current = session.timeline
    if not uid or current.GetUniqueId() == uid:
        return current
    for index in range(1, int(session.project.GetTimelineCount()) + 1):
        timeline = session.project.GetTimelineByIndex(index)
        if timeline is not None and timeline.GetUniqueId() == uid:
            return timeline
    raise ValueError(f"the timeline of this change (id {uid}) is no longer in the project")


def find_item(timeline: Timeline, uid: str) -> TimelineItem:
    for clip in video_clips(timeline):
        if clip.uid == uid:
            return clip.item
    raise ValueError(f"clip {uid} is no longer on timeline {timeline.GetName()!r}")


def find_media(session: Session, uid: str) -> MediaPoolItem | None:
    stack: list[Folder] = [session.media_pool.GetRootFolder()]
    while stack:
        folder = stack.pop()
        for clip in folder.GetClipList() or []:
            if clip.GetUniqueId() == uid:
                return clip
        stack.extend(folder.GetSubFolderList() or [])
    return None
