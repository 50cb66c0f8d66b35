"""Pure helpers: timecodes, source media paths and the frame a timeline position shows.

No Resolve objects here; ``clips.py`` feeds these with what the API returns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

MOVIE_EXTENSIONS = (".mov", ".mp4", ".mxf", ".m4v", ".avi", ".mkv", ".braw", ".r3d", ".ari")
_BRACKETS = re.compile(r"^(?P<head>.*?)\[(?P<first>\d+)-(?P<last>\d+)\](?P<tail>[^/\\]*)$")


def frame_rate_from_setting(value: str) -> float:
    """``Timeline.GetSetting("timelineFrameRate")`` text ("24", "23.976", "29.97 DF") to fps."""
    match = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", value or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"timeline frame rate {value!r} is not a number of frames per second")
    return float(match.group(1))


def timecode_to_frame(timecode: str, fps: float) -> int:
    """``HH:MM:SS:FF`` (``;`` before FF means drop-frame) to an absolute frame count."""
    match = re.match(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2,3})$", timecode.strip())
    if not match:
        raise ValueError(f"timecode {timecode!r} is not HH:MM:SS:FF")
    hours, minutes, seconds, sep, frames = match.groups()
    nominal = round(fps)
    h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
    if f >= nominal:
        raise ValueError(f"timecode {timecode!r} has frame {f} at {fps:g} fps")
    total = ((h * 60 + m) * 60 + s) * nominal + f
    if sep == ";" and nominal in (30, 60):
        drop = 2 if nominal == 30 else 4
        total_minutes = h * 60 + m
        total -= drop * (total_minutes - total_minutes // 10)
    return total


def frame_to_timecode(frame: int, fps: float, drop: bool = False) -> str:
    """Inverse of ``timecode_to_frame``; ``drop`` writes 29.97/59.94 drop-frame (``;`` before FF)."""
    if frame < 0:
        raise ValueError(f"frame {frame} is negative; timecodes start at 00:00:00:00")
    nominal = round(fps)
    sep = ":"
    if drop and nominal in (30, 60):
        skip = 2 if nominal == 30 else 4
        per_10min = nominal * 600 - skip * 9
        per_min = nominal * 60 - skip
        tens, rest = divmod(frame, per_10min)
        frame += skip * 9 * tens + (skip * ((rest - skip) // per_min) if rest > skip else 0)
        sep = ";"
    f = frame % nominal
    s = frame // nominal
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{sep}{f:02d}"


@dataclass(frozen=True)
class SourceMedia:
    """What a clip's "File Path" names: an image sequence, a single image or a movie.

    ``pattern`` is printf-style (``/p/plate.%04d.exr``) for sequences, the path otherwise;
    ``first``/``last`` are file frame numbers for sequences (0 for single files).
    """

    path: str
    pattern: str
    first: int
    last: int
    kind: str  # "sequence" | "image" | "movie"

    def frame_path(self, number: int) -> str:
        """The file holding frame ``number`` of a sequence (the path itself otherwise)."""
        if self.kind != "sequence":
            return self.path
        if not self.first <= number <= self.last:
            raise ValueError(f"frame {number} is outside {self.path} ({self.first}-{self.last})")
        return self.pattern % number


def parse_source_path(file_path: str) -> SourceMedia:
    """Read Resolve's ``File Path`` clip property.

    Sequences appear as ``/p/plate.[1001-1100].exr`` (padding from the digits shown);
    an already printf-style ``plate.%04d.exr`` or ``plate.####.exr`` is accepted too.
    """
    if not file_path:
        raise ValueError("the clip has no File Path (a generator, title or compound clip?)")
    match = _BRACKETS.match(file_path)
    if match:
        first_text = match.group("first")
        pad = len(first_text)
        pattern = match.group("head").replace("%", "%%") + f"%0{pad}d" + match.group("tail").replace("%", "%%")
        first, last = int(first_text), int(match.group("last"))
        if last < first:
            raise ValueError(f"source {file_path!r} has its range backwards")
        return SourceMedia(file_path, pattern, first, last, "sequence")
    hashes = re.search(r"#+", file_path)
    if hashes or re.search(r"%0?\d*d", file_path):
        pattern = file_path
        if hashes:
            pattern = file_path[:hashes.start()] + f"%0{len(hashes.group(0))}d" + file_path[hashes.end():]
        return SourceMedia(file_path, pattern, 0, 10 ** 9, "sequence")
    if file_path.lower().endswith(MOVIE_EXTENSIONS):
        return SourceMedia(file_path, file_path, 0, 0, "movie")
    return SourceMedia(file_path, file_path, 0, 0, "image")


def source_frame_number(media: SourceMedia, source_start: int, offset: int) -> int:
    """The file frame number shown ``offset`` frames into a clip.

    ``source_start`` is ``TimelineItem.GetSourceStartFrame()``: "the start frame position of the media
    pool clip in the timeline clip" (Resolve's scripting README), counted from the media's first frame,
    as others' tools read it (the media's start plus it) and as ``AppendToTimeline``'s ``startFrame``
    takes it. Read as a file frame number whenever it fell inside the sequence's numbers, a take
    numbered 0001 trimmed in by 4 was read one frame late, and one numbered 1001-2500 trimmed in by 1200
    a thousand frames early. ValueError when the frame lies outside the sequence's files.
    """
    if offset < 0:
        raise ValueError(f"offset {offset} is before the clip's first frame")
    if media.kind != "sequence":
        return source_start + offset
    number = media.first + source_start + offset
    if not media.first <= number <= media.last:
        raise ValueError(f"the clip starts {source_start} frame(s) into {media.pattern} (GetSourceStartFrame), "
                         f"so its frame {offset} is file frame {number}, outside the files {media.first}-"
                         f"{media.last}; Resolve's media and the files on disk disagree (relink the clip)")
    return number


def sequence_spec(folder: str, stem: str, first: int, last: int, ext: str = "exr") -> tuple[str, list[str]]:
    """Printf pattern and the list of paths for an output sequence ``stem.####.ext``."""
    if last < first:
        raise ValueError(f"frame range {first}-{last} is empty")
    pad = max(4, len(str(last)))
    pattern = os.path.join(folder, f"{stem}.%0{pad}d.{ext}")
    return pattern, [pattern % n for n in range(first, last + 1)]


def next_version(existing: list[str], stem: str) -> int:
    """The next free ``_v###`` number among names starting with ``stem``."""
    numbers = [int(m.group(1)) for name in existing
               for m in [re.match(re.escape(stem) + r"_v(\d+)", name)] if m]
    return max(numbers, default=0) + 1


def clamp_optional(value: int | None, low: int, high: int) -> int:
    """``value`` clamped into ``[low, high]``; None means the middle."""
    if value is None:
        return (low + high) // 2
    return max(low, min(high, value))
