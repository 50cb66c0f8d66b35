"""Foreground matte IoU for the clean-plate benchmark (the figure of issue 6, unchanged).

The rider from DAVIS ``bmx-trees`` (cut out with its masks) is pasted onto a host with real
camera motion and nothing else moving: frame 0 of ``bedroom`` re-filmed along the bedroom
clip's own handheld path (similarity per frame from tracked corners with RANSAC, plain
OpenCV, none of the engine), centre-cropped to 854x480 with fresh noise and a JPEG round
trip per frame. Every matte pixel off the rider is a false positive. IoU over the whole
frame and near the rider (its box + 24 px). It spans 70 frames even with ``--quick``: over
fewer, the rider covers most of its area in over half the frames, no clean plate can see
behind it, and that would score the test, not the matte. Used by ``bench/clean_plate.py``.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "../shared/data/footage"


def _need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"bench/clean_plate_matte.py: missing test data {path.resolve()}")
    return path


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
            raise SystemExit(f"bench/clean_plate_matte.py: cannot read {path}")
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
        raise SystemExit(f"bench/clean_plate_matte.py: cannot read {paths[0]}")
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
            raise SystemExit("bench/clean_plate_matte.py: JPEG round trip failed")
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


