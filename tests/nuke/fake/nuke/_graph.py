"""Fake Nuke nodes, groups, menus and progress tasks, and the session state they share."""

from __future__ import annotations

import re
import threading
from typing import Any, Callable

from nuke._knobs import (
    Boolean_Knob,
    Color_Knob,
    Disable_Knob,
    Double_Knob,
    Enumeration_Knob,
    File_Knob,
    Int_Knob,
    Knob,
    String_Knob,
)
from nuke._ocio import CONFIGS, Colorspace_Knob

INPUTS = 1

# ---- nodes -------------------------------------------------------------------------------

_BUILTIN_KNOBS: dict[str, list[tuple[str, type, Any]]] = {
    "*": [("name", String_Knob, ""), ("label", String_Knob, ""), ("selected", Boolean_Knob, False),
          ("disable", Disable_Knob, False), ("tile_color", Int_Knob, 0), ("knobChanged", String_Knob, ""),
          ("showPanel", Boolean_Knob, False), ("autolabel", String_Knob, ""), ("icon", File_Knob, "")],
    # Foundry, Read reference: before/after (what frames outside first-last show) are hold, loop,
    # bounce or black, hold by default ("a still picture of the first frame")
    "Read": [("file", File_Knob, ""), ("first", Int_Knob, 1), ("last", Int_Knob, 1),
             ("origfirst", Int_Knob, 1), ("origlast", Int_Knob, 1), ("on_error", Enumeration_Knob, None),
             ("before", Enumeration_Knob, None), ("after", Enumeration_Knob, None),
             ("raw", Boolean_Knob, False), ("colorspace", String_Knob, "")],
    "Write": [("file", File_Knob, ""), ("file_type", String_Knob, ""), ("channels", String_Knob, "rgb"),
              ("datatype", String_Knob, "16 bit half"), ("compression", String_Knob, ""),
              ("raw", Boolean_Knob, False), ("colorspace", String_Knob, ""),
              ("create_directories", Boolean_Knob, False)],
    "Input": [("number", Int_Knob, 0)],
    "Switch": [("which", Double_Knob, 0.0)],
    "Copy": [("from0", String_Knob, ""), ("to0", String_Knob, "")],
    "OCIOFileTransform": [("file", File_Knob, ""), ("working_space", Colorspace_Knob, None)],
    "OCIOCDLTransform": [("slope", Color_Knob, (1.0, 1.0, 1.0)), ("offset", Color_Knob, (0.0, 0.0, 0.0)),
                         ("power", Color_Knob, (1.0, 1.0, 1.0)), ("saturation", Double_Knob, 1.0),
                         ("working_space", Colorspace_Knob, None)],
}
_CHOICES = {"on_error": ["continue", "error", "black"], "before": ["hold", "loop", "bounce", "black"],
            "after": ["hold", "loop", "bounce", "black"]}
_MAX_INPUTS = {"Read": 0, "Input": 0, "Constant": 0, "Output": 1, "Write": 1, "Switch": 8, "Copy": 2,
               "Merge2": 2, "Group": 0, "Root": 0}


