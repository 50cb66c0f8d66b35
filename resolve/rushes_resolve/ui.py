"""What the colorist sees: an options dialog, progress and one-sentence results.

``UIReporter`` uses Resolve's UIManager (``fusion.UIManager`` + ``bmd.UIDispatcher``)
when the script was started from the Scripts menu; ``ConsoleReporter`` prints to the
console (Workspace > Console, or a terminal) and takes the defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from hostbridge.manifest import Param


@dataclass(frozen=True)
class Field:
    """One option in a tool's dialog: ``kind`` is "text", "int", "float", "bool" or "choice".

    A choice holds stable values (``choices``, what the tool gets) and, optionally, the labels
    the dialog shows for them (``labels``, same order; empty: the values are shown).
    """

    name: str
    label: str
    kind: str
    default: Any
    choices: tuple[str, ...] = ()
    tooltip: str = ""
    labels: tuple[str, ...] = ()

    @classmethod
    def from_param(cls, param: Param, label: str = "", tooltip: str = "") -> Field:
        """A field for a task parameter: kind, default and choices from the manifest; the label and
        tooltip may be put in the colorist's words (the manifest's otherwise)."""
        kind = {"string": "text"}.get(param.type, param.type)
        return cls(param.name, label or param.label, kind, param.default, tuple(param.values()),
                   tooltip or param.tooltip, tuple(param.labels()))

    def shown(self) -> tuple[str, ...]:
        """What the dialog lists for a choice."""
        return self.labels or self.choices

    def parse(self, raw: Any) -> Any:
        """Turn what the dialog returned into this field's type; ValueError names the field."""
        try:
            if self.kind == "bool":
                return bool(raw) if not isinstance(raw, str) else raw.strip().lower() in ("1", "true", "yes", "on")
            if self.kind == "int":
                return int(str(raw).strip())
            if self.kind == "float":
                return float(str(raw).strip())
        except ValueError as exc:
            wanted = "a whole number" if self.kind == "int" else "a number"
            raise ValueError(f"{self.label}: {raw!r} is not {wanted}") from exc
        text = str(raw)
        if self.kind == "choice" and text not in self.choices:
            by_label = dict(zip(self.shown(), self.choices))
            if text not in by_label:
                raise ValueError(f"{self.label}: {text!r} is not one of {', '.join(self.shown())}")
            return by_label[text]
        return text


class Reporter:
    """Base: console output; subclasses add a dialog."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.lines: list[str] = []
        self.cancel_requested = False

    def say(self, message: str) -> None:
        self.lines.append(message)
        print(f"[Rushes] {message}", file=self.stream)
        try:
            self.stream.flush()
        except (AttributeError, ValueError):
            pass

    def error(self, message: str) -> None:
        self.say(f"error: {message}")

    def ask(self, title: str, fields: Sequence[Field], values: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The options to run with, or None when the colorist cancels. Console: the defaults."""
        chosen = {f.name: f.default for f in fields}
        chosen.update(values or {})
        self.say(title + ": " + ", ".join(f"{f.label}={chosen[f.name]!r}" for f in fields))
        return chosen

    def progress(self, done: int, total: int, message: str = "") -> bool:
        """Show progress; returns False when the colorist asked to cancel."""
        percent = f"{100.0 * done / total:5.1f}%" if total > 0 else "  ...  "
        self.say(f"{percent} {message}".rstrip())
        return not self.cancel_requested

    def finish(self) -> None:
        """Close whatever windows are open."""


ConsoleReporter = Reporter


