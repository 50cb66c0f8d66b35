"""A small fake of DaVinci Resolve's scripting object model for tests.

Every public method has the same name and parameters as in ``fusionscript-stubs`` 21.0
(``test_fake_follows_stubs`` checks this against the installed .pyi), and behaves as the
Resolve documentation describes: 1-based track/node/timeline indices, ``SetLUT`` only
accepts LUTs found by ``RefreshLUTList``, ``SetCDL`` wants string values, image
sequences show up as ``name.[1001-1010].exr``. Every call that changes something is
appended to ``FakeResolve.calls`` as ``(method, args)``.

The graded picture is made by ``FakeProject.grade(item, source_path, out_path)``, a
callback the test supplies (it writes the still the colorist would see).
"""


from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from tests.resolve.fake_timeline import (
    STILL_FORMATS,
    Calls,
    ColouredItem,
    FakeGallery,
    FakeGalleryStill,
    FakeGalleryStillAlbum,
    FakeGraph,
    FakeTimeline,
    FakeTimelineItem,
    _uid,
)

__all__ = ["Calls", "FakeFolder", "FakeGallery", "FakeGalleryStill", "FakeGalleryStillAlbum", "FakeGraph",
           "FakeMediaPool", "FakeMediaPoolItem", "FakeProject", "FakeProjectManager", "FakeResolve",
           "FakeTimeline", "FakeTimelineItem"]


class FakeResolve:
    def __init__(self, project: FakeProject | None, version: tuple[int, int, int, int] = (21, 0, 0, 0)) -> None:
        self.version = version
        self.calls = Calls()
        self.page = "edit"
        self.project_manager = FakeProjectManager(project)
        if project is not None:
            project.attach(self)

    def GetProjectManager(self) -> FakeProjectManager:
        return self.project_manager

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio"

    def GetVersion(self) -> list[Any]:
        """README: "[major, minor, patch, build, suffix]"."""
        return [*self.version, ""]

    def GetVersionString(self) -> str:
        return ".".join(str(v) for v in self.version)

    def GetCurrentPage(self) -> str:
        return self.page

    def OpenPage(self, pageName: str) -> bool:
        self.calls.append(("OpenPage", (pageName,)))
        self.page = pageName
        return True


class FakeProjectManager:
    def __init__(self, project: FakeProject | None) -> None:
        self.project = project

    def GetCurrentProject(self) -> FakeProject | None:
        return self.project


class FakeProject:
    def __init__(self, name: str, lut_folder: str,
                 grade: Callable[[FakeTimelineItem, str, str], bool] | None = None,
                 export_still_works: bool = True) -> None:
        self.name = name
        self.uid = _uid("project")
        self.lut_folder = lut_folder
        self.grade = grade
        self.export_still_works = export_still_works
        self.media_pool = FakeMediaPool(self)
        self.gallery = FakeGallery(self)
        self.timelines: list[FakeTimeline] = []
        self.current: FakeTimeline | None = None
        self.discovered: set[str] = set()
        self.resolve: FakeResolve | None = None

    def attach(self, resolve: FakeResolve) -> None:
        self.resolve = resolve

    @property
    def calls(self) -> Calls:
        assert self.resolve is not None, "make a FakeResolve(project) first"
        return self.resolve.calls

    def add_timeline(self, timeline: FakeTimeline) -> FakeTimeline:
        timeline.project = self
        self.timelines.append(timeline)
        self.current = self.current or timeline
        return timeline

    # -- stub API --
    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.uid

    def GetMediaPool(self) -> FakeMediaPool:
        return self.media_pool

    def GetGallery(self) -> FakeGallery:
        return self.gallery

    def GetTimelineCount(self) -> int:
        return len(self.timelines)

    def GetTimelineByIndex(self, idx: int) -> FakeTimeline | None:
        return self.timelines[idx - 1] if 1 <= idx <= len(self.timelines) else None

    def GetCurrentTimeline(self) -> FakeTimeline | None:
        return self.current

    def SetCurrentTimeline(self, timeline: FakeTimeline) -> bool:
        self.current = timeline
        return True

    def GetSetting(self, settingName: str) -> str:
        return {"nodeStackLayers": "2"}.get(settingName, "")

    def RefreshLUTList(self) -> bool:
        self.calls.append(("RefreshLUTList", ()))
        found: set[str] = set()
        for root, _dirs, files in os.walk(self.lut_folder):
            found.update(os.path.join(root, f) for f in files if f.lower().endswith((".cube", ".3dl", ".dat")))
        self.discovered = found
        return True

    def ExportCurrentFrameAsStill(self, filePath: str) -> bool:
        self.calls.append(("ExportCurrentFrameAsStill", (filePath,)))
        if not self.export_still_works or self.current is None:
            return False
        if filePath.rsplit(".", 1)[-1].lower() not in STILL_FORMATS:
            return False
        return self.current.render_current(filePath)


