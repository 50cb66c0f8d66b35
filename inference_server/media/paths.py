"""Names of frames on disk: sequence patterns, frame numbers, movie extensions, overwrite checks.

``shot/plate.####.exr`` or ``shot/plate.%04d.exr`` is a numbered sequence (``#`` count or ``%0Nd``
gives the padding; numbers wider than the padding are accepted); a movie is named by its extension.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

MOVIE_EXTS = (".mov", ".mp4", ".mxf", ".m4v", ".mkv", ".avi", ".webm")
_PATTERN = re.compile(r"(#+|%0?(\d*)d|@+)")
_FRAME_NO = re.compile(r"^(?P<head>.*?)(?P<num>\d+)$")
CASE_BLIND = sys.platform in ("darwin", "win32")  # their usual file systems ignore case


def is_movie(spec: str) -> bool:
    return os.path.splitext(spec)[1].lower() in MOVIE_EXTS


def split_pattern(spec: str) -> tuple[str, int, str] | None:
    """``dir/name.####.exr`` -> (``dir/name.``, 4, ``.exr``); None when ``spec`` has no pattern."""
    name = os.path.basename(spec)
    matches = list(_PATTERN.finditer(name))
    if not matches:
        return None
    m = matches[-1]
    token = m.group(1)
    pad = len(token) if token[0] in "#@" else int(m.group(2) or 1)
    head = os.path.join(os.path.dirname(spec), name[:m.start()])
    return head, pad, name[m.end():]


def is_pattern(spec: str) -> bool:
    """True when ``spec`` names a numbered sequence (``####``, ``%04d``)."""
    return split_pattern(spec) is not None


def split_frame_number(path: Path) -> tuple[str, int, int] | None:
    """``shot.1001.exr`` -> (``shot.``, 1001, 4 digits); None when the stem has no trailing number."""
    m = _FRAME_NO.match(path.stem)
    if m is None:
        return None
    return m.group("head"), int(m.group("num")), len(m.group("num"))


def output_path(out_spec: str, number: int) -> str:
    """The file for frame ``number`` of ``out_spec`` (a pattern; a plain file name is returned as is)."""
    if is_movie(out_spec):
        raise ValueError(f"cannot write a movie ({out_spec}); write an image sequence such as name.####.exr")
    parts = split_pattern(out_spec)
    if parts is None:
        return out_spec
    head, pad, tail = parts
    sign = "-" if number < 0 else ""
    return f"{head}{sign}{abs(number):0{pad}d}{tail}"


def scan(spec: str) -> dict[int, str]:
    """Frame number -> path for every file on disk matching the pattern ``spec``."""
    parts = split_pattern(spec)
    assert parts is not None
    head, pad, tail = parts
    folder = os.path.dirname(head) or "."
    prefix = os.path.basename(head)
    rx = re.compile(re.escape(prefix) + r"(-?\d+)" + re.escape(tail) + r"$")
    found: dict[int, str] = {}
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no folder {folder!r} for sequence {spec!r}")
    for entry in os.listdir(folder):
        m = rx.match(entry)
        if m and len(m.group(1).lstrip("-")) >= pad:
            found[int(m.group(1))] = os.path.join(folder, entry)
    return found


def _same(a: str, b: str) -> bool:
    return _fold(os.path.realpath(a)) == _fold(os.path.realpath(b))


def _fold(name: str) -> str:
    return name.casefold() if CASE_BLIND else name


def refuse_overwrite(inputs: Sequence[str], out_spec: str) -> None:
    """Raise FileExistsError when any frame written to ``out_spec`` would land on an input.

    ``inputs`` are specs (patterns, images or movies) or concrete files.
    """
    out_parts = split_pattern(out_spec)
    for spec in inputs:
        in_parts = split_pattern(spec)
        clash = False
        if out_parts and in_parts:
            clash = (_same(os.path.dirname(out_parts[0]) or ".", os.path.dirname(in_parts[0]) or ".")
                     and _fold(os.path.basename(out_parts[0])) == _fold(os.path.basename(in_parts[0]))
                     and _fold(out_parts[2]) == _fold(in_parts[2]))
        elif out_parts:
            head, _, tail = out_parts
            name = os.path.basename(spec)
            rx = re.escape(os.path.basename(head)) + r"-?\d+" + re.escape(tail) + "$"
            clash = (_same(os.path.dirname(head) or ".", os.path.dirname(spec) or ".")
                     and re.match(rx, name, re.IGNORECASE if CASE_BLIND else 0) is not None)
        elif in_parts:
            head, _, tail = in_parts
            rx = re.escape(os.path.basename(head)) + r"-?\d+" + re.escape(tail) + "$"
            clash = (_same(os.path.dirname(head) or ".", os.path.dirname(out_spec) or ".")
                     and re.match(rx, os.path.basename(out_spec), re.IGNORECASE if CASE_BLIND else 0) is not None)
        else:
            clash = _same(spec, out_spec)
        if clash:
            raise FileExistsError(f"refusing to write {out_spec!r}: it would overwrite the input {spec!r}")


def parse_frame_range(text: str) -> tuple[int, int]:
    """``"1001-1050"`` -> (1001, 1050); ``"1001"`` -> (1001, 1001)."""
    m = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", text)
    if not m:
        raise ValueError(f"frame range {text!r} is not A-B (for example 1001-1050)")
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) is not None else a
    if b < a:
        raise ValueError(f"frame range {text!r} ends before it starts")
    return a, b


def ensure_folder(path: str | os.PathLike[str]) -> None:
    """Create the folder that will hold ``path`` (for output sequences)."""
    Path(os.fspath(path)).parent.mkdir(parents=True, exist_ok=True)
