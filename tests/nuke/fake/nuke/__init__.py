"""A small fake of Nuke's ``nuke`` module for tests, following the ``types-nuke`` stubs.

Only what the Rushes plugin touches is here. Every function and method that exists in the
stubs keeps the stub's parameter names, order and defaults (``test_fake_nuke.py`` checks
this against the installed .pyi files). Test-only hooks are prefixed ``fake_``.

The fake holds a node graph (groups with ``begin``/``end``), knobs with values, the
selection, callbacks, menus and ``ProgressTask`` records. ``execute`` hands each frame of
a Write to ``fake_renderer`` (set by the tests), which writes the pixels the Write sees.
"""


from __future__ import annotations

import sys
import threading as _threading
from typing import IO, Any, Callable

from nuke._graph import _STATE, Group, Menu, Node, _State
from nuke._graph import INPUTS as INPUTS
from nuke._graph import ProgressTask as ProgressTask
from nuke._graph import Root as Root
from nuke._graph import ToolBar as ToolBar
from nuke._graph import root as root
from nuke._knobs import *  # noqa: F403  (the knob classes, as nuke exports them)
from nuke._knobs import Knob, Script_Knob

GUI = True
INTERACTIVE = True
INVISIBLE = 0x400
STARTLINE = 0x1000
ENDLINE = 0x2000
NO_ANIMATION = 0x100
DISABLED = 0x80
READ_ONLY = 0x10000000
NUKE_VERSION_MAJOR = 15
NUKE_VERSION_MINOR = 1
NUKE_VERSION_STRING = "15.1v1"

def fake_reset() -> None:
    """Start from an empty script (tests call this before each test)."""
    _STATE.__init__()  # type: ignore[misc]  # in place: the other fake modules hold it too


def fake_state() -> _State:
    return _STATE


def _current_group() -> Group:
    return _STATE.context[-1] if _STATE.context else _STATE.root


def _add_node(node: Node, group: Group) -> Node:
    base = node.Class()
    n = _STATE.counters.get(base, 0)
    while True:
        n += 1
        if group.node(f"{base}{n}") is None:
            break
    _STATE.counters[base] = n
    node._knobs["name"].setValue(f"{base}{n}")
    node._parent = group
    group._nodes.append(node)
    return node


def createNode(typ: str, knobs: str = "", inpanel: bool = True) -> Node:
    group = _current_group()
    selected = group.selectedNodes()
    node = _add_node(Group() if typ == "Group" else Node(typ), group)
    if knobs:
        words = knobs.split()
        for name, value in zip(words[::2], words[1::2]):
            node[name].setValue(value)
    if selected and node.maxInputs() > 0:
        node.setInput(0, selected[-1])
    for n in group.nodes():
        n.setSelected(n is node)
    for call, args, kwargs, node_class in _STATE.callbacks.get("onCreate", []):
        if node_class in ("*", typ):
            _STATE.this.append((node, None))
            try:
                call(*args, **kwargs)
            finally:
                _STATE.this.pop()
    return node


class Nodes:
    def __getattr__(self, item) -> Any:
        def construct(*args: Any, **kwargs: Any) -> Node:
            node = _add_node(Group() if item == "Group" else Node(item), _current_group())
            for name, value in kwargs.items():
                node[name].setValue(value)
            return node
        return construct


nodes = Nodes()


def delete(n: Node | None) -> None:
    if n is None:
        return
    group = n._parent
    if group is not None and n in group._nodes:
        group._nodes.remove(n)
    for other in allNodes(recurseGroups=True) + ([group] if group else []):
        other._inputs = [None if i is n else i for i in other._inputs]
    n._parent = None


def thisNode() -> Node:
    if _STATE.this:
        return _STATE.this[-1][0]
    return _STATE.root


def thisGroup() -> Group:
    return _current_group()


def thisKnob() -> Knob:
    if not _STATE.this or _STATE.this[-1][1] is None:
        raise RuntimeError("no knob in this context")
    knob = _STATE.this[-1][1]
    assert knob is not None
    return knob


def toNode(s: str) -> Node | None:
    if s == "root":
        return _STATE.root
    return _current_group().node(s) or _STATE.root.node(s)


def allNodes(*args, **kwargs) -> list[Node]:
    group = kwargs.get("group") or _current_group()
    found: list[Node] = []
    for n in group.nodes():
        found.append(n)
        if kwargs.get("recurseGroups") and isinstance(n, Group):
            found.extend(allNodes(group=n, recurseGroups=True))
    filt = args[0] if args else kwargs.get("filter")
    return [n for n in found if not filt or n.Class() == filt]


