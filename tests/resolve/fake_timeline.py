"""The fake timeline side of Resolve: Timeline, TimelineItem, Graph and the Gallery.

See ``fake_resolve`` for the rules every fake method follows (the stubs' names and
parameters, exactly).
"""

from __future__ import annotations

import itertools
import os
import re
from typing import TYPE_CHECKING, Any

from tests.resolve.fake_grades import GradedItem

if TYPE_CHECKING:
    from tests.resolve.fake_resolve import FakeMediaPoolItem, FakeProject

_ids = itertools.count(1)
STILL_FORMATS = ("dpx", "cin", "tif", "jpg", "png", "ppm", "bmp", "xpm")


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_ids):05d}"


class Calls(list):  # type: ignore[type-arg]
    """The log of changing calls: a list of (method, args) tuples."""

    def named(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self if name == method]


class ColouredItem:
    """What MediaPoolItem and TimelineItem share in the stubs: a name, an id, a clip colour and
    flags (subclasses set ``name``, ``uid``, ``color`` and ``flags``)."""

    name: str
    uid: str
    color: str
    flags: list[str]

    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.uid

    def GetClipColor(self) -> str:
        return self.color

    def SetClipColor(self, colorName: str) -> bool:
        self.color = colorName
        return True

    def GetFlagList(self) -> list[str]:
        return list(self.flags)

    def AddFlag(self, color: str) -> bool:
        self.flags.append(color)
        return True


class FakeGraph:
    def __init__(self, item: FakeTimelineItem, nodes: int) -> None:
        self.item = item
        self.luts = {n: "" for n in range(1, nodes + 1)}

    def GetNumNodes(self) -> int:
        return len(self.luts)

    def GetNodeLabel(self, nodeIndex: int) -> str:
        return f"Node {nodeIndex}"

    def GetLUT(self, nodeIndex: int) -> str:
        """Relative to the LUT folder when it lies inside it, as Resolve reports."""
        path = self.luts.get(nodeIndex, "")
        root = self.item.project_lut_folder()
        return os.path.relpath(path, root) if path and root and path.startswith(root) else path

    def SetLUT(self, nodeIndex: int, lutPath: str) -> bool:
        project = self.item.project()
        project.calls.append(("SetLUT", (self.item.name, nodeIndex, lutPath)))
        if nodeIndex not in self.luts:
            return False
        # README: "lutPath can be an absolute path, or a relative path (based off custom LUT paths
        # or the master LUT path)"; nothing says "" clears a node's LUT, so the fake refuses it
        full = lutPath if os.path.isabs(lutPath) else os.path.join(project.lut_folder, lutPath)
        if full not in project.discovered:
            return False  # Resolve only sets LUTs it has discovered (Project.RefreshLUTList)
        self.luts[nodeIndex] = full
        return True


# README, "Looking up Timeline item properties": the Inspector's keys, at a fresh clip's values
INSPECTOR: dict[str, object] = {
    "Pan": 0.0, "Tilt": 0.0, "ZoomX": 1.0, "ZoomY": 1.0, "ZoomGang": True, "RotationAngle": 0.0,
    "AnchorPointX": 0.0, "AnchorPointY": 0.0, "Pitch": 0.0, "Yaw": 0.0, "FlipX": False, "FlipY": False,
    "CropLeft": 0.0, "CropRight": 0.0, "CropTop": 0.0, "CropBottom": 0.0, "CropSoftness": 0.0,
    "CropRetain": False, "DynamicZoomEase": 0, "CompositeMode": 0, "Opacity": 100.0, "Distortion": 0.0,
}


