"""ASC CDL files (.cc / .cdl / .ccc XML) read with the standard library, for every host.

The daemon reads CDLs through OpenColorIO; hosts (no OCIO, maybe no numpy) read them here.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Dict, List, Union

CdlValues = Dict[str, Union[List[float], float]]   # slope, offset, power: 3 floats; saturation: float


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _numbers(text: str, count: int, what: str) -> List[float]:
    parts = text.split()
    if len(parts) != count:
        raise ValueError(f"CDL has no valid {what}: {text.strip()!r} must have {count} number(s)")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"CDL has no valid {what}: {part!r} in {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"CDL has no valid {what}: {text.strip()!r} is not finite")
        values.append(value)
    return values


def parse_cdl(data: Union[bytes, str], cccid: str = "") -> CdlValues:
    """The first ColorCorrection of a .cc/.cdl/.ccc document (or the one whose id is ``cccid``)
    as ``{"slope": [r, g, b], "offset": [...], "power": [...], "saturation": s}``.

    Saturation defaults to 1 when the file has no SatNode; ValueError names what is missing or wrong.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"CDL file is not valid XML ({exc})") from None
    corrections = [e for e in root.iter() if _local(e.tag) == "ColorCorrection"] or [root]
    if cccid:
        corrections = [e for e in corrections if e.get("id") == cccid]
        if not corrections:
            raise ValueError(f"CDL file has no ColorCorrection with id {cccid!r}")
    found: CdlValues = {}
    for element in corrections[0].iter():
        name = _local(element.tag).lower()
        if name in ("slope", "offset", "power") and name not in found:
            found[name] = _numbers(element.text or "", 3, name.capitalize())
        elif name == "saturation" and name not in found:
            found[name] = _numbers(element.text or "", 1, "Saturation")[0]
    missing = [k.capitalize() for k in ("slope", "offset", "power") if k not in found]
    if missing:
        raise ValueError(f"CDL has no valid {missing[0]} (a SOPNode needs Slope, Offset and Power)")
    found.setdefault("saturation", 1.0)
    return found


def read_cdl(path: str, cccid: str = "") -> CdlValues:
    """``parse_cdl`` of the file at ``path``; ValueError naming the file when it cannot be read or used."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        return parse_cdl(data, cccid)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the CDL {path}: {exc}") from None
