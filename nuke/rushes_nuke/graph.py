"""Context managers that leave the artist's graph and selection as they found them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import nuke


@contextmanager
def preserved_selection(group: nuke.Group | None = None) -> Iterator[None]:
    """Restore exactly which nodes of ``group`` (default: the current group) were selected.

    A button on a Group's panel runs inside that Group, so callers name the group they mean.
    """
    def selected() -> list[nuke.Node]:
        return list(group.selectedNodes() if group is not None else nuke.selectedNodes())

    before = selected()
    try:
        yield
    finally:
        for n in selected():
            n.setSelected(False)
        for n in before:
            try:
                n.setSelected(True)
            except (ValueError, RuntimeError):  # deleted meanwhile
                pass


@contextmanager
def inside(group: nuke.Group) -> Iterator[nuke.Group]:
    """Work inside ``group`` (its nodes are created there); always end the group."""
    group.begin()
    try:
        yield group
    finally:
        group.end()


@contextmanager
def temporary_nodes(group: nuke.Group | None = None) -> Iterator[list[nuke.Node]]:
    """Nodes appended to the yielded list are deleted on exit, and ``group``'s selection restored."""
    made: list[nuke.Node] = []
    with preserved_selection(group):
        try:
            yield made
        finally:
            for n in reversed(made):
                nuke.delete(n)


@contextmanager
def armed_write(write: nuke.Node, path: str) -> Iterator[nuke.Node]:
    """Enable an internal Write with ``path`` for the duration; disable and clear it after.

    Internal Writes stay disabled so that Render All never touches them.
    """
    write["file"].setValue(path)
    write["disable"].setValue(False)
    try:
        yield write
    finally:
        write["disable"].setValue(True)
        write["file"].setValue("")


@contextmanager
def full_resolution() -> Iterator[None]:
    """Proxy mode off for the duration (restored after): Writes render at the active scale,
    and a proxy-scale render must never be cached as a result."""
    knob = nuke.root().knob("proxy")
    was = bool(knob.value()) if knob is not None else False
    if knob is not None and was:
        knob.setValue(False)
    try:
        yield
    finally:
        if knob is not None and was:
            knob.setValue(True)