class FakeTimelineItem(ColouredItem, GradedItem):
    def __init__(self, name: str, media: FakeMediaPoolItem | None, start: int, duration: int,
                 source_start: int = 0, nodes: int = 2, layers: int = 1, speed: float = 1.0) -> None:
        self.name = name
        self.uid = _uid("item")
        self.media = media
        self.start = start
        self.duration = duration
        self.source_start = source_start
        self.color = ""
        self.flags: list[str] = []
        self.graphs = [FakeGraph(self, nodes) for _ in range(layers)]
        self.cdl: dict[int, dict[str, str]] = {}
        self.timeline: FakeTimeline | None = None
        self.track = 0
        self.speed = speed  # a retime: the clip plays round(duration * speed) source frames
        self.properties: dict[str, object] = dict(INSPECTOR)
        self._init_versions()

    def GetProperty(self, propertyKey: str | None) -> object:
        """README, "Looking up Timeline item properties": the value of a key, or every key's (None)."""
        if propertyKey is None:
            return dict(self.properties)
        return self.properties.get(propertyKey)

    def SetProperty(self, propertyKey: str, propertyValue: object) -> bool:
        if propertyKey not in self.properties:
            return False
        self.properties[propertyKey] = propertyValue
        return True

    def _since_19_0_2(self, method: str) -> None:
        """GetSourceStartFrame/GetSourceEndFrame are "New in 19.0.2" and GetStart(subframe_precision)
        a "Change at 19.0.2" (the community API reference's TimelineItem page, built from the
        README's change notes): Resolve 19.0.0-19.0.1 lack them. GetSourceEndFrame is the last
        source frame used, inclusive (others' timeline snapshots add 1 for a half-open range)."""
        resolve = self.timeline.project.resolve if self.timeline and self.timeline.project else None
        if resolve is not None and tuple(resolve.version[:3]) < (19, 0, 2):
            raise AttributeError(f"TimelineItem has no {method} in Resolve {resolve.GetVersionString()}")

    def project(self) -> FakeProject:
        assert self.timeline is not None and self.timeline.project is not None
        return self.timeline.project

    def project_lut_folder(self) -> str:
        return self.project().lut_folder

    # -- stub API --
    def GetStart(self, subframe_precision: bool) -> int:
        self._since_19_0_2("GetStart(subframe_precision)")
        return self.start

    def GetEnd(self, subframe_precision: bool) -> int:
        return self.start + self.duration

    def GetDuration(self, subframe_precision: bool) -> int:
        return self.duration

    def GetSourceStartFrame(self) -> int:
        self._since_19_0_2("GetSourceStartFrame")
        return self.source_start

    def GetSourceEndFrame(self) -> int:
        self._since_19_0_2("GetSourceEndFrame")
        return self.source_start + round(self.duration * self.speed) - 1

    def GetMediaPoolItem(self) -> FakeMediaPoolItem | None:
        return self.media

    def GetTrackTypeAndIndex(self) -> tuple[str, int]:
        return ("video", self.track)

    def GetNodeGraph(self, layerIdx: int | None) -> FakeGraph | None:
        index = 1 if layerIdx is None else layerIdx
        return self.graphs[index - 1] if 1 <= index <= len(self.graphs) else None

    def SetCDL(self, cdlMap: dict[str, Any]) -> bool:
        self.project().calls.append(("SetCDL", (self.name, dict(cdlMap))))
        if set(cdlMap) != {"NodeIndex", "Slope", "Offset", "Power", "Saturation"}:
            return False
        if not all(isinstance(v, str) for k, v in cdlMap.items() if k != "NodeIndex"):
            return False
        node = int(cdlMap["NodeIndex"])
        if not 1 <= node <= self.graphs[0].GetNumNodes():
            return False
        for key, count in (("Slope", 3), ("Offset", 3), ("Power", 3), ("Saturation", 1)):
            if len([float(v) for v in cdlMap[key].split()]) != count:
                return False
        self.cdl[node] = {k: v for k, v in cdlMap.items() if k != "NodeIndex"}
        return True