def selectedNodes(filter: str | None = None) -> list[Node]:
    return [n for n in _current_group().selectedNodes() if filter is None or n.Class() == filter]


def selectedNode() -> Node:
    sel = selectedNodes()
    if not sel:
        raise ValueError("no node selected")
    return sel[-1]


def selectAll() -> None:
    for n in _current_group().nodes():
        n.setSelected(True)


def invertSelection() -> None:
    for n in _current_group().nodes():
        n.setSelected(not n.isSelected())


def execute(nameOrNode: Any, start: Any = None, end: Any = None, incr: int = 1, views: Any = None,
            continueOnError: bool = False) -> None:
    node = toNode(nameOrNode) if isinstance(nameOrNode, str) else nameOrNode
    if node is None or node.Class() != "Write":
        raise ValueError(f"{nameOrNode} cannot be executed")
    if node["disable"].value():
        raise RuntimeError(f"{node.name()}: node is disabled")
    if not node["file"].value():
        raise RuntimeError(f"{node.name()}: no filename set")
    if _STATE.renderer is None:
        raise RuntimeError("fake nuke: no renderer set (tests set fake_set_renderer)")
    _STATE.executed.append((node.fullName(), int(start), int(end)))
    for f in range(int(start), int(end) + 1, int(incr)):
        _STATE.renderer(node, f)


def fake_set_renderer(renderer: Callable[[Node, int], None] | None) -> None:
    _STATE.renderer = renderer


def _main_thread_only(what: str) -> None:
    """GUI calls belong to the main thread (Python dev guide, executeInMain: "Functions for
    parallel threads to run stuff that can only be in the main Nuke thread")."""
    if _threading.current_thread() is not _threading.main_thread():
        raise RuntimeError(f"nuke.{what} called from a worker thread; use nuke.executeInMainThread")


def message(prompt: str) -> None:
    _main_thread_only("message")
    _STATE.messages.append(prompt)


def ask(prompt: str) -> bool:
    _STATE.messages.append(prompt)
    return True


def tprint(*args: Any, sep: str = " ", end: str = "\n", file: IO | None = None) -> None:
    print(*args, sep=sep, end=end, file=file or sys.stdout)


def warning(message: str) -> None:
    _STATE.log.append("warning: " + message)


def error(message: str) -> None:
    _STATE.log.append("error: " + message)


def debug(message: str) -> None:
    _STATE.log.append("debug: " + message)


def menu(name: str) -> Menu:
    return _STATE.menus.setdefault(name, Menu(name))


def toolbar(name: str, create: bool = True) -> Menu | None:
    if name not in _STATE.toolbars and not create:
        return None
    return _STATE.toolbars.setdefault(name, Menu(name))


def _register(kind: str, call: Any, args: Any, kwargs: Any, nodeClass: str) -> None:
    _STATE.callbacks.setdefault(kind, []).append((call, tuple(args), dict(kwargs or {}), nodeClass))


def addOnCreate(call, args=(), kwargs=None, nodeClass: str = "*") -> None:
    if kwargs is None:
        kwargs = {}
    _register("onCreate", call, args, kwargs, nodeClass)


def addOnUserCreate(call, args=(), kwargs=None, nodeClass: str = "*") -> None:
    if kwargs is None:
        kwargs = {}
    _register("onUserCreate", call, args, kwargs, nodeClass)


def addOnScriptLoad(call, args=(), kwargs=None, nodeClass: str = "Root") -> None:
    if kwargs is None:
        kwargs = {}
    _register("onScriptLoad", call, args, kwargs, nodeClass)


def addKnobChanged(call, args=(), kwargs=None, nodeClass: str = "*", node: Any = None) -> None:
    if kwargs is None:
        kwargs = {}
    _register("knobChanged", call, args, kwargs, nodeClass)


def pluginAddPath(args, addToSysPath: bool = True) -> None:
    _STATE.plugin_paths.append(str(args))


def frame(f: int | None = None) -> int:
    return 1001 if f is None else f


def scriptName() -> str:
    name = str(_STATE.root["name"].value())
    if not name:
        raise RuntimeError("no script name (the script is untitled)")
    return name