class UIReporter(Reporter):
    """Dialogs through Resolve's UIManager; every message also goes to the console."""

    def __init__(self, fusion: Any, bmd: Any, stream: TextIO | None = None) -> None:
        Reporter.__init__(self, stream)
        self._ui = fusion.UIManager
        self._disp = bmd.UIDispatcher(self._ui)
        self._progress_win: Any = None

    def ask(self, title: str, fields: Sequence[Field], values: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        ui, disp = self._ui, self._disp
        current = {f.name: f.default for f in fields}
        current.update(values or {})
        rows = [ui.Label({"Text": title, "Weight": 0})]
        for f in fields:
            rows.append(ui.HGroup({"Weight": 0}, [ui.Label({"Text": f.label, "ToolTip": f.tooltip}),
                                                  self._widget(f, current[f.name])]))
        rows.append(ui.HGroup({"Weight": 0}, [ui.Button({"ID": "RushesRun", "Text": "Run"}),
                                               ui.Button({"ID": "RushesCancel", "Text": "Cancel"})]))
        win = disp.AddWindow({"ID": "RushesDialog", "WindowTitle": title,
                              "Geometry": [200, 200, 460, 60 + 32 * len(rows)]}, ui.VGroup(rows))
        outcome = {"ok": False}

        def finish(ok: bool) -> Callable[[Any], None]:
            def handler(_event: Any) -> None:
                outcome["ok"] = ok
                disp.ExitLoop()
            return handler

        win.On.RushesRun.Clicked = finish(True)
        win.On.RushesCancel.Clicked = finish(False)
        win.On.RushesDialog.Close = finish(False)
        win.Show()
        disp.RunLoop()
        items = win.GetItems()
        result = {f.name: f.parse(self._read(f, items[f.name])) for f in fields} if outcome["ok"] else None
        win.Hide()
        return result

    def _widget(self, f: Field, value: Any) -> Any:
        ui = self._ui
        if f.kind == "bool":
            return ui.CheckBox({"ID": f.name, "Checked": bool(value), "Text": ""})
        if f.kind == "choice":
            box = ui.ComboBox({"ID": f.name})
            for shown in f.shown():
                box.AddItem(shown)
            box.CurrentIndex = f.choices.index(value) if value in f.choices else 0
            return box
        return ui.LineEdit({"ID": f.name, "Text": str(value)})

    @staticmethod
    def _read(f: Field, widget: Any) -> Any:
        if f.kind == "bool":
            return widget.Checked
        if f.kind == "choice":
            return widget.CurrentText
        return widget.Text

    def progress(self, done: int, total: int, message: str = "") -> bool:
        if self._progress_win is None:
            ui = self._ui
            self._progress_win = self._disp.AddWindow(
                {"ID": "RushesProgress", "WindowTitle": "Rushes", "Geometry": [240, 240, 420, 90]},
                ui.VGroup([ui.Label({"ID": "RushesProgressText", "Text": ""}),
                           ui.Button({"ID": "RushesProgressCancel", "Text": "Cancel", "Weight": 0})]))

            def cancel(_event: Any) -> None:
                self.cancel_requested = True

            self._progress_win.On.RushesProgressCancel.Clicked = cancel
            self._progress_win.On.RushesProgress.Close = cancel
            self._progress_win.Show()
        percent = f"{100.0 * done / total:.0f}% " if total > 0 else ""
        self._progress_win.GetItems()["RushesProgressText"].Text = f"{percent}{message}"
        self._pump()
        return Reporter.progress(self, done, total, message)

    def _pump(self) -> None:
        """Let the window handle a Cancel click: outside RunLoop, UIManager only delivers
        events when the script steps the dispatcher (others' Resolve panels call StepLoop)."""
        step = getattr(self._disp, "StepLoop", None)
        if step is None:
            return
        try:
            step()
        except Exception:  # noqa: BLE001 (a dispatcher that cannot step leaves Cancel unavailable, not the run)
            return

    def finish(self) -> None:
        if self._progress_win is not None:
            self._progress_win.Hide()
            self._progress_win = None


def make_reporter(script_globals: Mapping[str, Any]) -> Reporter:
    """UIManager dialogs when Resolve handed the script ``fusion`` and ``bmd``; else console."""
    fusion = script_globals.get("fusion") or script_globals.get("fu")
    bmd = script_globals.get("bmd")
    if fusion is not None and bmd is not None and getattr(fusion, "UIManager", None) is not None:
        try:
            return UIReporter(fusion=fusion, bmd=bmd)
        except Exception as exc:  # noqa: BLE001 (a UIManager that will not start must not stop the tool)
            print(f"[Rushes] dialogs unavailable ({exc}); using the console", file=sys.stdout)
    return Reporter()
