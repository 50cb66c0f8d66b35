"""Choosing clips on the fake timeline: marks, Media Pool selection, the playhead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rushes_resolve.clips import choose, playhead, video_clips
from rushes_resolve.stills import pick_frame, source_path

from tests.resolve import scene
from tests.resolve.fake_resolve import FakeProject, FakeTimeline, FakeTimelineItem


def make(tmp: Path) -> tuple[FakeProject, FakeTimeline, FakeTimelineItem, FakeTimelineItem, FakeTimelineItem]:
    resolve, project, timeline = scene.project(tmp, tracks=2)
    paths = [scene.write_sequence(tmp / n, n, 1001, 1010, lambda k: np.zeros((4, 4, 3), np.float32))
             for n in ("A", "B", "C")]
    a = scene.clip(timeline, 1, "A", paths[0], 86400, 5, source_start=2)
    b = scene.clip(timeline, 1, "B", paths[1], 86405, 5)
    c = scene.clip(timeline, 2, "C", paths[2], 86402, 3, source_start=3)
    return project, timeline, a, b, c


def test_marks_then_media_pool_selection_then_playhead(tmp_path: Path) -> None:
    project, timeline, a, b, c = make(tmp_path)
    clips = video_clips(timeline)
    assert [(x.name, x.track, x.start, x.end) for x in clips] == [
        ("A", 1, 86400, 86405), ("B", 1, 86405, 86410), ("C", 2, 86402, 86405)]
    pool = project.media_pool
    timeline.playhead = 86407
    assert [x.name for x in choose(clips, timeline, pool, "Orange", "")[0]] == ["B"]
    assert choose(clips, timeline, pool, "Orange", "")[1] == "playhead"
    assert c.media is not None
    pool.SetSelectedClip(c.media)
    assert choose(clips, timeline, pool, "Orange", "") == ([clips[2]], "media pool selection")
    assert b.media is not None
    b.media.AddFlag("Green")  # a flag on the media counts for its clips
    a.SetClipColor("Orange")
    chosen, how = choose(clips, timeline, pool, "Orange", "Green")
    assert ([x.name for x in chosen], how) == (["A", "B"], "marked")
    assert choose(clips, timeline, pool, "Orange", "Green", exclude=chosen) == ([clips[2]], "media pool selection")
    timeline.playhead = 86400 + 50
    pool.selected = []
    assert choose(clips, timeline, pool, "", "", exclude=[clips[0], clips[1]]) == ([], "none")


def test_source_frames_follow_the_edit(tmp_path: Path) -> None:
    project, timeline, a, b, c = make(tmp_path)
    clips = video_clips(timeline)
    timeline.playhead = 86403
    assert playhead(timeline) == 86403
    ca, cb, cc = clips
    assert pick_frame(ca, timeline) == 86403 and pick_frame(cb, timeline) == 86407  # middle of B
    # A starts 2 frames into its media (counted from the first file): 1001 + 2 + 3
    assert source_path(ca, 86403) == (str(tmp_path / "A" / "A.1006.exr"), 1006)
    # C starts 3 frames into its media: record 86403 is its frame 1, file 1001 + 3 + 1 (read as a file
    # number whenever it fell inside the files' numbers, a take from 0001 trimmed by 4 was a frame late)
    assert source_path(cc, 86403)[1] == 1005
    c.source_start = 1004      # past the files: an error naming them, not another frame
    with pytest.raises(ValueError, match="file frame 2006, outside the files 1001-1010"):
        source_path(cc, 86403)
    with pytest.raises(ValueError, match="outside clip 'B'"):
        cb.source_frame(86400)
    (tmp_path / "B" / "B.1003.exr").unlink()
    with pytest.raises(FileNotFoundError, match="source frame 1003"):
        source_path(cb, 86407)


def test_moving_the_playhead_waits_until_resolve_reports_it(tmp_path: Path) -> None:
    """Issue 17, item 15: SetCurrentTimecode may not have taken effect when it returns."""
    from rushes_resolve.clips import move_playhead

    project, timeline, a, b, c = make(tmp_path)
    timeline.lag = 3
    move_playhead(timeline, 86407)
    assert timeline.playhead == 86407, "the still is exported only once the viewer is on the frame"
    timeline.lag = 10 ** 9  # a viewer that never gets there
    with pytest.raises(ValueError, match="did not move the playhead to 01:00:00:02"):
        move_playhead(timeline, 86402, wait_s=0.2)
