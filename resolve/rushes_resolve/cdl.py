"""ASC CDL values as Resolve's ``SetCDL`` wants them (space-separated strings).

Pure standard library: reads ``.cc`` / ``.cdl`` / ``.ccc`` XML (first ColorCorrection)
and the ``{"slope": [r, g, b], ...}`` dicts a task summary may carry.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fusionscript import CDLMap

IDENTITY = {"Slope": "1 1 1", "Offset": "0 0 0", "Power": "1 1 1", "Saturation": "1"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _numbers(text: str, count: int, what: str) -> str:
    parts = text.split()
    if len(parts) != count:
        raise ValueError(f"CDL {what} {text!r} must have {count} number(s)")
    values = []
    for part in parts:
        value = float(part)
        if not math.isfinite(value):
            raise ValueError(f"CDL {what} {text!r} is not finite")
        values.append(value)
    return " ".join(_fmt(v) for v in values)


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_cc(data: bytes) -> dict[str, str]:
    """The first ColorCorrection of a .cc/.cdl/.ccc file as {"Slope","Offset","Power","Saturation"}."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"CDL file is not valid XML ({exc})") from exc
    found: dict[str, str] = {}
    for element in root.iter():
        name = _local(element.tag)
        if name in ("Slope", "Offset", "Power") and name not in found:
            found[name] = _numbers(element.text or "", 3, name)
        elif name == "Saturation" and name not in found:
            found[name] = _numbers(element.text or "", 1, name)
    if not {"Slope", "Offset", "Power"} <= set(found):
        raise ValueError("CDL file has no complete SOPNode (Slope, Offset, Power)")
    found.setdefault("Saturation", "1")
    return found


def from_values(values: Mapping[str, Any]) -> dict[str, str]:
    """``{"slope": [r,g,b], "offset": [...], "power": [...], "saturation": s}`` (any case) to strings."""
    lower = {str(k).lower(): v for k, v in values.items()}
    out: dict[str, str] = {}
    for key, count in (("slope", 3), ("offset", 3), ("power", 3), ("saturation", 1)):
        if key not in lower:
            if key == "saturation":
                out["Saturation"] = "1"
                continue
            raise ValueError(f"CDL values have no {key!r}; got {sorted(lower)}")
        value = lower[key]
        items: Sequence[Any] = value if isinstance(value, (list, tuple)) else [value]
        out[key.capitalize()] = _numbers(" ".join(str(float(v)) for v in items), count, key)
    return out


def cdl_map(node: int, values: Mapping[str, str]) -> CDLMap:
    """The dict for ``TimelineItem.SetCDL``: NodeIndex and values as strings.

    Resolve's documentation writes every value as a string, ``"NodeIndex": "1"`` included
    (the 21.0 stubs type NodeIndex as int; Resolve reads both).
    """
    if node < 1:
        raise ValueError(f"node index {node} must be 1 or more (Resolve counts nodes from 1)")
    result = {"NodeIndex": str(node)}
    for key in ("Slope", "Offset", "Power", "Saturation"):
        result[key] = values[key]
    return cast("CDLMap", result)
