"""The project-side change log: every change Rushes makes, so Rushes Revert can undo it.

One JSON file per Resolve project (``paths.project_folder``)::

    {"version": 1, "project": "Show", "runs": [
        {"id": "20261124-031500-look_match", "tool": "look_match", "started": "...",
         "status": "done" | "failed" | "reverted", "reverted_at": "...",
         "changes": [
            {"kind": "lut", "clip_id": "...", "clip": "A001", "track": 1, "layer": 1,
             "node": 2, "prior": "", "value": "/opt/resolve/LUT/Rushes/Show/look_v001.cube"},
            {"kind": "cdl", ..., "prior": null, "value": {"Slope": "1 1 1", ...}},
            {"kind": "media", "clip_id": "<new timeline item>", "media_id": "<media pool item>",
             "track": 2, "value": "/renders/A001_wire_removal_v001/A001.%04d.exr"}],
         "files": ["/opt/resolve/LUT/Rushes/Show/look_v001.cube"]}]}

Changes are written as soon as they are made (the file is replaced atomically each
time), so a run that fails half-way can still be reverted.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from hostbridge.files import atomic_write

LOG_NAME = "rushes_changes.json"
FORMAT_VERSION = 1


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ChangeLog:
    """The JSON change log of one project; ``path`` is the file."""

    def __init__(self, path: str, project: str = "") -> None:
        self.path = path
        self.project = project
        self.data: dict[str, Any] = {"version": FORMAT_VERSION, "project": project, "runs": []}
        if os.path.exists(path):
            self.data = self._read(path)

    @staticmethod
    def _read(path: str) -> dict[str, Any]:
        try:
            with open(path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
        except ValueError as exc:
            raise ValueError(f"Rushes change log {path} is not valid JSON ({exc}); "
                             "move it aside to start a new one") from exc
        if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
            raise ValueError(f"Rushes change log {path} has no list of runs")  # noqa: TRY004 (a bad file)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"Rushes change log {path} has version {data.get('version')!r}; "
                             f"this Rushes reads version {FORMAT_VERSION}")
        return data

    @property
    def runs(self) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.data["runs"]
        return runs

    def save(self) -> None:
        text = json.dumps(self.data, indent=1, sort_keys=True)
        atomic_write(self.path, text.encode("utf-8"))

    def start_run(self, tool: str, settings: dict[str, Any] | None = None) -> Run:
        """Open a new run; it is saved at once (status "running")."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        taken = {r["id"] for r in self.runs}
        run_id = f"{stamp}-{tool}"
        n = 2
        while run_id in taken:
            run_id = f"{stamp}-{tool}-{n}"
            n += 1
        record: dict[str, Any] = {"id": run_id, "tool": tool, "started": _now(),
                                  "status": "running", "settings": dict(settings or {}),
                                  "changes": [], "files": []}
        self.runs.append(record)
        self.save()
        return Run(self, record)

    def last_undoable(self) -> dict[str, Any] | None:
        """The newest run that changed something and has not been reverted."""
        for record in reversed(self.runs):
            if record.get("status") != "reverted" and record["changes"]:
                found: dict[str, Any] = record
                return found
        return None


class Run:
    """One tool run inside a ``ChangeLog``; each ``record`` is saved straight away."""

    def __init__(self, log: ChangeLog, record: dict[str, Any]) -> None:
        self.log = log
        self.record = record

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def changes(self) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = self.record["changes"]
        return changes

    def add_change(self, kind: str, **fields: Any) -> dict[str, Any]:
        change = dict(fields, kind=kind, at=_now())
        self.changes.append(change)
        self.log.save()
        return change

    def add_file(self, path: str) -> None:
        self.record["files"].append(path)
        self.log.save()

    def finish(self, status: str, summary: dict[str, Any] | None = None, error: str = "") -> None:
        self.record["status"] = status
        self.record["finished"] = _now()
        if summary is not None:
            self.record["summary"] = summary
        if error:
            self.record["error"] = error
        self.log.save()
