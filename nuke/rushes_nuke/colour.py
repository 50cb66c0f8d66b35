"""The script's colour management as Rushes needs it: its working space, and names for
OCIO node knobs that only accept the script's own config (no numpy, no OCIO here)."""

from __future__ import annotations

from collections.abc import Sequence

import nuke

# nuke-default names the daemon's built-in OCIO config knows under another name
# (aces_1.2's "ACES - ACEScg" style names are aliases there already)
NUKE_DEFAULT_NAMES = {"linear": "Linear Rec.709 (sRGB)", "sRGB": "sRGB Encoded Rec.709 (sRGB)",
                      "Gamma1.8": "Gamma 1.8 Encoded Rec.709", "Gamma2.2": "Gamma 2.2 Encoded Rec.709",
                      "raw": "Raw"}


def script_working_space() -> str:
    """Project Settings' working space (``root['workingSpaceLUT']``): what raw Writes hold."""
    knob = nuke.root().knob("workingSpaceLUT")
    return str(knob.value()) if knob is not None else ""


def daemon_name(space: str) -> str:
    """The name the daemon's built-in OCIO config knows ``space`` (a script config name) by."""
    return NUKE_DEFAULT_NAMES.get(space, space)


def _plain(name: str) -> str:
    """``"ACES - ACEScct"`` -> ``"acescct"``: the part after a config's family prefix."""
    return name.rsplit(" - ", 1)[-1].strip().lower()


def pick_space(knob: nuke.Knob | None, wanted: Sequence[str]) -> str | None:
    """The first of ``wanted`` that ``knob`` (an OCIO node's colour space knob) accepts.

    The knob lists the script's config: an exact name, else the same space under the
    config's family prefix (ACEScct is "ACES - ACEScct" in aces_1.2). None when nothing fits.
    """
    if knob is None:
        return None
    if not isinstance(knob, nuke.Enumeration_Knob):
        return next((w for w in wanted if w), None)
    names = [str(v) for v in knob.values()]
    for want in (w for w in wanted if w):
        if want in names:
            return want
        same = [n for n in names if _plain(n) == _plain(want)]
        if same:
            return same[0]
    return None
