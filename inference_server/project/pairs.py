"""Artist pairs (CopyCat-style): a plate with a real wire and the artist's own painted fix of it.

Where the fix differs from the plate is where the artist removed something: that region is
an exact training target for the wire network on this show's real wires, rigs and lenses.
``open_pair`` opens both sequences and checks they match frame for frame; ``build_pair_bank``
cuts patches around the changed pixels; ``pair_sample`` turns one into a training sample
with a rough hint drawn around the change, as an artist would paint it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference_server import media
from inference_server.frames import to_rgb_float
from inference_server.media import FrameSequence
from inference_server.project.serving import network_view

CHANGED = 0.01  # a channel that moved by more than this (0-1 code values) counts as painted


@dataclass
class PairBank:
    """float16 plate patches (N, S, S, 3) as the network sees them and uint8 changed masks (N, S, S)."""

    plates: np.ndarray
    changed: np.ndarray

    def __len__(self) -> int:
        return len(self.plates)


def open_pair(plate: str, fix: str) -> tuple[FrameSequence, FrameSequence]:
    """Open both sequences (plate, fix), or raise ValueError naming what does not match."""
    seqs = []
    for what, spec in (("plate", plate), ("fix", fix)):
        try:
            seqs.append(media.open_sequence(spec))
        except (OSError, ValueError) as exc:
            raise ValueError(f"artist pair {what} {spec!r}: {exc}") from exc
    a, b = seqs
    if len(a) != len(b):
        raise ValueError(f"artist pair: the plate {plate!r} has {len(a)} frames but the fix {fix!r} has {len(b)}")
    pa, pb = a[0].pixels, b[0].pixels
    if pa.shape[:2] != pb.shape[:2]:
        raise ValueError(f"artist pair: the plate {plate!r} is {pa.shape[1]}x{pa.shape[0]} but the fix {fix!r} "
                         f"is {pb.shape[1]}x{pb.shape[0]}")
    return a, b


def build_pair_bank(pairs: list[tuple[str, str]], frames_per_pair: int = 6, crops_per_frame: int = 12,
                    crop: int = 96, seed: int = 0) -> PairBank | None:
    """Patches centred on painted pixels of evenly spaced frames of each pair; None without any."""
    plates: list[np.ndarray] = []
    changed: list[np.ndarray] = []
    rng = np.random.default_rng([seed, 7])
    for plate_spec, fix_spec in pairs:
        a, b = open_pair(plate_spec, fix_spec)
        for k in sorted({int(round(x)) for x in np.linspace(0, len(a) - 1, min(frames_per_pair, len(a)))}):
            plate, fix = to_rgb_float(a[k].pixels), to_rgb_float(b[k].pixels)
            diff = np.abs(plate - fix).max(axis=2) > CHANGED
            ys, xs = np.nonzero(diff)
            if ys.size == 0:
                continue
            view = network_view(plate)
            pad = ((crop, crop), (crop, crop))
            view = np.pad(view, pad + ((0, 0),), mode="symmetric")
            diff_p = np.pad(diff, pad, mode="constant")
            for j in rng.integers(0, ys.size, crops_per_frame):
                y, x = int(ys[j]) + crop - crop // 2, int(xs[j]) + crop - crop // 2
                plates.append(view[y:y + crop, x:x + crop].astype(np.float16))
                changed.append(diff_p[y:y + crop, x:x + crop].astype(np.uint8))
    if not plates:
        return None
    return PairBank(np.stack(plates), np.stack(changed))


def pair_sample(bank: PairBank, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plate (size, size, 3), hint (size, size), target (size, size)) float32 from a random patch:
    the painted pixels are the target, and the hint is them grown by 3-10 px (an artist's stroke)."""
    import cv2

    i = int(rng.integers(0, len(bank)))
    s = bank.plates.shape[1]
    y, x = (int(v) for v in rng.integers(0, s - size + 1, 2))
    k = int(rng.integers(0, 4))
    plate = np.rot90(bank.plates[i, y:y + size, x:x + size].astype(np.float32), k)
    target = np.rot90(bank.changed[i, y:y + size, x:x + size].astype(np.float32), k)
    r = int(rng.integers(3, 11))
    hint = cv2.dilate(np.ascontiguousarray(target), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return np.ascontiguousarray(plate), hint.astype(np.float32), np.ascontiguousarray(target)
