"""Avid ALE (Avid Log Exchange) sidecars -> shot rows with frame ranges and ASC CDL.

Read through OpenTimelineIO's ``ale`` adapter (the ``otio-ale-adapter`` plugin, a dependency);
when the plugin is missing, a small parser of the tab-separated Heading / Column / Data
sections gives the same rows (a test checks the two agree).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_TRIPLE = re.compile(r"\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)")
_TC = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})[:;.](\d{2,3})$")


def parse_asc_sop(text: str) -> dict[str, list[float]] | None:
    """``(s s s)(o o o)(p p p)`` -> {slope, offset, power}; None when it is not three triples."""
    triples = _TRIPLE.findall(text or "")
    if len(triples) < 3:
        return None
    s, o, p = ([float(x) for x in t] for t in triples[:3])
    return {"slope": s, "offset": o, "power": p}


def timecode_to_frames(tc: str, fps: float) -> int:
    """Non-drop ``HH:MM:SS:FF`` at ``fps`` -> frame count; raises ValueError naming the text."""
    m = _TC.match(tc.strip())
    if m is None:
        raise ValueError(f"timecode {tc!r} is not HH:MM:SS:FF")
    h, mi, s, f = (int(g) for g in m.groups())
    base = int(round(fps))
    return ((h * 60 + mi) * 60 + s) * base + f


def _parse_text(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    heading: dict[str, str] = {}
    columns: list[str] = []
    rows: list[dict[str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        key = line.strip()
        if key in ("Heading", "Column", "Data"):
            section = key
            continue
        if not key:
            continue
        if section == "Heading":
            name, _, value = line.partition("\t")
            heading[name.strip()] = value.strip()
        elif section == "Column":
            columns = [c.strip() for c in line.split("\t")]
        elif section == "Data":
            cells = line.split("\t")
            rows.append({c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns)})
    if not columns:
        raise ValueError("no Column section")
    return heading, rows


def _rows_via_otio(path: Path) -> tuple[dict[str, str], list[dict[str, str]]] | None:
    try:
        import opentimelineio as otio

        if "ale" not in otio.adapters.available_adapter_names():
            return None
        timeline = otio.adapters.read_from_file(str(path), adapter_name="ale")
    except ImportError:
        return None
    heading = {str(k): str(v) for k, v in dict(timeline.metadata.get("ALE", {}).get("header", {})).items()}
    rows = []
    for clip in timeline.find_clips():
        row = {str(k): str(v) for k, v in dict(clip.metadata.get("ALE", {})).items()}
        # the adapter moves Start/End into the clip's range and ASC_SOP/ASC_SAT into metadata["cdl"]
        rng = clip.source_range
        if rng is not None and "Start" not in row:
            rate = rng.start_time.rate
            row["Start"] = otio.opentime.to_timecode(rng.start_time, rate)
            row["End"] = otio.opentime.to_timecode(rng.end_time_exclusive(), rate)
        cdl = dict(clip.metadata.get("cdl", {}))
        sop = dict(cdl.get("asc_sop", {}))
        if sop and "ASC_SOP" not in row:
            row["ASC_SOP"] = "".join("(" + " ".join(str(float(x)) for x in sop[k]) + ")"
                                     for k in ("slope", "offset", "power"))
        if "asc_sat" in cdl and "ASC_SAT" not in row:
            row["ASC_SAT"] = str(cdl["asc_sat"])
        rows.append(row)
    return heading, rows


def read_ale(path: str | Path) -> list[dict[str, Any]]:
    """Read an ALE into shot rows: name, tape, start/end timecode, frame range, cdl, metadata.

    ``cdl`` is {slope:[r,g,b], offset:[r,g,b], power:[r,g,b], sat: float} when the row has
    ASC_SOP (ASC_SAT defaults to 1.0), else None. ``last_frame`` is End minus one (Avid's End
    is exclusive). Raises ValueError naming the file when it is not an ALE.
    """
    path = Path(path)
    try:
        parsed = _rows_via_otio(path)
        if parsed is None:
            parsed = _parse_text(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as exc:
        raise ValueError(f"{path} is not a readable ALE: {exc}") from exc
    heading, rows = parsed
    try:
        fps = float(heading.get("FPS", "24") or 24)
    except ValueError:
        fps = 24.0
    out: list[dict[str, Any]] = []
    for row in rows:
        name = row.get("Name") or row.get("Source File") or row.get("Tape") or ""
        if not name:
            continue
        start, end = row.get("Start", ""), row.get("End", "")
        first = last = None
        if start and end:
            try:
                first, last = timecode_to_frames(start, fps), timecode_to_frames(end, fps) - 1
            except ValueError:
                first = last = None
        cdl: dict[str, Any] | None = parse_asc_sop(row.get("ASC_SOP", ""))
        if cdl is not None:
            try:
                cdl["sat"] = float(row.get("ASC_SAT") or 1.0)
            except ValueError:
                cdl["sat"] = 1.0
        out.append({
            "name": name, "tape": row.get("Tape") or None, "start_tc": start or None, "end_tc": end or None,
            "first_frame": first, "last_frame": last, "cdl": cdl,
            "metadata": {"fps": fps, "camera": row.get("Camera") or None, **{k: v for k, v in row.items() if v}},
        })
    return out
