"""Grade versions and CopyGrades for the fake TimelineItem (stub names and parameters).

Sources: Resolve's scripting README (TimelineItem): ``AddVersion(versionName, versionType)``
"Adds a new color version for a video clip based on versionType (0 - local, 1 - remote)";
``LoadVersionByName`` "Loads a named color version as the active version";
``GetCurrentVersion()`` returns "the keys versionName and versionType";
``CopyGrades([tgtTimelineItems])`` "Copies the current node stack layer grade to the same
layer for each item". Resolve manual, "Using Versions to Manage Grades": "Each grade you
apply to a clip is a version ... only one version can be applied at a time. By default, the
first grade applied to every clip in a timeline is a local version named 'Version 1'".
Not documented, and so modelled the way that is hardest on callers: AddVersion does not
load the new version (callers load it), and it starts as a copy of the grade in use.
No call reads a node's CDL back (the README has SetCDL only), and neither does the fake.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.resolve.fake_timeline import FakeGraph, FakeTimelineItem

DEFAULT_VERSION = "Version 1"


class GradedItem:
    graphs: list[FakeGraph]
    cdl: dict[int, dict[str, str]]

    def _init_versions(self) -> None:
        self.version = (DEFAULT_VERSION, 0)
        self.stored: dict[tuple[str, int], dict[str, Any]] = {}

    def grade(self) -> dict[str, Any]:
        """The grade in use: each layer's LUTs and the CDLs."""
        return {"luts": [dict(g.luts) for g in self.graphs], "cdl": copy.deepcopy(self.cdl)}

    def load_grade(self, grade: dict[str, Any]) -> None:
        for graph, luts in zip(self.graphs, grade["luts"]):
            graph.luts = dict(luts)
        self.cdl = copy.deepcopy(grade["cdl"])

    def _names(self, versionType: int) -> list[str]:
        return [n for n, t in [self.version, *self.stored] if t == versionType]

    # -- stub API --
    def AddVersion(self, versionName: str, versionType: int) -> bool:
        if versionType not in (0, 1) or not versionName or versionName in self._names(versionType):
            return False
        self.stored[(versionName, versionType)] = self.grade()
        return True

    def GetCurrentVersion(self) -> dict[str, Any]:
        return {"versionName": self.version[0], "versionType": self.version[1]}

    def LoadVersionByName(self, versionName: str, versionType: int) -> bool:
        key = (versionName, versionType)
        if key == self.version:
            return True
        if key not in self.stored:
            return False
        self.stored[self.version] = self.grade()
        self.load_grade(self.stored.pop(key))
        self.version = key
        return True

    def DeleteVersionByName(self, versionName: str, versionType: int) -> bool:
        return self.stored.pop((versionName, versionType), None) is not None

    def GetVersionNameList(self, versionType: int) -> list[str]:
        return self._names(versionType)

    def CopyGrades(self, tgtTimelineItems: list[FakeTimelineItem]) -> bool:
        if not tgtTimelineItems:
            return False
        for item in tgtTimelineItems:
            item.load_grade(self.grade())
        return True
