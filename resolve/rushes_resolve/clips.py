"""Reading the timeline: which clips are heroes or targets, and what frame a clip shows.

Resolve's API has no call that returns the clips selected on the Color page's timeline,
so a "selection" here is, in order: clips marked with a clip colour or flag, clips whose
media is selected in the Media Pool, then the clip under the playhead.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rushes_resolve.frames import (
    SourceMedia,
    frame_rate_from_setting,
    frame_to_timecode,
    parse_source_path,
    source_frame_number,
    timecode_to_frame,
)

if TYPE_CHECKING:
    from fusionscript import MediaPool, Project, Resolve, Timeline, TimelineItem


@dataclass
class Clip:
    """One video clip on the timeline; ``start``/``end`` are record frames, end exclusive."""

    item: TimelineItem
    track: int
    name: str
    uid: str
    start: int
    end: int

    @property
    def duration(self) -> int:
        return self.end - self.start

    def contains(self, record_frame: int) -> bool:
        return self.start <= record_frame < self.end

    def media(self) -> SourceMedia:
        """The clip's source media, from ``GetMediaPoolItem().GetClipProperty("File Path")``."""
        pool_item = self.item.GetMediaPoolItem()
        if pool_item is None:
            raise ValueError(f"clip {self.name!r} has no media pool item (a generator or title?)")
        path = pool_item.GetClipProperty("File Path")
        if not isinstance(path, str):
            raise ValueError(f"clip {self.name!r}: File Path came back as {type(path).__name__}")  # noqa: TRY004
        return parse_source_path(path)

    def source_frame(self, record_frame: int) -> int:
        """The source file frame number this clip shows at ``record_frame``."""
        if not self.contains(record_frame):
            raise ValueError(f"record frame {record_frame} is outside clip {self.name!r} "
                             f"({self.start}-{self.end - 1})")
        self.check_not_retimed()
        return source_frame_number(self.media(), int(self.item.GetSourceStartFrame()),
                                   record_frame - self.start)

    def check_not_retimed(self) -> None:
        """Refuse a clip whose source range is not as long as its duration (a retime, or a
        clip at another frame rate than the timeline): record frames then map to other source
        frames than start + offset. GetSourceEndFrame is the last source frame used (inclusive)."""
        first, last = int(self.item.GetSourceStartFrame()), int(self.item.GetSourceEndFrame())
        length = last - first + 1
        if length != self.duration:
            raise ValueError(f"clip {self.name!r} plays {length} source frames over {self.duration} timeline "
                             "frames (retimed, or another frame rate than the timeline); Rushes maps frames "
                             "one to one: remove the retime or render the retimed clip to a sequence first")


def current_project(resolve: Resolve) -> Project:
    project = resolve.GetProjectManager().GetCurrentProject()
    if project is None:
        raise ValueError("no project is open in DaVinci Resolve")
    return project


def current_timeline(project: Project) -> Timeline:
    timeline = project.GetCurrentTimeline()
    if timeline is None:
        raise ValueError(f"project {project.GetName()!r} has no current timeline; open one first")
    return timeline


def video_clips(timeline: Timeline) -> list[Clip]:
    """Every video clip on every video track, bottom track first."""
    clips: list[Clip] = []
    for track in range(1, int(timeline.GetTrackCount("video")) + 1):
        for item in timeline.GetItemListInTrack("video", track) or []:
            start = int(item.GetStart(False))
            clips.append(Clip(item, track, item.GetName(), item.GetUniqueId(), start,
                              start + int(item.GetDuration(False))))
    return clips


def fps(timeline: Timeline) -> float:
    return frame_rate_from_setting(timeline.GetSetting("timelineFrameRate"))


def playhead(timeline: Timeline) -> int:
    """The playhead's record frame (from ``GetCurrentTimecode``)."""
    return timecode_to_frame(timeline.GetCurrentTimecode(), fps(timeline))


def move_playhead(timeline: Timeline, record_frame: int, wait_s: float = 3.0) -> None:
    """Move the playhead and wait until Resolve reports it there (the move is not immediate)."""
    drop = ";" in timeline.GetCurrentTimecode()
    wanted = frame_to_timecode(record_frame, fps(timeline), drop)
    if not timeline.SetCurrentTimecode(wanted):
        raise ValueError(f"Resolve refused to move the playhead to record frame {record_frame}")
    if not wait_for_timecode(timeline, wanted, wait_s):
        raise ValueError(f"Resolve did not move the playhead to {wanted} (record frame {record_frame}) "
                         f"within {wait_s:g} s; open the Color page with the timeline in the viewer and retry")


def wait_for_timecode(timeline: Timeline, wanted: str, wait_s: float) -> bool:
    """Poll ``GetCurrentTimecode`` until it reads ``wanted``; False after ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while timeline.GetCurrentTimecode() != wanted:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@contextlib.contextmanager
def playhead_kept(timeline: Timeline) -> Iterator[None]:
    """Put the playhead back where the colorist left it, whatever happens inside."""
    saved = timeline.GetCurrentTimecode()
    try:
        yield
    finally:
        if timeline.SetCurrentTimecode(saved):
            wait_for_timecode(timeline, saved, 3.0)


def is_marked(clip: Clip, clip_color: str, flag: str) -> bool:
    """True when the clip (or its media) carries ``clip_color`` or ``flag``."""
    if clip_color and clip.item.GetClipColor() == clip_color:
        return True
    if flag:
        flags = list(clip.item.GetFlagList() or [])
        pool_item = clip.item.GetMediaPoolItem()
        if pool_item is not None:
            flags += list(pool_item.GetFlagList() or [])
        return flag in flags
    return False


def selected_media_ids(media_pool: MediaPool) -> set[str]:
    return {c.GetUniqueId() for c in media_pool.GetSelectedClips() or []}


def choose(clips: Sequence[Clip], timeline: Timeline, media_pool: MediaPool,
           clip_color: str, flag: str, exclude: Sequence[Clip] = (),
           fallback_current: bool = True) -> tuple[list[Clip], str]:
    """Pick clips: marked ones, else Media Pool selection, else the clip at the playhead.

    Returns the clips and how they were chosen ("marked", "media pool selection",
    "playhead" or "none").
    """
    skip = {c.uid for c in exclude}
    pool = [c for c in clips if c.uid not in skip]
    marked = [c for c in pool if is_marked(c, clip_color, flag)]
    if marked:
        return marked, "marked"
    wanted = selected_media_ids(media_pool)
    if wanted:
        chosen = []
        for clip in pool:
            pool_item = clip.item.GetMediaPoolItem()
            if pool_item is not None and pool_item.GetUniqueId() in wanted:
                chosen.append(clip)
        if chosen:
            return chosen, "media pool selection"
    if fallback_current:
        current = current_clip(timeline, pool)
        if current is not None:
            return [current], "playhead"
    return [], "none"


def current_clip(timeline: Timeline, clips: Sequence[Clip]) -> Clip | None:
    """The clip ``Timeline.GetCurrentVideoItem()`` names, if it is among ``clips``."""
    item = timeline.GetCurrentVideoItem()
    if item is None:
        return None
    uid = item.GetUniqueId()
    for clip in clips:
        if clip.uid == uid:
            return clip
    return None


def overlapping(clips: Sequence[Clip], track: int, start: int, end: int) -> list[Clip]:
    """Clips on ``track`` that overlap record frames ``[start, end)``."""
    return [c for c in clips if c.track == track and c.start < end and start < c.end]
