"""Task manifests: what a task takes and gives, shared by the daemon and the hosts (stdlib only).

The daemon's task modules declare ``MANIFEST = TaskManifest(...)`` with these types; the
``list_tasks`` reply carries ``to_wire()`` dicts; hosts read them back with ``from_wire`` and
build their knobs and dialogs from them. A choice parameter has stable values (what the
CLI, the wire, the engines and saved scripts use) and artist labels (display only)::

    Param("method", "choice", "auto", "Repair method",
          choices=(("auto", "Auto"), ("temporal", "Temporal (moving scene)")))

On the wire ``choices`` is the list of values and ``choice_labels`` the labels in the same
order, so a host that predates labels still reads the values, and a manifest from a daemon
that predates labels reads as values that are their own labels.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from hostbridge.manifest_snapshot import MANIFESTS as SNAPSHOT

PARAM_TYPES = ("int", "float", "bool", "choice", "string")
PORT_KINDS = ("frames", "matte", "blob")
NAN_POLICIES = ("reject", "allow")


@dataclass(frozen=True)
class Param:
    """One typed parameter, described in the artist's words."""

    name: str
    type: str
    default: Any
    label: str
    tooltip: str = ""
    min: Optional[float] = None
    max: Optional[float] = None
    choices: Tuple[Tuple[str, str], ...] = ()   # (stable value, artist label)

    def __post_init__(self) -> None:
        where = f"parameter {self.name!r}"
        if self.type not in PARAM_TYPES:
            raise ValueError(f"{where} has type {self.type!r}; expected one of {', '.join(PARAM_TYPES)}")
        if self.type == "choice":
            if not self.choices or not all(isinstance(c, tuple) and len(c) == 2 and all(isinstance(s, str) for s in c)
                                           for c in self.choices):
                raise ValueError(f"{where}: choices must be (value, label) pairs of text, got {self.choices!r}")
            if len(set(self.values())) != len(self.choices) or len(set(self.labels())) != len(self.choices):
                raise ValueError(f"{where}: choice values and labels must each be unique, got {self.choices!r}")
            if self.default not in self.values():
                raise ValueError(f"{where}: default {self.default!r} is not one of its values {self.values()}")
        elif self.choices:
            raise ValueError(f"{where} of type {self.type} cannot have choices")

    def values(self) -> List[str]:
        """The stable values of a choice, in menu order."""
        return [value for value, _ in self.choices]

    def labels(self) -> List[str]:
        """The artist labels of a choice, in menu order."""
        return [label for _, label in self.choices]

    def label_of(self, value: str) -> str:
        """The label shown for a stable value (the value itself when it is not one of the choices)."""
        return dict(self.choices).get(value, value)

    def value_of(self, text: str) -> Optional[str]:
        """The stable value for a value or a label (older scripts stored labels); None when neither."""
        if text in self.values():
            return text
        return {label: value for value, label in self.choices}.get(text)

    def check(self, value: Any) -> Any:
        """``value`` as this parameter's type; ValueError naming the parameter and what was wrong."""
        where = f"parameter {self.name!r}"
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false, got {value!r}")
            return value
        if self.type in ("int", "float"):
            return self._check_number(where, value)
        if not isinstance(value, str):
            raise ValueError(f"{where} must be text, got {value!r}")
        if self.type == "choice":
            stable = self.value_of(value)  # a label is what hosts before stable values sent
            if stable is None:
                raise ValueError(f"{where} is {value!r}; choose one of {', '.join(self.values())}")
            return stable
        return value

    def _check_number(self, where: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        if self.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{where} must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{where} must be finite, got {value!r}")
        if self.min is not None and value < self.min:
            raise ValueError(f"{where} is {value}, below its minimum {self.min}")
        if self.max is not None and value > self.max:
            raise ValueError(f"{where} is {value}, above its maximum {self.max}")
        return value

    def to_wire(self) -> Dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default, "label": self.label,
                "tooltip": self.tooltip, "min": self.min, "max": self.max,
                "choices": self.values(), "choice_labels": self.labels()}

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> Param:
        values = [str(v) for v in wire.get("choices") or []]
        labels = [str(v) for v in wire.get("choice_labels") or values]
        if len(labels) != len(values):
            raise ValueError(f"parameter {wire.get('name')!r}: {len(values)} choices but {len(labels)} labels")
        return cls(name=str(wire["name"]), type=str(wire["type"]), default=wire.get("default"),
                   label=str(wire.get("label") or wire["name"]), tooltip=str(wire.get("tooltip") or ""),
                   min=wire.get("min"), max=wire.get("max"), choices=tuple(zip(values, labels)))


