"""Each Rushes node kind's behaviour, in one table: how it is created, refreshed and processed.

Task nodes (``nodes``, ``view``, ``process``) and the Look (``look``, ``look_apply``) are
built from the same knobs and state; only this table tells them apart, so neither's code
names the other (no import cycle between them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Union

import nuke
from rushes_nuke import look, look_apply, nodes, process, state, view
from rushes_nuke.report import Reporter

Outcome = Union[str, threading.Thread, None]


@dataclass(frozen=True)
class Behaviour:
    create: Callable[[str, Union[str, None]], nuke.Group]
    refresh: Callable[[nuke.Group, str], None]
    process: Callable[[nuke.Group, Reporter, bool], Outcome]
    verb: str   # what the progress window says it is doing


TASK_NODE = Behaviour(create=nodes.create, refresh=view.refresh, verb="processing",
                      process=lambda node, reporter, background: process.run(node, reporter, background))
LOOK = Behaviour(create=lambda _kind, url: look.create(url), refresh=look_apply.refresh, verb="fitting",
                 process=look.fit_from_selection)
SPECIAL = {"Look": LOOK}


def of(node: nuke.Node) -> Behaviour:
    """The behaviour of a Rushes node (saved scripts name their kind in ``rushes_kind``)."""
    return SPECIAL.get(state.kind(node), TASK_NODE)


def create(kind: str, url: str | None = None) -> nuke.Group:
    """Create a Rushes node of ``kind`` (a menu entry's kind, or any task name), connected to the selection."""
    return SPECIAL.get(kind, TASK_NODE).create(kind, url)


def refresh(node: nuke.Group, changed: str = "") -> None:
    """Bring what the node shows up to date after ``changed`` (a knob name; "" for everything)."""
    of(node).refresh(node, changed)
