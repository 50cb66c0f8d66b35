"""The options dialog through a fake of Resolve's UIManager, and the console fallback."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from rushes_resolve.ui import ConsoleReporter, Field, UIReporter, make_reporter

FIELDS = (Field("node", "Node", "int", 1), Field("apply_cdl", "Also set the CDL", "bool", False),
          Field("task", "Repair", "choice", "wire_removal", ("wire_removal", "clean_plate")),
          Field("name", "Look name", "text", ""))


class Widget(SimpleNamespace):
    def AddItem(self, text: str) -> None:
        self.items = getattr(self, "items", []) + [text]

    @property
    def CurrentText(self) -> str:
        return str(self.items[self.CurrentIndex])


class FakeUI:
    """``fusion.UIManager``: widget constructors taking a props dict (and children)."""

    def __getattr__(self, kind: str) -> Any:
        def make(props: Any = None, children: Any = None) -> Widget:
            if isinstance(props, list):
                props, children = {}, props
            return Widget(kind=kind, children=children or [], **(props or {}))
        return make


class Window:
    def __init__(self, props: dict[str, Any], layout: Widget) -> None:
        self.props, self.layout, self.shown = props, layout, False
        self.On: Any = SimpleNamespace()

    def GetItems(self) -> dict[str, Widget]:
        found: dict[str, Widget] = {}
        stack = [self.layout]
        while stack:
            w = stack.pop()
            if getattr(w, "ID", None):
                found[w.ID] = w
            stack.extend(w.children)
        return found

    def Show(self) -> None:
        self.shown = True

    def Hide(self) -> None:
        self.shown = False


class Dispatcher:
    """``bmd.UIDispatcher(ui)``: RunLoop plays the colorist's clicks given by the test."""

    def __init__(self, ui: FakeUI, clicks: Any, steps: Any = None) -> None:
        self.ui, self.clicks, self.windows = ui, clicks, []  # type: ignore[var-annotated]
        self.steps = steps

    def AddWindow(self, props: dict[str, Any], layout: Widget) -> Window:
        win = Window(props, layout)
        win.On = _On()
        self.windows.append(win)
        return win

    def RunLoop(self) -> None:
        self.clicks(self.windows[-1])

    def ExitLoop(self) -> None:
        pass

    def StepLoop(self) -> None:
        """One pass of the event loop (as others' Resolve panels pump it): the colorist's
        clicks, if the test has any, reach the newest window's handlers only here."""
        if self.steps is not None:
            self.steps(self.windows[-1])


class _On:
    def __getattr__(self, name: str) -> SimpleNamespace:
        value = SimpleNamespace()
        object.__setattr__(self, name, value)
        return value


def reporter_with(clicks: Any, steps: Any = None) -> UIReporter:
    ui = FakeUI()
    fusion = SimpleNamespace(UIManager=ui)
    bmd = SimpleNamespace(UIDispatcher=lambda u: Dispatcher(u, clicks, steps))
    rep = make_reporter({"fusion": fusion, "bmd": bmd})
    assert isinstance(rep, UIReporter)
    rep.stream = io.StringIO()
    return rep


def test_dialog_returns_the_edited_values() -> None:
    def clicks(win: Window) -> None:
        items = win.GetItems()
        items["node"].Text = "3"
        items["apply_cdl"].Checked = True
        items["task"].CurrentIndex = 1
        win.On.RushesRun.Clicked(None)

    rep = reporter_with(clicks)
    values = rep.ask("Rushes Repair", FIELDS)
    assert values == {"node": 3, "apply_cdl": True, "task": "clean_plate", "name": ""}


def test_cancel_and_bad_input() -> None:
    rep = reporter_with(lambda win: win.On.RushesCancel.Clicked(None))
    assert rep.ask("Rushes Repair", FIELDS) is None

    def typo(win: Window) -> None:
        win.GetItems()["node"].Text = "two"
        win.On.RushesRun.Clicked(None)

    with pytest.raises(ValueError, match="Node: 'two' is not a whole number"):
        reporter_with(typo).ask("Rushes Repair", FIELDS)


def test_progress_window_and_console_fallback() -> None:
    rep = reporter_with(lambda win: None)
    assert rep.progress(1, 4, "frame 1002") is True
    label = rep._disp.windows[-1].GetItems()["RushesProgressText"]
    assert label.Text == "25% frame 1002"
    rep.finish()
    console = make_reporter({})
    assert type(console) is ConsoleReporter
    console.stream = io.StringIO()
    assert console.ask("T", FIELDS, {"node": 2}) == {"node": 2, "apply_cdl": False, "task": "wire_removal", "name": ""}
    assert "Node=2" in console.lines[0]


def test_cancel_in_the_progress_window_stops_the_run() -> None:
    """Issue 17, item 15: the progress window's Cancel sets cancel_requested; progress says stop."""
    pressed: list[int] = []

    def steps(win: Window) -> None:
        if len(pressed) == 1:
            win.On.RushesProgressCancel.Clicked(None)
        pressed.append(1)

    rep = reporter_with(lambda win: None, steps)
    assert rep.progress(1, 10, "fitting") is True
    assert rep.progress(2, 10, "fitting") is False and rep.cancel_requested
    assert rep.progress(3, 10, "fitting") is False


def test_choices_show_labels_and_return_stable_values() -> None:
    """A choice lists the artist labels (UIManager ComboBox.AddItem) and the tool gets the value."""
    from rushes_resolve import look_match, repair

    field = next(f for f in repair.FIELDS if f.name == "task")
    shown: list[Any] = []

    def clicks(win: Window) -> None:
        box = win.GetItems()["task"]
        shown.extend([box.items, box.CurrentIndex])
        box.CurrentIndex = 2
        win.On.RushesRun.Clicked(None)

    assert reporter_with(clicks).ask("Rushes Repair", (field,)) == {"task": "clean_plate"}
    assert shown == [["Wire Removal", "Object Removal", "Clean Plate"], 0]
    assert field.parse("Object Removal") == "object_removal" and field.parse("object_removal") == "object_removal"
    with pytest.raises(ValueError, match="Repair: 'Blur' is not one of Wire Removal, Object Removal, Clean Plate"):
        field.parse("Blur")
    lut = next(f for f in look_match.FIELDS if f.name == "lut_size")  # from look_fit's manifest
    assert (lut.kind, lut.default, lut.label) == ("int", 33, "LUT size")
    space = next(f for f in look_match.FIELDS if f.name == "working_space")
    assert (space.kind, space.default, space.label) == ("text", "ACEScct", "CDL working space")
