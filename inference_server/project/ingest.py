"""Ingest dailies into a project's catalog: scan folders, group sequences, probe, record.

Idempotent: each clip's signature is a hash over (path, size, mtime) of its files, so a re-run
probes only what is new or changed. A file that fails is recorded in ``ingest_errors`` and
skipped; the rest go on. Sources are opened read-only; only the store is written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference_server.media import IMAGE_EXTS, MOVIE_EXTS, probe_image, probe_movie, split_frame_number
from inference_server.project.ale import read_ale
from inference_server.project.store import ProjectStore

ProgressFn = Callable[[int, int, str], None]


@dataclass
class Candidate:
    """One thing to ingest: a movie, an image sequence, a single image, or an ALE sidecar."""

    kind: str                      # movie | sequence | image | ale
    path: str                      # catalog key: the file, or the sequence pattern dir/name.%04d.ext
    files: list[Path]
    numbers: list[int] = field(default_factory=list)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    sidecars: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "failed": len(self.failed), "sidecars": len(self.sidecars), "errors": dict(self.failed)}


def signature(files: Iterable[Path]) -> tuple[str, int, float]:
    """(sha1 over name/size/mtime_ns of each file, total size, latest mtime)."""
    h = hashlib.sha1()
    total, latest = 0, 0.0
    for f in sorted(files):
        st = f.stat()
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        total += st.st_size
        latest = max(latest, st.st_mtime)
    return h.hexdigest(), total, latest


def _walk(paths: Sequence[Path], skip: Path | None) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"ingest path {p} does not exist")
        if p.is_file():
            files.append(p.resolve())
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            here = Path(dirpath).resolve()
            if skip is not None and (here == skip or skip in here.parents):
                dirnames[:] = []
                continue
            files.extend(here / n for n in sorted(filenames) if not n.startswith("."))
    return files


def find_candidates(paths: Sequence[Path], skip: Path | None = None) -> list[Candidate]:
    """Group the files under ``paths`` into movies, sequences (by trailing frame number), images, ALEs."""
    groups: dict[tuple[Path, str, int, str], list[tuple[int, Path]]] = {}
    out: list[Candidate] = []
    for f in _walk(paths, skip):
        ext = f.suffix.lower()
        if ext in MOVIE_EXTS:
            out.append(Candidate("movie", str(f), [f]))
        elif ext == ".ale":
            out.append(Candidate("ale", str(f), [f]))
        elif ext in IMAGE_EXTS:
            parts = split_frame_number(f)
            if parts is None:
                out.append(Candidate("image", str(f), [f], [0]))
            else:
                head, num, digits = parts
                groups.setdefault((f.parent, head, digits, f.suffix), []).append((num, f))
    for (parent, head, digits, ext), members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        members.sort()
        pattern = str(parent / f"{head.replace('%', '%%')}%0{digits}d{ext}")
        out.append(Candidate("sequence", pattern, [m[1] for m in members], [m[0] for m in members]))
    # sidecars last so that their rows can be matched to clips ingested in the same run
    return sorted(out, key=lambda c: (c.kind == "ale", c.path))


_GENERIC = frozenset({"", "frames", "images", "img", "plate", "plates", "video", "movie", "clip",
                      "exr", "dpx", "png", "jpg", "tif", "tiff"})


def shot_name(c: Candidate) -> str:
    """A readable shot name: the movie's stem or the sequence's name part; when that is generic
    (``frames/00001.jpg``, ``tennis/video.mp4``) the nearest folder whose name is not."""
    first = c.files[0]
    name = first.stem
    if c.kind == "sequence":
        parts = split_frame_number(first)
        name = (parts[0] if parts else first.stem).strip("._- ")
    for folder in (first.parent, first.parent.parent):
        if name.lower() not in _GENERIC:
            break
        name = folder.name
    return name or first.stem


def _probe(c: Candidate) -> dict[str, Any]:
    if c.kind == "movie":
        return probe_movie(c.files[0])
    info = probe_image(c.files[0])
    if len(c.files) > 1:
        last = probe_image(c.files[-1])
        if (last["width"], last["height"]) != (info["width"], info["height"]):
            raise ValueError(f"sequence {c.path} changes size: {info['width']}x{info['height']} at frame "
                             f"{c.numbers[0]}, {last['width']}x{last['height']} at frame {c.numbers[-1]}")
    first, last_no = c.numbers[0], c.numbers[-1]
    gaps = sorted(set(range(first, last_no + 1)) - set(c.numbers))
    info.update(kind=c.kind, first_frame=first, last_frame=last_no, frame_count=len(c.files))
    if gaps:
        info["metadata"]["rushes:missing_frames"] = ",".join(map(str, gaps[:100]))
    return info


def ingest(paths: Sequence[str | Path], store: ProjectStore, progress: ProgressFn | None = None) -> IngestReport:
    """Scan ``paths`` (folders or files) and record what changed in ``store``'s catalog.

    ``progress(done, total, message)`` is called after each candidate. Returns what was added,
    updated, left unchanged and what failed (with the error message).
    """
    if not paths:
        raise ValueError("ingest needs at least one path")
    skip = store.path.resolve() if store.path.exists() else None
    candidates = find_candidates([Path(p).expanduser() for p in paths], skip)
    report = IngestReport()
    with store.catalog() as cat:
        for i, c in enumerate(candidates):
            sig, size, mtime = signature(c.files)
            known = cat.sidecar_signature(c.path) if c.kind == "ale" else cat.clip_signature(c.path)
            if known == sig:
                report.unchanged.append(c.path)
            elif cat.error_signature(c.path) == sig:
                report.failed[c.path] = "unchanged since it failed (see the catalog's ingest errors)"
            else:
                try:
                    if c.kind == "ale":
                        cat.replace_sidecar(c.path, sig, "ale", read_ale(c.files[0]))
                        report.sidecars.append(c.path)
                    else:
                        info = _probe(c)
                        cat.upsert_clip({**info, "path": c.path, "kind": c.kind, "signature": sig,
                                         "size": size, "mtime": mtime, "shot_name": shot_name(c)})
                        (report.updated if known is not None else report.added).append(c.path)
                except (ValueError, OSError, KeyError, IndexError) as exc:
                    cat.record_error(c.path, sig, f"{type(exc).__name__}: {exc}")
                    report.failed[c.path] = str(exc)
            if progress is not None:
                progress(i + 1, len(candidates), Path(c.path).name)
    return report
