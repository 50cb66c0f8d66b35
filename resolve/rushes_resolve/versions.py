"""Rushes' grade changes go into a new local grade version, so Revert can load the old one.

Resolve's API cannot read a node's CDL back, and nothing documents ``SetLUT(node, "")``
clearing a LUT: the only exact undo is the colorist's own grade, kept as the version that
was in use (``GetCurrentVersion`` / ``AddVersion`` / ``LoadVersionByName``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from fusionscript import TimelineItem

LOCAL: Literal[0] = 0
REMOTE: Literal[1] = 1


def version_name(tool: str, run_id: str) -> str:
    return f"Rushes {tool} {run_id}"


def begin(item: TimelineItem, clip: str, name: str) -> dict[str, Any]:
    """Add and load local version ``name`` on ``item``; returns the version that was in use.

    ValueError (nothing changed on the clip) when Resolve refuses either step.
    """
    current: Any = item.GetCurrentVersion() or {}
    prior = {"versionName": str(current.get("versionName") or ""), "versionType": int(current.get("versionType") or 0)}
    if not prior["versionName"]:
        raise ValueError(f"Resolve did not say which grade version clip {clip!r} uses; left it unchanged")
    if not item.AddVersion(name, LOCAL):
        raise ValueError(f"Resolve did not add the grade version {name!r} to clip {clip!r}; left it unchanged")
    if not item.LoadVersionByName(name, LOCAL):
        item.DeleteVersionByName(name, LOCAL)
        raise ValueError(f"Resolve did not load the grade version {name!r} on clip {clip!r}; left it unchanged")
    return prior


def restore(item: TimelineItem, clip: str, prior: dict[str, Any], name: str) -> str:
    """Load the version in use before Rushes and drop Rushes' one; "" or what went wrong."""
    kind = REMOTE if int(prior.get("versionType") or 0) == 1 else LOCAL
    if not item.LoadVersionByName(str(prior["versionName"]), kind):
        return (f"could not load grade version {prior['versionName']!r} back on clip {clip!r}; "
                f"pick it in the clip's Local Versions")
    item.DeleteVersionByName(name, LOCAL)  # a leftover version is harmless: no check
    return ""
