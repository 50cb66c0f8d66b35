"""Fake Nuke knob classes (names and signatures follow the types-nuke stubs)."""

from __future__ import annotations

import os as _os
import re as _re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nuke._graph import Node


class CancelledError(Exception):
    pass


# ---- knobs -------------------------------------------------------------------------------

class Knob:
    _default: Any = ""

    def __init__(self, *args, **kwargs) -> None:
        self._name = str(args[0]) if args else ""
        self._label = str(args[1]) if len(args) > 1 and isinstance(args[1], str) else self._name
        self._value: Any = self._default
        self._flags = 0
        self._tooltip = ""
        self._enabled = True
        self._visible = True
        self._node: Node | None = None

    def Class(self) -> str:
        return type(self).__name__

    def name(self) -> str:
        return self._name

    def label(self) -> str:
        return self._label

    def setLabel(self, label: str) -> None:
        self._label = label

    def node(self) -> Node:
        assert self._node is not None, "knob is not on a node"
        return self._node

    def value(self, index: int = 0) -> Any:
        return self._value

    def getValue(self, channel: int = 0) -> Any:
        return self._value

    def setValue(self, val: Any, chan: int = 0) -> bool:
        self._value = val
        return True

    def setFlag(self, flag: int) -> None:
        self._flags |= flag

    def clearFlag(self, flag: int) -> None:
        self._flags &= ~flag

    def getFlag(self, flag: int) -> bool:
        return bool(self._flags & flag)

    def setTooltip(self, tooltip: str) -> None:
        self._tooltip = tooltip

    def tooltip(self) -> str:
        return self._tooltip

    def setEnabled(self, enabled: bool) -> None:
        self._enabled = enabled

    def enabled(self) -> bool:
        return self._enabled

    def setVisible(self, visible: bool) -> None:
        self._visible = visible

    def visible(self) -> bool:
        return self._visible

    def fullyQualifiedName(self, channel: int = -1) -> str:
        return f"{self.node().fullName()}.{self._name}"


class Array_Knob(Knob):
    _default: Any = 0.0

    def value(self, *args, **kwargs) -> Any:
        return self._value

    def getValue(self, *args, **kwargs) -> Any:
        return self._value

    def setValue(self, *args, **kwargs) -> Any:
        self._value = args[0]
        return True

    def setRange(self, *args, **kwargs) -> Any:
        self._range = (args[0], args[1])


class Double_Knob(Array_Knob):
    pass


class Int_Knob(Array_Knob):
    _default = 0

    def setValue(self, val) -> bool:
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise TypeError(f"Int_Knob {self._name}: int expected, got {val!r}")
        self._value = int(val)
        return True

    def value(self) -> int:
        return int(self._value)


class Boolean_Knob(Array_Knob):
    _default = False

    def setValue(self, b) -> bool:
        self._value = bool(b)
        return True

    def value(self) -> bool:
        return bool(self._value)


class Disable_Knob(Boolean_Knob):
    pass


class Color_Knob(Array_Knob):
    pass


class Unsigned_Knob(Array_Knob):
    pass


class Enumeration_Knob(Unsigned_Knob):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._values: list[str] = [str(v) for v in (args[2] if len(args) > 2 else [])]
        self._value = 0

    def values(self) -> Any:
        return list(self._values)

    def setValues(self, *args, **kwargs) -> Any:
        current = self.value()
        self._values = [str(v) for v in args[0]]
        self._value = self._values.index(current) if current in self._values else 0

    def numValues(self) -> int:
        return len(self._values)

    def enumName(self, n: int) -> str:
        return self._values[n]

    def value(self) -> Any:
        return self._values[self._value] if self._values else ""

    def getValue(self, *args, **kwargs) -> Any:
        return float(self._value)

    def setValue(self, *args, **kwargs) -> Any:
        val = args[0]
        if isinstance(val, str):
            if val not in self._values:
                raise ValueError(f"Bad value for {self._name} : {val}")
            self._value = self._values.index(val)
        else:
            self._value = int(val)
        return True


class Pulldown_Knob(Enumeration_Knob):
    pass


class String_Knob(Knob):
    def setValue(self, val, view="default") -> None:
        self._value = str(val)

    def value(self, oc=None) -> str:
        return str(self._value)

    def getValue(self, *args, **kwargs) -> Any:
        return str(self._value)


def _expand_tcl(text: str) -> str:
    """The TCL a file knob may hold, as Nuke expands it on ``evaluate()``.

    Foundry, "Converting Expressions Between Scripting Languages": "[ ] (square brackets) to
    embed Tcl in a Nuke expression (or a string knob)"; Python dev guide, EvalString_Knob:
    "A string-valued knob which evaluates its value as a TCL expression", ``evaluate()``:
    "Evaluate the string, performing substitutions" (``value()`` keeps the text as typed).
    The fake knows ``[getenv NAME]`` and ``$env(NAME)``, the two pipelines use most.
    """
    text = _re.sub(r"\[getenv\s+([A-Za-z_][A-Za-z0-9_]*)\]", lambda m: _os.environ.get(m.group(1), ""), text)
    return _re.sub(r"\$env\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: _os.environ.get(m.group(1), ""), text)


class EvalString_Knob(String_Knob):
    def evaluate(self, *args, **kwargs) -> Any:
        return _expand_tcl(str(self._value))


class File_Knob(EvalString_Knob):
    def setValue(self, *args, **kwargs) -> Any:
        self._value = str(args[0])

    def value(self, *args, **kwargs) -> Any:
        return str(self._value)

    def getValue(self, *args, **kwargs) -> Any:
        return str(self._value)

    def getEvaluatedValue(self, *args, **kwargs) -> Any:
        return _expand_tcl(str(self._value))


class Multiline_Eval_String_Knob(EvalString_Knob):
    pass


class Script_Knob(String_Knob):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._value = str(args[2]) if len(args) > 2 else ""

    def command(self) -> str:
        return str(self._value)

    def setCommand(self, cmd) -> None:
        self._value = str(cmd)

    def setValue(self, cmd) -> None:
        self._value = str(cmd)

    def value(self) -> str:
        return str(self._value)

    def execute(self) -> None:
        from nuke import fake_run_script

        fake_run_script(self.node(), str(self._value), self)


class PyScript_Knob(Script_Knob):
    pass


class Text_Knob(Knob):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._value = str(args[2]) if len(args) > 2 else ""

    def setValue(self, *args, **kwargs) -> Any:
        self._value = str(args[0])

    def value(self, *args, **kwargs) -> Any:
        return str(self._value)


class Tab_Knob(Knob):
    pass