class Node:
    def __init__(self, *args, **kwargs) -> None:
        self._class = str(args[0]) if args else "Node"
        self._knobs: dict[str, Knob] = {}
        self._order: list[str] = []
        self._inputs: list[Node | None] = []
        self._parent: Group | None = None
        self._xy = (0, 0)
        for name, kcls, default in _BUILTIN_KNOBS["*"] + _BUILTIN_KNOBS.get(self._class, []):
            knob = kcls(name, name, _CHOICES.get(name, [])) if kcls is Enumeration_Knob else kcls(name)
            if default is not None:
                knob._value = default
            self.addKnob(knob)

    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        return str(self._knobs["name"].value())

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ValueError(f"Illegal name '{name}'")  # as Nuke: letters, digits and _ only
        if self._parent is not None and self._parent.node(name) not in (None, self):
            if not uncollide:
                raise ValueError(f"{name} is already in use")
            stem = name.rstrip("0123456789")
            n = int(name[len(stem):] or 0)
            while self._parent.node(f"{stem}{n}") not in (None, self):
                n += 1
            name = f"{stem}{n}"
        self._knobs["name"].setValue(name)

    def fullName(self) -> str:
        if self._parent is None or isinstance(self._parent, Root):
            return self.name()
        return f"{self._parent.fullName()}.{self.name()}"

    def parent(self) -> Group:
        assert self._parent is not None
        return self._parent

    def addKnob(self, knob: Knob) -> None:
        if knob.name() in self._knobs:
            raise ValueError(f"{self.name() if 'name' in self._knobs else self._class}: knob "
                             f"{knob.name()} already exists")
        knob._node = self
        self._knobs[knob.name()] = knob
        self._order.append(knob.name())

    def removeKnob(self, knob: Knob) -> None:
        del self._knobs[knob.name()]
        self._order.remove(knob.name())

    def knob(self, p, follow_link: bool = True) -> Knob | None:
        if isinstance(p, int):
            return self._knobs[self._order[p]]
        return self._knobs.get(p)

    def knobs(self) -> dict[str, Knob]:
        return dict(self._knobs)

    def allKnobs(self) -> list[Knob]:
        return [self._knobs[n] for n in self._order]

    def __getitem__(self, name: str) -> Knob:
        if name not in self._knobs:
            raise NameError(f"knob {name} does not exist")
        return self._knobs[name]

    def maxInputs(self) -> int:
        if self._class == "Group":
            return sum(1 for n in getattr(self, "_nodes", []) if n.Class() == "Input")
        return _MAX_INPUTS.get(self._class, 1)

    def inputs(self) -> int:
        return len(self._inputs)

    def input(self, index: int) -> Node | None:
        return self._inputs[index] if index < len(self._inputs) else None

    def setInput(self, i: int, node: Node | None) -> bool:
        while len(self._inputs) <= i:
            self._inputs.append(None)
        self._inputs[i] = node
        return True

    def connectInput(self, i: int, node: Node | None) -> bool:
        return self.setInput(i, node)

    def dependencies(self, mask: int) -> list[Node]:
        return [n for n in self._inputs if n is not None]

    def isSelected(self) -> bool:
        return bool(self._knobs["selected"].value())

    def setSelected(self, selected: bool) -> None:
        self._knobs["selected"].setValue(selected)

    def setXYpos(self, x: int, y: int) -> None:
        self._xy = (x, y)

    def xpos(self) -> int:
        return self._xy[0]

    def ypos(self) -> int:
        return self._xy[1]

    def firstFrame(self) -> int:
        return int(self._knobs["first"].value()) if "first" in self._knobs else root().firstFrame()

    def lastFrame(self) -> int:
        return int(self._knobs["last"].value()) if "last" in self._knobs else root().lastFrame()

    def showControlPanel(self, forceFloat: bool = False) -> None:
        pass

    def __repr__(self) -> str:
        return f"<fake {self._class} {self.name()}>"


class Group(Node):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args or ("Group",), **kwargs)
        self._nodes: list[Node] = []

    def begin(self) -> Group:
        _STATE.context.append(self)
        return self

    def end(self) -> None:
        assert _STATE.context[-1] is self, "end() called on a group that is not the current one"
        _STATE.context.pop()

    def __enter__(self) -> Group:  # noqa: PYI034  (as the stub says)
        return self.begin()

    def __exit__(self, type, value, traceback) -> Any:
        self.end()

    def node(self, s: str) -> Node | None:
        head, _, rest = s.partition(".")
        for n in self._nodes:
            if n.name() == head:
                return n if not rest else n.node(rest) if isinstance(n, Group) else None
        return None

    def nodes(self) -> list[Node]:
        return list(self._nodes)

    def selectedNodes(self) -> list[Node]:
        return [n for n in self._nodes if n.isSelected()]


