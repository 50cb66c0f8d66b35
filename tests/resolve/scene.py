"""Small synthetic media and a fake Resolve project built around it (test helpers)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from tests.resolve.fake_resolve import FakeMediaPoolItem, FakeProject, FakeResolve, FakeTimeline, FakeTimelineItem


def write_image(path: Path, pixels: np.ndarray) -> None:
    """Write (H, W, C) float32 as half EXR, uint8 as PNG, uint16 as 16-bit TIFF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w, c = pixels.shape
    fmt = {np.dtype("float32"): oiio.HALF, np.dtype("uint8"): oiio.UINT8, np.dtype("uint16"): oiio.UINT16}[pixels.dtype]
    out = oiio.ImageOutput.create(str(path))
    assert out is not None, oiio.geterror()
    assert out.open(str(path), oiio.ImageSpec(w, h, c, fmt)), out.geterror()
    assert out.write_image(pixels), out.geterror()
    out.close()


def read_image(path: str | Path) -> np.ndarray:
    pixels = oiio.ImageBuf(str(path)).get_pixels(oiio.FLOAT)
    assert pixels is not None and pixels.size, f"could not read {path}"
    return np.asarray(pixels, dtype=np.float32)


def write_sequence(folder: Path, stem: str, first: int, last: int,
                   make: Callable[[int], np.ndarray], ext: str = "exr") -> str:
    """Write ``stem.####.ext`` frames; returns the File Path as Resolve shows it."""
    for n in range(first, last + 1):
        write_image(folder / f"{stem}.{n:04d}.{ext}", make(n))
    return str(folder / f"{stem}.[{first:04d}-{last:04d}].{ext}")


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def clip(timeline: FakeTimeline, track: int, name: str, file_path: str, start: int, duration: int,
         source_start: int = 0, nodes: int = 2) -> FakeTimelineItem:
    media = FakeMediaPoolItem(name, file_path, duration)
    assert timeline.project is not None
    timeline.project.media_pool.root.clips.append(media)
    return timeline.put(track, FakeTimelineItem(name, media, start, duration, source_start, nodes))


def project(tmp: Path, grade: Callable[[FakeTimelineItem, str, str], bool] | None = None,
            tracks: int = 1, export_still_works: bool = True) -> tuple[FakeResolve, FakeProject, FakeTimeline]:
    proj = FakeProject("Test Show", str(tmp / "LUT"), grade, export_still_works)
    timeline = proj.add_timeline(FakeTimeline("Reel 1", video_tracks=tracks))
    return FakeResolve(proj), proj, timeline