class FakeTimeline:
    def __init__(self, name: str, fps: float = 24.0, start_frame: int = 86400, video_tracks: int = 1) -> None:
        self.name = name
        self.uid = _uid("timeline")
        self.fps = fps
        self.start_frame = start_frame
        self.video: list[list[FakeTimelineItem]] = [[] for _ in range(video_tracks)]
        self.playhead = start_frame
        # SetCurrentTimecode "may not have taken effect yet" when the next call runs (issue 17,
        # from others' scripts that poll GetCurrentTimecode): the move lands after ``lag`` reads
        self.lag = 1
        self.pending: tuple[int, int] | None = None   # (frame, reads left)
        self.selected: FakeTimelineItem | None = None  # the clip the colorist clicked, if any
        self.project: FakeProject | None = None

    def put(self, track: int, item: FakeTimelineItem) -> FakeTimelineItem:
        item.timeline, item.track = self, track
        self.video[track - 1].append(item)
        self.video[track - 1].sort(key=lambda i: i.start)
        return item

    def item_at(self, frame: int) -> FakeTimelineItem | None:
        for track in reversed(self.video):
            for item in track:
                if item.start <= frame < item.start + item.duration:
                    return item
        return None

    def render_current(self, path: str) -> bool:
        """What the viewer shows at the playhead, written to ``path`` by the test's grade."""
        item = self.item_at(self.playhead)
        project = self.project
        if item is None or item.media is None or project is None or project.grade is None:
            return False
        file_path = str(item.media.GetClipProperty("File Path"))
        match = re.match(r"^(.*)\[(\d+)-(\d+)\](.*)$", file_path)
        source = file_path
        if match:
            first = int(match.group(2))
            number = first + item.source_start + self.playhead - item.start
            source = f"{match.group(1)}{number:0{len(match.group(2))}d}{match.group(4)}"
        return project.grade(item, source, path)

    # -- stub API --
    def GetName(self) -> str:
        return self.name

    def GetUniqueId(self) -> str:
        return self.uid

    def GetStartFrame(self) -> int:
        return self.start_frame

    def GetEndFrame(self) -> int:
        return max([i.start + i.duration for t in self.video for i in t], default=self.start_frame)

    def GetSetting(self, settingName: str) -> str:
        return {"timelineFrameRate": f"{self.fps:g}"}.get(settingName, "")

    def GetTrackCount(self, trackType: str) -> int:
        return len(self.video) if trackType == "video" else 0

    def AddTrack(self, trackType: str, subTrackType: str) -> bool:
        assert self.project is not None
        self.project.calls.append(("AddTrack", (trackType, subTrackType)))
        if trackType != "video":
            return False
        self.video.append([])
        return True

    def DeleteTrack(self, trackType: str, trackIndex: int) -> bool:
        assert self.project is not None
        self.project.calls.append(("DeleteTrack", (trackType, trackIndex)))
        if trackType != "video" or not 1 <= trackIndex <= len(self.video):
            return False
        del self.video[trackIndex - 1]
        for index, track in enumerate(self.video, 1):
            for item in track:
                item.track = index
        return True

    def GetItemListInTrack(self, trackType: str, index: int) -> list[FakeTimelineItem]:
        if trackType != "video" or not 1 <= index <= len(self.video):
            return []
        return list(self.video[index - 1])

    def DeleteClips(self, timelineItems: list[FakeTimelineItem], Bool: bool) -> bool:
        assert self.project is not None
        self.project.calls.append(("DeleteTimelineClips", (timelineItems, Bool)))
        removed = False
        for track in self.video:
            for item in timelineItems:
                if item in track:
                    track.remove(item)
                    removed = True
        return removed

    def GetCurrentTimecode(self) -> str:
        if self.pending is not None:
            frame, left = self.pending
            self.pending = (frame, left - 1) if left > 0 else None
            if left <= 0:
                self.playhead = frame
        nominal = round(self.fps)
        f, s = self.playhead % nominal, self.playhead // nominal
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"

    def SetCurrentTimecode(self, timecode: str) -> bool:
        h, m, s, f = (int(x) for x in re.split("[:;]", timecode))
        frame = ((h * 60 + m) * 60 + s) * round(self.fps) + f
        if self.lag:
            self.pending = (frame, self.lag)
        else:
            self.playhead = frame
        return True

    def GetCurrentVideoItem(self) -> FakeTimelineItem | None:
        """The clicked clip while the playhead is on it, else the top clip at the playhead."""
        chosen = self.selected
        if chosen is not None and chosen.start <= self.playhead < chosen.start + chosen.duration:
            return chosen
        return self.item_at(self.playhead)

    def GrabStill(self) -> FakeGalleryStill | None:
        assert self.project is not None
        self.project.calls.append(("GrabStill", ()))
        if self.item_at(self.playhead) is None:
            return None
        still = FakeGalleryStill(self, self.playhead)
        self.project.gallery.album.stills.append(still)
        return still


class FakeGallery:
    def __init__(self, project: FakeProject) -> None:
        self.album = FakeGalleryStillAlbum(project)

    def GetCurrentStillAlbum(self) -> FakeGalleryStillAlbum:
        return self.album

    def GetGalleryStillAlbums(self) -> list[FakeGalleryStillAlbum]:
        return [self.album]


class FakeGalleryStill:
    def __init__(self, timeline: FakeTimeline, frame: int) -> None:
        self.timeline = timeline
        self.frame = frame
        self.label = f"1.{len(timeline.project.gallery.album.stills) + 1 if timeline.project else 1}.1"


class FakeGalleryStillAlbum:
    def __init__(self, project: FakeProject) -> None:
        self.project = project
        self.stills: list[FakeGalleryStill] = []

    def GetStills(self) -> list[FakeGalleryStill]:
        return list(self.stills)

    def GetLabel(self, galleryStill: FakeGalleryStill) -> str:
        return galleryStill.label

    def ExportStills(self, galleryStills: list[FakeGalleryStill], folderPath: str, filePrefix: str,
                     format: str) -> bool:
        self.project.calls.append(("ExportStills", (folderPath, filePrefix, format)))
        ok = True
        for still in galleryStills:
            saved = still.timeline.playhead
            still.timeline.playhead = still.frame
            path = os.path.join(folderPath, f"{filePrefix}_{still.label}.{format}")
            ok = still.timeline.render_current(path) and ok
            still.timeline.playhead = saved
        return ok

    def DeleteStills(self, galleryStills: list[FakeGalleryStill]) -> bool:
        self.project.calls.append(("DeleteStills", (len(galleryStills),)))
        for still in galleryStills:
            self.stills.remove(still)
        return True
