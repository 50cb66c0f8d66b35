"""Test helpers: synthetic EXR plates, and the fake Nuke's render of an internal Write.

Tests may use numpy and OpenImageIO; the plugin may not.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio


def write_exr(path: str | Path, pixels: np.ndarray, half: bool = False, bbox: bool = False) -> None:
    """(H, W, C) float32 pixels to an EXR (channels R G B [A], or A for one channel), stored
    as 16-bit half when ``half``. With ``bbox`` the data window is only the pixels' bounding
    box (what Nuke's EXR writer stores: HOSTS.md, "Nuke's EXR writer stores the node's bounding
    box as the data window; the format is the display window. A Roto's bbox is just its shape"),
    a single pixel when nothing is set."""
    h, w, c = pixels.shape
    x0, y0, x1, y1 = 0, 0, w, h
    if bbox:
        ys, xs = np.nonzero(np.abs(pixels).max(axis=2) > 0)
        x0, y0, x1, y1 = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if xs.size else (0, 0, 1, 1)
    spec = oiio.ImageSpec(x1 - x0, y1 - y0, c, "half" if half else "float")
    spec.x, spec.y = x0, y0
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, w, h
    spec.channelnames = {1: ("A",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}[c]
    out = oiio.ImageOutput.create(str(path))
    assert out is not None, oiio.geterror()
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(np.ascontiguousarray(pixels[y0:y1, x0:x1], dtype=np.float32)), out.geterror()
    out.close()


def read_exr(path: str | Path) -> np.ndarray:
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    pixels = inp.read_image(format="float")
    inp.close()
    return np.asarray(pixels, dtype=np.float32)


def make_plate(folder: Path, name: str, frames: range, channels: int = 4, h: int = 12, w: int = 16) -> str:
    """A small synthetic sequence ``folder/name.####.exr``; returns the Nuke-style pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in frames:
        write_exr(folder / f"{name}.{f:04d}.exr", plate_pixels(f, channels, h, w))
    return str(folder / f"{name}.####.exr")


def plate_pixels(frame: int, channels: int = 4, h: int = 12, w: int = 16) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = (x / w + y / h) * 0.25 + 0.01 * (frame % 100)
    px = np.stack([base * (k + 1) for k in range(channels)], axis=-1).astype(np.float32)
    if channels == 4:
        px[..., 3] = (x > w // 2).astype(np.float32)
    return px


def frame_path(pattern: str, frame: int) -> str:
    return re.sub(r"#+", lambda m: f"{frame:0{len(m.group(0))}d}", pattern)


def upstream_pixels(node: Any, frame: int) -> np.ndarray:
    """What ``node`` outputs at ``frame`` in the fake graph (Read, Grade, Dot, Input)."""
    cls = node.Class()
    if cls == "Read":  # Foundry, Read reference: outside first-last, before/after say what shows
        first, last = int(node["first"].value()), int(node["last"].value())
        mode = node["before"].value() if frame < first else node["after"].value() if frame > last else ""
        if mode == "black":
            return np.zeros_like(read_exr(frame_path(str(node["file"].value()), first)))
        if mode:  # hold (loop and bounce are not used by Rushes)
            frame = min(max(frame, first), last)
        return read_exr(frame_path(str(node["file"].value()), frame))
    if cls == "Input":
        group = node.parent()
        src = group.input(int(node["number"].value()))
        assert src is not None, f"{group.name()} input {node['number'].value()} is not connected"
        return upstream_pixels(src, frame)
    src = node.input(0)
    assert src is not None, f"{node.name()} has no input"
    pixels = upstream_pixels(src, frame)
    if cls == "Grade":
        pixels = pixels.copy()
        pixels[..., :3] *= float(node["white"].value())
    return pixels


def render_write(write: Any, frame: int) -> None:
    """The fake ``nuke.execute``: render what the Write sees into its file (rgb or alpha)."""
    src = write.input(0)
    assert src is not None
    pixels = upstream_pixels(src, frame)
    # a channel the stream does not hold is written as 0 (Nuke's channel model: what is missing reads 0)
    channels = str(write["channels"].value())
    alpha = pixels[..., 3:4] if pixels.shape[2] == 4 else np.zeros(pixels.shape[:2] + (1,), pixels.dtype)
    if channels == "alpha":
        pixels = alpha
    elif channels == "rgba":
        pixels = np.concatenate([pixels[..., :3], alpha], axis=2)
    else:
        pixels = pixels[..., :3]
    import nuke

    if nuke.root()["proxy"].value():  # Foundry, Write: renders run at the active (proxy) scale
        step = max(1, round(1.0 / float(nuke.root()["proxy_scale"].value())))
        pixels = np.ascontiguousarray(pixels[::step, ::step])
    path = frame_path(str(write["file"].value()), frame)
    assert os.path.isdir(os.path.dirname(path)), f"Write folder {os.path.dirname(path)} does not exist"
    # Foundry, Write/DeepWrite: "datatype ... 16 bit half or 32 bit float"; the knob defaults to half.
    # The data window is the upstream's bbox (HOSTS.md): a hint or matte that is zero around its
    # shape arrives as a small, offset data window inside the format.
    write_exr(path, pixels, half=str(write["datatype"].value()) == "16 bit half", bbox=True)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256), to prove what was written."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