class Root(Group):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__("Root")
        for k, v in (("first_frame", 1), ("last_frame", 100), ("fps", 24)):
            knob = Int_Knob(k)
            knob._value = v
            self.addKnob(knob)
        # Root reference (Foundry, Project Settings): "proxy mode" (knob proxy), "proxy scale"
        # (proxy_scale, default 0.5); a Write "executes all renders at the currently active scale:
        # either full- or proxy-resolution" (Foundry, Write node reference). The fake's renderer
        # (tests/nuke/helpers.render_write) shrinks by proxy_scale while proxy is on.
        proxy = Boolean_Knob("proxy")
        self.addKnob(proxy)
        scale = Double_Knob("proxy_scale")
        scale._value = 0.5
        self.addKnob(scale)
        # colour management (see nuke/_ocio.py for the sources): Nuke's own by default, the
        # nuke-default config, working space "linear"
        self.addKnob(Enumeration_Knob("colorManagement", "color management", ["Nuke", "OCIO"]))
        self.addKnob(Enumeration_Knob("OCIO_config", "OpenColorIO config", sorted(CONFIGS)))
        self._knobs["OCIO_config"].setValue("nuke-default")
        self.addKnob(Colorspace_Knob("workingSpaceLUT", "working space"))

    def name(self) -> str:
        return "Root"

    def firstFrame(self) -> int:
        return int(self._knobs["first_frame"].value())

    def lastFrame(self) -> int:
        return int(self._knobs["last_frame"].value())

    def fps(self) -> int:
        return int(self._knobs["fps"].value())


class ProgressTask:
    """Python dev guide, "Threading" (the ProgressTask example): a worker thread makes its own
    ProgressTask and updates it while the main thread keeps the GUI alive; the task is the
    thread's (the fake refuses use from another thread), and is closed when released."""

    def __init__(self, *args, **kwargs) -> None:
        self.fake_thread = threading.get_ident()
        self.fake_title = str(args[0]) if args else ""
        self.fake_messages: list[str] = []
        self.fake_progress: list[int] = []
        self.fake_cancelled = False
        _STATE.progress_tasks.append(self)

    def _same_thread(self) -> None:
        if threading.get_ident() != self.fake_thread:
            raise RuntimeError(f"ProgressTask {self.fake_title!r} used from another thread than its own")

    def isCancelled(self, *args, **kwargs) -> Any:
        self._same_thread()
        at = _STATE.cancel_at_progress
        if at is not None and self.fake_progress and self.fake_progress[-1] >= at:
            self.fake_cancelled = True
        return self.fake_cancelled

    def setMessage(self, *args, **kwargs) -> Any:
        self._same_thread()
        self.fake_messages.append(str(args[0]))

    def setProgress(self, *args, **kwargs) -> Any:
        self._same_thread()
        self.fake_progress.append(int(args[0]))


class Menu:
    def __init__(self, name: str = "") -> None:
        self._name = name
        self.fake_items: dict[str, Any] = {}
        self.fake_icon = ""

    def name(self) -> str:
        return self._name

    def addMenu(self, *args, **kwargs) -> Any:
        menu = self.fake_items.setdefault(str(args[0]), Menu(str(args[0])))
        # Python dev guide, nuke.Menu.addMenu(name, icon=...): the icon file is looked up on the
        # plugin path (nuke.pluginAddPath), so a plugin ships it in a folder it adds there
        menu.fake_icon = str(kwargs.get("icon", ""))
        return menu

    def addCommand(self, *args, **kwargs) -> Any:
        self.fake_items[str(args[0])] = args[1] if len(args) > 1 else kwargs.get("command")

    def addSeparator(self, *args, **kwargs) -> Any:
        pass

    def findItem(self, name) -> Menu | None:
        item = self.fake_items.get(name)
        return item if isinstance(item, Menu) else None

    def menu(self, name) -> Menu | None:
        return self.findItem(name)


ToolBar = Menu


class _State:
    def __init__(self) -> None:
        self.root = Root()
        self.context: list[Group] = []
        self.this: list[tuple[Node, Knob | None]] = []
        self.counters: dict[str, int] = {}
        self.messages: list[str] = []
        self.log: list[str] = []
        self.progress_tasks: list[ProgressTask] = []
        self.cancel_at_progress: int | None = None
        self.menus: dict[str, Menu] = {}
        self.toolbars: dict[str, Menu] = {}
        self.callbacks: dict[str, list[tuple[Callable[..., Any], tuple, dict, str]]] = {}
        self.executed: list[tuple[str, int, int]] = []
        self.scripts: dict[str, Callable[[], None]] = {}
        self.saved: list[str] = []
        self.renderer: Callable[[Node, int], None] | None = None
        self.plugin_paths: list[str] = []
        self.main_thread_calls: list[str] = []
        self.queued: list[tuple[Callable[..., Any], tuple, dict]] = []
        self.queue_lock = threading.Lock()


_STATE = _State()


def root() -> Root:
    return _STATE.root


