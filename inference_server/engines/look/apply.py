"""Apply a look file to pixels through an OpenColorIO CPU processor.

CDL files (.cc/.ccc/.cdl) act in the working space (ACEScct): pixels in ``in_space`` are
converted there, graded, and converted back. LUT files (.cube, .clf, ...) are baked for the
source's own code values and apply to the pixels as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.cdl import Cdl
from inference_server.engines.look.files import CDL_FORMATS, look_transform


def look_processor(path: str | os.PathLike[str], in_space: str | None = None,
                   working_space: str = spaces.WORKING_SPACE) -> Any:
    """OCIO CPU processor applying the look file at ``path`` to pixels in ``in_space``."""
    import PyOpenColorIO as ocio

    ft, cpu = look_transform(path)
    if Path(path).suffix.lower() not in CDL_FORMATS:
        return cpu
    src = spaces.resolve_space(in_space or working_space)
    work = spaces.resolve_space(working_space)
    if src == work:
        return cpu
    g = ocio.GroupTransform()
    g.appendTransform(ocio.ColorSpaceTransform(src, work))
    g.appendTransform(ft)
    g.appendTransform(ocio.ColorSpaceTransform(work, src))
    return spaces.config().getProcessor(g).getDefaultCPUProcessor()


def apply_look(pixels: np.ndarray, processor: Any, what: str = "the image") -> np.ndarray:
    """Grade (H, W, C) pixels (uint8/uint16/float16/float32); same shape and dtype back.

    RGB goes through ``processor``; alpha and extra channels pass through untouched.
    Integer pixels are scaled to 0-1 and clipped back on the way out. Raises ValueError
    (naming ``what``) when the look turns finite pixels into NaN or infinity, or into values
    a float16 image cannot hold: writing them would give black or Inf-filled frames.
    """
    if pixels.ndim != 3 or pixels.shape[2] == 2 or pixels.shape[2] == 0:
        raise ValueError(f"apply_look expects (H, W, C) pixels with 1, 3 or more channels, got {pixels.shape}")
    dtype = pixels.dtype
    if dtype == np.uint8:
        f = pixels.astype(np.float32) / 255.0
    elif dtype == np.uint16:
        f = pixels.astype(np.float32) / 65535.0
    elif dtype in (np.float16, np.float32):
        f = pixels.astype(np.float32)
    else:
        raise ValueError(f"apply_look expects uint8/uint16/float16/float32 pixels, got {dtype}")
    grey = f.shape[2] == 1
    rgb = np.ascontiguousarray(np.repeat(f, 3, axis=2) if grey else f[:, :, :3])
    was_finite = np.isfinite(rgb)
    processor.applyRGB(rgb)
    limit = 65504.0 if dtype == np.float16 else np.inf
    bad = was_finite & ~(np.abs(rgb) <= limit)
    if bad.any():
        kind = "NaN" if np.isnan(rgb[bad]).any() else ("infinite" if np.isinf(rgb[bad]).any() else "over float16's range")
        raise ValueError(f"the look made {int(bad.sum())} value(s) of {what} {kind}; "
                         "it is broken or far out of range for these pixels, so nothing was written")
    out = rgb[:, :, :1] if grey else np.concatenate([rgb, f[:, :, 3:]], axis=2)
    if dtype == np.uint8:
        return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.clip(np.rint(out * 65535.0), 0, 65535).astype(np.uint16)
    return out.astype(dtype)


def balanced_processor(path: str | os.PathLike[str], balance: Cdl, in_space: str | None = None,
                       working_space: str = spaces.WORKING_SPACE) -> Any:
    """OCIO CPU processor for the two layers: ``balance`` (a CDL acting in ``working_space``),
    then the look file at ``path``, on pixels in ``in_space`` (default: the working space).

    A LUT look applies to the balanced pixels' code values in ``in_space`` (how it was fitted);
    a CDL look acts in the working space like the balance.
    """
    import PyOpenColorIO as ocio

    ft, _ = look_transform(path)
    src = spaces.resolve_space(in_space or working_space)
    work = spaces.resolve_space(working_space)
    g = ocio.GroupTransform()
    if src != work:
        g.appendTransform(ocio.ColorSpaceTransform(src, work))
    g.appendTransform(balance.to_ocio())
    cdl_look = Path(path).suffix.lower() in CDL_FORMATS
    if cdl_look:
        g.appendTransform(ft)
    if src != work:
        g.appendTransform(ocio.ColorSpaceTransform(work, src))
    if not cdl_look:
        g.appendTransform(ft)
    return spaces.config().getProcessor(g).getDefaultCPUProcessor()
