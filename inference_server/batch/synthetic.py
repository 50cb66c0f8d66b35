"""A tiny synthetic night for tests and the benchmark: dailies, wire shots, a clean-plate shot, a look.

Everything is written under ``root``; ``write_plan`` writes the plan (paths relative to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference_server import media
from inference_server.engines.cleanplate.synthetic import panning_shot
from inference_server.engines.look.files import cube_text
from inference_server.engines.wire.synthetic import wire_shot


@dataclass(frozen=True)
class Night:
    root: Path
    plan: Path
    wire_shots: tuple[str, ...]
    frames: int


def _write_seq(folder: Path, name: str, frames: list[np.ndarray], first: int = 1001, bits: int = 16) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        px = np.rint(np.clip(f, 0, 1) * (65535 if bits == 16 else 255)).astype(np.uint16 if bits == 16 else np.uint8)
        media.write_image(folder / f"{name}.{first + i:04d}.png", px if px.ndim == 3 else px[:, :, None])


def write_look(path: Path, size: int = 9) -> None:
    """A small creative look as a 3D .cube: warm shadows, a gentle S curve."""
    g = np.linspace(0.0, 1.0, size, dtype=np.float32)
    b, gg, r = np.meshgrid(g, g, g, indexing="ij")
    rgb = np.stack([r, gg, b], axis=-1)
    s = rgb + 0.15 * np.sin(2 * np.pi * rgb) * 0.3
    s = np.clip(s * np.array([1.05, 1.0, 0.92], np.float32) + np.array([0.02, 0.0, -0.01], np.float32), 0, 1)
    path.write_text(cube_text(s.astype(np.float32), title="synthetic night look"))


def make_night(root: Path, *, wire_shots: int = 2, frames: int = 6, train_steps: int | None = 4,
               chunk: int = 0, clean: bool = True, look: bool = True, ingest: bool = True,
               size: tuple[int, int] = (96, 160)) -> Night:
    """Write a night's media under ``root`` and its plan (``root/night.toml``); returns where."""
    root.mkdir(parents=True, exist_ok=True)
    h, w = size
    names = []
    lines = ['project = "night"', 'store = "store"', 'report = "report"']
    if chunk:
        lines += ["[farm]", f"chunk = {chunk}"]
    if ingest:
        for i in range(2):
            truth, _, _ = wire_shot(frames, h, w, pan=1.0, seed=40 + i)
            _write_seq(root / "dailies" / f"sh{i + 1:02d}0", "plate", truth, bits=8)
        lines += ["[[ingest]]", 'paths = ["dailies"]']
    if train_steps:
        lines += ["[train]", 'task = "wire-removal"', f"steps = {train_steps}", 'preset = "smoke"']
    for i in range(wire_shots):
        name = f"A{i + 1:03d}"
        _, plates, hints = wire_shot(frames, h, w, pan=0.5 * i, seed=i, drift=2.0)
        _write_seq(root / "plates" / name, "plate", plates)
        _write_seq(root / "plates" / name, "hint", hints, bits=8)
        names.append(name)
        lines += ["[[wire_remove]]", f'plate = "plates/{name}/plate.####.png"',
                  f'hint = "plates/{name}/hint.####.png"', f'out = "renders/{name}/{name}_clean.####.png"',
                  'mode = "temporal"', "regrain = 0.0"]
    if clean:
        shot = panning_shot(max(frames, 4), (h, w), pan=(3.0, 1.0), seed=3)
        _write_seq(root / "plates" / "C001", "plate", shot.plates)
        _write_seq(root / "plates" / "C001", "mask", shot.mattes, bits=8)
        lines += ["[[clean_plate]]", 'name = "C001"', 'plate = "plates/C001/plate.####.png"',
                  'mask = "plates/C001/mask.####.png"',
                  'out = "renders/C001/C001_removed.####.png"']
    if look:
        write_look(root / "show.cube")
        lines += ["[[look_apply]]", 'look = "show.cube"', 'input = "plates/A001/plate.####.png"',
                  'out = "renders/A001_look/A001_look.####.png"', 'name = "A001_look"']
    plan = root / "night.toml"
    plan.write_text("\n".join(lines) + "\n")
    return Night(root, plan, tuple(names), frames)
