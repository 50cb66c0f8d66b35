"""Clean-plate and object-removal benchmark on real footage (issue 6).

The rider from DAVIS ``bmx-trees`` (cut out with its masks) is pasted onto the panning
``tennis-480p`` clip, then removed again with the pasted masks. The untouched tennis clip is
the ground truth. Printed per case: PSNR and SSIM inside the pasted mask for ours, for
``cv2.inpaint`` Telea, and for a temporal median without alignment (masked samples left
out).

The foreground matte's IoU against the pasted mask, over the whole frame and near the rider
(its box + 24 px), is scored three ways, most trustworthy first:

- INDEPENDENT (bedroom, leads the summary): a host with real camera motion and nothing else
  moving, so every matte pixel off the rider is a false positive and nothing is forgiven.
  No clip in ``../shared/data/footage`` has that: ``bedroom`` is handheld but two children
  jump on the bed in all 200 frames, and it has no masks. So frame 0 of ``bedroom`` is
  re-filmed along the clip's own handheld path (similarity per frame from tracked corners
  with RANSAC, plain OpenCV, none of the engine), centre-cropped to 854x480 with fresh
  noise and a JPEG round trip per frame; the children are frozen into the background. The
  rider is pasted as on tennis. It spans 70 frames even with ``--quick``: over fewer, the
  rider (kept framed by the bmx-trees operator) covers most of its area in over half the
  frames, no clean plate can see behind it, and that would score the test, not the matte.
  What it does not have: parallax, exposure drift, motion blur of the background.
- STRICT tennis: only the player's dilated DAVIS mask is left out. His long low-sun shadow
  sweeps across the court; it is a real moving foreground (the matte is meant to include
  shadows) that the DAVIS mask leaves out, so it counts against the matte here.
- LENIENT tennis (printed last): also left out are the untouched tennis clip's own
  foreground pixels (the same matte, same settings, on the clip without the rider) that are
  connected to the player or look like a cast shadow. Because it uses the algorithm under
  test to decide what not to score, any false positive touching the player is forgiven:
  it is partly self-graded and is kept only for comparison with earlier runs.

Seconds per frame at 854x480 and 2K (2048x1080, the same clip upscaled). Figures only;
nothing passes or fails on time.

    python bench/clean_plate.py            # whole clip (70 frames)
    python bench/clean_plate.py --quick    # 24 frames, fewer scored and timed
    python bench/clean_plate.py --no-edge-snap   # the matte as it was before edge snap
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "../shared/data/footage"


def _need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"bench/clean_plate.py: missing test data {path.resolve()}")
    return path


def load_movie(path: Path, gray: bool = False) -> list[np.ndarray]:
    import av

    with av.open(str(_need(path))) as box:
        return [f.to_ndarray(format="gray" if gray else "rgb24") for f in box.decode(video=0)]


def load_rider(count: int, scale: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """bmx-trees frames and rider masks, RGB uint8 and bool, resized by ``scale``."""
    import cv2

    frames = sorted(glob.glob(str(_need(DATA / "bmx-trees/frames") / "*.jpg")))[:count]
    masks = sorted(glob.glob(str(_need(DATA / "bmx-trees/masks") / "*.png")))[:count]
    out_f, out_m = [], []
    for f, m in zip(frames, masks):
        bgr, msk = cv2.imread(f), cv2.imread(m, cv2.IMREAD_GRAYSCALE)
        if bgr is None or msk is None:
            raise SystemExit(f"bench/clean_plate.py: cannot read {f} or {m}")
        img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
        out_f.append(cv2.resize(img, size, interpolation=cv2.INTER_AREA))
        out_m.append(cv2.resize(msk, size, interpolation=cv2.INTER_LINEAR) > 127)
    return out_f, out_m


def camera_path(paths: Sequence[str]) -> np.ndarray:
    """(N, 3, 3) float64: frame k -> frame 0 pixel coordinates of a real handheld clip.

    Frame-to-frame similarity (rotation, scale, shift) from tracked corners, RANSAC at 1 px so
    the clip's own movers are outliers, chained. Uses only OpenCV, none of the engine.
    """
    import cv2

    prev, mat, out = None, np.eye(3), [np.eye(3)]
    for path in paths:
        gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise SystemExit(f"bench/clean_plate.py: cannot read {path}")
        if prev is not None:
            pts = cv2.goodFeaturesToTrack(gray, 800, 0.01, 8)
            back, ok, _ = cv2.calcOpticalFlowPyrLK(gray, prev, pts, None)  # type: ignore[call-overload]
            good = ok[:, 0] == 1
            step, _ = cv2.estimateAffinePartial2D(pts[good], back[good], ransacReprojThreshold=1.0)
            mat = mat @ np.vstack([step, [0.0, 0.0, 1.0]])
            out.append(mat.copy())
        prev = gray
    return np.array(out)


def refilmed_still(count: int, size: tuple[int, int], seed: int = 3) -> tuple[list[np.ndarray], np.ndarray]:
    """A host with real camera motion and nothing moving: bedroom frame 0 re-filmed along the
    bedroom clip's own measured handheld path (frames 0..count-1), centre crop ``size`` (w, h),
    each frame with fresh sensor noise (sigma 1.5 code values) and a JPEG q90 round trip like
    the source. Returns RGB uint8 frames and the path (frame k -> frame 0 of the clip)."""
    import cv2

    paths = sorted(glob.glob(str(_need(DATA / "bedroom/frames") / "*.jpg")))[:count]
    still = cv2.imread(paths[0])
    if still is None:
        raise SystemExit(f"bench/clean_plate.py: cannot read {paths[0]}")
    path = camera_path(paths)
    h0, w0 = still.shape[:2]
    w, h = size
    off = np.array([[1.0, 0.0, (w0 - w) / 2], [0.0, 1.0, (h0 - h) / 2], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(seed)
    frames = []
    for mat in path:
        # crop pixel of frame k -> its full-frame pixel (off) -> frame 0's, the still's (mat)
        img = cv2.warpAffine(still, (mat @ off)[:2], (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT)
        img = np.clip(img + rng.normal(0.0, 1.5, img.shape), 0, 255).astype(np.uint8)
        jpg = cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1], cv2.IMREAD_COLOR)
        if jpg is None:
            raise SystemExit("bench/clean_plate.py: JPEG round trip failed")
        frames.append(cv2.cvtColor(jpg, cv2.COLOR_BGR2RGB))
    return frames, path


def paste(host: list[np.ndarray], host_masks: list[np.ndarray], rider: list[np.ndarray],
          rider_masks: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rider pasted where it overlaps the host's own moving object least; frames and masks."""
    h, w = host[0].shape[:2]
    rh, rw = rider[0].shape[:2]
    best, where = None, (0, 0)
    for dy in range(0, max(1, h - rh + 1), 16):
        for dx in range(0, max(1, w - rw + 1), 16):
            lap = sum(int((hm[dy:dy + rh, dx:dx + rw] & rm).sum()) for hm, rm in zip(host_masks, rider_masks))
            if best is None or lap < best:
                best, where = lap, (dy, dx)
    dy, dx = where
    frames, masks = [], []
    for img, rf, rm in zip(host, rider, rider_masks):
        out = img.copy()
        full = np.zeros((h, w), bool)
        full[dy:dy + rh, dx:dx + rw] = rm[: h - dy, : w - dx]
        out[full] = np.pad(rf, ((dy, h - dy - rh), (dx, w - dx - rw), (0, 0)))[full]
        frames.append(out)
        masks.append(full)
    return frames, masks


