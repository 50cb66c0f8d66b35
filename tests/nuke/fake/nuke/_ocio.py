"""Fake colour management: the script's OCIO config, and knobs that only take its names.

Sources: Foundry, Project Settings > Color ("color management" Nuke/OCIO, "OpenColorIO config",
"working space", knob ``workingSpaceLUT``); others' Nuke code reads the working space as
``nuke.root()['workingSpaceLUT'].value()`` (nukescripts flipbooking.getColorspaceFromNode) and
sets it to "ACES - ACEScg" under aces_1.2. The OCIO nodes' ``working_space`` knob lists the
colour spaces (and, since Nuke 13, the roles) of the script's config; an unknown name is
refused (``nuke.ColorspaceLookupError`` exists for that). The name lists below are those of
the two configs Nuke ships (nuke-default and aces_1.2), cut to what the tests need.
"""

from __future__ import annotations

from typing import Any

from nuke._knobs import Enumeration_Knob

CONFIGS: dict[str, dict[str, Any]] = {
    "nuke-default": {
        "spaces": ["linear", "sRGB", "rec709", "Cineon", "Gamma1.8", "Gamma2.2", "Panalog", "REDLog",
                   "ViperLog", "AlexaV3LogC", "SLog3", "raw"],
        "roles": {"scene_linear": "linear", "compositing_log": "Cineon", "color_timing": "Cineon",
                  "color_picking": "sRGB", "data": "raw", "default": "raw", "reference": "linear"},
    },
    "aces_1.2": {
        "spaces": ["ACES - ACES2065-1", "ACES - ACEScg", "ACES - ACEScc", "ACES - ACEScct", "ADX - ADX10",
                   "Input - ARRI - V3 LogC (EI800) - Wide Gamut", "Output - Rec.709", "Utility - Raw",
                   "Utility - sRGB - Texture", "Utility - Linear - sRGB"],
        "roles": {"scene_linear": "ACES - ACEScg", "compositing_linear": "ACES - ACEScg",
                  "compositing_log": "ADX - ADX10", "color_timing": "ACES - ACEScc",
                  "color_picking": "Output - Rec.709", "data": "Utility - Raw", "default": "ACES - ACES2065-1",
                  "reference": "Utility - Raw", "rendering": "ACES - ACEScg"},
    },
}


def current_config() -> dict[str, Any]:
    from nuke._graph import root

    r = root()
    name = str(r["OCIO_config"].value()) if r.knob("OCIO_config") is not None else "nuke-default"
    return CONFIGS[name]


class Colorspace_Knob(Enumeration_Knob):
    """A colour space pulldown fed by the script's config (spaces, then roles); keeps names."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._name_value = ""

    def values(self) -> Any:
        config = current_config()
        return list(config["spaces"]) + sorted(config["roles"])

    def numValues(self) -> int:
        return len(self.values())

    def value(self) -> Any:
        return self._name_value or current_config()["roles"]["scene_linear"]

    def setValue(self, *args, **kwargs) -> Any:
        name = str(args[0])
        if name not in self.values():
            raise ValueError(f"Bad value for {self._name} : {name} (not in the script's OCIO config)")
        self._name_value = name
        return True


def set_config(root: Any, name: str) -> None:
    """The artist picks an OCIO config in Project Settings; the working space follows its scene_linear."""
    root["colorManagement"].setValue("OCIO")
    root["OCIO_config"].setValue(name)
    root["workingSpaceLUT"].setValue(CONFIGS[name]["roles"]["scene_linear"])
