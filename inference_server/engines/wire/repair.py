"""Wire repair of a whole shot: matte, temporal + spatial fill, seamless blend, regrain.

Works band by band on the region around the hint (a band is a strip of the hint's bounding
box, ``band`` pixels long, cropped tight to the hint inside it), so cost follows the wire's
area, not the frame size. Pixels outside the hint are copied from the plate bit for bit.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np

from inference_server.engines.wire import loglin, steady, workers
from inference_server.engines.wire.bridge import bridge_gaps
from inference_server.engines.wire.components import components
from inference_server.engines.wire.flow import luminance
from inference_server.engines.wire.matte import (
    HINT_INSIDE,
    find_wire_matte,
    forget_raw,
    hint_width,
    pooled_floors,
    share_floors,
)
from inference_server.engines.wire.paths import ACCEPT
from inference_server.engines.wire.qc import (
    GAP_FLAG,
    FrameQC,
    along_a_wire,
    lines_of_the_repair,
    matte_centres,
    trial_lines,
    unfound,
    wire_gaps,
)
from inference_server.engines.wire.regrain import GrainModel, apply_grain, estimate_grain
from inference_server.engines.wire.ridges import analysis_luma, scene_linear
from inference_server.engines.wire.soft import SOFT, soft_wires
from inference_server.engines.wire.spatial import fill_spatial
from inference_server.engines.wire.temporal import CLEAN, fill_temporal, seam_correction
from inference_server.frames import from_float, to_float

MatteModel = Callable[[np.ndarray, np.ndarray], np.ndarray]
Rect = tuple[int, int, int, int]  # y0, y1, x0, x1
METHODS = ("auto", "temporal", "static", "spatial")
WIRE_MOVE = 0.06   # a repair that moved a pixel this far (a channel, 0-1 or log code) took a wire out there
SIDE_SIGMA = 3.0   # px: around a pixel, the changes that say on which side of the plate its wire lies
SIDE_AGREE = 0.9   # ...and how far they must agree (1: every change the same way) to hold the fill
OTHER_WAY = 0.02   # a plate pixel this far off its surroundings the other way is another wire's: not held
HOLD_REACH = 16    # px read around a band's core by the hold: the median's 2 and the side's Gaussian's 12, and more
TRIAL_THIN = 6.0  # px: a line the last resort's trial took out is at most this thick on average (not a blotch)
GAP_REACH = 8  # px along a stroke past a stretch that lost a wire, searched with it (``_gap_search``)
QC_THRESHOLD = ACCEPT  # a line left in the hint that stands out this much from the texture flags the frame
FAR_UNSEEN = 0.02  # a still band whose near frames leave more of its hole unseen asks the far ones
BRIDGE = True  # carry a wire across a stretch of its stroke where the bands lost it (``bridge``)
REDO_NEAR = np.ones((7, 7), np.uint8)  # a later pass's repair is kept within 3 px of the lines it was asked to mend
LENT = 0.5  # a fill pixel this much a neighbour's (``_fill``'s confidence) was seen, not painted
DOUBT_K = 2.0     # a pixel lent only from inside the neighbours' wires is kept within this many times the
DOUBT_FLOOR = 2 / 255  # ... surroundings' local deviation (and this) of what painting gives there (``doubted_lent``)
# where a repair's pixel came from (``_composite``): the plate (untouched), painted, or a neighbour's
PLATE, PAINTED, SHOWN = 0, 1, 2
PAINT_READ = np.ones((5, 5), np.uint8)  # a painted pixel within 2 px of a shown one read it (a later pass may repaint it)
AGAIN = 0.25      # a pixel lent over a line a later pass mends, this near the plate's own (a share of the line's
# contrast against what painting gives there), is the line again (``lent_again``)
SHOWS_LINE = 0.5  # of such a line's contrast: a neighbour's pixel this far off the plate's shows what it hides
LOCAL = 5.0  # px: the blur over which a still frame must match the plate around a pixel it lends (``_apart``)
FAR_STEPS = 5     # far frame offsets each side at most (``neighbour_steps``)
# bands worked side by side: their fills are numpy and OpenCV on arrays, which release the GIL (a frame's
# first wire search, many small steps that hold it, runs in worker processes where they run: ``workers``)
BAND_WORKERS = max(1, min(4, os.cpu_count() or 1))

# the thread that waits on the worker processes for the frames searched ahead (``WireRemover._ahead``)
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wire-ahead")

_T = TypeVar("_T")
_R = TypeVar("_R")
_V = TypeVar("_V")


def _each(fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """``[fn(x) for x in items]``, up to ``BAND_WORKERS`` at a time; results in order. ``fn``
    must touch no shared state but what its caller fetched for it beforehand (the plate and
    hint accessors are only ever called on the calling thread; a ``matte_model`` is called from
    the workers and must be safe to call from several threads, as an onnxruntime session is)."""
    if len(items) < 2 or BAND_WORKERS < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(BAND_WORKERS, len(items))) as pool:
        return list(pool.map(fn, items))


@dataclass(frozen=True)
class WireSettings:
    """method: auto | temporal (moving scene) | static (temporal, static scene) | spatial."""

    method: str = "auto"
    window: int = 4
    regrain: float = 1.0
    polarity: str = "auto"
    margin: int = 24
    motion_margin: int = 40
    band: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"wire repair method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.window < 0:
            raise ValueError(f"temporal window must be >= 0 frames, got {self.window}")


def neighbour_steps(window: int, method: str) -> tuple[list[int], list[int]]:
    """(near, far) frame offsets a repair looks at on each side. Near: every one up to ``window`` for
    the static method, else 1, 2, 4, 8... up to it. Far, for a band over a still background whose near
    frames did not show what it hides (``WireRemover._far_neighbours``): the nearest ``FAR_STEPS`` others
    within twice the window (a bounded number: their plates are held at once)."""
    if method == "static":
        near = list(range(1, window + 1))
    else:
        near, d = [], 1
        while d <= window:
            near.append(d)
            d = d * 2 if d >= 2 else d + 1
    far = [d for d in range(1, 2 * window + 1) if d not in near][:FAR_STEPS]
    return near, far


def _reach(window: int) -> int:
    """How far from a frame its own repair may read other frames, whatever the method."""
    return max((max(near + far, default=0) for near, far in (neighbour_steps(window, m) for m in METHODS)), default=0)


def frames_read(window: int) -> int:
    """How far from a frame its repair may read other frames: its own repair's reach, and the repairs of
    the ``2 * steady.STEADY`` frames nearest it (``WireRemover.repair``: as many each side, or at a shot's
    end all on one side), theirs. A chunk of a shot rendered with this many frames of handles each side
    matches the whole-shot render."""
    return _reach(window) + 2 * steady.STEADY


def frames_kept(window: int) -> int:
    """How many frames' mattes (and their bands, texture figures, hints) a repair keeps: a frame and its
    farthest neighbours on both sides (``_reach``), the frames the one asked for lags the one repaired on
    its own (``WireRemover.repair``: ``steady.STEADY``, and twice that at a shot's start), and the next
    one. A sequential render fills the caches to this size whether or not a band asks the far frames."""
    return 2 * _reach(window) + 2 * steady.STEADY + 3


def hint_bands(hint: np.ndarray, margin: int, band: int, cell: int = 8) -> list[tuple[Rect, Rect]]:
    """Split the hint's area into strips; each is (core rect it owns, context rect around it)."""
    import cv2

    h, w = hint.shape
    # whether each cell x cell block holds hint: the max over the block (a dilation anchored at its
    # top-left corner), read at every block's corner
    grown = cv2.dilate((hint > HINT_INSIDE).astype(np.uint8), np.ones((cell, cell), np.uint8), anchor=(0, 0))
    grid: np.ndarray = grown[::cell, ::cell] > 0
    if not grid.any():
        return []
    ys, xs = np.nonzero(grid)
    along_x = (xs.max() - xs.min()) >= (ys.max() - ys.min())
    cells = max(band // cell, 1)
    out: list[tuple[Rect, Rect]] = []
    lo, hi = (xs.min(), xs.max()) if along_x else (ys.min(), ys.max())
    for start in range(int(lo), int(hi) + 1, cells):
        stop = min(start + cells, int(hi) + 1)
        part = grid[:, start:stop] if along_x else grid[start:stop, :]
        idx = np.nonzero(part.any(axis=1 if along_x else 0))[0]
        if idx.size == 0:
            continue
        a0, a1 = start * cell, min(stop * cell, w if along_x else h)
        b0, b1 = int(idx.min()) * cell, min((int(idx.max()) + 1) * cell, h if along_x else w)
        core = (max(b0 - margin, 0), min(b1 + margin, h), a0, a1) if along_x else \
               (a0, a1, max(b0 - margin, 0), min(b1 + margin, w))
        out.append((core, _grow(core, margin, h, w)))
    return out


def _grow(r: Rect, m: int, h: int, w: int) -> Rect:
    return max(r[0] - m, 0), min(r[1] + m, h), max(r[2] - m, 0), min(r[3] + m, w)


def _box(rects: Sequence[Rect], shape: tuple[int, ...]) -> Rect:
    """The smallest rect holding every one of ``rects`` (the whole frame of ``shape`` when there are none)."""
    if not rects:
        return 0, int(shape[0]), 0, int(shape[1])
    return min(r[0] for r in rects), max(r[1] for r in rects), min(r[2] for r in rects), max(r[3] for r in rects)


def _sl(r: Rect) -> tuple[slice, slice]:
    return slice(r[0], r[1]), slice(r[2], r[3])


def _core_in(core: Rect, ctx: Rect) -> tuple[slice, slice]:
    """Where the band's ``core`` lies inside an array cropped to its ``ctx``."""
    oy, ox = core[0] - ctx[0], core[2] - ctx[2]
    return slice(oy, oy + core[1] - core[0]), slice(ox, ox + core[3] - core[2])


class _Band(NamedTuple):
    core: Rect
    ctx: Rect
    plate: np.ndarray
    out: np.ndarray
    bare: np.ndarray
    held: np.ndarray  # ``bare`` with the grain that holds still in the frame (``WireRemover._composite``)
    still: bool  # the temporal fill found its background holding still (``TemporalFill.still``)


@dataclass
class _Own:
    """Frame ``index``'s own repair (``WireRemover._own``), kept band by band: each band's core, its
    plate, repair, repair without grain and with only the grain that holds still in the frame (``held``),
    over the core grown by ``steady.NEAR`` and ``steady.APART`` (``ctx``), and whether the temporal fill
    found the background there holding still; with its whole matte (uint8 (H, W), with the wire seen
    past the hint's edge) and its QC. Outside the cores the frame is its plate."""

    index: int
    bands: list[_Band]
    matte: np.ndarray
    qc: FrameQC

    def crop(self, field: str, rect: Rect) -> tuple[np.ndarray | None, np.ndarray]:
        """(the bands' ``field`` ("plate", "out", "bare" or "held") over ``rect``, bool where they hold it)."""
        h, w = rect[1] - rect[0], rect[3] - rect[2]
        out: np.ndarray | None = None
        have = np.zeros((h, w), bool)
        for band in self.bands:
            ctx, arr = band.ctx, getattr(band, field)
            y0, y1, x0, x1 = max(ctx[0], rect[0]), min(ctx[1], rect[1]), max(ctx[2], rect[2]), min(ctx[3], rect[3])
            if y0 >= y1 or x0 >= x1:
                continue
            if out is None:
                out = np.zeros((h, w) + arr.shape[2:], arr.dtype)
            out[y0 - rect[0]:y1 - rect[0], x0 - rect[2]:x1 - rect[2]] = arr[y0 - ctx[0]:y1 - ctx[0], x0 - ctx[2]:x1 - ctx[2]]
            have[y0 - rect[0]:y1 - rect[0], x0 - rect[2]:x1 - rect[2]] = True
        return out, have


class WireRemover:
    """Repairs frames 0..count-1 of a shot given lazy accessors for plate and hint.

    ``plate(i)``: (H, W, C) uint8/uint16/float16/float32 code values; ``hint(i)``: float32
    (H, W) 0..1. ``matte_model``: optional learned wire matte (the project's network):
    (image float32 (H, W, 3), hint (H, W)) -> matte (H, W) 0..1, used instead of the classical
    ridge-tracing matte; where it finds no wire inside a band's hint, the classical matte is used.
    ``number(i)``: frame i's number in the shot (by default i); it seeds the frame's grain, so a
    chunk of a shot is regrained as the whole shot is.
    It is called from the threads that work the bands side by side (``BAND_WORKERS``).
    """

    def __init__(self, plate: Callable[[int], np.ndarray], hint: Callable[[int], np.ndarray], count: int,
                 settings: WireSettings | None = None, matte_model: MatteModel | None = None,
                 number: Callable[[int], int] | None = None) -> None:
        if count < 1:
            raise ValueError(f"WireRemover needs at least one frame, got {count}")
        self.plate, self.hint, self.count = plate, hint, count
        self.number = number or (lambda i: i)
        self.settings = settings or WireSettings()
        self.matte_model = matte_model
        self._mattes: OrderedDict[int, np.ndarray] = OrderedDict()
        self._guards: OrderedDict[int, np.ndarray] = OrderedDict()
        self._centres: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()  # (rows, cols)
        # (rows, cols) of the lines a frame's QC found left in its repair and did not mend: not lent (``repair``)
        self._doubted: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # (rows, cols) a frame's later passes added to its first matte, and the first matte's values there
        self._mended: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.last_qc: FrameQC | None = None
        self._memos: OrderedDict[int, dict[Rect, dict[object, object]]] = OrderedDict()
        self._bands: OrderedDict[int, list[tuple[Rect, Rect]]] = OrderedDict()
        self._grains: OrderedDict[int, GrainModel] = OrderedDict()
        self._linear: bool | None = None  # scene-linear plate: repaired in log (``loglin``); set by frame 1st repaired
        # the first matte of a frame the next repair will need, searched in the worker processes while
        # this one is filled (``_ahead``): its bands (as ``_matte_u8`` lists them) and the search under way
        self._coming: dict[int, tuple[list[tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]],
                                      Future[list[tuple[np.ndarray, np.ndarray]]]]] = {}
        self._last_repaired: int | None = None
        # the frames' own repairs, a frame's and the ``2 * steady.STEADY`` nearest it (``repair``)
        self._owns: OrderedDict[int, _Own] = OrderedDict()
        # the bands (their contexts) whose background the temporal fill found holding still, by frame
        self._still_bands: dict[int, set[Rect]] = {}

    def _work(self, pixels: np.ndarray) -> np.ndarray:
        """Plate pixels in the repair's working code: float 0-1, or log for a scene-linear plate."""
        f = to_float(pixels)
        return loglin.encode(f) if self._linear else f

    def matte(self, i: int) -> np.ndarray:
        """Refined wire matte of frame i, float32 (H, W) 0..1, zero outside the hint."""
        return self._inside(i, self._matte_u8(i)).astype(np.float32) / np.float32(255.0)

    def _inside(self, i: int, matte_u8: np.ndarray) -> np.ndarray:
        """``matte_u8`` without what it holds outside frame i's hint (a wire's core seen running on
        past the hint's edge: kept in the repair's own mattes so no fill reads it as background)."""
        return np.where(self.hint(i) > HINT_INSIDE, matte_u8, np.uint8(0)).astype(np.uint8)

    def matte_crop(self, i: int, rect: Rect, guard: bool = False) -> np.ndarray:
        """The refined matte of frame i inside ``rect``, float32 0..1 (``guard``: see ``_matte_u8``), with
        the wire seen past the hint's edge (see ``repair``)."""
        return self._matte_u8(i, guard)[_sl(rect)].astype(np.float32) / np.float32(255.0)

    def _not_lent(self, j: int, rect: Rect) -> np.ndarray:
        """What frame j does not lend inside ``rect`` (float32 0..1): its matte (``matte_crop``, guard), and
        the lines its own QC found left in its repair and did not mend, once it was repaired (``repair``).
        Those lines are no wire's rest by their course (``qc.along_a_wire``), but the repair there is in
        doubt: a band a moving subject's fill left along the wire. Lent, the subject was copied onto the wall
        in the next frames (the wire bench's moving subject class, -0.8 dB, when the later pass stopped mending it)."""
        m = self.matte_crop(j, rect, guard=True)
        if j in self._doubted and self._doubted[j][0].size:
            ys, xs = self._doubted[j]
            sel = (ys >= rect[0]) & (ys < rect[1]) & (xs >= rect[2]) & (xs < rect[3])
            if sel.any():
                m = m.copy()
                m[ys[sel] - rect[0], xs[sel] - rect[2]] = 1.0
        return m

    def _first_held(self, j: int, rect: Rect) -> np.ndarray:
        """Bool inside ``rect``: frame j's wires as its first matte held them, feather included (what
        ``_not_lent`` reads, without what its later passes added: a line they mended is matted wider than
        the wire, and where the wire has moved off in frame j, frame j shows the background)."""
        m = self._not_lent(j, rect)
        # (a learned matte's guard, which ``_not_lent`` reads then, never holds what the later passes add)
        if self.matte_model is None and j in self._mended and self._mended[j][0].size:
            ys, xs, was = self._mended[j]
            sel = (ys >= rect[0]) & (ys < rect[1]) & (xs >= rect[2]) & (xs < rect[3])
            if sel.any():
                m = m.copy()
                m[ys[sel] - rect[0], xs[sel] - rect[2]] = was[sel].astype(np.float32) / np.float32(255.0)
        return m > 0

    def _matte_u8(self, i: int, guard: bool = False) -> np.ndarray:
        """The wire matte of frame i, uint8. With a matte model, ``guard=True`` gives the union of
        the learned and the classical matte: what a neighbour must not lend (a tight matte that
        missed a faint wire edge would let the wire be copied into the repair)."""
        guard = guard and self.matte_model is not None
        cache = self._guards if guard else self._mattes
        if i in cache:
            cache.move_to_end(i)
            return cache[i]
        s = self.settings
        plate, hint = self.plate(i), self.hint(i)
        coming = None if guard else self._coming.pop(i, None)
        # each band: its core, the float crops of its context (plate, hint) and its memo
        jobs = coming[0] if coming else self._band_jobs(i, plate, hint)
        full = self._matte_u8(i).copy() if guard else np.zeros(hint.shape, np.uint8)  # guard: tight matte + classical
        Job = tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]

        def one(job: Job) -> tuple[np.ndarray, np.ndarray | None]:
            core, ctx, image, band_hint, memo = job
            if guard:
                m, mid = find_wire_matte(image, band_hint, s.polarity, memo=memo, beyond=True)[0], None
            else:
                m, mid = self._band_matte(image, band_hint, memo)
            return _in_core(core, ctx, m, mid)

        bands = None
        if coming:
            try:
                bands = self._cores(jobs, coming[1].result())
            except RuntimeError:  # the processes failed: searched on threads below
                pass
        elif not guard and self.matte_model is None:
            bands = self._band_mattes_in_processes(jobs)
        if bands is None and not guard and self.matte_model is None and len(jobs) > 1:
            # the texture's floor is the stroke's, not each band's: every band's floors are
            # measured first, and each band is searched against their pool
            def floors(job: Job) -> None:
                _, _, image, band_hint, memo = job
                find_wire_matte(image, band_hint, s.polarity, memo=memo, floors_only=True)

            _each(floors, jobs)
            pooled = pooled_floors([job[4] for job in jobs])
            for job in jobs:
                share_floors(job[4], pooled)
        if bands is None:
            try:
                bands = _each(one, jobs)
            finally:  # what the floors pass kept for the search is the plate's: never for a later search
                for job in jobs:
                    forget_raw(job[4])
        centres = np.zeros(hint.shape, bool)
        for (core, *_), (band, mid) in zip(jobs, bands, strict=True):
            full[_sl(core)] = np.maximum(full[_sl(core)], band)
            if mid is not None:
                centres[_sl(core)] |= mid
        lumas: dict[tuple[int, int, int, int], np.ndarray] = {}

        def luma(box: tuple[slice, slice]) -> np.ndarray:  # a stroke's box, read once for both passes below
            key = (box[0].start, box[0].stop, box[1].start, box[1].stop)
            if key not in lumas:
                lumas[key] = analysis_luma(to_float(plate[box]))
            return lumas[key]

        if not guard and BRIDGE:  # a wire the bands lost for a stretch, carried across it
            full, centres = bridge_gaps(centres, hint, full, luma)
        if not guard and SOFT:  # a wire smeared by motion blur where the bands found none along a stroke
            full, centres = soft_wires(centres, hint, full, luma, s.polarity)
        cache[i] = full
        if not guard:
            self._centres[i] = np.nonzero(centres)  # type: ignore[assignment]
        while len(cache) > frames_kept(s.window):
            gone, _ = cache.popitem(last=False)
            if not guard:
                self._centres.pop(gone, None)  # kept exactly as long as the matte they came with
                self._doubted.pop(gone, None)
                self._mended.pop(gone, None)
        return full

    def _band_mattes_in_processes(self, jobs: list[tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]]
                                  ) -> list[tuple[np.ndarray, np.ndarray | None]] | None:
        """The bands' first mattes and centre lines (uint8, bool, each its core's), searched in the
        worker processes (``workers``: the search holds the GIL, so threads searched one band at a time);
        None where they do not run (the caller searches on threads)."""
        if len(jobs) < 2 or not workers.available():
            return None
        try:
            return self._cores(jobs, workers.band_mattes([job[2:] for job in jobs], self.settings.polarity))
        except RuntimeError:
            return None

    @staticmethod
    def _cores(jobs: list[tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]],
               found: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Each band's matte (uint8) and centre lines as the processes found them, cut to its core."""
        return [_in_core(core, ctx, m, mid) for (core, ctx, *_), (m, mid) in zip(jobs, found, strict=True)]

    def _band_jobs(self, i: int, plate: np.ndarray, hint: np.ndarray
                   ) -> list[tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]]:
        """Frame i's bands to search (``plate``, ``hint``: frame i's, read on the calling thread): each
        one's core, the float crops of its context (plate, hint) and its memo."""
        if hint.shape != plate.shape[:2]:
            raise ValueError(f"hint of frame index {i} is {hint.shape[1]}x{hint.shape[0]}, "
                             f"plate is {plate.shape[1]}x{plate.shape[0]}")
        return [(core, ctx, to_float(plate[_sl(ctx)]), hint[_sl(ctx)].astype(np.float32), self._memo(i, ctx))
                for core, ctx in self._hint_bands(i, hint)]

    def _ahead(self, i: int) -> None:
        """Start searching, in the worker processes, the first matte of the frame the repair of frame
        i + 1 will ask for first (the farthest neighbour, i + 1 + the farthest step), while frame i is
        repaired; only when frames come one after the other (i is the first repaired, or follows the
        one repaired last: a render, not a viewer's jumps), with the classical matte, and where the
        processes run. Frames searched ahead and then not asked for are dropped at the next call."""
        nxt = i + 1 + max(neighbour_steps(self.settings.window, self.settings.method)[0], default=0)
        if (self._last_repaired not in (None, i - 1) or self.matte_model is not None or nxt >= self.count
                or nxt in self._mattes or nxt in self._coming or not workers.available()):
            return
        for j in [j for j in self._coming if not i < j < nxt]:  # asked for out of turn, or never: dropped
            del self._coming[j]
        jobs = self._band_jobs(nxt, self.plate(nxt), self.hint(nxt))
        if len(jobs) < 2:
            return
        search = [job[2:] for job in jobs]
        self._coming[nxt] = (jobs, _AHEAD.submit(workers.band_mattes, search, self.settings.polarity))

    def _centre_lines(self, i: int) -> np.ndarray:
        """Bool (H, W): the centre lines of the wires frame i's first matte found (``_matte_u8``)."""
        self._matte_u8(i)
        out = np.zeros(self.hint(i).shape, bool)
        out[self._centres[i]] = True
        return out

    def _kept(self, cache: OrderedDict[int, _V], i: int, make: Callable[[], _V], size: int | None = None) -> _V:
        """``cache[i]``, made by ``make()`` the first time; the frames least recently asked for are
        dropped beyond ``size`` (by default as many as the frames' mattes kept)."""
        if i not in cache:
            cache[i] = make()
            while len(cache) > (frames_kept(self.settings.window) if size is None else size):
                cache.popitem(last=False)
        cache.move_to_end(i)
        return cache[i]

    def _memo(self, i: int, ctx: Rect) -> dict[object, object]:
        """The texture figures of frame i's strokes in band ``ctx`` (kept while the frame's matte is)."""
        return self._kept(self._memos, i, dict).setdefault(ctx, {})  # type: ignore[return-value]

    def _hint_bands(self, i: int, hint: np.ndarray) -> list[tuple[Rect, Rect]]:
        """``hint_bands`` of frame i's hint (``hint``), kept while the frame's matte is (a whole-frame
        pass over the hint: at 4K it cost more than a band's matte, and every pass asked again)."""
        return self._kept(self._bands, i, lambda: hint_bands(hint, self.settings.margin, self.settings.band))

    def _band_matte(self, image: np.ndarray, hint: np.ndarray, memo: dict[object, object]
                    ) -> tuple[np.ndarray, np.ndarray]:
        """(a band's wire matte, the centre lines of its wires: ``find_wire_matte(centres=)``, or for
        a learned matte ``qc.matte_centres``)."""
        if self.matte_model is not None and image.shape[2] >= 3 and self.settings.polarity == "auto":
            m = np.asarray(self.matte_model(np.ascontiguousarray(image[:, :, :3]), hint), np.float32)
            if m.shape != hint.shape:
                raise ValueError(f"wire matte model returned shape {m.shape}, expected {hint.shape}")
            if float(m.max(initial=0.0)) >= 0.5:
                return m, matte_centres(m, hint)
        return workers.band_search(image, hint, self.settings.polarity, memo)

    def _neighbours(self, i: int) -> list[int]:
        return self._frames_at(i, neighbour_steps(self.settings.window, self.settings.method)[0])

    def _far_neighbours(self, i: int) -> list[int]:
        """The frames a band over a still background looks at once the near ones did not show what it
        hides (``neighbour_steps``). A slow wire over a locked-off shot uncovers its background only
        frames later; in a moving shot the near frames show it, and a far frame's motion estimate is
        worse than painting (measured: the bench's moving classes lost 0.2-0.35 dB)."""
        return self._frames_at(i, neighbour_steps(self.settings.window, self.settings.method)[1])

    def _frames_at(self, i: int, steps: Iterable[int]) -> list[int]:
        out = []
        for d in steps:
            out += [j for j in (i - d, i + d) if 0 <= j < self.count]
        return out

    def repair(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(repaired frame in the plate's dtype, wire matte uint8 (H, W) 0-255) for frame index i.

        Nothing is left behind silently: the repaired frame is searched for wires again, with
        the same finder, against the plate's texture around the hint. A line found there that is
        the wire's rest (with the classical matte: one that keeps one offset across one wire found,
        ``qc.along_a_wire``, or lies where the stroke holds a wire fewer) is added to the matte and
        the frame is repaired again there (``_composite``); a line still found after that, or one
        not mended, is the QC's residual, and a strong one flags the frame for the artist. A line
        found and not mended is not lent to the neighbours either (``_not_lent``). (Widening the matte
        by a third of the stroke around such a line and repairing once more, as this did before,
        filled 4K frame 0 of the bench with a block of ghosted structure from misaligned donors;
        weaker lines were measured to smear more fills than they saved.) ``last_qc`` holds the
        frame's figures (``FrameQC``). Last, no repaired pixel is left nearer the wire's colour than
        the plate was (``away_from_wire``).
        The matte returned is zero outside the hint. Where a wire runs along the edge of its stroke,
        the pixels just outside are the wire, not the background to fill from: the core of a wire
        found running on past the hint's edge (``find_wire_matte(beyond=True)``: within 2 px) is
        neither read by this frame's fill nor lent by a neighbour.

        A wire the first matte missed scores under the search's margin, and the search of the
        repaired frame does not see it either; but wires run on through a stroke. A stretch of a
        stroke (``GAP_FLAG`` px or more) that holds fewer of the wires found than most of the stroke
        does (``qc.wire_gaps``) is searched again on its own, against the texture around it alone
        (``_gap_search``; with the classical matte), and a wire found there is mended as a line left
        is. Where the stroke still holds a wire fewer, that stretch is repaired whole on trial and
        what the trial took out as a line that goes on from a wire found is repaired too
        (``_last_resort``); the frame is flagged (``last_qc.gap``, ``gap_at``) either way: a wire
        missed there, or hidden behind something, for the artist to look at.

        Over a still background the frame's fill is then the mean of its own repair and those of the
        ``2 * steady.STEADY`` frames nearest it that hold still with it there (``_steady``): each frame
        paints what no neighbour shows from its own hole, whose shape moves with the wire, and the paint
        changed from frame to frame (the wire bench's upright stroke over a locked-off shot, flicker x4.54
        the truth's). The nearest frames are as many each side, and at a shot's ends all on the one side
        there is: cut to the side there is, the frames near an end averaged fewer repairs, and every step
        towards the middle added one (the first of them, the least well repaired: the fill's first frames
        have the fewest neighbours; flicker x1.63 on the 8 frames, x1.72 over 20, now x1.21 and x1.51).
        The frames are repaired on their own in order, up to ``steady.STEADY`` ahead of the one asked for
        (twice that at a shot's start), and kept band by band (``_Own``); the QC's figures are of the
        frame's own repair."""

        reach = 0 if self.settings.method == "spatial" else steady.STEADY
        first = max(0, min(i - reach, self.count - (2 * reach + 1)))  # the nearest frames: at a shot's ends, one side's
        span = [j for j in range(first, min(self.count, first + 2 * reach + 1))
                if j == i or (self.hint(j) > HINT_INSIDE).any()]
        for j in span:  # in order: a frame's repair reads what the earlier ones mended
            if j not in self._owns:
                self._owns[j] = self._own(j)
                while len(self._owns) > 2 * steady.STEADY + 2:
                    self._owns.popitem(last=False)
        own = self._owns[i]
        out, slack = self._steady(own, [self._owns[j] for j in span if j != i])
        self.last_qc = own.qc
        return self._away_from_wire(i, out, own.matte, slack), self._inside(i, own.matte)

    def _own(self, i: int) -> _Own:
        """Frame i repaired from its own plate and its neighbours (``repair`` before ``_steady``)."""
        import cv2

        self._ahead(i)
        self._last_repaired = i
        matte = self._matte_u8(i)
        hint = self.hint(i)
        lines = self._centre_lines(i)
        missing = wire_gaps(lines, hint, matte)[2]
        out, bare, holding, source = self._composite(i, matte, strict="")
        left, residual = self._residual(i, bare, missing=missing)  # the repair is judged, not the grain laid over it
        # the whole-frame bookkeeping below runs on the calling thread: only over the bands' box
        box = _box([core for core, _ in self._hint_bands(i, hint)], hint.shape)
        inside = hint[_sl(box)] > HINT_INSIDE
        passes = 1
        mend = left[_sl(box)] > 0
        if self.matte_model is None:  # what the classical matte's rest looks like: see ``qc.along_a_wire``
            mend = along_a_wire(mend, lines[_sl(box)]) | (mend & missing[_sl(box)])
        unmended = (left[_sl(box)] > 0) & ~mend
        again_lines = None
        if self.matte_model is None and missing.any():  # a wire the stroke lost for a stretch, looked for there alone
            again, again_lines = self._gap_search(i, missing, matte, box, lines)
            mend |= again[_sl(box)]
            lines = lines | again_lines
        if mend.any():  # the evidence: the line found, a pixel wider
            grown = cv2.dilate(mend.astype(np.uint8), np.ones((3, 3), np.uint8))
            added = np.zeros(hint.shape, bool)
            added[_sl(box)] = (grown > 0) & inside
            found = np.zeros(hint.shape, bool)  # the lines themselves, not grown: what a neighbour must not lend back
            found[_sl(box)] = mend & inside
            matte = matte.copy()  # the cached first matte stays as it was
            matte[_sl(box)] = np.maximum(matte[_sl(box)], added[_sl(box)].astype(np.uint8) * 255)
            out, bare, holding, source = self._composite(i, matte, strict="matte",
                                                         base=(out, bare, holding, source), where=added,
                                                line=added.astype(np.uint8) + found)
            # searched again: the bands it redid, and those holding a line it did not mend (still the residual's)
            left, residual = self._residual(i, bare, where=added | (left > 0), missing=missing)
            passes = 2
        # the gap named is the one before the last resort: its matte only grows, over the same lines,
        # so the stretch it repaired is still named for the artist
        gap, gap_at, still = wire_gaps(lines, hint, matte)
        if gap >= GAP_FLAG:
            matte, out, bare, holding, source, tried = self._last_resort(i, still, matte, box,
                                                                         (out, bare, holding, source), lines)
            passes += int(tried)
        if i in self._mattes:
            first = self._mattes[i]
            ys, xs = np.nonzero(matte > first)
            self._mended[i] = (ys, xs, first[ys, xs])
            self._mattes[i] = matte
            if again_lines is not None and again_lines.any():  # kept with the matte they mended
                self._centres[i] = np.nonzero(lines)  # type: ignore[assignment]
            # the lines it found left and did not mend (no wire's rest, by their course), a pixel wider:
            # whatever they are, the neighbours do not take them from this frame's plate
            ys, xs = np.nonzero((cv2.dilate(unmended.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & inside)
            self._doubted[i] = (ys + box[0], xs + box[2])
        repaired = float((matte[_sl(box)] > 0)[inside].mean()) if inside.any() else 0.0
        left_at = unfound(hint, matte)
        qc = FrameQC(residual, repaired, passes, residual >= QC_THRESHOLD or gap >= GAP_FLAG or left_at is not None,
                     gap, gap_at, left_at)
        bands = []
        still_ctx = self._still_bands.pop(i, set())
        for core, _ in self._hint_bands(i, hint):
            ctx = _grow(core, steady.NEAR + steady.APART, *hint.shape)
            held = self._fill_ctx(core, True, hint.shape) in still_ctx
            kept = bare[_sl(ctx)].copy()
            bands.append(_Band(core, ctx, self.plate(i)[_sl(ctx)].copy(), out[_sl(ctx)].copy(), kept,
                               kept if holding is bare else holding[_sl(ctx)].copy(), held))
        return _Own(i, bands, matte, qc)

    def _fill_ctx(self, core: Rect, neighbours: bool, shape: tuple[int, ...]) -> Rect:
        """The context a band's fill reads around its ``core`` (``_composite``; wider when it reads neighbours)."""
        s = self.settings
        return _grow(core, s.margin + (s.motion_margin if neighbours else 0), int(shape[0]), int(shape[1]))

    def _steady(self, own: _Own, others: Sequence[_Own]) -> tuple[np.ndarray, np.ndarray]:
        """The frame of ``own`` with its fill averaged with the ``others``' repairs where the plate around
        holds still between them (``steady``), band by band (each band's core, read ``steady.NEAR`` px
        around), in the bands whose background the temporal fill found holding still (a pan's frames
        shifted a few px matched closely enough over smooth texture: averaged, the bench's fishing line
        over a pond lost 14 dB). What is averaged is each repair with the grain that holds still in the
        frame laid where it painted (``_composite``'s ``held``: the same pattern in every frame), and
        only the frame's own grain that renews is laid over the mean: laid over the mean whole, the
        still grain came and went with each frame's own painted pixels (the wire bench's upright
        stroke, flicker with regrain x2.90 the truth's where the bare repair's was x1.63).
        Also float32 (H, W): how far the frames' plates may differ there and still agree (``agree``, the
        median of the frames averaged; 0 where nothing was): a plate pixel that close to the mean shows
        no wire the mean should be held off (``away_from_wire``)."""
        frame = self.plate(own.index).copy()
        slack = np.zeros(own.matte.shape, np.float32)
        inside = self._inside(own.index, own.matte)
        for band in own.bands:
            core, cs = band.core, _core_in(band.core, band.ctx)
            frame[_sl(core)] = band.out[cs]
            if band.still and others and inside[_sl(core)].any():
                done = self._steady_band(own, band, others, inside[_sl(band.ctx)])
                if done is not None:
                    got, pixels, agree = done
                    frame[_sl(core)][got[cs]] = pixels[cs][got[cs]]
                    slack[_sl(core)][got[cs]] = agree
        return frame, slack

    def _steady_band(self, own: _Own, band: _Band, others: Sequence[_Own], inside: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(bool (h, w) where the fill was averaged, the frame's pixels there, the median ``agree`` of
        the frames averaged in) inside ``band``'s context, one of ``own``'s bands (``inside``: the frame's
        matte there, uint8), or None where no other frame counted."""
        import cv2

        ctx, src, out, kept = band.ctx, band.plate, band.out, band.held
        work = self._work(src)
        lum = luminance(work)
        m = inside.astype(np.float32) / np.float32(255.0)
        hole = m > 0
        apart = np.ones((2 * steady.APART + 1,) * 2, np.uint8)
        held = cv2.dilate((own.matte[_sl(ctx)] > 0).astype(np.uint8), apart) > 0
        near = cv2.dilate(hole.astype(np.uint8), np.ones((2 * steady.NEAR + 1,) * 2, np.uint8)) > 0
        taken, agrees = [], []
        for o in others:
            plate, have = o.crop("plate", ctx)
            other_held = o.crop("held", ctx)[0]
            if plate is None or other_held is None:
                continue
            other = luminance(self._work(plate))
            known = have & ~held & (cv2.dilate((o.matte[_sl(ctx)] > 0).astype(np.uint8), apart) == 0)
            agree = steady.NOISE_K * _frame_noise(lum, [other], known, [np.zeros_like(known)]) + DOUBT_FLOOR
            if not steady.still_pair(lum, other, known & near, agree):
                continue
            ok = hole & have & steady.still_between(lum, other, known, agree)
            if ok.any():
                taken.append((self._work(other_held), ok))
                agrees.append(agree)
        if not taken:
            return None
        fill, got = steady.mean_where(self._work(kept), taken)
        comp = work * (1.0 - m[:, :, None]) + fill * m[:, :, None]
        comp = loglin.decode(comp) if self._linear else comp
        return got, from_float(comp + (to_float(out) - to_float(kept)), src.dtype), float(np.median(agrees))

    def _last_resort(self, i: int, still: np.ndarray, matte: np.ndarray, box: Rect,
                     base: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], found: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
        """(matte, repaired frame, bare, held, source, whether it changed them) after the last net: the
        stretches of ``still`` (``qc.wire_gaps``'s, ``GAP_FLAG`` px or longer) where the stroke holds a
        wire fewer after every search are repaired whole, on trial, and the lines that trial took out
        of the plate (``qc.trial_lines``; within ``GAP_REACH`` px of a centre line of the wires
        found, ``found``: as the gap search asks, a wire's rest goes on from where one stopped or
        runs beside one) are added to the matte, a pixel wider, and repaired; the rest of the
        stretch stays the plate's. The issue's "widen to the evidence or, failing that, to the
        hint": the hint is the trial, what it moves as a line the evidence. Kept whole, the trial cost
        the bench's 4K class 3.6 dB (a stretch of a car's body refilled where no wire was missing)."""
        import cv2

        hint = self.hint(i)
        inside = hint > HINT_INSIDE
        stretch = np.zeros(hint.shape, bool)
        for ys, xs in components(still[_sl(box)].astype(np.uint8))[1]:
            if max(np.ptp(ys), np.ptp(xs)) + 1 >= GAP_FLAG:
                stretch[ys + box[0], xs + box[2]] = True
        stretch &= inside & (matte < 128)
        out, bare, held, source = base
        if not stretch.any():
            return matte, out, bare, held, source, False
        trial = matte.copy()
        trial[stretch] = 255
        tried = self._composite(i, trial, strict="matte", base=base, where=stretch)[1]
        reach = 2 * GAP_REACH + 1
        near = cv2.dilate(found.astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
        took = trial_lines(luminance(self._work(self.plate(i))), luminance(self._work(bare)),
                           luminance(self._work(tried)), stretch, WIRE_MOVE, TRIAL_THIN, near)
        if not took.any():
            return matte, out, bare, held, source, False
        grown = (cv2.dilate(took.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & inside
        matte = matte.copy()
        matte[grown] = 255
        out, bare, held, source = self._composite(i, matte, strict="matte", base=base, where=grown)
        return matte, out, bare, held, source, True

    def _gap_search(self, i: int, missing: np.ndarray, matte: np.ndarray, box: Rect, found: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """(bool (H, W) cores of wires found in frame i's plate where the stroke holds a wire fewer than
        along most of it (``missing``, ``qc.wire_gaps``) and the matte has none; their centre lines),
        within ``box`` (the bands' box: the hint lies inside it); ``found``: bool (H, W), the centre
        lines of the wires the first search found.

        The first search measures a wire's gain against the whole stroke's texture: a grey wire that
        crosses graffiti and then grass, a cream one over a pale sky, falls under the margin for the
        stretch past the busy part, and the stroke holds a wire fewer there. Searched again with the
        hint cut to that stretch (``GAP_REACH`` px more either way along it), against the texture
        around the stretch alone, it stands out. What is kept: the pieces of the wires found there that
        lie off the matte (more than 2 px from its solid part), run ``GAP_FLAG`` px or more and hold a
        centre line of a wire found (the search fills a stroke with no wire whole). The cut holds the
        stretch's own stroke only: a sliver of another stroke within reach, searched, took a line of
        its texture for a wire. A piece must also come within ``GAP_REACH`` px of a wire the first
        search found (it goes on from where one stopped, or runs beside one): a line found in the
        middle of the stretch, away from every wire, is the edge of something in front of them, not
        a wire's rest. A stretch is searched only where it could hold a wire: ``GAP_FLAG`` px and
        twice its stroke's width long (what the search asks a path to run)."""
        import cv2

        hint = self.hint(i)
        plate = self.plate(i)
        out = np.zeros(hint.shape, bool)
        centres = np.zeros(hint.shape, bool)
        h, w = hint.shape
        _, each = components(missing[_sl(box)].astype(np.uint8))
        for ys, xs in each:
            ys, xs = ys + box[0], xs + box[2]
            y0, y1 = max(ys.min() - GAP_REACH, 0), min(ys.max() + GAP_REACH + 1, h)
            x0, x1 = max(xs.min() - GAP_REACH, 0), min(xs.max() + GAP_REACH + 1, w)
            width = hint_width(hint[y0:y1, x0:x1] > HINT_INSIDE)
            if max(np.ptp(ys), np.ptp(xs)) + 1 < max(GAP_FLAG, 2.0 * width):
                continue
            stretch = np.zeros((y1 - y0, x1 - x0), np.uint8)
            stretch[ys - y0, xs - x0] = 1
            reach = 2 * GAP_REACH + 1
            near = cv2.dilate(stretch, np.ones((reach, reach), np.uint8)) > 0
            labels, _ = components((hint[y0:y1, x0:x1] > HINT_INSIDE) & near)
            near &= np.isin(labels, np.unique(labels[stretch > 0]))  # the stretch's stroke only, no other's
            pad = int(max(GAP_REACH + 24, 1.5 * width + 6))  # room for the texture around the stretch
            cy0, cy1, cx0, cx1 = max(y0 - pad, 0), min(y1 + pad, h), max(x0 - pad, 0), min(x1 + pad, w)
            cut = np.zeros((cy1 - cy0, cx1 - cx0), np.float32)
            cut[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0] = hint[y0:y1, x0:x1] * near
            mid = np.zeros(cut.shape, bool)
            m, scores = find_wire_matte(to_float(plate[cy0:cy1, cx0:cx1]), cut, self.settings.polarity, centres=mid)
            if not scores:
                continue
            held = cv2.dilate((matte[cy0:cy1, cx0:cx1] >= 128).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            new = (m >= 0.5) & (cut > HINT_INSIDE) & ~held
            ends = cv2.dilate(found[cy0:cy1, cx0:cx1].astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
            for py, px in components(new.astype(np.uint8))[1]:
                if max(np.ptp(py), np.ptp(px)) + 1 < GAP_FLAG or not mid[py, px].any() or not ends[py, px].any():
                    continue
                out[py + cy0, px + cx0] = True
                centres[py + cy0, px + cx0] |= mid[py, px]
        return out, centres

    def _composite(self, i: int, matte_u8: np.ndarray, strict: str,
                   base: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
                   where: np.ndarray | None = None, line: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(frame i repaired under ``matte_u8``, the same repair without the grain laid over it: what
        the QC searches; the same repair with only the grain that holds still in the frame (``held``:
        what ``_steady`` averages); both the same array without regrain; uint8 (H, W): where each pixel came from,
        ``PLATE``, ``PAINTED`` or ``SHOWN`` by a neighbour (``LENT``)); ``strict``: "matte": neighbours lend nothing
        from their whole mattes, feather included, a pixel wider (a wire's faint fringe in the feather
        of a neighbour's matte, copied back in, is the dashed trace along a thin wire); "": only
        their solid wire (``CAND_MATTE``). With ``base`` (an earlier repair of the frame, as this
        returned it), only the bands that hold a pixel of ``where`` are redone (``line``: the lines that pass
        mends, as ``lent_again`` reads them), and a pixel is taken
        from the new repair only within 3 px of ``where`` (``REDO_NEAR``: the bench's polarity class
        lost 3.9 dB on a frame where a later pass redid a whole band's fill), and never where the earlier
        repair had it from a neighbour and the new one paints it: a line that the fill continued from
        what the neighbours showed (a car's trim the wire ran along) is the background, and the strict
        pass, lent less, painted it out. A pixel the earlier repair painted is painted again only
        within 2 px of one it was shown (``PAINT_READ``): that paint read what a neighbour lent, which
        the strict pass lends without the feather of the neighbour's wire (a dark wire's dashes over a
        pale wall, painted from its lent fringe, go). Farther off, the earlier paint read the plate's
        own surroundings, which the later one reads too, only from farther away (its hole is wider):
        over a car's reflections it broke the fill into blotches, and it kept the earlier paint's
        structure no better (on the bench: car pan +0.15 dB, 4K +0.18, the wire leaving its hint
        +0.19; no class lower by more than 0.04).

        The grain is no line: searched with it, a repaired frame showed the QC lines the bare repair
        did not (grain over a fill reads as texture the plate's floors were not measured on), and the
        second, wider repair that followed broke a pot's rim on three frames of the schoolgirls
        (regrain flicker x1.43 where the bare repair's was x1.20)."""
        import cv2

        s = self.settings
        src = self.plate(i)
        hint = self.hint(i)
        if self._linear is None:
            self._linear = src.dtype.kind == "f" and scene_linear(luminance(src))
        out = src.copy() if base is None else base[0].copy()
        h, w = hint.shape
        nbrs = [] if s.method == "spatial" else self._neighbours(i)
        bands = self._hint_bands(i, hint)
        model = None
        if s.regrain > 0 and bands:  # one grain model per frame, from the band with the most hint
            def grain() -> GrainModel:
                biggest = max(bands, key=lambda b: int((hint[_sl(b[1])] > HINT_INSIDE).sum()))[1]
                return estimate_grain(self._work(src[_sl(biggest)]), hint[_sl(biggest)])

            model = self._kept(self._grains, i, grain, size=2)  # asked again only by the frame's later passes
        seed = s.seed * 100003 + self.number(i) * 131
        todo = [(n, core) for n, (core, _) in enumerate(bands) if where is None or where[_sl(core)].any()]
        # what the bands read of other frames is fetched here, once, before they run side by side
        frames = {j: (self.plate(j), self.hint(j)) for j in nbrs}
        # without neighbours the bands paint (``_fill``) and read no other matte; with a matte model, the
        # frame's own guard matte holds what it saw of the wire past the hint's edge
        for j in nbrs + ([i] if self.matte_model is not None else []):
            self._matte_u8(j, guard=True)

        far = self._far_neighbours(i) if nbrs else []

        def one(job: tuple[int, Rect], more: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray] | bool | None:
            band_no, core = job
            ctx = self._fill_ctx(core, bool(nbrs), (h, w))
            target = self._work(src[_sl(ctx)])
            matte = matte_u8[_sl(ctx)].astype(np.float32) / np.float32(255.0)
            inside = hint[_sl(ctx)] > HINT_INSIDE
            if not (matte * inside > 0).any():
                return None
            done = self._fill(i, target, matte, inside, ctx, nbrs + far if more else nbrs, strict, frames,
                              bool(far) and not more, None if line is None else line[_sl(ctx)])
            if done is None:  # a still band the near frames did not uncover: asks for the far ones
                return True
            fill, renew, hold, matte, conf = done
            bare = held = fill
            if model is not None:  # grain that renews each frame, and grain that holds still in the frame
                fill = apply_grain(fill, matte * renew, model, s.regrain, seed=seed + band_no)
                if bool((matte * hold > 1e-3).any()):  # painted pixels of a still band
                    renewed = fill
                    fill = apply_grain(fill, matte * hold, model, s.regrain, seed=s.seed, anchor=(ctx[0], ctx[2]))
                    held = bare + (fill - renewed)
            cs = _core_in(core, ctx)

            def put(f: np.ndarray) -> np.ndarray:
                comp = target * (1.0 - matte[:, :, None]) + f * matte[:, :, None]
                return from_float(loglin.decode(comp[cs]) if self._linear else comp[cs], src.dtype)

            grained = put(fill)
            plain = grained if fill is bare else put(bare)
            return matte[cs] > 0, grained, plain, (None if held is bare else put(held)), conf[cs] >= LENT

        results = _each(one, todo)
        again = [job for job, done in zip(todo, results, strict=True) if done is True]
        if again:
            frames.update({j: (self.plate(j), self.hint(j)) for j in far})
            for j in far:
                self._matte_u8(j, guard=True)
            redone = iter(_each(lambda job: one(job, more=True), again))
            results = [next(redone) if done is True else done for done in results]
        bare = out if model is None else (src.copy() if base is None else base[1].copy())
        held = bare if base is None or base[2] is base[1] else base[2].copy()  # a copy once a band holds grain
        source = np.zeros(hint.shape, np.uint8) if base is None else base[3].copy()
        for (_, core), done in zip(todo, results, strict=True):
            if isinstance(done, tuple):
                change, pixels, bare_pixels, held_pixels, seen = done
                was = source[_sl(core)]
                if base is not None and where is not None:  # a later pass: see the docstring
                    near = cv2.dilate(where[_sl(core)].astype(np.uint8), REDO_NEAR) > 0
                    read_shown = cv2.dilate((was == SHOWN).astype(np.uint8), PAINT_READ) > 0
                    change = change & near & (seen | (was == PLATE) | ((was == PAINTED) & read_shown))
                out[_sl(core)][change] = pixels[change]
                if bare is not out:
                    bare[_sl(core)][change] = bare_pixels[change]
                if held_pixels is not None and held is bare:
                    held = bare.copy()
                if held is not bare:
                    held[_sl(core)][change] = (bare_pixels if held_pixels is None else held_pixels)[change]
                was[change] = np.where(seen[change], SHOWN, PAINTED)
        return out, bare, held, source

    def _residual(self, i: int, out: np.ndarray, where: np.ndarray | None = None,
                  missing: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """(uint8 (H, W) 0/1 mattes of the lines still standing out inside the hint of the
        repaired frame, the strongest one's score; 0 when none); only in bands that hold a
        pixel of ``where`` when it is given. With the classical matte, only the lines that are the
        repair's to mend (``qc.lines_of_the_repair``: by what it changed, or where the stroke holds
        a wire fewer, ``missing``); one it left alone elsewhere was judged by the matte's own search
        in the plate. A learned matte's judgement is checked on every line."""
        hint = self.hint(i)
        plate = self.plate(i) if self.matte_model is None else None
        left = np.zeros(hint.shape, np.uint8)
        worst = 0.0
        # each band: its core, its context, the crops the search reads (repaired frame, hint) and its memo
        jobs = [(core, ctx, to_float(out[_sl(ctx)]), hint[_sl(ctx)].astype(np.float32), self._memo(i, ctx))
                for core, ctx in self._hint_bands(i, hint) if where is None or where[_sl(core)].any()]

        def one(job: tuple[Rect, Rect, np.ndarray, np.ndarray, dict[object, object]]
                ) -> tuple[np.ndarray, list[float], np.ndarray]:
            return workers.lines(*job[2:4], self.settings.polarity, job[4])[:3]

        found = None
        if len(jobs) > 1 and workers.available():  # the search holds the GIL: in the worker processes
            try:
                found = workers.lines_left([job[2:] for job in jobs], self.settings.polarity)
            except RuntimeError:  # they failed: on threads
                pass
        for (core, ctx, *_), (m, scores, centres) in zip(jobs, found or _each(one, jobs), strict=True):
            if not scores:
                continue
            inner = _core_in(core, ctx)
            lines = m[inner] > 0
            if plate is None:
                worst = max(worst, max(scores))
            else:
                changed = out[_sl(core)] != plate[_sl(core)]
                gone = missing[_sl(core)] if missing is not None else np.zeros(lines.shape, bool)
                lines, score = lines_of_the_repair(lines, centres[inner], scores,
                                                   changed.any(axis=2) if changed.ndim == 3 else changed, gone)
                if not lines.any():
                    continue
                worst = max(worst, score)
            left[_sl(core)] |= lines.astype(np.uint8)
        return left, worst

    def _fill(self, i: int, target: np.ndarray, matte: np.ndarray, inside: np.ndarray, ctx: Rect, nbrs: list[int],
              strict: str, frames: dict[int, tuple[np.ndarray, np.ndarray]], may_ask: bool = False,
              line: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(fill (H, W, C), grain missing per pixel 0..1 that renews each frame, grain missing that holds
        still (``TemporalFill.renewal``), matte to composite with, how far each pixel of the fill is what
        the neighbours showed there, 0..1: 0 painted) for one band; ``line`` (uint8, or None): the lines a
        later pass mends (``lent_again``'s), where a still band takes what the frames the line has moved off
        show (``farthest_from_line``) and paints what the neighbours lent back as them;
        ``frames``: the neighbours' (plate, hint), fetched by the caller. With ``may_ask``, None
        when the background is still and ``nbrs`` left more than ``FAR_UNSEEN`` of the hole unseen
        (the caller gives the band its far neighbours, ``_far_neighbours``, before anything is painted).
        ``matte`` holds the wire seen past the hint's edge too (with a matte model, the guard matte
        holds it); ``inside``: the hint (bool). That wire is not filled, and neither read as the
        surroundings (by the spatial fill, the seam correction) nor lent by a neighbour (its own, past
        its hint's edge, in every pass); the matte returned is ``matte`` inside.

        With a matte model, what the neighbours reveal is taken under the wider guard matte (a
        wire edge the tight matte missed is replaced too, at little cost since the neighbours
        show what is there); the rest keeps the tight matte, and the spatial fill bridges only it.
        """
        import cv2

        s = self.settings
        guard = None if self.matte_model is None else self.matte_crop(i, ctx, guard=True)
        seen_f = (((matte if guard is None else np.maximum(matte, guard)) > 0) & ~inside).astype(np.float32)
        matte = matte * inside
        if not nbrs:
            painted = self._spatial(target, np.maximum(matte, seen_f))
            none = np.zeros(matte.shape, np.float32)
            return painted, np.ones(matte.shape, np.float32), none, matte, none
        tight = matte
        if guard is not None:
            matte = np.maximum(guard * inside, tight)
        hole = matte > 1e-3
        imgs = [self._work(frames[j][0][_sl(ctx)]) for j in nbrs]
        hints = [frames[j][1][_sl(ctx)] for j in nbrs]
        found = [self._not_lent(j, ctx) for j in nbrs]
        # a neighbour's wire past its hint's edge is never lent; its flow guide paints out only its hint or matte
        seen_nb = [((m > 0) & (hn <= HINT_INSIDE)).astype(np.float32) for m, hn in zip(found, hints, strict=True)]
        mts = [m * (hn > HINT_INSIDE) for m, hn in zip(found, hints, strict=True)]
        if strict == "matte":
            mts = [cv2.dilate((m > 0).astype(np.float32), np.ones((3, 3), np.uint8)) for m in mts]
            seen_nb = [cv2.dilate(m, np.ones((3, 3), np.uint8)).astype(np.float32) for m in seen_nb]
        tf = fill_temporal(target, matte, imgs, mts, [j - i for j in nbrs], mode=s.method,  # never spatial here
                           far_from=len(self._neighbours(i)), neighbour_seen=seen_nb)
        fill_l, moved_off = tf.fill, np.zeros(hole.shape, bool)
        if line is not None and tf.static:  # a line no neighbour's matte held: taken from the frames it moved off
            fill_l, moved_off = farthest_from_line(target, tf.fill, np.where(hole, line, 0), hole, tf.weight > 0,
                                                   seen_f, imgs, [self._first_held(j, ctx) for j in nbrs])
        filled = tf.fill + seam_correction(target, tf.fill, tf.weight, np.maximum(matte, seen_f))
        filled[moved_off] = fill_l[moved_off]
        conf = np.clip(tf.n_eff, 0.0, 1.0).astype(np.float32) * (tf.weight > 0)
        spread = cv2.GaussianBlur(hole.astype(np.float32), (0, 0), 1.0)
        conf = cv2.GaussianBlur(conf * hole, (0, 0), 1.0) / np.maximum(spread, 1e-3)
        conf = np.clip(conf, 0, 1) * (tf.weight > 0)
        conf[moved_off] = 1.0
        if tf.still:  # the background holds still here: ``_steady`` may average the frames' repairs
            self._still_bands.setdefault(i, set()).add(ctx)
        if may_ask and tf.still and float(np.mean(conf[hole] < 0.5)) > FAR_UNSEEN:
            return None
        if self.matte_model is not None:  # revealed: the guard matte; not revealed: the tight one
            matte = np.where(conf >= 0.5, matte, tight).astype(np.float32)
            hole = matte > 1e-3
        # a pixel lent only from inside the neighbours' own wires, off what painting gives: painted
        conf = np.where(doubted_lent(target, filled, tf.clean, hole, conf >= 0.5, seen_f), 0.0, conf)
        if line is not None and tf.still:  # a line no neighbour's matte held, lent back by them: painted
            again = lent_again(target, filled, np.where(hole, line, 0), hole, conf >= 0.5, seen_f)
            conf = np.where(again & ~moved_off, 0.0, conf)
        if float(conf[hole].min(initial=1.0)) >= 0.999:
            fill = filled
        else:
            # what the neighbours revealed becomes known surroundings: the spatial fill only
            # bridges the (much thinner) rest of the wire
            borrowed = hole & (conf >= 0.5)
            base = np.where(borrowed[:, :, None], filled, target).astype(np.float32)
            rest = (hole & ~borrowed).astype(np.float32)
            spatial = self._spatial(base, np.maximum(rest, seen_f), only=hole & (conf < 0.999)) if rest.any() else filled
            fill = filled * conf[:, :, None] + spatial * (1.0 - conf[:, :, None])
        # grain missing: averaging n frames lowers only the grain that renews from frame to frame; a
        # painted pixel misses all of it, the part that holds still included (given at its place in the
        # frame, over a still background; in a moving one what holds still moves with the scene, and a
        # grain that stood still in the frame under it would be a dirty lens: left out there)
        averaged = np.sqrt(np.clip(1.0 - 1.0 / np.maximum(tf.n_eff, 1.0), 0.0, 1.0))
        renew = (conf * averaged + (1.0 - conf)) * np.float32(tf.renewal)
        hold = (1.0 - conf) * np.float32(np.sqrt(1.0 - tf.renewal**2) if tf.still else 0.0)
        return fill.astype(np.float32), renew.astype(np.float32), hold.astype(np.float32), matte, conf

    def _away_from_wire(self, i: int, out: np.ndarray, matte: np.ndarray, slack: np.ndarray) -> np.ndarray:
        """``out`` with its repaired pixels (inside the hint) held on the far side of the plate from the
        wire (``away_from_wire``), after the regrain, band by band (each band's core, read with
        ``HOLD_REACH`` px around it: the bands' common box of a diagonal wire is the whole frame, 2.5 s
        at 4K). Run once, on the finished frame: run on each band's fill, it left the plate's own
        pixels along a wire's edge where a moving subject's fill was darker still, a line the QC's
        search then took for a wire left, and its second, wider repair smeared the subject (the wire
        bench's moving subject -1.1 dB). ``slack`` (float32 (H, W)): how far past the plate a
        pixel may lie and not be moved (``_steady``'s: where the fill is the mean of still frames, the
        plate's own noise; held to the plate exactly, the mean took each frame's noise back where it
        lay on the wire's side: the upright stroke's flicker x1.21, x1.00 unheld)."""
        inside = self._inside(i, matte) > 0
        src = self.plate(i)
        h, w = inside.shape

        def one(core: Rect) -> tuple[np.ndarray, np.ndarray] | None:  # bands side by side: each reads ``out`` only
            ctx = _grow(core, HOLD_REACH, h, w)
            cs = _core_in(core, ctx)
            hole = inside[_sl(ctx)]
            if not hole[cs].any():
                return None
            rep = self._work(out[_sl(ctx)])
            held = away_from_wire(self._work(src[_sl(ctx)]), rep, hole, slack[_sl(ctx)])[cs]
            moved = hole[cs] & (held != rep[cs]).any(axis=2)  # only those: the rest stays exactly as repaired
            if not moved.any():
                return None
            return moved, from_float(loglin.decode(held) if self._linear else held, src.dtype)

        cores = [core for core, _ in self._hint_bands(i, self.hint(i))]
        held_out = out
        for core, done in zip(cores, _each(one, cores), strict=True):
            if done is not None:
                if held_out is out:
                    held_out = out.copy()
                held_out[_sl(core)][done[0]] = done[1][done[0]]
        return held_out

    def _spatial(self, target: np.ndarray, matte: np.ndarray, only: np.ndarray | None = None) -> np.ndarray:
        """Fill where ``matte`` > 0 from around it."""
        return fill_spatial(target, (matte > 1e-3).astype(np.float32), only=only)


def _in_core(core: Rect, ctx: Rect, m: np.ndarray, mid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """A band's matte (float, its context ``ctx``) as uint8 and its centre lines (or None), cut to its ``core``."""
    inner = _core_in(core, ctx)
    return np.rint(m[inner] * 255).astype(np.uint8), (mid[inner] if mid is not None else None)


def doubted_lent(target: np.ndarray, filled: np.ndarray, clean: np.ndarray, hole: np.ndarray, lent: np.ndarray,
                 seen: np.ndarray) -> np.ndarray:
    """Bool (H, W): the pixels of ``hole`` that the neighbours lent (``lent``) only from inside their own
    wires' mattes (``clean``, ``TemporalFill.clean``, under ``CLEAN``) and that stand off what painting
    from the rest gives there by more than ``DOUBT_K`` times the surroundings' own local deviation (and
    ``DOUBT_FLOOR``): a wire's fringe, lent. The deviation is the known pixels' within about 6 px.
    ``target``, ``filled`` (the temporal fill): float (H, W, C); ``seen`` (float (H, W)): wire seen
    past the hint's edge, never read as the surroundings.

    A neighbour's matte moves with a flow that is least sure beside the hole, and its feather may
    hold its wire: over a pale wall such pixels were a dark dash every few pixels along the wire (the
    wire bench's in-camera class, two dark wires 6 px apart, the bedroom). Over a busy background the
    texture varies widely, and a lent pixel, which carries it, is kept: painting every pixel lent
    only from inside the mattes, the dark thin wire over graffiti lost 1.0 dB and the running car 1.1."""
    import cv2

    doubtful = hole & lent & (clean < CLEAN)
    if not doubtful.any():
        return doubtful
    paint = _painted_instead(target, filled, hole, lent, doubtful, seen)
    lum = luminance(target)
    known = (cv2.dilate((hole | (seen > 0)).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0).astype(np.float32)
    den = np.maximum(cv2.GaussianBlur(known, (0, 0), 6.0), 1e-3)
    mean = cv2.GaussianBlur(lum * known, (0, 0), 6.0) / den
    dev = np.sqrt(np.maximum(cv2.GaussianBlur(np.square(lum - mean) * known, (0, 0), 6.0) / den, 0.0))
    return doubtful & (np.abs(luminance(filled) - luminance(paint)) > DOUBT_K * dev + DOUBT_FLOOR)


def _painted_instead(target: np.ndarray, filled: np.ndarray, hole: np.ndarray, lent: np.ndarray,
                     doubtful: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(H, W, C) what painting gives at the ``doubtful`` pixels, read from the plate (``target``) and
    the pixels of ``hole`` lent (``lent``) and not in doubt, never from ``seen`` (wire past the hint's
    edge): ``doubted_lent``'s and ``lent_again``'s reference for a lent pixel."""
    sure = hole & lent & ~doubtful
    base = np.where(sure[:, :, None], filled, target).astype(np.float32)
    unknown = np.maximum((hole & ~sure).astype(np.float32), seen)
    return fill_spatial(base, (unknown > 1e-3).astype(np.float32), only=doubtful)


def lent_again(target: np.ndarray, filled: np.ndarray, line: np.ndarray, hole: np.ndarray, lent: np.ndarray,
               seen: np.ndarray) -> np.ndarray:
    """Bool (H, W): the pixels of a line a later pass mends (the first matte missed it) that the neighbours
    (``lent``) lent within ``AGAIN`` of the line's contrast (the plate against what painting from the rest
    gives there, more than ``DOUBT_FLOOR``) of the plate's own pixel: the same line, shown again by
    neighbours whose first mattes missed it too. ``line``: uint8 (H, W), 2 on the line found, 1 on the
    ring a pixel wide the pass grew it by, 0 elsewhere; a pixel of the ring is the line (the wire's edge)
    only where the plate there lies nearer the line's own pixels beside it than what painting gives: a
    background pixel there, lent as the plate shows it, is kept (painted, the locked-off shot below lost
    0.1 dB and its flicker rose). ``target``, ``filled`` (the temporal fill): float (H, W, C); ``hole``:
    the band's hole; ``seen`` (float (H, W)): wire seen past the hint's edge.

    Over a locked-off shot a slow wire hides the same background in the near frames, and where their
    mattes missed it they lent it back: the upright stroke of the wire bench (a dark wire over dark leaves,
    0.6 px a frame) kept a 30-46 px stretch of it in 4 of its 8 frames after the QC had matted it."""

    doubtful = (line > 0) & lent
    if not doubtful.any():
        return doubtful
    lum, member, step = _line_pixels(target, filled, line, hole, lent, seen)
    return doubtful & member & (np.abs(luminance(filled) - lum) < AGAIN * np.abs(step))


def farthest_from_line(target: np.ndarray, filled: np.ndarray, line: np.ndarray, hole: np.ndarray,
                       lent: np.ndarray, seen: np.ndarray, neighbours: Sequence[np.ndarray],
                       held: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(fill (H, W, C), bool (H, W) where it holds) over a line a later pass mends (``line``, as
    ``lent_again`` reads it) in a band whose background holds still: at each pixel of the line, the
    neighbours' pixels (``neighbours``, float (H, W, C), taken where they are; not where ``held``, their
    first mattes, nor where most of the plate around differs from theirs, ``_apart``) that lie farthest
    from the plate's on the side away from the line (brightest under a dark line), and those within the
    frames' own noise of them, averaged; where they lie at least ``SHOWS_LINE`` of the line's contrast
    (against what painting gives there) off the plate's.

    A wire is composited over the background, so a frame that shows it over a pixel, whole or in part,
    shows that pixel nearer the wire's colour than the background is: over a still background the frames
    farthest from it are the ones the wire has moved off. The near frames that the slow wire still half
    covered, whose mattes had missed it too, lent it back: averaged with the frames it had left, a faint
    line that came and went from frame to frame (the wire bench's upright stroke kept a dark line along
    its top 40 rows in 6 of 8 frames). The side the background lies on is painting's, where the line's
    core around reads it the same way, and only where the plate stands off painting by half its line's
    contrast (past a line's end, painting's own error reads either way, and the frame farthest that way
    may be one that shows the wire there)."""
    import cv2

    none = np.zeros(line.shape, bool)
    if not ((line > 0) & hole).any() or not neighbours:
        return filled, none
    lum, member, step = _line_pixels(target, filled, line, hole, lent, seen)
    # the background lies from the plate the way painting does, where the line's core around agrees (a pixel
    # of the ring, or the texture beside the line, brighter than painting beside a dark line, is not judged)
    side = np.sign(step)
    core = ((line >= 2) & member).astype(np.float32)
    member &= hole & (side == np.sign(cv2.GaussianBlur(core * step, (0, 0), 3.0)))
    # ... and the plate stands off painting by half its line's contrast at least (the median over the line's
    # core, a connected piece of it; the ring takes the nearest piece's): past a line's end the step is
    # painting's own error, either way, and the frame farthest that way may be one that shows the wire
    member &= np.abs(step) >= 0.5 * _line_contrast(line >= 2, np.abs(step))
    if not member.any():
        return filled, none
    known = cv2.dilate((hole | (seen > 0)).astype(np.uint8), np.ones((3, 3), np.uint8)) == 0
    lums = [luminance(nb) for nb in neighbours]
    # the frames agree with the plate within their own noise ...
    agree = 2.0 * _frame_noise(lum, lums, known, held) + DOUBT_FLOOR
    # ... and a frame is read at a pixel only where most of it matches the plate around, off the hole (a
    # head moving past a rope in a locked-off shot: the frame it had left shows the wall there)
    apart = [_apart(lum, v, known & ~h, agree) for v, h in zip(lums, held, strict=True)]
    away = np.stack([np.where(h | a, -np.inf, side * (v - lum)) for v, h, a in zip(lums, held, apart, strict=True)])
    far = away.max(axis=0)
    ok = member & (far >= SHOWS_LINE * np.abs(step))
    close = (away >= (far - agree)[None]).astype(np.float32)
    shown = np.einsum("khw,khwc->hwc", close, np.stack(neighbours)) / np.maximum(close.sum(axis=0), 1.0)[:, :, None]
    out = np.where(ok[:, :, None], shown, filled).astype(np.float32)
    return out, ok


def _apart(lum: np.ndarray, other: np.ndarray, known: np.ndarray, agree: float) -> np.ndarray:
    """Bool (H, W): where luminance ``other`` differs from the plate's ``lum`` by more than ``agree`` at most
    of the ``known`` pixels around (a Gaussian of sigma ``LOCAL``; apart where none is near). Most: a thin
    wire of the other frame's, left in its plate beside the hole, is no subject moving by."""
    import cv2

    k = known.astype(np.float32)
    den = cv2.GaussianBlur(k, (0, 0), LOCAL)
    differ = (np.abs(other - lum) > agree).astype(np.float32) * k
    return (cv2.GaussianBlur(differ, (0, 0), LOCAL) > 0.5 * den) | (den < 1e-3)


def _line_contrast(core: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """Float (H, W): at each pixel, the median of ``contrast`` over the connected piece of bool ``core``
    nearest it (0 where there is none)."""
    import cv2
    from scipy import ndimage

    n, labels = cv2.connectedComponents(core.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(core.shape, np.float32)
    medians = np.concatenate([[0.0], ndimage.median(contrast, labels, index=np.arange(1, n))]).astype(np.float32)
    _, nearest = ndimage.distance_transform_edt(~core, return_indices=True)
    return medians[labels[nearest[0], nearest[1]]]


def _frame_noise(lum: np.ndarray, lums: Sequence[np.ndarray], known: np.ndarray,
                 held: Sequence[np.ndarray]) -> float:
    """How far (luminance, a robust sigma) a still plate's pixel changes from frame to frame: over the
    ``known`` pixels, against each neighbour's luminance (``lums``) off its own wire (``held``), the median
    of the medians. The plate's spatial detail (leaves) is no part of it: over a still background the
    frames agree on it."""
    devs = [float(np.median(np.abs(v - lum)[known & ~h])) for v, h in zip(lums, held, strict=True)
            if (known & ~h).any()]
    return 1.4826 * float(np.median(devs)) / np.sqrt(2.0) if devs else 0.0


def _line_pixels(target: np.ndarray, filled: np.ndarray, line: np.ndarray, hole: np.ndarray, lent: np.ndarray,
                 seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the plate's luminance, bool: the pixels of ``line`` that are the line, the line's step there:
    what painting gives less the plate, 0 where under ``DOUBT_FLOOR``): ``lent_again``'s and
    ``farthest_from_line``'s reading of a line a later pass mends. The ring a pixel wide around the line
    (``line`` 1) is the line where the plate there is nearer the line's own pixels beside it than what
    painting gives (the wire's edge), and background otherwise."""
    import cv2

    paint = luminance(_painted_instead(target, filled, hole, lent, (line > 0) & lent, seen))
    lum = luminance(target)
    core = (line >= 2).astype(np.float32)
    near = cv2.GaussianBlur(core, (0, 0), 1.5)
    colour = cv2.GaussianBlur(lum * core, (0, 0), 1.5) / np.maximum(near, 1e-6)
    member = (line >= 2) | ((line > 0) & (near > 1e-3) & (np.abs(lum - colour) < np.abs(lum - paint)))
    step = np.where(np.abs(paint - lum) > DOUBT_FLOOR, paint - lum, 0.0)
    return lum, member & (step != 0), step


def away_from_wire(target: np.ndarray, fill: np.ndarray, hole: np.ndarray, slack: np.ndarray | None = None
                   ) -> np.ndarray:
    """``fill`` (H, W, C) held, inside ``hole`` (bool (H, W)), on the far side of the plate ``target``
    from the wire, channel by channel; no nearer it than ``slack`` (float (H, W), or None: 0) past the
    plate (the plate's own noise, where the fill is a mean that holds none).

    A wire is composited over the background: plate = (1 - a) background + a wire, so in a channel
    where the wire is darker than the background the plate is never brighter than it, and the
    other way round. A fill that lies beyond the plate towards the wire (darker than the plate over
    a dark wire) moved the pixel towards the wire: a neighbour's pixel still part wire, lent where
    the plate itself shows the background (the matte reaches past the wire), and the plate is the
    nearer of the two to the background. Which side the wire lies on, per channel, is read from
    what the repair changed around the pixel (within ``SIDE_SIGMA``) where the plate showed a wire
    (stood off what the repair put around it, and was moved, each by ``WIRE_MOVE``);
    only where that agrees (``SIDE_AGREE``), so between a dark and a bright wire nothing is held,
    and not where the plate stands off what the repair put around it (the median over 5 x 5, which
    a lone wrong pixel does not move) the other way by ``OTHER_WAY``
    (the other wire's pixel: a bright wire's blue beside a dark wire whose blue changed more; a
    "bright" wire over a whiter wall beside where it crosses a darker one)."""
    import cv2

    d = (fill - target).astype(np.float32)
    out = fill.copy()
    moved = hole & (np.abs(d).max(axis=2) > WIRE_MOVE)
    if not moved.any():
        return out
    # what the repair put around each pixel (the median over 5 x 5: a lone wrong pixel does not count)
    around = np.stack([cv2.medianBlur(np.ascontiguousarray(fill[:, :, c]), 5) for c in range(fill.shape[2])], axis=2)
    # the wire's pixels: the plate stands off what the repair put around them, and the repair moved them
    strong = (moved & (np.abs(target - around).max(axis=2) > WIRE_MOVE)).astype(np.float32)
    give = np.zeros(hole.shape, np.float32) if slack is None else slack
    for c in range(d.shape[2]):
        mag = np.abs(d[:, :, c]) * strong
        num = cv2.GaussianBlur(d[:, :, c] * mag, (0, 0), SIDE_SIGMA)
        den = cv2.GaussianBlur(np.abs(d[:, :, c]) * mag, (0, 0), SIDE_SIGMA)
        side = num / np.maximum(den, 1e-8)
        sure = hole & (den > 1e-6)
        stands = target[:, :, c] - around[:, :, c]
        up = sure & (side >= SIDE_AGREE) & (stands < OTHER_WAY)  # a darker wire: the background is not darker
        down = sure & (side <= -SIDE_AGREE) & (stands > -OTHER_WAY)  # than the plate (a brighter one: brighter)
        ch = out[:, :, c]
        ch[up] = np.maximum(ch[up], target[:, :, c][up] - give[up])
        ch[down] = np.minimum(ch[down], target[:, :, c][down] + give[down])
    return out

