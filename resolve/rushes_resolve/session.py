"""What every Rushes tool works with: Resolve's project and timeline, the change log,
the reporter and the daemon client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from rushes_resolve import paths
from rushes_resolve.changelog import LOG_NAME, ChangeLog
from rushes_resolve.clips import current_project, current_timeline
from rushes_resolve.ui import Reporter

if TYPE_CHECKING:
    from fusionscript import MediaPool, Project, Resolve, Timeline

    from hostbridge import Client

PROJECT_ENV = "RUSHES_PROJECT"
CLIP_COLORS = ("", "Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue",
               "Purple", "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
FLAG_COLORS = ("", "Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
               "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")


@dataclass
class Session:
    """One tool run's view of Resolve. ``client_factory(url)`` opens a hostbridge Client."""

    resolve: Resolve
    reporter: Reporter
    client_factory: Callable[[str], Client] | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    system: str | None = None

    def __post_init__(self) -> None:
        check_version(self.resolve)
        self.project: Project = current_project(self.resolve)
        self.project_name = self.project.GetName()
        # the daemon's project (its trained models): $RUSHES_PROJECT, else the Resolve project's name
        self.rushes_project = paths.project_slug(self.env.get(PROJECT_ENV) or self.project_name)
        self.folder = paths.project_folder(self.project_name, self.project.GetUniqueId(),
                                           self.system, self.env)
        self.log = ChangeLog(os.path.join(self.folder, LOG_NAME), self.project_name)
        self._clients: dict[str, Client] = {}

    @property
    def timeline(self) -> Timeline:
        return current_timeline(self.project)

    @property
    def media_pool(self) -> MediaPool:
        return self.project.GetMediaPool()

    def lut_folder(self) -> str:
        return paths.rushes_lut_folder(self.project_name, self.system, self.env)

    def render_folder(self) -> str:
        return paths.render_folder(self.project_name, self.system, self.env)

    def client(self, url: str = "") -> Client:
        from rushes_resolve.bridge import open_client, server_url

        address = server_url(url)
        if address not in self._clients:
            factory = self.client_factory or open_client
            self._clients[address] = factory(address)
        return self._clients[address]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self.reporter.finish()


def check_version(resolve: Resolve) -> None:
    """Refuse Resolve 19.0.0-19.0.1: TimelineItem.GetSourceStartFrame and GetStart(subframe)
    came in 19.0.2, and every tool maps record frames to source frames with them."""
    try:
        fields = [int(v) for v in list(resolve.GetVersion() or [])[:3]]
    except (TypeError, ValueError):
        return  # a version Rushes cannot read is left to the calls themselves
    if len(fields) == 3 and (19, 0, 0) <= tuple(fields) < (19, 0, 2):
        raise ValueError(f"DaVinci Resolve {'.'.join(map(str, fields))} lacks TimelineItem.GetSourceStartFrame "
                         "and GetStart(subframe), which Rushes needs; update Resolve to 19.0.2 or later")
