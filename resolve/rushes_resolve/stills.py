"""Graded frames out of Resolve, and the matching source frames from the media files."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from rushes_resolve.clips import Clip, move_playhead, playhead
from rushes_resolve.frames import clamp_optional
from rushes_resolve.paths import safe_name

if TYPE_CHECKING:
    from fusionscript import Project, Resolve, Timeline

STILL_FORMAT: Literal["tif"] = "tif"


def pick_frame(clip: Clip, timeline: Timeline) -> int:
    """The record frame to use for a clip: the playhead when it sits on the clip, else its middle."""
    here = playhead(timeline)
    if clip.contains(here):
        return here
    return clamp_optional(None, clip.start, clip.end - 1)


def source_path(clip: Clip, record_frame: int) -> tuple[str, int]:
    """(file path, file frame number) of the source frame a clip shows at ``record_frame``."""
    media = clip.media()
    if media.kind == "movie":
        raise ValueError(f"clip {clip.name!r} comes from a movie file ({media.path}); Rushes reads "
                         "source frames from image sequences or stills here: conform to a sequence first")
    number = clip.source_frame(record_frame)
    path = media.frame_path(number)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"clip {clip.name!r}: source frame {number} ({path}) is missing")
    return path, number


@contextlib.contextmanager
def on_color_page(resolve: Resolve) -> Iterator[None]:
    """Switch to the Color page (stills are exported from there) and back afterwards."""
    before = resolve.GetCurrentPage()
    if before != "color":
        resolve.OpenPage("color")
    try:
        yield
    finally:
        if before and before != "color":
            resolve.OpenPage(before)


def export_graded(project: Project, timeline: Timeline, clip: Clip, record_frame: int,
                  folder: str, tag: str, gallery: bool = False) -> str:
    """Export the graded frame at ``record_frame`` as a TIFF; returns its path.

    Uses ``Project.ExportCurrentFrameAsStill``; when Resolve refuses, grabs a gallery still
    (``Timeline.GrabStill``), exports it with ``GalleryStillAlbum.ExportStills`` and deletes
    the still again so the gallery is left as it was (``gallery=True`` goes there directly).
    """
    os.makedirs(folder, exist_ok=True)
    move_playhead(timeline, record_frame)
    stem = f"{safe_name(clip.name)}_{tag}_{record_frame}"
    path = os.path.join(folder, f"{stem}.{STILL_FORMAT}")
    if not gallery and project.ExportCurrentFrameAsStill(path) and os.path.isfile(path):
        return path
    return _export_through_gallery(project, timeline, clip, folder, stem)


def _export_through_gallery(project: Project, timeline: Timeline, clip: Clip, folder: str, stem: str) -> str:
    still = timeline.GrabStill()
    if still is None:
        raise ValueError(f"Resolve could not export or grab a still of clip {clip.name!r}; "
                         "open the Color page with the clip in the viewer and try again")
    album = project.GetGallery().GetCurrentStillAlbum()
    before = set(os.listdir(folder))
    try:
        if not album.ExportStills([still], folder, stem, STILL_FORMAT):
            raise ValueError(f"Resolve could not export the gallery still of clip {clip.name!r} to {folder}")
    finally:
        album.DeleteStills([still])
    made: list[str] = sorted(n for n in set(os.listdir(folder)) - before
                             if n.startswith(stem) and n.lower().endswith("." + STILL_FORMAT))
    if not made:
        raise ValueError(f"Resolve reported exporting the still of clip {clip.name!r} but no "
                         f".{STILL_FORMAT} file starting with {stem!r} appeared in {folder}")
    return os.path.join(folder, made[0])
