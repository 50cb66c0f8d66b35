"""ASC CDL values as Resolve's ``SetCDL`` wants them (space-separated strings).

Pure standard library: ``.cc`` / ``.cdl`` / ``.ccc`` XML (first ColorCorrection, read by
``hostbridge.cdl``) and the ``{"slope": [r, g, b], ...}`` dicts a task summary may carry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from hostbridge.cdl import parse_cdl

if TYPE_CHECKING:
    from fusionscript import CDLMap

IDENTITY = {"Slope": "1 1 1", "Offset": "0 0 0", "Power": "1 1 1", "Saturation": "1"}


def _numbers(values: Sequence[float], count: int, what: str) -> str:
    if len(values) != count:
        raise ValueError(f"CDL {what} {list(values)!r} must have {count} number(s)")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"CDL {what} {list(values)!r} is not finite")
    return " ".join(_fmt(v) for v in values)


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_cc(data: bytes) -> dict[str, str]:
    """The first ColorCorrection of a .cc/.cdl/.ccc file as {"Slope","Offset","Power","Saturation"}
    (read by hostbridge's one CDL parser)."""
    return from_values(parse_cdl(data))


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
        out[key.capitalize()] = _numbers([float(v) for v in items], count, key)
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