def psnr_ssim(result: np.ndarray, truth: np.ndarray, region: np.ndarray) -> tuple[float, float]:
    """PSNR (dB) and mean SSIM over ``region`` of uint8 RGB images."""
    import cv2

    a, b = result.astype(np.float64), truth.astype(np.float64)
    mse = float(((a - b) ** 2)[region].mean())
    psnr = 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))
    ga = cv2.cvtColor(result, cv2.COLOR_RGB2GRAY).astype(np.float64)
    gb = cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = cv2.GaussianBlur(ga, (11, 11), 1.5), cv2.GaussianBlur(gb, (11, 11), 1.5)
    va = cv2.GaussianBlur(ga * ga, (11, 11), 1.5) - mu_a ** 2
    vb = cv2.GaussianBlur(gb * gb, (11, 11), 1.5) - mu_b ** 2
    cov = cv2.GaussianBlur(ga * gb, (11, 11), 1.5) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (va + vb + c2))
    return psnr, float(ssim[region].mean())


def host_movers(image: np.ndarray, clean: np.ndarray, known: np.ndarray, player: np.ndarray,
                snap: bool = True) -> np.ndarray:
    """(H, W) bool: the untouched host frame's own movers, its player and his cast shadow.

    ``image``, ``clean``: (H, W, 3) float32 0-1, the host frame and its clean plate
    re-projected; ``player``: (H, W) bool dilated DAVIS mask. The matte's foreground on the
    host, kept where it is connected to the player or is shadow-like: darker than the clean
    plate (ratio 0.25-0.92) with the same colour (distortion under 12%).
    """
    import cv2

    from inference_server.engines.cleanplate.matte import foreground_matte

    fg = (foreground_matte(image, clean, known, edge_snap=snap) > 0.5).astype(np.uint8)
    n, labels = cv2.connectedComponents(fg, connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[player])] = True
    keep[0] = False
    a, b = cv2.GaussianBlur(image, (5, 5), 0), cv2.GaussianBlur(clean, (5, 5), 0)
    ratio = (a * b).sum(axis=2) / np.maximum((b * b).sum(axis=2), 1e-6)
    distortion = np.linalg.norm(a - ratio[..., None] * b, axis=2) / np.maximum(np.linalg.norm(b, axis=2), 1e-6)
    shade = (ratio > 0.25) & (ratio < 0.92) & (distortion < 0.12) & (fg > 0)
    shade = cv2.dilate(shade.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return keep[labels] | player | shade


def median_no_alignment(frames: Sequence[np.ndarray], masks: Sequence[np.ndarray]) -> np.ndarray:
    """Per-pixel temporal median at fixed positions over unmasked samples, (H, W, C) uint8."""
    stack = np.stack(frames).astype(np.float32)
    stack[np.stack(masks)] = np.nan
    med = np.nanmedian(stack, axis=0)
    return np.nan_to_num(med, nan=0.0).round().astype(np.uint8)


class Scaled(Sequence[np.ndarray]):
    """A lazy view of frames resized to (w, h), float32 0-1 (or mattes when ``matte``)."""

    def __init__(self, items: Sequence[np.ndarray], size: tuple[int, int], matte: bool = False) -> None:
        self.items, self.size, self.matte = items, size, matte
        self.cache: dict[int, np.ndarray] = {}     # like the tasks' frame cache (FloatFrames)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        import cv2

        if i in self.cache:
            return self.cache[i]
        x = self.items[i]
        if self.matte:
            out = (cv2.resize(x.astype(np.uint8), self.size, interpolation=cv2.INTER_LINEAR) > 0).astype(np.float32)
        else:
            img = x.astype(np.float32) / 255.0
            out = img if img.shape[1::-1] == self.size else cv2.resize(img, self.size, interpolation=cv2.INTER_LINEAR)
        if len(self.cache) >= 24:
            self.cache.pop(next(iter(self.cache)))
        self.cache[i] = out
        return out


def score_matte(frames: Sequence[np.ndarray], masks: Sequence[np.ndarray], plate, scored: Sequence[int],  # type: ignore[no-untyped-def]
                refine: bool, ignores: Sequence[np.ndarray] | None = None,
                snap: bool = True) -> tuple[list[float], list[float]]:
    """Matte IoU vs the pasted masks per scored frame: (whole frame, rider box + 24 px)."""
    from inference_server.engines.cleanplate.matte import foreground_matte, matte_iou
    from inference_server.engines.cleanplate.plate import reproject
    from inference_server.engines.cleanplate.removal import roi_box

    whole, near = [], []
    for k, i in enumerate(scored):
        clean, known = reproject(plate, i, frames[i], refine=refine)
        fg = foreground_matte(frames[i], clean, known, edge_snap=snap)
        ignore = np.zeros(masks[i].shape, bool) if ignores is None else ignores[k]
        x0, y0, x1, y1 = roi_box(masks[i], 24)
        far = np.ones(masks[i].shape, bool)
        far[y0:y1, x0:x1] = False
        whole.append(matte_iou(fg, masks[i].astype(np.float32), ignore))
        near.append(matte_iou(fg, masks[i].astype(np.float32), far | ignore))
    return whole, near


def bedroom_scores(rider: list[np.ndarray], rider_masks: list[np.ndarray], scored: Sequence[int],
                   refine: bool, snap: bool = True) -> tuple[list[float], list[float]]:
    """The independent matte scoring: the rider pasted on the re-filmed bedroom still."""
    from inference_server.engines.cleanplate.align import align_shot
    from inference_server.engines.cleanplate.plate import build_clean_plate

    count = len(rider)
    h, w = 480, 854
    host, path = refilmed_still(count, (w, h))
    plate, masks = paste(host, [np.zeros((h, w), bool)] * count, rider, rider_masks)
    centre = np.array([w / 2 + 53, h / 2 + 30, 1.0])
    steps = [float(np.hypot(*((np.linalg.inv(path[k]) @ path[k + 1] @ centre)[:2] - centre[:2])))
             for k in range(count - 1)]
    drift = np.array([(m @ centre)[:2] - centre[:2] for m in path])
    frames = Scaled(plate, (w, h))
    cp = build_clean_plate(frames, count // 2, alignment=align_shot(frames, count // 2), refine=refine,
                           canvas="shot")
    measured = [float(np.hypot(*((cp.alignment.between(k, k + 1) @ [w / 2, h / 2, 1.0])[:2] - [w / 2, h / 2])))
                for k in range(count - 1)]
    print(f"independent host: bedroom frame 0 re-filmed along the bedroom clip's handheld path, {w}x{h}, "
          f"{count} frames, nothing else moving; camera motion per frame {np.mean(steps):.2f} px mean, "
          f"{np.max(steps):.2f} max (engine measures {np.mean(measured):.2f} / {np.max(measured):.2f}), "
          f"drift {np.ptp(drift[:, 0]):.1f} x {np.ptp(drift[:, 1]):.1f} px; scoring {len(scored)} frames")
    out = score_matte(frames, masks, cp, scored, refine, snap=snap)
    print(f"foreground matte IoU vs pasted mask, bedroom (INDEPENDENT): whole frame mean {np.mean(out[0]):.3f} "
          f"min {np.min(out[0]):.3f}; rider box + 24 px mean {np.mean(out[1]):.3f} min {np.min(out[1]):.3f}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24 frames; score 8 and time 2 at 2K")
    ap.add_argument("--frames", type=int, default=0, help="frames of the clip to use (default: all, 24 with --quick)")
    ap.add_argument("--no-refine", action="store_true", help="skip the dense-flow parallax refinement")
    ap.add_argument("--no-edge-snap", action="store_true",
                    help="matte without edge snap (the figures before it was added)")
    ap.add_argument("--regrain", type=float, default=1.0, help="regrain amount for ours (default 1; 0 is also scored)")
    args = ap.parse_args(argv)

    import cv2

    from inference_server.engines.cleanplate.align import align_shot
    from inference_server.engines.cleanplate.plate import build_clean_plate, reproject
    from inference_server.engines.cleanplate.removal import remove_object

    host = load_movie(DATA / "tennis-480p/video.mp4")
    host_masks = [m > 128 for m in load_movie(DATA / "tennis-480p/mask.mp4", gray=True)]
    count = args.frames or (24 if args.quick else len(host))
    count = min(count, len(host), 80)
    host, host_masks = host[:count], host_masks[:count]
    rider_all = load_rider(max(count, 70), 1.4)
    rider, rider_masks = rider_all[0][:count], rider_all[1][:count]
    plate, masks = paste(host, host_masks, rider, rider_masks)
    h, w = plate[0].shape[:2]
    scored = list(range(0, count, max(1, count // 8))) if args.quick else list(range(count))
    refine = not args.no_refine
    print(f"clip: tennis-480p {w}x{h}, {count} frames, rider from bmx-trees pasted "
          f"({np.mean([m.mean() for m in masks]) * 100:.1f}% of the frame); scoring {len(scored)} frames")

    frames = Scaled(plate, (w, h))
    mattes = Scaled(masks, (w, h), matte=True)
    t0 = time.perf_counter()
    shot = align_shot(frames, count // 2, "auto", [m > 0 for m in mattes])
    t_align = time.perf_counter() - t0
    median = median_no_alignment(plate, masks)
    rows: dict[str, list[tuple[float, float]]] = {"regrain": [], "clean": [], "telea": [], "median": []}
    t_remove = 0.0
    for i in scored:
        region = masks[i] & ~cv2.dilate(host_masks[i].astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        t1 = time.perf_counter()
        rem = remove_object(frames, mattes, shot, i, refine=refine, regrain=args.regrain, seed=7)
        t_remove += time.perf_counter() - t1
        flat = remove_object(frames, mattes, shot, i, refine=refine, regrain=0.0)
        ours = np.clip(rem.image * 255.0 + 0.5, 0, 255).astype(np.uint8)
        ours_flat = np.clip(flat.image * 255.0 + 0.5, 0, 255).astype(np.uint8)
        assert np.array_equal(ours[~masks[i]], plate[i][~masks[i]]), "pixels outside the mask changed"
        telea = cv2.inpaint(plate[i], masks[i].astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
        med = plate[i].copy()
        med[masks[i]] = median[masks[i]]
        for name, img in (("regrain", ours), ("clean", ours_flat), ("telea", telea), ("median", med)):
            rows[name].append(psnr_ssim(img, host[i], region))
    mode = "parallax refined" if refine else "global only"
    labels = {"regrain": f"ours, regrain {args.regrain:g} ({mode})", "clean": f"ours, no regrain ({mode})",
              "telea": "cv2.inpaint Telea", "median": "temporal median, no alignment"}
    print(f"{'removal inside the pasted mask':<40}{'PSNR dB':>9}{'SSIM':>8}")
    means = {name: np.mean(rows[name], axis=0) for name in rows}
    for name, label in labels.items():
        print(f"{label:<40}{means[name][0]:9.2f}{means[name][1]:8.3f}")
    best_base = max(means["telea"][0], means["median"][0])

    t2 = time.perf_counter()
    cp = build_clean_plate(frames, count // 2, alignment=align_shot(frames, count // 2), refine=refine,
                           canvas="shot")
    t_plate = time.perf_counter() - t2
    host_frames = Scaled(host, (w, h))
    host_cp = build_clean_plate(host_frames, count // 2, alignment=align_shot(host_frames, count // 2),
                                refine=refine, canvas="shot")
    strict: list[np.ndarray] = []
    lenient: list[np.ndarray] = []
    for i in scored:
        player = cv2.dilate(host_masks[i].astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
        strict.append(player & ~masks[i])
        h_clean, h_known = reproject(host_cp, i, host_frames[i], refine=refine)
        lenient.append(host_movers(host_frames[i], h_clean, h_known, player, not args.no_edge_snap) & ~masks[i])
    snap = not args.no_edge_snap
    iou = {"strict": score_matte(frames, masks, cp, scored, refine, strict, snap),
           "lenient": score_matte(frames, masks, cp, scored, refine, lenient, snap)}
    # the bedroom run always spans 70 frames: over fewer the rider (framed by the bmx-trees operator)
    # covers much of its area in most frames, the plate never sees behind it and the score is of
    # the test, not of the matte; --quick scores 9 of them
    bed_scored = list(range(0, 70, 8)) if args.quick else list(range(70))
    bed = bedroom_scores(rider_all[0][:70], rider_all[1][:70], bed_scored, refine, snap)
    for key, where, how in (("strict", "tennis", "STRICT: only the player's DAVIS mask left out"),
                            ("lenient", "tennis", "LENIENT: player and his shadow as found by the matte left out")):
        print(f"foreground matte IoU vs pasted mask, {where} ({how}): whole frame mean {np.mean(iou[key][0]):.3f} "
              f"min {np.min(iou[key][0]):.3f}; rider box + 24 px mean {np.mean(iou[key][1]):.3f} "
              f"min {np.min(iou[key][1]):.3f}")
    print(f"clean plate: {t_plate:.1f} s for {count} frames ({len(cp.used)} voted), "
          f"{cp.seen.mean() * 100:.1f}% seen clean, camera model {cp.alignment.model}")
    print(f"timing 854x480: align {t_align / count:.3f} s/frame, removal {t_remove / len(scored):.3f} s/frame "
          f"(2 shared CPU cores, noisy)")

    size2k = (2048, 1080)
    n2 = min(count, 12 if args.quick else 24)
    t3 = time.perf_counter()
    f2s, m2s = Scaled(plate[:n2], size2k), Scaled(masks[:n2], size2k, matte=True)
    shot2 = align_shot(f2s, n2 // 2, "auto", [m2s[i] > 0 for i in range(n2)])
    t_align2 = (time.perf_counter() - t3) / n2
    timed = [0, n2 // 2] if args.quick else [0, n2 // 4, n2 // 2, 3 * n2 // 4]
    for i in range(n2):               # decode/upscale first: time the removal, not the reads
        f2s[i], m2s[i]
    t4 = time.perf_counter()
    for i in timed:
        remove_object(f2s, m2s, shot2, i, refine=refine, regrain=args.regrain)
    t_rem2 = (time.perf_counter() - t4) / len(timed)
    print(f"timing 2048x1080: align {t_align2:.3f} s/frame, removal {t_rem2:.3f} s/frame over {n2} frames "
          f"(frames already read, as the tasks' frame cache holds them)")
    print(f"summary: matte IoU vs pasted mask (target 0.8), whole frame / near the rider: "
          f"INDEPENDENT (bedroom re-filmed, nothing else moves) {np.mean(bed[0]):.3f} / {np.mean(bed[1]):.3f}; "
          f"STRICT tennis (only the player's mask left out; his moving shadow counts against the matte) "
          f"{np.mean(iou['strict'][0]):.3f} / {np.mean(iou['strict'][1]):.3f}")
    print(f"summary: removal ours {means['regrain'][0]:.2f} dB with regrain / {means['clean'][0]:.2f} dB without; "
          f"over Telea {means['regrain'][0] - means['telea'][0]:+.2f} / {means['clean'][0] - means['telea'][0]:+.2f} dB, "
          f"over unaligned median {means['regrain'][0] - means['median'][0]:+.2f} / "
          f"{means['clean'][0] - means['median'][0]:+.2f} dB (target +3 over the better baseline, "
          f"{best_base:.2f} dB)")
    print(f"summary (LENIENT, last: tennis with the player's shadow left out as found by the matte itself, so "
          f"its false positives touching him are forgiven): matte IoU {np.mean(iou['lenient'][0]):.3f} / "
          f"{np.mean(iou['lenient'][1]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
