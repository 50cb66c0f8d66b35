"""Callbacks Nuke calls; registered by ``rushes_nuke.install()``, never at import."""

from __future__ import annotations

import nuke
from hostbridge.manifest import find, snapshot
from rushes_nuke import kinds, state
from rushes_nuke.knobs import upgrade_choices

_refreshing = False
# rushes_nuke.farm makes new versions itself: a missing older one is no reason to stop it
check_cache_on_load = True
# showPanel: the artist opened the panel; list versions a farm may have added since.
REFRESH_KNOBS = ("showPanel", "version", "output", "cache_root", "apply", "lut_file", "cdl_file", "working_space", "in_space")


def knob_changed() -> None:
    """A knob changed on a Group: Rushes nodes re-point their Reads (version / output)."""
    node = nuke.thisNode()
    if not state.is_rushes(node) or not isinstance(node, nuke.Group):
        return
    global _refreshing
    changed = nuke.thisKnob().name()
    if changed in REFRESH_KNOBS and not _refreshing:
        _refreshing = True  # refresh sets knobs itself; those changes must not call back in
        try:
            kinds.refresh(node, changed)
        except (ValueError, OSError) as exc:
            nuke.warning(f"Rushes: {node.name()}: {exc}")
        finally:
            _refreshing = False


def script_loaded() -> None:
    """After a script opens, list the versions now on disk (a farm may have added some).

    ``init.py`` runs in ``nuke -t`` too (a farm render): there no knob changes, and a node
    whose cache this machine cannot see is an error, never a silent fall back to Source. In
    the GUI such a node keeps its saved version and says why it shows nothing.
    """
    terminal = not nuke.GUI
    problems: list[str] = []
    manifests = snapshot()
    for node in nuke.allNodes("Group", recurseGroups=True):
        if not state.is_rushes(node) or not isinstance(node, nuke.Group):
            continue
        manifest = find(manifests, str(node["rushes_task"].value()))
        if manifest is not None:  # a script saved before stable values: its choices' labels -> values
            upgrade_choices(node, manifest)
        missing = state.missing_cache(node)
        if terminal:
            if check_cache_on_load and missing:
                problems.append(missing)
            continue
        if missing:  # keep the saved version and Reads: a mount may simply be missing right now
            state.show_note(node, missing)
            nuke.warning(f"Rushes: {missing}")
            continue
        try:
            kinds.refresh(node)
        except (ValueError, OSError) as exc:
            nuke.warning(f"Rushes: {node.name()}: {exc}")
    if problems:
        text = "Rushes: " + "; ".join(problems)
        nuke.error(text)
        raise RuntimeError(text)
