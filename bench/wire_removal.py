"""Wire removal on real footage, per scenario class: ours vs OpenCV inpainting, QC, speed.

The classes (bench/wire_scenes.py) draw wires over the clips in ../shared/data/footage: one,
two and three wires under one stroke, dark, bright, a polarity that changes along the wire,
crossing wires, two strokes, a wire that leaves the hint, over a moving subject, behind a
foreground, a near-horizontal wire on a horizontal pan, motion blur, a red rope beside a dark
wire, two mid-grey wires, two dark wires 6 px apart, wires on a diagonal (30, 45 and 60 degrees, the
stroke along them), two wires filmed in camera (the camera's sharpening and a JPEG round trip over
wires and plate alike), lit cables (a grey or dark body with a specular stripe along its lit edge; a
cable lit from one side, a dark half touching a bright one), 2K and 4K, a scene-linear half-float
EXR with highlights above 1, and eight classes added at stop 59 (four wires under one stroke, an upright
stroke from the frame's top edge over a locked-off shot, a wire at half opacity, a deep sag, a fast thin
wire, orange and yellow cables, a broad stroke over two wires, two strokes of two wires crossing),
three added at stop 69 (a 4 px wire smeared over 14 px over a car pan and over a pan with a player
in the stroke, a bright one smeared over 10 px over a handheld interior); then the issue's own
case over every clip: one stroke over a dark and a bright wire, high and low in the frame
(``two_wire_matrix``: ten classes, summed up on their own line); and eight classes over
photographs no other class shows, drawn by another generator and run once before they joined
(``wire_stills``: held out from the tuning, summed up on their own line), with four scene-linear
half-float EXR stills no other class shows, drawn the same way (stop 88). Per class it prints:

- PSNR and SSIM inside the hint: ours (auto, no regrain, so every method is compared as an
  estimate of the clean plate) vs cv2.inpaint Telea and Navier-Stokes given the same hint;
- the wire left behind: the mean wire coverage still visible, i.e. PSNR of the output against
  the truth on the wire's own pixels (``wire PSNR``), next to the plate's;
- flicker inside the hint (mean |L(t) - L(t-1)|) for ours and the ground truth, as a ratio; for ours
  without regrain (the estimate of the clean plate) and with it (as delivered: grain that renews
  each frame over a plate that holds still crawls);
- the QC figure the task reports (worst frame's residual line energy, flagged frames) and
  the fraction of the hint repaired;
- the wire left in each frame, as the eye sees it and a mean hides: the longest stretch of wire
  pixels the repair left (``remnants``), the frames where one reaches ``REMNANT`` px, and how
  many of those the QC flagged (the safety net's recall), with the frames it flagged without one;
  and in how many of them the final matte left a stretch of that length uncovered (``unmatted``:
  the wire was never looked for) rather than filled as wrongly as the wire was;
- the wire left as the eye sees it whatever its coverage (``seen_left``): the stretch above counts only
  pixels a wire covers more than half of, so a wire smeared by motion blur or drawn at half opacity
  was never counted (a 3 px wire smeared over 10 px covers 0.3 of each pixel); this counts the pixels
  where the wire adds 10 code values or more and the repair keeps most of that (a grey blotch left
  where the smear crossed under the car of the 14 px class, the smear left whole over the children
  of the handheld interior), with the frames the QC flagged among them;
- the faint line left along the wire, which the stretch above does not count (a fill 19 code values
  darker than a pale wall along a dark wire is a line to the eye, a tenth of the way back to it by
  that measure; a pale streak where a sharpened dark wire was is none at all): ``traces``, the
  share of the wire along which the repair draws a line the truth does not have (or lacks one it
  has) by ``TRACE`` or more, and its longest stretch, in pieces joined across a codec's block;
- seconds per frame (auto, regrain on) and the bit-exactness of every pixel outside the hint.

It writes one contact sheet per class (before / after / ground truth at 1:1 around the hint,
plus the whole frame scaled down) to ``bench-out/wire/``. Look at every one of them.

A float plate is given to the engine as the ``wire_removal`` task gives it: in sRGB codes
(``frames.srgb_encode``) unless it holds highlights the engine reads in log itself. ``--linear STOPS``
gives every 8-bit class's plate that way too, as scene-linear floats STOPS over (an EXR's light),
and scores the repair back in display codes (sheets ``CLASS-linear.png``).

Usage: python bench/wire_removal.py [--quick] [--only SUBSTRING[|SUBSTRING...]] [--json OUT.json] [--linear STOPS]
Prints figures only; no pass/fail. Timings depend on the load of the shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wire_scenes import MATRIX, Scene, scenes, two_wire_matrix  # noqa: E402
from wire_stills import STILL, exr_stills, stills  # noqa: E402

from inference_server.engines.metrics import psnr  # noqa: E402
from inference_server.engines.wire.repair import WireRemover, WireSettings  # noqa: E402
from inference_server.frames import srgb_decode, srgb_encode  # noqa: E402
from inference_server.tasks.wire_removal import from_codes, in_codes  # noqa: E402

OUT = ROOT / "bench-out" / "wire"
REMNANT = 30  # px: a stretch of wire this long left in a frame is a wire left in the plate
TRACE = 10 / 255  # a line this far off the truth's, drawn by the repair along the wire, is one the eye sees
TRACE_JOIN = 8    # px: such a line's pieces joined across this (a codec's block: dashes are a line too)
SEEN = 10 / 255   # what a wire adds to the plate's luminance that the eye sees, however thin or smeared it is
KEPT = 0.6        # ... and the share of it a repair that keeps it still shows (averaged over 3 px of the wire)


def remnants(result: list[np.ndarray], truth: list[np.ndarray], plates: list[np.ndarray],
             alphas: list[np.ndarray], hints: list[np.ndarray]) -> list[int]:
    """Per frame, the length (px, the longer side of its box) of the longest stretch of wire
    left inside the hint: wire pixels (coverage > 0.5, standing out from the truth by more than
    0.1) that the repair brought less than a fifth of the way back to the truth, joined across
    4 px gaps. (A wire outside the hint is the artist's to hint: the repair must leave it.)
    (Where a wire hides a line of the background along its whole length, as the EXR class's
    lead bar, the fill cannot bring the line back and its pixels count too.)"""
    out = []
    for r, g, p, a, h in zip(result, truth, plates, alphas, hints, strict=True):
        before = np.abs(p - g).max(axis=2)
        out.append(longest_stretch((a > 0.5) & (h > 0) & (before > 0.1) & (np.abs(r - g).max(axis=2) > 0.8 * before)))
    return out


def seen_left(result: list[np.ndarray], truth: list[np.ndarray], plates: list[np.ndarray],
              hints: list[np.ndarray]) -> list[int]:
    """Per frame, the longest stretch (px, as ``remnants``) of wire left inside the hint as the eye sees
    it, whatever the wire's coverage: the pixels where the wire adds ``SEEN`` or more to the plate's
    luminance (either way) and the repair still holds ``KEPT`` of it, and ``SEEN`` or more, in its
    direction, averaged over the wire's pixels within about 3 px. ``remnants`` counts only pixels the
    wire covers more than half of, by 0.1 or more: a wire smeared by motion blur (a 3 px wire over
    10 px, 0.3 of each pixel) or drawn at half opacity has none, and a smear left whole over the
    children of the handheld interior counted as no wire left."""
    import cv2

    from inference_server.engines.wire.flow import luminance

    out = []
    for r, g, p, h in zip(result, truth, plates, hints, strict=True):
        lg = luminance(g)
        adds = luminance(p) - lg
        wire = (h > 0) & (np.abs(adds) >= SEEN)
        w = wire.astype(np.float32)
        near = np.maximum(cv2.GaussianBlur(w, (0, 0), 3.0), 1e-6)
        kept = cv2.GaussianBlur((luminance(r) - lg) * np.sign(adds) * w, (0, 0), 3.0) / near
        added = cv2.GaussianBlur(np.abs(adds) * w, (0, 0), 3.0) / near
        out.append(longest_stretch(wire & (kept >= np.maximum(KEPT * added, SEEN))))
    return out


def traces(result: list[np.ndarray], truth: list[np.ndarray], plates: list[np.ndarray],
           alphas: list[np.ndarray], hints: list[np.ndarray]) -> list[tuple[int, float]]:
    """Per frame, (the longest stretch (px), the share of the wire's pixels) of a line the repair
    left along the wire that the truth does not have, however faint, either way: wire pixels
    (coverage > 0.5, standing out from the truth by more than 0.1) where the repair's luminance
    stands off what the repair holds 3-5 px beside the wire by ``TRACE`` or more unlike the truth's
    off the truth's (a darker or paler streak; or a line of the background the wire hid, a fence's
    rail, missing), the repair is ``TRACE`` or more off the truth there, and twice as far as it is
    beside the wire (a line, not a fill wrong all over, as over a moving subject), and by more than
    the truth's texture beside the wire varies; joined across ``TRACE_JOIN`` px gaps. A wire pixel
    with nothing of that ring near it (another wire beside it) is not judged."""
    import cv2

    from inference_server.engines.wire.flow import luminance

    out = []
    ring = np.ones((11, 11), np.uint8)
    for r, g, p, a, h in zip(result, truth, plates, alphas, hints, strict=True):
        lr, lg = luminance(r), luminance(g)
        wire = (a > 0.5) & (h > 0) & (np.abs(p - g).max(axis=2) > 0.1)
        # 3-5 px off the wire, past the hint's edge too (a tight stroke's: the plate there is the truth)
        beside = ((cv2.dilate((a > 0.5).astype(np.uint8), ring) > 0)
                  & ~(cv2.dilate((a > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)).astype(np.float32)
        seen = cv2.GaussianBlur(beside, (0, 0), 4.0)
        judged = seen > 0.05  # where something beside the wire is seen
        near = np.maximum(seen, 1e-3)
        err = np.abs(lr - lg)
        around = [cv2.GaussianBlur(x * beside, (0, 0), 4.0) / near for x in (lr, lg, err)]
        off = around[2]
        line = np.abs((lr - around[0]) - (lg - around[1]))
        # the truth's own texture beside the wire (its spread about the local mean): a line fainter
        # than that is lost in it (a fill that softens a chain-link fence is no line to the eye)
        texture = np.sqrt(cv2.GaussianBlur(np.square(lg - around[1]) * beside, (0, 0), 4.0) / near)
        drawn = wire & judged & (line >= np.maximum(TRACE, texture)) & (err >= TRACE) & (err >= 2.0 * off)
        out.append((longest_stretch(drawn, TRACE_JOIN), float(drawn.sum() / max(int(wire.sum()), 1))))
    return out


def unmatted(mattes: list[np.ndarray], alphas: list[np.ndarray], hints: list[np.ndarray]) -> list[int]:
    """Per frame, the longest stretch (px, as ``remnants``) of wire inside the hint that the final
    matte (after the QC's passes) does not cover: the wire the repair never looked for. A wire left
    with no such stretch under it was found and filled, and the fill there is as wrong as the wire
    was (a moving subject the neighbours show elsewhere, a line the wire hides along its length)."""
    return [longest_stretch((a > 0.5) & (h > 0) & (m < 0.5)) for m, a, h in zip(mattes, alphas, hints, strict=True)]


def longest_stretch(mask: np.ndarray, join: int = 4) -> int:
    """The longest stretch (px, the longer side of its box) of bool (H, W) ``mask``, its pixels
    joined across ``join`` px gaps; 0 when it is empty."""
    import cv2

    size = join + 1
    _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask.astype(np.uint8), np.ones((size, size), np.uint8)))
    return max([int(max(st[2], st[3])) - join for st in stats[1:]] + [0])


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import cv2

    from inference_server.engines.wire.flow import luminance

    x, y = luminance(a), luminance(b)
    blur = lambda z: cv2.GaussianBlur(z, (0, 0), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def flicker(frames: list[np.ndarray], hints: list[np.ndarray]) -> float:
    from inference_server.engines.wire.flow import luminance

    vals = []
    for t in range(1, len(frames)):
        m = (hints[t] > 0) & (hints[t - 1] > 0)
        if m.any():
            vals.append(float(np.mean(np.abs(luminance(frames[t]) - luminance(frames[t - 1]))[m])))
    return float(np.mean(vals)) if vals else 0.0


def ours(plates: list[np.ndarray], hints: list[np.ndarray], regrain: float, linear: float | None = None
         ) -> tuple[list[np.ndarray], list[np.ndarray], list[dict[str, float]], float, bool]:
    """(repaired float frames, mattes, per-frame QC, wall s/frame, outside-hint bit-exact). A float
    plate is given to the engine as the ``wire_removal`` task gives it (``in_codes``: in sRGB codes
    where the engine would not read it in log). ``linear``: an 8-bit class's plate is given as
    scene-linear floats this many stops over (its sRGB curve undone, times 2**linear), and the
    repairs come back in its display codes to score."""
    native = [np.rint(p * 255).astype(np.uint8) for p in plates] if plates[0].dtype == np.float32 else plates
    gain = None if linear is None or native[0].dtype != np.uint8 else np.float32(2.0**linear)
    if gain is not None:
        native = [srgb_decode(p.astype(np.float32) / 255) * gain for p in native]
    codes = in_codes(native[0], "")
    given = [srgb_encode(p) for p in native] if codes else native
    rem = WireRemover(lambda i: given[i], lambda i: hints[i], len(native), WireSettings(regrain=regrain))
    start = time.perf_counter()
    outs, mattes, qcs = [], [], []
    for i in range(len(native)):
        rep = rem.repair(i)
        outs.append(from_codes(rep[0], native[i], given[i]) if codes else rep[0])
        mattes.append(rep[1].astype(np.float32) / 255)
        qcs.append(rem.last_qc.as_dict() if rem.last_qc else {})
    spf = (time.perf_counter() - start) / len(native)
    exact = all(np.array_equal(o[h <= 0], p[h <= 0]) for o, p, h in zip(outs, native, hints, strict=True))
    floats = [o.astype(np.float32) / 255 if o.dtype == np.uint8 else o.astype(np.float32) for o in outs]
    if gain is not None:
        floats = [srgb_encode(o / gain) for o in floats]
    ours.last_dtype = str(outs[0].dtype)  # type: ignore[attr-defined]
    return floats, mattes, qcs, spf, exact


def opencv(plates: list[np.ndarray], hints: list[np.ndarray], flag: int) -> list[np.ndarray]:
    import cv2

    out = []
    for p, h in zip(plates, hints, strict=True):
        u8 = np.rint(np.clip(p, 0, 1) * 255).astype(np.uint8)
        out.append(cv2.inpaint(u8, (h > 0).astype(np.uint8) * 255, 5, flag).astype(np.float32) / 255)
    return out


def scores(result: list[np.ndarray], truth: list[np.ndarray], masks: list[np.ndarray]) -> tuple[float, float]:
    ps, ss = [], []
    for r, g, m in zip(result, truth, masks, strict=True):
        sel = m > 0
        if sel.any():
            ps.append(psnr(r[sel], g[sel]))
            ss.append(float(ssim_map(r, g)[sel].mean()))
    return float(np.mean(ps)), float(np.mean(ss))


def contact_sheet(scene: Scene, result: list[np.ndarray], path: Path, crop: tuple[int, int] = (360, 200)) -> None:
    """Before / after / truth: three 1:1 crops around the hint of the middle frame, then the
    whole frame scaled to the sheet's width, one row each."""
    import cv2

    t = len(result) // 2
    hint = scene.hints[t] > 0
    h, w = hint.shape
    cw, ch = min(crop[0], w), min(crop[1], h)
    ys, xs = np.nonzero(hint)
    rows = []
    for q in (0.15, 0.5, 0.85):
        x = int(np.quantile(xs, q)) if xs.size else w // 2
        col = hint[:, min(max(x, 0), w - 1)]
        y = int(np.mean(np.nonzero(col)[0])) if col.any() else (int(np.mean(ys)) if ys.size else h // 2)
        x0, y0 = min(max(x - cw // 2, 0), w - cw), min(max(y - ch // 2, 0), h - ch)
        rows.append([im[y0:y0 + ch, x0:x0 + cw] for im in (scene.plates[t], result[t], scene.truth[t])])
    tiles = [np.concatenate(r, axis=1) for r in rows]
    width = tiles[0].shape[1]
    sw = width // 3
    small = [cv2.resize(np.ascontiguousarray(im), (sw, max(int(h * sw / w), 1)), interpolation=cv2.INTER_AREA)
             for im in (scene.plates[t], result[t], scene.truth[t])]
    small[-1] = np.pad(small[-1], ((0, 0), (0, width - 3 * sw), (0, 0)))
    tiles.append(np.concatenate(small, axis=1))
    sep = np.ones((4, width, 3), np.float32)
    sheet = np.concatenate([x for tile in tiles for x in (tile, sep)], axis=0)
    sheet = display(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor((sheet * 255).astype(np.uint8), cv2.COLOR_RGB2BGR))


def display(x: np.ndarray, top: float = 4.0) -> np.ndarray:
    """Display view: 0..1 frames as they are; scene-linear ones through a log view from 2^-7 up
    to ``top`` (the scene's own highlights: a view that clips them hides a wire over them)."""
    if float(x.max()) > 1.5:
        span = float(np.log2(top + 0.01)) + 7.0
        return np.clip((np.log2(np.maximum(x, 0) + 0.01) + 7.0) / span, 0, 1).astype(np.float32)
    return np.clip(x, 0, 1).astype(np.float32)


def run_class(label: str, scene: Scene, linear: float | None = None) -> dict[str, object]:
    import cv2

    top = max(4.0, float(np.percentile(scene.truth[len(scene.truth) // 2].astype(np.float32), 99.9)))
    view = (lambda x: display(x, top)) if scene.plates[0].dtype == np.float16 else (lambda x: x)
    res, mattes, qcs, spf, exact = ours(scene.plates, scene.hints, 0.0, linear)
    float_plates = [p.astype(np.float32) for p in scene.plates]
    truth = [view(g.astype(np.float32)) for g in scene.truth]
    wire = [(a > 0.2) & (h > 0) for a, h in zip(scene.alphas, scene.hints, strict=True)]
    row: dict[str, object] = {"class": label, "size": f"{scene.truth[0].shape[1]}x{scene.truth[0].shape[0]}",
                              "frames": len(res), "outside_bit_exact": exact, "s_per_frame_noregrain": round(spf, 3)}
    results = {"ours": [view(r) for r in res],
               "telea": opencv([view(p) for p in float_plates], scene.hints, cv2.INPAINT_TELEA),
               "ns": opencv([view(p) for p in float_plates], scene.hints, cv2.INPAINT_NS),
               "plate": [view(p) for p in float_plates]}
    for key, r in results.items():
        row[f"psnr_{key}"], row[f"ssim_{key}"] = scores(r, truth, scene.hints)
        row[f"wire_psnr_{key}"] = scores(r, truth, [m.astype(np.float32) for m in wire])[0]
    best = max(float(row["psnr_telea"]), float(row["psnr_ns"]))  # type: ignore[arg-type]
    row["gain_db"] = float(row["psnr_ours"]) - best  # type: ignore[arg-type]
    fo, ft = flicker(results["ours"], scene.hints), flicker(truth, scene.hints)
    row["flicker_ours"], row["flicker_truth"] = fo, ft
    row["flicker_ratio"] = fo / max(ft, 1e-9)
    grained = ours(scene.plates, scene.hints, 1.0, linear)[0]  # as delivered: the grain the repair adds flickers too
    row["flicker_ratio_regrain"] = flicker([view(r) for r in grained], scene.hints) / max(ft, 1e-9)
    row["hint_repaired"] = float(np.mean([(m > 0)[h > 0].mean() for m, h in zip(mattes, scene.hints, strict=True)]))
    row["qc_worst"] = max((float(q.get("residual", 0.0)) for q in qcs), default=0.0)
    flagged = np.array([bool(q.get("flagged", False)) for q in qcs])
    row["qc_flagged"] = int(flagged.sum())
    row["qc_passes"] = float(np.mean([float(q.get("passes", 1)) for q in qcs]))
    row["qc_frames"] = qcs  # per frame, as the task result gives it (residual, gap, gap_at, flagged...)
    row["remnant_px"] = remnants(results["ours"], truth, results["plate"], list(scene.alphas), scene.hints)
    row["unmatted_px"] = unmatted(mattes, list(scene.alphas), scene.hints)
    row["seen_px"] = seen_left(results["ours"], truth, results["plate"], scene.hints)
    lines = traces(results["ours"], truth, results["plate"], list(scene.alphas), scene.hints)
    row["trace_px"] = [n for n, _ in lines]
    row["trace_share"] = float(np.mean([f for _, f in lines]))
    left = np.array(row["remnant_px"]) >= REMNANT     # a wire left in the frame
    never = np.array(row["unmatted_px"]) >= REMNANT   # a wire the final matte never covered
    row["remnant_frames"] = int(left.sum())
    row["remnant_unmatted"] = int((left & never).sum())
    row["remnant_flagged"] = int((left & flagged).sum())
    row["flagged_without"] = int((~left & flagged).sum())
    row["unmatted_flagged"] = int((never & flagged).sum())
    row["unmatted_frames"] = int(never.sum())
    row["flagged_clean"] = int((~left & ~never & flagged).sum())  # flagged, and no wire left of either kind
    seen = np.array(row["seen_px"]) >= REMNANT       # a wire left as the eye sees it, any coverage
    row["seen_frames"] = int(seen.sum())
    row["seen_flagged"] = int((seen & flagged).sum())
    if scene.plates[0].dtype == np.float16:
        row["dtype_out"] = ours.last_dtype  # type: ignore[attr-defined]
        hi = [(p.astype(np.float32) > 1.0).any(axis=2) for p in scene.plates]
        row["highlights_kept"] = all(np.array_equal(o[m & (h <= 0)], p.astype(np.float32)[m & (h <= 0)])
                                     for o, p, m, h in zip(res, scene.plates, hi, scene.hints, strict=True))
    name = "".join(c if c.isalnum() else "-" for c in label).strip("-")
    name += "-linear" if linear is not None and scene.plates[0].dtype != np.float16 else ""
    contact_sheet(Scene(scene.name, truth, results["plate"], scene.hints), results["ours"], OUT / f"{name}.png")
    return row


def linear_exr_scene(frames: int) -> tuple[str, Scene]:
    """A scene-linear half-float EXR still (ILM's Desk, ACES AP0), panned 2 px a frame, with a
    bright 3 px wire at 4.0 and a dark one: highlights above 1 must survive, half stays half."""
    import OpenImageIO as oiio
    from wire_scenes import DATA, Stroke, Wire, compose

    path = DATA / "../stills/openexr/Desk.exr"
    buf = oiio.ImageBuf(str(path.resolve()))
    img = buf.get_pixels(oiio.FLOAT)[:, :, :3]
    h, w = img.shape[:2]
    cw, ch = min(w - 2 * frames - 4, 720), min(h, 480)
    truth = [np.ascontiguousarray(img[:ch, 2 * t:2 * t + cw]).astype(np.float32) for t in range(frames)]
    scene = compose("linear-exr", truth, (Stroke((Wire(3.0, (4.0, 4.0, 4.0), offset=-6), Wire(2.5, (0.002,) * 3,
                                                                                                offset=6)),
                                                 top=0.3, sag=0.1, drift=0.8),))
    scene.plates = [p.astype(np.float16) for p in scene.plates]
    scene.truth = [g.astype(np.float16) for g in scene.truth]
    return "scene-linear half EXR (highlights > 1)", scene


def speed(rows: list[dict[str, object]], frames: int, runs: int = 1) -> None:
    """s/frame with regrain on: 2K and 4K, the same two wires (same pixel length, width and sag: 65 px);
    and 4K with the sag scaled with the frame (130 px: the wires' boxes twice as tall), as this bench
    measured 4K up to stop 26. Per frame, as a daemon repairs a shot: a process's first wire repair
    first loads numba and the compiled loops (``compiled.py``, about half a second, once per process),
    and starts the wire search's worker processes (``workers``, a second or two, once per process);
    that one-off cost is paid here on a small synthetic shot and printed on its own line, not spread
    over the frames timed. ``runs``: each size is timed this many times, one after the other (this
    machine's speed drifts by a quarter from run to run); the median and the slowest are printed."""
    from wire_scenes import Stroke, Wire, compose, load_clip

    from inference_server.engines.wire import workers
    from inference_server.engines.wire.synthetic import wire_shot

    start = time.perf_counter()
    ours(*wire_shot(3, 96, 160, pan=2.0, noise=0.01)[1:], 1.0)
    searching = workers.start()
    print(f"speed: one-off start-up (numba and the compiled loops loaded, then a 3-frame 160x96 shot; the "
          f"wire search's {workers.PROCESSES if searching else 0} worker processes started): "
          f"{time.perf_counter() - start:.2f} s, once per process", flush=True)
    base = load_clip("tennis", frames)
    import cv2

    for label, size, sag in (("2K", (2048, 1080), 64.8), ("4K", (4096, 2160), 64.8),
                             ("4K, sag x2", (4096, 2160), 129.6)):
        big = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in base]
        span = ((size[0] - 1900) / 2 / size[0], (size[0] + 1900) / 2 / size[0])
        scene = compose(label, big, (Stroke((Wire(4.0, (0.04,) * 3, offset=-6), Wire(3.0, (0.93,) * 3, offset=6)),
                                            top=0.33, sag=sag / size[1], drift=1.0, span=span),))
        walls, cpus = [], []
        for run in range(runs):
            cpu = time.process_time() + workers_cpu()
            _, _, _, spf, _ = ours(scene.plates, scene.hints, 1.0)
            cpf = (time.process_time() + workers_cpu() - cpu) / len(scene.plates)
            walls.append(spf)
            cpus.append(cpf)
            print(f"speed {label} {size[0]}x{size[1]}, two wires x 1900 px, sag {sag:.0f} px, regrain on, run {run + 1}/"
                  f"{runs}: {spf:.3f} s/frame wall, {cpf:.3f} s/frame CPU (this process and the wire search's "
                  f"workers) (load {os.getloadavg()[0]:.1f})", flush=True)
        rows.append({"speed": label, "seconds_per_frame": float(np.median(walls)), "slowest_seconds_per_frame": max(walls),
                     "cpu_seconds_per_frame": float(np.median(cpus)), "runs": runs})
        if runs > 1:
            print(f"speed {label}: median {np.median(walls):.3f} s/frame wall over {runs} runs, slowest {max(walls):.3f}, "
                  f"fastest {min(walls):.3f}", flush=True)
    t = {r["speed"]: float(r["seconds_per_frame"]) for r in rows if "speed" in r}  # type: ignore[arg-type]
    print(f"speed ratio 4K / 2K, the same wires{' (medians)' if runs > 1 else ''}: x{t['4K'] / t['2K']:.2f} "
          f"(target <= 1.5); sag x2: x{t['4K, sag x2'] / t['2K']:.2f}", flush=True)


def workers_cpu() -> float:
    """CPU seconds the wire search's worker processes have used so far (read from /proc; 0 elsewhere)."""
    from inference_server.engines.wire import workers

    total = 0.0
    for pid in workers.pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def total(rows: list[dict[str, object]], key: str) -> int:
    return sum(int(r[key]) for r in rows)  # type: ignore[call-overload]


def lines_line(rows: list[dict[str, object]]) -> str:
    """The classes' faint line along the wire (``traces``): its mean share of the wire, and the worst class."""
    shares = [float(r["trace_share"]) for r in rows]  # type: ignore[arg-type]
    return (f"faint line along the wire: {np.mean(shares):.0%} of it on average, worst {max(shares):.0%} "
            f"({rows[int(np.argmax(shares))]['class']})")


def gains_line(rows: list[dict[str, object]]) -> str:
    """The classes' gain over the better OpenCV baseline (mean, worst), and their worst flicker."""
    gains = [float(r["gain_db"]) for r in rows]  # type: ignore[arg-type]
    return (f"gain over best OpenCV: mean {np.mean(gains):+.2f} dB, worst {min(gains):+.2f} dB "
            f"({rows[int(np.argmin(gains))]['class']}) | classes below +3 dB: {sum(g < 3 for g in gains)} | flicker "
            f"ratio worst x{max(float(r['flicker_ratio']) for r in rows):.2f} "  # type: ignore[arg-type]
            f"(regrain on x{max(float(r['flicker_ratio_regrain']) for r in rows):.2f})")  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 frames per class, no 2K/4K classes")
    parser.add_argument("--only", help="run only classes whose name contains this (several: a|b)")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--speed-runs", type=int, default=1, help="time each speed size this many times (median, slowest)")
    parser.add_argument("--linear", type=float, metavar="STOPS",
                        help="give each 8-bit class's plate as scene-linear floats this many stops over (an EXR's "
                             "light: the sRGB curve undone, times 2**STOPS), as the task repairs it; scored back in "
                             "display codes")
    args = parser.parse_args(argv)
    import cv2

    cv2.setNumThreads(2)
    frames = 4 if args.quick else 8
    builders = dict(scenes(frames, big=not args.quick))
    builders["scene-linear half EXR (highlights > 1)"] = lambda: linear_exr_scene(frames)[1]
    if not args.quick:
        builders.update(two_wire_matrix(frames))
        builders.update(stills(frames))
        builders.update(exr_stills(frames))
    rows: list[dict[str, object]] = []
    for label, build in builders.items():
        if args.only and not any(o.lower() in label.lower() for o in args.only.split("|")):
            continue
        row = run_class(label, build(), args.linear)
        rows.append(row)
        print(f"{label:38s} {row['size']:>9s} | PSNR ours {row['psnr_ours']:.2f} telea {row['psnr_telea']:.2f} "
              f"ns {row['psnr_ns']:.2f} plate {row['psnr_plate']:.2f} -> {row['gain_db']:+.2f} dB | SSIM ours "
              f"{row['ssim_ours']:.3f} telea {row['ssim_telea']:.3f} | wire px PSNR ours {row['wire_psnr_ours']:.1f} "
              f"plate {row['wire_psnr_plate']:.1f} | flicker x{row['flicker_ratio']:.2f} (ours "
              f"{255 * row['flicker_ours']:.2f}, truth {255 * row['flicker_truth']:.2f} code values a frame; regrain on "  # type: ignore[operator]
              f"x{row['flicker_ratio_regrain']:.2f}) | hint repaired "
              f"{row['hint_repaired']:.0%} | QC worst {row['qc_worst']:.2f} flagged {row['qc_flagged']} passes "
              f"{row['qc_passes']:.1f} | wire left >= {REMNANT} px in {row['remnant_frames']}/{row['frames']} frames "
              f"(longest {max(row['remnant_px'])} px; the matte missed the wire in {row['remnant_unmatted']} of them; "  # type: ignore[call-overload]
              f"QC flagged {row['remnant_flagged']} of them, "
              f"{row['flagged_without']} others) | seen left (any coverage) >= {REMNANT} px in {row['seen_frames']} "
              f"(longest {max(row['seen_px'])} px), QC flagged {row['seen_flagged']} | "  # type: ignore[call-overload]
              f"wire never matted >= {REMNANT} px in {row['unmatted_frames']} frames, "
              f"QC flagged {row['unmatted_flagged']}; flagged with no wire left {row['flagged_clean']} | faint line "
              f"along {row['trace_share']:.0%} of the wire (longest {max(row['trace_px'])} px) | "  # type: ignore[call-overload]
              f"{row['s_per_frame_noregrain']:.2f} s/f | "
              f"outside exact {row['outside_bit_exact']}"
              + (f" | out {row['dtype_out']}, values > 1 kept {row['highlights_kept']}" if "dtype_out" in row else ""),
              flush=True)
    matrix = [r for r in rows if str(r["class"]).startswith(MATRIX)]
    held = [r for r in rows if str(r["class"]).startswith(STILL)]
    rows = [r for r in rows if r not in matrix and r not in held]
    if matrix:
        print(f"two-wire matrix: {len(matrix)} clip x height | {gains_line(matrix)} | wire left >= {REMNANT} px in "
              f"{total(matrix, 'remnant_frames')} of {total(matrix, 'frames')} frames, QC flagged "
              f"{total(matrix, 'remnant_flagged')} of them | seen left (any coverage) in {total(matrix, 'seen_frames')}, "
              f"QC flagged {total(matrix, 'seen_flagged')} | flagged with no wire left of either kind: "
              f"{total(matrix, 'flagged_clean')} | {lines_line(matrix)}", flush=True)
    if held:
        print(f"stills (held out, another generator): {len(held)} classes | {gains_line(held)} | wire left >= "
              f"{REMNANT} px in {total(held, 'remnant_frames')} of {total(held, 'frames')} frames (the matte missed it "
              f"in {total(held, 'remnant_unmatted')}), QC flagged {total(held, 'remnant_flagged')} of them | seen left "
              f"(any coverage) in {total(held, 'seen_frames')}, QC flagged {total(held, 'seen_flagged')} | "
              f"{lines_line(held)}", flush=True)
    if rows:
        print(f"summary: {len(rows)} classes | {gains_line(rows)} | outside bit-exact: "
              f"{all(bool(r['outside_bit_exact']) for r in rows)} | wire left >= {REMNANT} px in "
              f"{total(rows, 'remnant_frames')} of {total(rows, 'frames')} frames (the matte missed it in "
              f"{total(rows, 'remnant_unmatted')}), QC flagged {total(rows, 'remnant_flagged')} of them and "
              f"{total(rows, 'flagged_without')} frames without | seen left (any coverage) >= {REMNANT} px in "
              f"{total(rows, 'seen_frames')} frames, QC flagged {total(rows, 'seen_flagged')} | wire never matted >= "
              f"{REMNANT} px in "
              f"{total(rows, 'unmatted_frames')} frames, QC flagged {total(rows, 'unmatted_flagged')} | flagged with "
              f"no wire left of either kind: {total(rows, 'flagged_clean')} | {lines_line(rows)} | sheets in {OUT}")
    if not args.no_speed and not args.quick:
        # a shot long enough that a frame has all its neighbours (3 frames had 2 at most)
        speed(rows, frames, max(args.speed_runs, 1))
    if args.json:
        Path(args.json).write_text(json.dumps(rows + matrix + held, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
