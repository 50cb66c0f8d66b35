"""Colour spaces for looks: OpenColorIO's built-in studio config, pinned.

Every conversion goes through an OCIO CPU processor built from
``studio-config-v4.0.0_aces-v2.0_ocio-v2.5``. Pixels are float32 (..., 3) RGB code values
in the named space. PyOpenColorIO is imported inside the functions.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

import numpy as np

BUILTIN_CONFIG = "studio-config-v4.0.0_aces-v2.0_ocio-v2.5"
WORKING_SPACE = "ACEScct"


@functools.lru_cache(maxsize=1)
def config() -> Any:
    """The pinned built-in OCIO config (PyOpenColorIO.Config), created once."""
    import PyOpenColorIO as ocio

    cfg = ocio.Config.CreateFromBuiltinConfig(BUILTIN_CONFIG)
    # Look files are read by path and may be rewritten between calls: no processor cache.
    cfg.setProcessorCacheFlags(ocio.PROCESSOR_CACHE_OFF)
    return cfg


@functools.lru_cache(maxsize=1)
def space_names() -> tuple[str, ...]:
    """Every colour space name of the pinned config, in config order."""
    return tuple(cs.getName() for cs in config().getColorSpaces())


def resolve_space(name: str) -> str:
    """Return the config's canonical name for ``name`` (a name, alias or role).

    Raises ValueError naming ``name`` and listing close matches when the config has no such space.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"colour space name must be non-empty text, got {name!r}")
    cs = config().getColorSpace(name)
    if cs is not None:
        return str(cs.getName())
    names = list(space_names())
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.4)
    hint = ", ".join(repr(lowered[c]) for c in close) if close else ", ".join(repr(n) for n in names[:8]) + ", ..."
    raise ValueError(f"unknown colour space {name!r} (not in OCIO built-in config {BUILTIN_CONFIG}); "
                     f"did you mean {hint}?")


def is_linear(name: str) -> bool:
    """True when ``name`` holds scene-linear values (a LUT over it needs a log shaper)."""
    cs = config().getColorSpace(resolve_space(name))
    return str(cs.getEncoding()) == "scene-linear"


@functools.lru_cache(maxsize=64)
def _cpu(src: str, dst: str) -> Any:
    return config().getProcessor(src, dst).getDefaultCPUProcessor()


def convert(rgb: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert (..., 3) RGB from colour space ``src`` to ``dst``; returns a new float32 array."""
    if rgb.shape[-1] != 3:
        raise ValueError(f"convert expects (..., 3) RGB, got shape {rgb.shape}")
    src, dst = resolve_space(src), resolve_space(dst)
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    if src != dst and out.size:
        flat = out.reshape(-1, 3)
        _cpu(src, dst).applyRGB(flat)
    return out


def apply_processor(cpu: Any, rgb: np.ndarray) -> np.ndarray:
    """Run an OCIO CPU processor over (..., 3) float RGB; returns a new float32 array."""
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    if out.size:
        cpu.applyRGB(out.reshape(-1, 3))
    return out


# ACEScct's curve (S-2016-001), used per channel as the shaper for scene-linear inputs.
_CCT_A, _CCT_B, _CCT_BREAK = 10.5402377416545, 0.0729055341958355, 0.0078125


def lin_to_cct(x: np.ndarray | float) -> np.ndarray:
    """ACEScct encoding curve applied per value (no primaries change); float64 in, float64 out."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.maximum(x, _CCT_BREAK)
    return np.where(x <= _CCT_BREAK, _CCT_A * x + _CCT_B, (np.log2(safe) + 9.72) / 17.52)


def cct_to_lin(y: np.ndarray | float) -> np.ndarray:
    """Inverse of ``lin_to_cct``."""
    y = np.asarray(y, dtype=np.float64)
    y_break = _CCT_A * _CCT_BREAK + _CCT_B
    return np.where(y <= y_break, (y - _CCT_B) / _CCT_A, np.exp2(np.minimum(y, 2.0) * 17.52 - 9.72))