def scriptOpen(filename: str | None = None) -> None:
    if filename not in _STATE.scripts:
        raise RuntimeError(f"{filename}: no such file or directory")
    _STATE.root, _STATE.counters, _STATE.context = Root(), {}, []   # the script replaces the graph
    _STATE.scripts[str(filename)]()
    _STATE.root["name"].setValue(str(filename))
    for call, args, kwargs, _cls in _STATE.callbacks.get("onScriptLoad", []):
        call(*args, **kwargs)


def scriptSave(filename: str | None = None) -> bool:
    _STATE.saved.append(filename or scriptName())
    return True


def fake_register_script(path: str, build: Callable[[], None]) -> None:
    """``scriptOpen(path)`` will call ``build()`` to make the graph that script holds."""
    _STATE.scripts[path] = build


def fake_run_script(node: Node, code: str, knob: Knob | None = None) -> None:
    """Run a knob's Python command the way Nuke does: thisNode() is the node, and a Group's
    own knobs run inside it (``selectedNodes()`` and ``nodes.X()`` then mean its insides)."""
    _STATE.this.append((node, knob))
    inside = isinstance(node, Group)
    if inside:
        node.begin()
    try:
        exec(compile(  # noqa: S102  (a knob's Python, as Nuke runs it)
            code, f"<{node.name()}.{knob.name() if knob else ''}>", "exec"), {"nuke": sys.modules[__name__]})
    finally:
        if inside:
            node.end()
        _STATE.this.pop()


def fake_set_ocio_config(name: str) -> None:
    """Project Settings > Color: OCIO colour management with config ``name`` (e.g. aces_1.2)."""
    from nuke._ocio import set_config

    set_config(_STATE.root, name)


def fake_autolabel(node: Node) -> str:
    """The text the DAG draws on ``node``: its ``autolabel`` Python, else name and label.

    Python dev guide, "Autolabel": the autolabel knob holds Python evaluated with
    ``nuke.thisNode()`` set to the node; its string is drawn instead of the default (the
    name, then the label knob below it). The label knob belongs to the artist.
    """
    code = str(node["autolabel"].value())
    if not code:
        label = str(node["label"].value())
        return node.name() + ("\n" + label if label else "")
    _STATE.this.append((node, None))
    try:
        return str(eval(code, {"nuke": sys.modules[__name__]}))  # noqa: S307  (the knob's Python, as Nuke runs it)
    finally:
        _STATE.this.pop()


def fake_press(node: Node, knob_name: str) -> None:
    """The artist presses a button knob (a background Process may still run after)."""
    knob = node[knob_name]
    assert isinstance(knob, Script_Knob), f"{knob_name} is not a button"
    knob.execute()


def fake_user_set(knob: Knob, value: Any) -> None:
    """The artist changes a knob in the panel: set it, then run the knobChanged callbacks."""
    knob.setValue(value)
    node = knob.node()
    _STATE.this.append((node, knob))
    try:
        for call, args, kwargs, node_class in _STATE.callbacks.get("knobChanged", []):
            if node_class in ("*", node.Class()):
                call(*args, **kwargs)
    finally:
        _STATE.this.pop()



def executeInMainThread(call, args=(), kwargs=None) -> None:
    """Queued: the call runs later, on the main thread, when Nuke's event loop gets to it.

    Python dev guide, nuke.executeInMainThread: "Execute the callable ... in Nuke's main thread
    and return immediately" (the source posts a request to _nuke.RunInMainThread). Tests run
    the queue with ``fake_process_events()``, as the GUI's event loop would.
    """
    _STATE.main_thread_calls.append(getattr(call, "__name__", repr(call)))
    if type(args) is not tuple:  # as the source does: a lone argument becomes a 1-tuple
        args = (args,)
    with _STATE.queue_lock:
        _STATE.queued.append((call, args, dict(kwargs or {})))


def executeInMainThreadWithResult(call, args=(), kwargs=None) -> Any:
    if _threading.current_thread() is not _threading.main_thread():
        raise RuntimeError("fake nuke: executeInMainThreadWithResult from a worker would wait for the "
                           "event loop; tests run it on the main thread only")
    return call(*args, **(kwargs or {}))


def fake_process_events() -> int:
    """Run the calls queued by ``executeInMainThread`` (the GUI's event loop); how many ran."""
    assert _threading.current_thread() is _threading.main_thread(), "events run on the main thread"
    ran = 0
    while True:
        with _STATE.queue_lock:
            if not _STATE.queued:
                return ran
            call, args, kwargs = _STATE.queued.pop(0)
        call(*args, **kwargs)
        ran += 1
