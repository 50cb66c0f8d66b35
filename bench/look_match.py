"""Benchmark look match (issue 4): colour accuracy (dE2000) and fit time.

Run from the repository root: ``python bench/look_match.py [--quick]``. Needs ``../shared/data``.

Cases:
- FiveK Expert C (8 sRGB pairs): fit on 3 and test on 5, and the reverse. Ours (CDL only,
  LUT) vs Reinhard colour transfer (l-alpha-beta statistics of the training pairs) and
  colour-science's root-polynomial correction (Finlayson 2015, degree 2 and 3, fitted on
  the training pixels in linear sRGB).
- Real looks: nilut-LUT01 (on sRGB-encoded pictures) and REDlogFilm_to_REDgamma 1-4 (on the
  same pictures encoded as ARRI LogC3 by OCIO: no real log frames were obtainable), applied
  with OCIO to the 5 OpenEXR stills and 5 footage frames; learn from 3, test on the other 7.
- Fit time for 4 pairs of 2K (2048x1080) frames.
Outputs are compared as sRGB-encoded display values (clipped to 0-1) in CIE Lab, D65.
Prints one line per case and a summary; never fails on time. Timings are wall clock on a
shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "../shared/data"
SRGB = "sRGB Encoded Rec.709 (sRGB)"
LOG = "ARRI LogC3 (EI800)"


def need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"bench/look_match.py: missing test data {path.resolve()}")
    return path


def read(path: Path) -> np.ndarray:
    from inference_server import media
    from inference_server.tasks.base import to_float

    return to_float(media.read_image(need(path)))[:, :, :3]


def lab(rgb: np.ndarray) -> np.ndarray:
    import colour

    return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.clip(rgb, 0.0, 1.0)))


def de2000(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    import colour

    return np.asarray(colour.delta_E(lab(pred), lab(truth), method="CIE 2000")).ravel()


def ocio_file(path: Path | str, img: np.ndarray, in_space: str | None = None) -> np.ndarray:
    from inference_server.engines.look.apply import apply_look, look_processor

    return apply_look(img.astype(np.float32), look_processor(path, in_space))


def ours(train: list[tuple[np.ndarray, np.ndarray]], in_space: str, tmp: Path, size: int = 33):
    """Fit, write .cube and .cc, and return appliers that read them back through OCIO."""
    from inference_server.engines.look import files
    from inference_server.engines.look.fit import fit_look

    fit = fit_look(train, in_space, lut_size=size)
    cube, cc = tmp / "look.cube", tmp / "look.cc"
    files.write_atomic(cube, files.cube_text(fit.lut, "bench", fit.shaper))
    files.write_atomic(cc, files.cdl_text(fit.cdl, ".cc"))
    return (lambda img: ocio_file(cc, img, in_space)), (lambda img: ocio_file(cube, img)), fit


def reinhard(train: list[tuple[np.ndarray, np.ndarray]]):
    """Reinhard et al. 2001 transfer in l-alpha-beta, statistics pooled over the training pairs."""
    lms_m = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
    lab_m = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array([[1, 1, 1], [1, 1, -2], [1, -1, 0]])

    def to_lab(srgb: np.ndarray) -> np.ndarray:
        import colour

        lin = colour.cctf_decoding(np.clip(srgb, 0, 1), function="sRGB").reshape(-1, 3)
        return np.log10(np.maximum(lin @ lms_m.T, 1e-4)) @ lab_m.T

    def from_lab(v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        import colour

        lin = (10 ** (v @ np.linalg.inv(lab_m).T)) @ np.linalg.inv(lms_m).T
        return colour.cctf_encoding(np.clip(lin, 0, 1), function="sRGB").reshape(shape)

    s = np.concatenate([to_lab(a) for a, _ in train])
    g = np.concatenate([to_lab(b) for _, b in train])
    ms, ss, mg, sg = s.mean(0), s.std(0), g.mean(0), g.std(0)
    return lambda img: from_lab((to_lab(img) - ms) * (sg / ss) + mg, img.shape)


def root_poly(train: list[tuple[np.ndarray, np.ndarray]], degree: int):
    import colour

    rng = np.random.default_rng(0)
    dec = lambda x: colour.cctf_decoding(np.clip(x, 0, 1), function="sRGB")  # noqa: E731
    mt, mr = [], []
    for a, b in train:
        pick = rng.choice(a.shape[0] * a.shape[1], min(20000, a.shape[0] * a.shape[1]), replace=False)
        mt.append(dec(a.reshape(-1, 3)[pick]))
        mr.append(dec(b.reshape(-1, 3)[pick]))
    m_t, m_r = np.concatenate(mt), np.concatenate(mr)

    def apply(img: np.ndarray) -> np.ndarray:
        out = colour.colour_correction(dec(img).reshape(-1, 3), m_t, m_r, method="Finlayson 2015",
                                       degree=degree, root_polynomial_expansion=True)
        return colour.cctf_encoding(np.clip(out, 0, 1), function="sRGB").reshape(img.shape)

    return apply


def score(method, tests: list[tuple[np.ndarray, np.ndarray]], display=lambda x: x) -> tuple[float, float]:
    d = np.concatenate([de2000(display(method(a)), display(b)) for a, b in tests])
    return float(d.mean()), float(np.percentile(d, 95))


def fivek(tmp: Path) -> dict[str, list[float]]:
    root = need(DATA / "graded/fivek-expertC")
    names = sorted(p.name for p in (root / "input").glob("*.png"))
    pairs = [(read(root / "input" / n), read(root / "expertC" / n)) for n in names]
    results: dict[str, list[float]] = {}
    for label, train_idx in (("fit 3 / test 5", [0, 1, 2]), ("fit 5 / test 3", [3, 4, 5, 6, 7])):
        train = [pairs[i] for i in train_idx]
        tests = [p for i, p in enumerate(pairs) if i not in train_idx]
        cdl_fn, lut_fn, _ = ours(train, SRGB, tmp)
        methods = {"ours CDL": cdl_fn, "ours LUT": lut_fn, "Reinhard": reinhard(train),
                   "root-poly d2": root_poly(train, 2), "root-poly d3": root_poly(train, 3)}
        for name, fn in methods.items():
            mean, p95 = score(fn, tests)
            results.setdefault(name, []).append(mean)
            print(f"fivek  {label:15s} {name:13s} mean dE2000 {mean:5.2f}  p95 {p95:5.2f}")
    return results


def real_images() -> list[np.ndarray]:
    """5 OpenEXR stills (scene-linear AP0) as linear Rec.709, and 5 footage frames decoded to linear."""
    from inference_server import media
    from inference_server.engines.look import spaces
    from inference_server.tasks.base import to_float

    out = []
    for p in sorted(need(DATA / "stills/openexr").glob("*.exr")):
        img = read(p)[::2, ::2]
        out.append(spaces.convert(np.nan_to_num(img), "ACES2065-1", "Linear Rec.709 (sRGB)"))
    foot = DATA / "footage"
    frames = [read(need(foot / "bmx-trees/frames/00000.jpg")), read(need(foot / "bedroom/frames/00000.jpg"))]
    for movie, n in (("tennis-480p/video.mp4", 10), ("schoolgirls-480p/video.mp4", 10), ("running-car/running_car.mp4", 100)):
        seq = media.open_sequence(str(need(foot / movie)))
        frames.append(to_float(seq[n - 1].pixels)[:, :, :3])
    out += [spaces.convert(f, SRGB, "Linear Rec.709 (sRGB)") for f in frames]
    return [np.clip(i, 0.0, 16.0).astype(np.float32) for i in out]


def real_looks(tmp: Path) -> list[float]:
    from inference_server.engines.look import spaces

    linear = real_images()
    looks = [("nilut-LUT01", need(DATA / "colour/looks/nilut-LUT01.cube"), SRGB)]
    looks += [(p.stem, p, LOG) for p in sorted(need(DATA / "colour/looks").glob("REDlogFilm_to_REDgamma*.cube"))]
    means = []
    train_idx = (0, 5, 7)   # Cannon.exr, bmx-trees, tennis: stills and footage in both sets
    for name, path, space in looks:
        src = [np.clip(spaces.convert(i, "Linear Rec.709 (sRGB)", space), 0, 1) for i in linear]
        pairs = [(s, ocio_file(path, s)) for s in src]
        train = [pairs[i] for i in train_idx]
        tests = [p for i, p in enumerate(pairs) if i not in train_idx]
        cdl_fn, lut_fn, fit = ours(train, space, tmp)
        for label, fn in (("ours CDL", cdl_fn), ("ours LUT", lut_fn)):
            mean, p95 = score(fn, tests)
            print(f"look   {name:26s} in {space:28s} {label:9s} mean dE2000 {mean:5.2f}  p95 {p95:5.2f}")
        means.append(score(lut_fn, tests)[0])
    return means


def fit_time() -> float:
    import cv2

    from inference_server.engines.look import spaces
    from inference_server.engines.look.fit import fit_look

    lut = need(DATA / "colour/looks/nilut-LUT01.cube")
    frames = sorted(need(DATA / "footage/bedroom/frames").glob("*.jpg"))[::50][:4]
    pairs = []
    for p in frames:
        img = cv2.resize(read(p), (2048, 1080), interpolation=cv2.INTER_LINEAR)
        pairs.append(((img * 65535).astype(np.uint16), ocio_file(lut, img)))
    assert spaces.resolve_space(SRGB)
    fit_look(pairs[:1], SRGB)  # warm imports and caches
    times = []
    for _ in range(3):
        t = time.perf_counter()
        fit_look(pairs, SRGB)
        times.append(time.perf_counter() - t)
    best, med = min(times), float(np.median(times))
    print(f"time   fit 4 pairs 2048x1080 (uint16 source)   best {best:.3f} s  median {med:.3f} s  (3 runs)")
    from inference_server.engines.look import files

    fit = fit_look(pairs, SRGB, lut_size=65)
    t = time.perf_counter()
    files.cube_text(fit.lut, "bench", fit.shaper)
    files.clf_text(fit)
    files.cdl_text(fit.cdl, ".cc")
    print(f"time   write 65^3 .cube + .clf + .cc            {time.perf_counter() - t:.3f} s")
    return med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], choices=("fivek", "looks", "time"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        fk = fivek(tmp) if "fivek" not in args.skip else {}
        lk = real_looks(tmp) if "looks" not in args.skip else []
        ft = fit_time() if "time" not in args.skip else float("nan")
    print("summary:")
    if fk:
        rp = min(np.mean(fk["root-poly d2"]), np.mean(fk["root-poly d3"]))
        for name in fk:
            print(f"  fivek {name:13s} mean dE2000 over both splits {np.mean(fk[name]):.2f}")
        print(f"  fivek ours LUT / best root-poly = {np.mean(fk['ours LUT']) / rp:.2f} (target <= 0.8)")
        per_split = [ours / min(d2, d3) for ours, d2, d3 in zip(fk["ours LUT"], fk["root-poly d2"], fk["root-poly d3"])]
        print("  fivek per split, ours LUT / that split's best root-poly: "
              + ", ".join(f"{r:.2f}" for r in per_split))
    if lk:
        print(f"  real looks ours LUT mean dE2000: worst {max(lk):.2f}, average {np.mean(lk):.2f} (target <= 1.0)")
    print(f"  fit time 4x2K: {ft:.3f} s (target <= 1 s; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