@dataclass(frozen=True)
class Port:
    """A named input or output of a task."""

    name: str
    label: str
    kind: str = "frames"
    optional: bool = False
    tooltip: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PORT_KINDS:
            raise ValueError(f"port {self.name!r} has kind {self.kind!r}; expected one of {', '.join(PORT_KINDS)}")

    def to_wire(self) -> Dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "optional": self.optional, "tooltip": self.tooltip}

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> Port:
        return cls(name=str(wire["name"]), label=str(wire.get("label") or wire["name"]),
                   kind=str(wire.get("kind") or "frames"), optional=bool(wire.get("optional")),
                   tooltip=str(wire.get("tooltip") or ""))


@dataclass(frozen=True)
class TaskManifest:
    """What a task takes and gives, readable without loading any weights."""

    name: str
    label: str
    description: str
    inputs: Tuple[Port, ...]
    outputs: Tuple[Port, ...]
    params: Tuple[Param, ...] = ()
    nan_policy: str = "reject"
    long_running: bool = True

    def __post_init__(self) -> None:
        if self.nan_policy not in NAN_POLICIES:
            raise ValueError(f"task {self.name!r} has nan_policy {self.nan_policy!r}; expected reject or allow")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"task {self.name!r} declares a parameter twice: {names}")

    def get_param(self, name: str) -> Optional[Param]:
        """The parameter called ``name``, or None when the task has none."""
        return next((p for p in self.params if p.name == name), None)

    def param(self, name: str) -> Param:
        """The parameter called ``name``; KeyError naming the task when it has none."""
        found = self.get_param(name)
        if found is None:
            raise KeyError(f"task {self.name!r} has no parameter {name!r}")
        return found

    def frame_inputs(self, count: int) -> List[str]:
        """The names of the first ``count`` frame (and matte) inputs, in port order: what a host
        keys its frames by; ValueError naming the task when it declares fewer."""
        names = [p.name for p in self.inputs if p.kind != "blob"]
        if len(names) < count:
            raise ValueError(f"task {self.name!r} takes {len(names)} frame input(s) ({', '.join(names)}); "
                             f"this host sends {count}: update Rushes here or on the daemon's machine")
        return names[:count]

    def param_names(self) -> List[str]:
        return [p.name for p in self.params]

    def check_params(self, raw: Mapping[str, Any]) -> Dict[str, Any]:
        """Every parameter: checked values from ``raw``, defaults for the rest; unknown names refused."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"task {self.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                             f"it takes {', '.join(known) or 'none'}")
        return {name: p.check(raw[name]) if name in raw else p.default for name, p in known.items()}

    def check_inputs(self, names: Sequence[str]) -> None:
        """The input port names given, against the manifest: unknown or missing ones named."""
        ports = {p.name: p for p in self.inputs}
        unknown = sorted(set(names) - set(ports))
        if unknown:
            raise ValueError(f"task {self.name!r} has no input {', '.join(map(repr, unknown))}; "
                             f"it takes {', '.join(ports)}")
        missing = [p.name for p in self.inputs if not p.optional and p.name not in names]
        if missing:
            raise ValueError(f"task {self.name!r} needs input {', '.join(map(repr, missing))}")

    def to_wire(self) -> Dict[str, Any]:
        return {"name": self.name, "label": self.label, "description": self.description,
                "inputs": [p.to_wire() for p in self.inputs], "outputs": [p.to_wire() for p in self.outputs],
                "params": [p.to_wire() for p in self.params],
                "nan_policy": self.nan_policy, "long_running": self.long_running}

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> TaskManifest:
        """A manifest from a ``list_tasks`` entry; ValueError naming the task when it is malformed."""
        try:
            return cls(name=str(wire["name"]), label=str(wire.get("label") or wire["name"]),
                       description=str(wire.get("description") or ""),
                       inputs=tuple(Port.from_wire(p) for p in wire.get("inputs") or []),
                       outputs=tuple(Port.from_wire(p) for p in wire.get("outputs") or []),
                       params=tuple(Param.from_wire(p) for p in wire.get("params") or []),
                       nan_policy=str(wire.get("nan_policy") or "reject"),
                       long_running=bool(wire.get("long_running", True)))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed manifest for task {wire.get('name')!r}: {exc!r}") from None


def filter_params(manifest: Optional[TaskManifest], values: Mapping[str, Any],
                  skip_blank: bool = False, task: str = "") -> Dict[str, Any]:
    """What a host sends: only the parameters the task declares (a node or dialog may predate it).

    Choices are sent as the daemon's own values: a label becomes its stable value, and a stable
    value the daemon does not list becomes this checkout's label for it when the daemon lists
    that (a daemon from before stable values declared the labels as its values, e.g. wire
    removal's "Temporal (moving scene)"). ``manifest`` None (a daemon that cannot describe
    ``task``) passes everything through, choices of a snapshot task as their labels (what every
    daemon accepts: the current one reads labels too). With ``skip_blank``, None and "" are left
    out so the task's own default applies.
    """
    task = manifest.name if manifest is not None else task
    known = find(snapshot(), task) if task else None
    out: Dict[str, Any] = {}
    for name, value in values.items():
        if skip_blank and (value is None or value == ""):
            continue
        ours = _param_of(known, name)
        if manifest is None:
            if ours is not None and ours.type == "choice" and isinstance(value, str):
                value = ours.label_of(ours.value_of(value) or value)
            out[name] = value
            continue
        param = _param_of(manifest, name)
        if param is None:
            continue
        if param.type == "choice" and isinstance(value, str):
            value = _daemon_choice(param, ours, value)
        out[name] = value
    return out


def _param_of(manifest: Optional[TaskManifest], name: str) -> Optional[Param]:
    return manifest.get_param(name) if manifest is not None else None


def _daemon_choice(param: Param, ours: Optional[Param], value: str) -> str:
    """``value`` (a stable value or a label) as one of the daemon's ``param`` values, when it has
    one for it: directly, or through our label for it (``ours``, this checkout's parameter)."""
    stable = param.value_of(value)
    if stable is not None:
        return stable
    if ours is not None:
        label = ours.label_of(ours.value_of(value) or value)
        if label in param.values():
            return label
    return value


def find(manifests: Iterable[TaskManifest], task: str) -> Optional[TaskManifest]:
    """The manifest of ``task`` among ``manifests``, or None."""
    return next((m for m in manifests if m.name == task), None)


@functools.lru_cache(maxsize=1)
def snapshot() -> Tuple[TaskManifest, ...]:
    """Every task's manifest as this checkout's daemon declares it: the hosts' fallback while the
    daemon is down (generated: ``python -m inference_server.tasks --write-manifest-snapshot``).
    Built on first use, then kept (the manifests are frozen)."""
    return tuple(TaskManifest.from_wire(m) for m in SNAPSHOT)


def snapshot_manifest(task: str) -> TaskManifest:
    """One task's manifest from the snapshot; KeyError naming the task when it has none."""
    found = find(snapshot(), task)
    if found is None:
        raise KeyError(f"no task {task!r} in hostbridge's manifest snapshot")
    return found