class FakeMediaPool:
    def __init__(self, project: FakeProject) -> None:
        self.project = project
        self.root = FakeFolder("Master")
        self.current = self.root
        self.selected: list[FakeMediaPoolItem] = []

    def GetRootFolder(self) -> FakeFolder:
        return self.root

    def GetCurrentFolder(self) -> FakeFolder:
        return self.current

    def SetCurrentFolder(self, folder: FakeFolder) -> bool:
        self.current = folder
        return True

    def AddSubFolder(self, folder: FakeFolder, name: str) -> FakeFolder:
        sub = FakeFolder(name)
        folder.subfolders.append(sub)
        return sub

    def GetSelectedClips(self) -> list[FakeMediaPoolItem]:
        return list(self.selected)

    def SetSelectedClip(self, mediaPoolItem: FakeMediaPoolItem) -> bool:
        self.selected = [mediaPoolItem]
        return True

    def ImportMedia(self, items: list[Any]) -> list[FakeMediaPoolItem]:
        """File paths, or ``{"FilePath": "x_%04d.exr", "StartIndex", "EndIndex"}`` dicts."""
        self.project.calls.append(("ImportMedia", (items,)))
        made = []
        for entry in items:
            if isinstance(entry, str):
                if not os.path.isfile(entry):
                    continue
                item = FakeMediaPoolItem(os.path.basename(entry), entry, 1)
            else:
                assert set(entry) == {"FilePath", "StartIndex", "EndIndex"}, entry
                pattern, first, last = entry["FilePath"], entry["StartIndex"], entry["EndIndex"]
                if not all(os.path.isfile(pattern % n) for n in range(first, last + 1)):
                    continue
                digits = re.search(r"%0?(\d*)d", pattern)
                assert digits is not None, f"{pattern} is not printf-style"
                pad = int(digits.group(1) or 1)
                shown = pattern[:digits.start()] + f"[{first:0{pad}d}-{last:0{pad}d}]" + pattern[digits.end():]
                item = FakeMediaPoolItem(os.path.basename(shown), shown, last - first + 1)
            self.current.clips.append(item)
            made.append(item)
        return made

    def AppendToTimeline(self, *args: Any) -> list[FakeTimelineItem]:
        """Only the documented clip-info form: ``[{"mediaPoolItem", "startFrame", ...}]``."""
        self.project.calls.append(("AppendToTimeline", args))
        assert len(args) == 1 and isinstance(args[0], list) and all(isinstance(i, dict) for i in args[0])
        timeline = self.project.current
        assert timeline is not None
        placed = []
        for info in args[0]:
            media, track = info["mediaPoolItem"], info.get("trackIndex", 1)
            # endFrame is exclusive: measured on Studio 21 by others ("AppendToTimeline: endFrame is
            # exclusive", resolve-scripting notes; ResolveMCP-ext 1.0.1 re-measured on 21.1.2)
            length = info["endFrame"] - info["startFrame"]
            if not 1 <= track <= len(timeline.video) or length < 1:
                return []
            start = info.get("recordFrame", timeline.GetEndFrame())
            _overwrite(timeline.video[track - 1], start, start + length)
            item = FakeTimelineItem(media.name, media, start, length, source_start=info["startFrame"])
            timeline.put(track, item)
            placed.append(item)
        return placed

    def DeleteClips(self, clips: list[FakeMediaPoolItem]) -> bool:
        self.project.calls.append(("DeleteClips", (clips,)))
        removed = False
        stack = [self.root]
        while stack:
            folder = stack.pop()
            for clip in clips:
                if clip in folder.clips:
                    folder.clips.remove(clip)
                    removed = True
            stack.extend(folder.subfolders)
        return removed


def _overwrite(track: list[FakeTimelineItem], start: int, end: int) -> None:
    """Placing over clips overwrites them, silently: AppendToTimeline with a recordFrame on a busy
    track is an overwrite edit (Resolve manual, "Overwrite": the incoming clip replaces whatever
    is under it on the destination track); the README documents no refusal."""
    for item in list(track):
        a, b = item.start, item.start + item.duration
        if b <= start or end <= a:
            continue
        if start <= a and b <= end:
            track.remove(item)
        elif a < start:
            item.duration = start - a
        else:
            item.source_start += end - a
            item.duration, item.start = b - end, end


class FakeFolder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.uid = _uid("folder")
        self.clips: list[FakeMediaPoolItem] = []
        self.subfolders: list[FakeFolder] = []

    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.uid

    def GetClipList(self) -> list[FakeMediaPoolItem]:
        return list(self.clips)

    def GetSubFolderList(self) -> list[FakeFolder]:
        return list(self.subfolders)


class FakeMediaPoolItem(ColouredItem):
    def __init__(self, name: str, file_path: str, frames: int) -> None:
        self.name = name
        self.uid = _uid("media")
        self.properties = {"File Path": file_path, "Clip Name": name, "Frames": str(frames)}
        self.color = ""
        self.flags: list[str] = []

    def GetMediaId(self) -> str:
        return self.uid + "-m"

    def SetClipProperty(self, propertyName: str, propertyValue: Any) -> bool:
        if propertyName in ("File Path", "Frames"):
            return False  # read-only in Resolve's Clip Attributes
        self.properties[propertyName] = str(propertyValue)
        return True

    def GetClipProperty(self, propertyName: str | None) -> str | dict[str, str]:
        if propertyName is None:
            return dict(self.properties)
        return self.properties.get(propertyName, "")
