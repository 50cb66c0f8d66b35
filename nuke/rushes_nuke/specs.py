"""What each Rushes node is: its task, inputs, outputs and fallback knobs (no Nuke here).

The daemon's task manifests are the source of truth for parameters; the static specs
below copy them as the fallback used when the daemon is not running, so a compositor can
still build a script (``tests/nuke/test_specs.py`` keeps the copy in step with the tasks).
Parameter dicts have the wire shape of ``TaskManifest.to_wire()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InputSpec:
    """One node input: the task port it feeds, its label in the graph, and its kind."""

    port: str
    label: str
    kind: str = "frames"   # "frames" (rgb) or "matte" (alpha)
    optional: bool = False


@dataclass(frozen=True)
class NodeSpec:
    """A Rushes node: menu name, the daemon task behind it, ports and fallback params."""

    kind: str
    task: str
    label: str
    help: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[tuple[str, str], ...]          # (port, label) of the task's frame outputs
    params: tuple[dict[str, Any], ...] = ()
    extra_outputs: tuple[str, ...] = ("Source",)  # host-side output choices
    choice_labels: dict[str, str] = field(default_factory=dict)


def _param(name: str, type_: str, default: Any, label: str, tooltip: str, lo: float | None = None,
           hi: float | None = None, choices: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "type": type_, "default": default, "label": label, "tooltip": tooltip,
            "min": lo, "max": hi, "choices": list(choices)}


REFERENCE = _param("reference", "int", -1, "Reference frame",
                   "Frame number whose framing the result takes; -1 uses the middle frame of the range.", -1, 10000000)
MOTION = _param("motion", "choice", "auto", "Camera motion",
                "How the camera moved. Auto picks per shot: Homography for pans, tilts and flat or distant scenes; "
                "Affine for small or shaky moves.", choices=("auto", "homography", "affine"))
REJECTION = _param("rejection", "float", 2.5, "Outlier rejection",
                   "How far (in noise deviations) a frame may stray from the consensus before it is dropped at that "
                   "pixel. Lower rejects more of whatever moves; higher keeps more frames.", 1.0, 8.0)
PARALLAX_GLOBAL = "Correct what the global camera move cannot explain (depth, lens) with dense optical flow."
WIRE_METHODS = ("Auto", "Temporal (moving scene)", "Temporal (static scene)", "Spatial")
WIRE_OUTPUTS = ("Repair", "Wire Matte", "Source", "Repair Matted")

SPECS: dict[str, NodeSpec] = {
    "WireRemoval": NodeSpec(
        kind="WireRemoval", task="wire_removal", label="Rushes WireRemoval",
        help="Removes wires and rigs: paint a rough roto over the wire into Hint, press Process.",
        inputs=(InputSpec("plate", "Source"), InputSpec("hint", "Hint", "matte")),
        outputs=(("repair", "Result"),),
        params=(
            _param("method", "choice", "Auto", "Repair method",
                   "Auto borrows from neighbouring frames where that is reliable and paints across the wire "
                   "elsewhere. Temporal (static scene) for a locked-off camera; Spatial for single frames.",
                   choices=WIRE_METHODS),
            _param("window", "int", 4, "Temporal window (frames)",
                   "How many frames before and after to borrow clean pixels from.", 0, 16),
            _param("regrain", "float", 1.0, "Regrain amount",
                   "Grain added inside the repair to match the plate's grain (0 = none, 1 = matched).", 0.0, 2.0),
            _param("output", "choice", "Repair", "Output",
                   "Repair; the Wire Matte found inside the hint; the Source untouched; or the Repair with "
                   "the wire matte in alpha.", choices=WIRE_OUTPUTS),
            _param("use_project_model", "bool", True, "Use project model",
                   "When the project has a trained wire-removal model, use it to find the wire inside the hint."),
        ),
    ),
    "CleanPlate": NodeSpec(
        kind="CleanPlate", task="clean_plate", label="Rushes CleanPlate",
        help="Builds a clean plate from a moving shot; the optional Ignore Matte marks what to leave out.",
        inputs=(InputSpec("plate", "Source"), InputSpec("matte", "Ignore Matte", "matte", optional=True)),
        outputs=(("clean", "Clean Plate"), ("unseen", "Never Seen Clean")),
        params=(
            REFERENCE, MOTION, REJECTION,
            _param("max_frames", "int", 32, "Frames sampled",
                   "Most frames voted per pixel, spread evenly over the range. More is cleaner and slower.", 2, 200),
            _param("parallax", "bool", True, "Parallax refinement", PARALLAX_GLOBAL),
        ),
    ),
    "ObjectRemoval": NodeSpec(
        kind="ObjectRemoval", task="object_removal", label="Rushes ObjectRemoval",
        help="Removes the object inside the Object Matte and fills the hole from the shot itself.",
        inputs=(InputSpec("plate", "Source"), InputSpec("matte", "Object Matte", "matte")),
        outputs=(("repair", "Repair"), ("revealed", "Revealed Matte")),
        params=(
            MOTION, REJECTION,
            _param("samples", "int", 12, "Frames borrowed",
                   "Most other frames the background is taken from for each output frame.", 1, 64),
            _param("blend", "int", 3, "Frames blended per pixel",
                   "How many of the nearest frames that show the background are voted at each pixel. More averages "
                   "grain and drops a bad frame; fewer keeps detail sharper.", 1, 16),
            _param("window", "int", 0, "Search range (frames)",
                   "How many frames either side to take background from; 0 searches the whole range.", 0, 100000),
            _param("parallax", "bool", True, "Parallax refinement",
                   "Bend each borrowed frame with dense optical flow measured around the hole, for depth the camera "
                   "move alone does not explain. Off is faster."),
            _param("regrain", "float", 1.0, "Regrain amount",
                   "Grain added back to the patch, matched to the plate: 0 leaves it clean, 1 matches.", 0.0, 2.0),
            _param("revealed_matte", "bool", False, "Output revealed matte",
                   "Also return the matte of pixels filled from other frames, for checking."),
        ),
    ),
    "Matte": NodeSpec(
        kind="Matte", task="foreground_matte", label="Rushes Matte",
        help="Pulls a foreground matte: what differs from the clean plate the shot itself gives.",
        inputs=(InputSpec("plate", "Source"),),
        outputs=(("matte", "Foreground Matte"),),
        params=(
            REFERENCE, MOTION, REJECTION,
            _param("max_frames", "int", 32, "Frames sampled",
                   "Frames voted into the clean plate, spread evenly over the range.", 2, 200),
            _param("parallax", "bool", True, "Parallax refinement", PARALLAX_GLOBAL),
            _param("sensitivity", "float", 1.0, "Sensitivity",
                   "Higher catches fainter differences (and more noise); lower keeps only clear foreground.",
                   0.25, 4.0),
            _param("softness", "float", 0.5, "Matte softness",
                   "0 gives a hard-edged matte; 1 a wide soft edge that follows hair and motion blur.", 0.0, 1.0),
            _param("tolerance", "int", 1, "Misalignment tolerance (px)",
                   "Background detail this many pixels off is still background.", 0, 4),
        ),
    ),
}


def spec_from_manifest(manifest: dict[str, Any], base: NodeSpec | None = None) -> NodeSpec:
    """A NodeSpec whose ports and params come from a daemon manifest (wire dict).

    ``base`` (the static spec, when there is one) keeps its node kind, labels in
    compositor words, and host-side output choices.
    """
    ins = tuple(InputSpec(p["name"], str(p.get("label") or p["name"]),
                          "matte" if p.get("kind") == "matte" else "frames", bool(p.get("optional")))
                for p in manifest.get("inputs", []) if p.get("kind") != "blob")
    outs = tuple((str(p["name"]), str(p.get("label") or p["name"]))
                 for p in manifest.get("outputs", []) if p.get("kind") != "blob")
    if base is not None:
        labels = {i.port: i.label for i in base.inputs}
        ins = tuple(InputSpec(i.port, labels.get(i.port, i.label), i.kind, i.optional) for i in ins)
        out_labels = dict(base.outputs)
        outs = tuple((p, out_labels.get(p, label)) for p, label in outs)
    return NodeSpec(
        kind=base.kind if base else _camel(str(manifest["name"])),
        task=str(manifest["name"]),
        label=base.label if base else "Rushes " + _camel(str(manifest["name"])),
        help=base.help if base else str(manifest.get("description", "")),
        inputs=ins, outputs=outs,
        params=tuple(dict(p) for p in manifest.get("params", [])),
        extra_outputs=base.extra_outputs if base else ("Source",),
        choice_labels=dict(base.choice_labels) if base else {},
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def choice_label(spec_labels: dict[str, str], value: str) -> str:
    """The artist-facing label for a choice value: ``temporal_static`` -> ``Temporal static``.

    Values already in words (``Temporal (moving scene)``) are kept as they are.
    """
    if value in spec_labels:
        return spec_labels[value]
    if value.islower() and " " not in value:
        return value.replace("_", " ").capitalize()
    return value


def output_param(spec: NodeSpec) -> dict[str, Any] | None:
    """The task's own ``output`` choice parameter, when it has one (the daemon renders it)."""
    for p in spec.params:
        if p.get("name") == "output" and p.get("type") == "choice":
            return p
    return None


def output_choices(spec: NodeSpec) -> list[str]:
    """What the node's internal switch offers: the task's outputs, then host-side ones (Source)."""
    return [label for _, label in spec.outputs] + list(spec.extra_outputs)
