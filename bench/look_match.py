"""Benchmark look match (issues 4 and 19): colour accuracy (dE2000) per class and fit time.

Run from the repository root: ``python bench/look_match.py [--skip fivek shifted takes unshifted issue4 time]
[--balances] [--best-balance]``.
Needs ``../shared/data``. Writes one contact sheet per class (rows: source | ours | target,
each whole and as a 1:1 centre crop) under ``--sheets`` (default ``out/bench-look``).

Classes:
- FiveK Expert C (8 sRGB pairs): every rotating leave-out split (fit on pairs i, i+1, i+2,
  test on the other 5). Ours look only (the .cube on the source), ours balance + look (the
  source's balance estimated by the fitted model, written as a .cc, then the .cube, both read
  back by OpenColorIO) vs Reinhard colour transfer and root-polynomial correction
  (Finlayson 2015, degree 2 and 3, colour-science) fitted on the same pairs.
- Creative looks, shifted: each real look (nilut-LUT01 over sRGB-encoded pictures,
  REDlogFilm_to_REDgamma 1-4 over the same pictures encoded as ARRI LogC3 by OCIO: no real
  log frames were obtainable) over the 5 OpenEXR stills; every shot gets a random exposure
  (+-1.5 stops) and white balance (6500 K +-1500 K, CAT02) before the look, the target is the
  look over the unshifted still. Every rotating split: learn from 3, test on the other 2.
  Besides ours look only and balance + look (estimated balance), a diagnostic: the look with
  each test shot's balance known (its shift undone, as from camera metadata or a colorist's
  balance given with --balance FILE.cc), brought to where the look expects shots.
- Creative looks, shifted takes (not in the issue; a show's shots of a scene): the same over five
  reframes of one still (70% crops from its corners and centre), each still in turn (the first
  two, for time): where the estimator can work, since the takes' statistics differ by their
  shifts and not by unrelated content.
- Creative looks, unshifted: the same without the shifts; and, like for like with the figure
  issue 4 reported, its protocol (the stills and 5 footage frames, learn from 3, test on 7).
- Fit time for 4 pairs of 2K (2048x1080) frames.
Outputs are compared as sRGB-encoded display values (clipped to 0-1) in CIE Lab, D65.
Prints one line per split and class and a summary; never fails on figures.
With ``--best-balance`` the shifted and takes classes also score each test shot with the balance
(exposure, warmth, tint) searched against its own target: the floor under which no balance
estimator, nor a given balance, can bring the look (it reads the target: a diagnostic, not a method).
With ``--balances`` the shifted class also prints, per split and test shot, the balance it
needs (its shift undone, brought to where the heroes are as the estimator balanced them) and
the estimated one: stops, Kelvin at 6500 K and tint.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "../shared/data"
SRGB = "sRGB Encoded Rec.709 (sRGB)"
LOG = "ARRI LogC3 (EI800)"
Pair = tuple[np.ndarray, np.ndarray]
Method = Callable[[np.ndarray], np.ndarray]


def need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"bench/look_match.py: missing test data {path.resolve()}")
    return path


def read(path: Path) -> np.ndarray:
    from inference_server import media
    from inference_server.frames import to_float

    return to_float(media.read_image(need(path)))[:, :, :3]


def de2000(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    import colour

    def lab(rgb: np.ndarray) -> np.ndarray:
        return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.clip(rgb, 0.0, 1.0)))

    return np.asarray(colour.delta_E(lab(pred), lab(truth), method="CIE 2000")).ravel()


def ocio_file(path: Path | str, img: np.ndarray, in_space: str | None = None) -> np.ndarray:
    from inference_server.engines.look.apply import apply_look, look_processor

    return apply_look(img.astype(np.float32), look_processor(path, in_space))


def ours(train: list[Pair], in_space: str, tmp: Path, balance: bool,
         given: Callable[[list[np.ndarray], Callable[[np.ndarray], np.ndarray]], list[np.ndarray]] | None = None,
         ) -> Method | list[Method]:
    """Fit, write the .cube (carrying the balance model), and return an applier that reads the
    files back through OCIO: with ``balance`` each image's balance is estimated, written as a
    .cc and applied before the .cube. With ``given`` (called with the heroes' estimated
    balance offsets and the estimator (image -> offset), it returns one known balance per
    test image) returns [auto applier, applier per known balance]."""
    from inference_server.engines.look import files
    from inference_server.engines.look.apply import apply_look, balanced_processor
    from inference_server.engines.look.balance import auto_balance, balance_cdl
    from inference_server.engines.look.cdl import Cdl

    fit = fit_look_timed(train, in_space, balance)
    cube = tmp / f"look{'_b' if balance else ''}.cube"
    comments = (fit.balance_model.comment(),) if fit.balance_model is not None else ()
    files.write_atomic(cube, files.cube_text(fit.lut, "bench", fit.shaper, comments))
    if not balance:
        return lambda img: ocio_file(cube, img)
    model = files.look_balance_model(cube)
    assert model is not None

    def apply(img: np.ndarray, balance: Cdl | None = None) -> np.ndarray:
        cc = tmp / "shot.cc"
        files.write_atomic(cc, files.cdl_text(balance or auto_balance([img], model, in_space), ".cc"))
        return apply_look(img.astype(np.float32), balanced_processor(cube, read_cc(cc), in_space))

    if given is None:
        return apply
    heroes = [np.array(auto_balance([a], model, in_space).offset) for a, _ in train]
    estimate = lambda img: np.array(auto_balance([img], model, in_space).offset)  # noqa: E731
    return [apply, *[lambda img, o=o: apply(img, balance_cdl(o)) for o in given(heroes, estimate)]]


def read_cc(path: Path):  # type: ignore[no-untyped-def]
    """The .cc read back through OCIO as our Cdl (the file, not the in-memory fit, is applied)."""
    import PyOpenColorIO as ocio

    from inference_server.engines.look.cdl import Cdl

    t = ocio.CDLTransform.CreateFromFile(str(path), "")
    return Cdl(tuple(t.getSlope()), tuple(t.getOffset()), tuple(t.getPower()), float(t.getSat()))


FIT_TIMES: list[float] = []


def fit_look_timed(train: list[Pair], in_space: str, balance: bool):  # type: ignore[no-untyped-def]
    from inference_server.engines.look.fit import fit_look

    t = time.perf_counter()
    fit = fit_look(train, in_space, balance=balance)
    FIT_TIMES.append(time.perf_counter() - t)
    return fit


def reinhard(train: list[Pair]) -> Method:
    """Reinhard et al. 2001 transfer in l-alpha-beta, statistics pooled over the training pairs."""
    import colour

    lms_m = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
    lab_m = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array([[1, 1, 1], [1, 1, -2], [1, -1, 0]])

    def to_lab(srgb: np.ndarray) -> np.ndarray:
        lin = colour.cctf_decoding(np.clip(srgb, 0, 1), function="sRGB").reshape(-1, 3)
        return np.log10(np.maximum(lin @ lms_m.T, 1e-4)) @ lab_m.T

    def from_lab(v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        lin = (10 ** (v @ np.linalg.inv(lab_m).T)) @ np.linalg.inv(lms_m).T
        return np.asarray(colour.cctf_encoding(np.clip(lin, 0, 1), function="sRGB")).reshape(shape)

    s = np.concatenate([to_lab(a) for a, _ in train])
    g = np.concatenate([to_lab(b) for _, b in train])
    ms, ss, mg, sg = s.mean(0), s.std(0), g.mean(0), g.std(0)
    return lambda img: from_lab((to_lab(img) - ms) * (sg / ss) + mg, img.shape)


def root_poly(train: list[Pair], degree: int) -> Method:
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
        return np.asarray(colour.cctf_encoding(np.clip(out, 0, 1), function="sRGB")).reshape(img.shape)

    return apply


def score(outs: list[np.ndarray], tests: list[Pair]) -> tuple[float, float]:
    d = np.concatenate([de2000(o, b) for o, (_, b) in zip(outs, tests)])
    return float(d.mean()), float(np.percentile(d, 95))


def splits(n: int, k: int = 3) -> list[list[int]]:
    return [[(i + j) % n for j in range(k)] for i in range(n)]


def sheet(path: Path, rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], title: str) -> None:
    """Contact sheet: per row source | ours | target (each fitted to 300 px high) then their 1:1 centre crops."""
    import cv2

    def disp(x: np.ndarray) -> np.ndarray:
        return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)

    lines = []
    for row in rows:
        h, w = row[0].shape[:2]
        s = 300 / h
        small = [cv2.resize(disp(x), (round(w * s), 300), interpolation=cv2.INTER_AREA) for x in row]
        c = 150
        y0, x0 = max(0, h // 2 - c), max(0, w // 2 - c)
        crops = [disp(x[y0:y0 + 2 * c, x0:x0 + 2 * c]) for x in row]
        crops = [cv2.copyMakeBorder(k, 0, 300 - k.shape[0], 0, 0, cv2.BORDER_CONSTANT) for k in crops]
        pad = np.full((300, 6, 3), 40, np.uint8)
        parts = []
        for im in small + crops:
            parts += [im, pad]
        lines.append(np.concatenate(parts, axis=1))
    width = max(x.shape[1] for x in lines)
    lines = [cv2.copyMakeBorder(x, 0, 6, 0, width - x.shape[1], cv2.BORDER_CONSTANT) for x in lines]
    head = np.full((28, width, 3), 0, np.uint8)
    cv2.putText(head, title + "   (source | ours | target, then 1:1 crops)", (6, 20),
                cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1)
    img = np.concatenate([head, *lines], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    print(f"sheet  {path}")


def fivek(tmp: Path, sheets: Path) -> dict[str, list[tuple[float, float]]]:
    root = need(DATA / "graded/fivek-expertC")
    names = sorted(p.name for p in (root / "input").glob("*.png"))
    pairs = [(read(root / "input" / n), read(root / "expertC" / n)) for n in names]
    results: dict[str, list[tuple[float, float]]] = {}
    for s, train_idx in enumerate(splits(len(pairs))):
        train = [pairs[i] for i in train_idx]
        tests = [p for i, p in enumerate(pairs) if i not in train_idx]
        methods: dict[str, Method] = {
            "ours look only": ours(train, SRGB, tmp, False), "ours bal+look": ours(train, SRGB, tmp, True),
            "Reinhard": reinhard(train), "root-poly d2": root_poly(train, 2), "root-poly d3": root_poly(train, 3)}
        line = []
        for name, fn in methods.items():
            outs = [fn(a) for a, _ in tests]
            mean, p95 = score(outs, tests)
            results.setdefault(name, []).append((mean, p95))
            line.append(f"{name} {mean:5.2f}/{p95:5.2f}")
            if s == 0 and name == "ours bal+look":
                sheet(sheets / "fivek.png", [(a, o, b) for o, (a, b) in zip(outs, tests)],
                      "FiveK Expert C, fit on 0-2, balance + look")
        print(f"fivek  split {s} fit {train_idx}  mean/p95 dE2000: " + "  ".join(line))
    return results


def stills() -> list[np.ndarray]:
    """The 5 OpenEXR stills (scene-linear ACES2065-1), half size, finite and non-negative."""
    out = []
    for p in sorted(need(DATA / "stills/openexr").glob("*.exr")):
        out.append(np.clip(np.nan_to_num(read(p)[::2, ::2]), 0.0, 64.0).astype(np.float32))
    return out


def shift(lin_ap0: np.ndarray, stops: float, kelvin: float) -> np.ndarray:
    """A shot exposed ``stops`` off and white-balanced ``kelvin`` away from 6500 K (CAT02 D65 -> T)."""
    import colour

    ap0 = colour.RGB_COLOURSPACES["ACES2065-1"]
    d65 = colour.xy_to_XYZ(colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])
    t = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(6500.0 + kelvin))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(d65, t, transform="CAT02")
    m = np.linalg.inv(ap0.matrix_RGB_to_XYZ) @ cat @ ap0.matrix_RGB_to_XYZ
    return (lin_ap0 @ m.T * 2.0**stops).astype(np.float32)


def true_offset(stops: float, kelvin: float) -> np.ndarray:
    """The ACEScct offsets undoing ``shift`` on 18% grey: the balance a colorist would dial in."""
    from inference_server.engines.look import spaces

    grey = np.full((1, 3), 0.18, np.float32)
    a = spaces.convert(grey, "ACES2065-1", "ACEScct")
    b = spaces.convert(shift(grey, stops, kelvin), "ACES2065-1", "ACEScct")
    return np.asarray((a - b)[0], dtype=np.float64)


def describe(o: np.ndarray) -> str:
    """An ACEScct balance offset in a colorist's words: stops, warmth as the Kelvin shift it
    undoes at 6500 K (+: the shot was balanced bluer, the balance warms it), tint (ACEScct)."""
    from inference_server.engines.look.balance import STOP, components

    per_k = (components(true_offset(0.0, 100.0)) - components(true_offset(0.0, -100.0)))[1] / 200.0
    e, w, t = components(o)
    return f"{e / STOP:+5.2f} st {w / per_k:+6.0f} K {t:+.3f} tint"


def takes(still: np.ndarray, n: int = 5, part: float = 0.7) -> list[np.ndarray]:
    """``n`` reframes of one still (``part`` of its width and height, from its four corners and
    its centre): the takes and angles of one scene, as a show's shots of a scene are."""
    h, w = still.shape[:2]
    ch, cw = int(h * part), int(w * part)
    at = [(0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw), ((h - ch) // 2, (w - cw) // 2)]
    return [np.ascontiguousarray(still[y:y + ch, x:x + cw]) for y, x in at[:n]]


def best_balances(apply: Callable[..., np.ndarray], starts: list[np.ndarray], tests: list[Pair]) -> list[np.ndarray]:
    """Each test shot through the look after the balance (exposure, warmth, tint) that brings it
    nearest its target (mean dE2000, Nelder-Mead from ``starts``, searched on every 4th pixel):
    what no balance, estimated or given, can improve on with this look."""
    from scipy.optimize import minimize

    from inference_server.engines.look.balance import balance_cdl, components, compose

    outs = []
    for o0, (a, b) in zip(starts, tests, strict=True):
        sa, sb = a[::4, ::4], b[::4, ::4]
        x0 = components(o0)
        simplex = np.stack([x0, *(x0 + 0.02 * np.eye(3))])   # 0.02: about a third of a stop, or of a cast
        r = minimize(lambda c: float(de2000(apply(sa, balance_cdl(compose(c))), sb).mean()),  # noqa: B023
                     x0, method="Nelder-Mead", options={"initial_simplex": simplex, "xatol": 1e-3, "fatol": 2e-3,
                                                        "maxfev": 90})
        outs.append(apply(a, balance_cdl(compose(r.x))))
    return outs


def creative(tmp: Path, sheets: Path, shifted: bool, table: bool = False, pictures: list[np.ndarray] | None = None,
             cls: str | None = None, best: bool = False) -> dict[str, list[tuple[float, float]]]:
    from inference_server.engines.look import spaces

    lin = stills() if pictures is None else pictures
    looks = [("nilut-LUT01", need(DATA / "colour/looks/nilut-LUT01.cube"), SRGB)]
    looks += [(p.stem, p, LOG) for p in sorted(need(DATA / "colour/looks").glob("REDlogFilm_to_REDgamma*.cube"))]
    rng = np.random.default_rng(19)
    cls = cls or ("shifted" if shifted else "unshifted")
    results: dict[str, list[tuple[float, float]]] = {}
    sheet_rows = []
    for name, path, space in looks:
        def enc(x: np.ndarray) -> np.ndarray:
            return np.clip(spaces.convert(x, "ACES2065-1", space), 0.0, 1.0)  # noqa: B023

        shots, offsets = [], []
        for img in lin:
            stops, kelvin = (rng.uniform(-1.5, 1.5), rng.uniform(-1500, 1500)) if shifted else (0.0, 0.0)
            shots.append((enc(shift(img, stops, kelvin)), ocio_file(path, enc(img))))
            offsets.append(true_offset(stops, kelvin))
        per: dict[str, list[float]] = {}
        for s, train_idx in enumerate(splits(len(shots))):
            train = [shots[i] for i in train_idx]
            tests = [p for i, p in enumerate(shots) if i not in train_idx]
            test_idx = [i for i in range(len(shots)) if i not in train_idx]
            # Known balance of a test shot: undo its shift, then bring it where the look expects
            # shots, the heroes as the estimator balanced them (their mean unshift + estimate).
            def known(heroes: list[np.ndarray], estimate: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
                ref = np.mean([h - offsets[k] for h, k in zip(heroes, train_idx)], axis=0)  # noqa: B023
                if table:   # per test shot: the balance it needs (its shift undone) vs the estimate
                    for i, (a, _) in zip(test_idx, tests):  # noqa: B023
                        est = estimate(a)
                        print(f"balance   {name:24s} split {s} shot {i}  needs {describe(offsets[i] + ref)}"  # noqa: B023
                              f"  estimated {describe(est)}  error {describe(est - offsets[i] - ref)}")  # noqa: B023
                given[:] = [offsets[i] + ref for i in test_idx]  # noqa: B023
                return given  # noqa: B023

            given: list[np.ndarray] = []
            fitted = ours(train, space, tmp, True, known)
            assert isinstance(fitted, list)
            labels = ["ours look only", "ours bal+look", "ours known bal+look"] + (["ours best bal+look"] if best else [])
            for label in labels:
                if label == "ours look only":
                    fn = ours(train, space, tmp, False)
                    assert callable(fn)
                    outs = [fn(a) for a, _ in tests]
                elif label == "ours bal+look":
                    outs = [fitted[0](a) for a, _ in tests]
                elif label == "ours known bal+look":
                    outs = [f(a) for f, (a, _) in zip(fitted[1:], tests)]
                else:
                    outs = best_balances(fitted[0], given, tests)
                mean, p95 = score(outs, tests)
                results.setdefault(f"{name} {label}", []).append((mean, p95))
                per.setdefault(label, []).append(mean)
                if s == 0 and label == "ours bal+look" and name in ("nilut-LUT01", "REDlogFilm_to_REDgamma2"):
                    sheet_rows += [(a, o, b) for o, (a, b) in zip(outs, tests)]
        for label, means in per.items():
            print(f"{cls:9s} {name:24s} {label:15s} per split mean dE2000: " + " ".join(f"{m:5.2f}" for m in means))
    sheet(sheets / f"creative-{cls}.png", sheet_rows, f"creative looks {cls} (nilut, RED 2), fit on 0-2, balance + look")
    return results


def footage_and_stills() -> list[np.ndarray]:
    """Issue 4's set: the 5 OpenEXR stills and 5 footage frames, as linear Rec.709."""
    from inference_server import media
    from inference_server.engines.look import spaces
    from inference_server.frames import to_float

    out = [spaces.convert(img, "ACES2065-1", "Linear Rec.709 (sRGB)") for img in stills()]
    foot = DATA / "footage"
    frames = [read(need(foot / "bmx-trees/frames/00000.jpg")), read(need(foot / "bedroom/frames/00000.jpg"))]
    for movie, n in (("tennis-480p/video.mp4", 10), ("schoolgirls-480p/video.mp4", 10), ("running-car/running_car.mp4", 100)):
        seq = media.open_sequence(str(need(foot / movie)))
        frames.append(to_float(seq[n - 1].pixels)[:, :, :3])
    out += [spaces.convert(f, SRGB, "Linear Rec.709 (sRGB)") for f in frames]
    return [np.clip(i, 0.0, 16.0).astype(np.float32) for i in out]


def unshifted_issue4(tmp: Path) -> dict[str, list[tuple[float, float]]]:
    """Today's figure, like for like: issue 4's protocol (10 pictures, learn from Cannon,
    bmx-trees and tennis, test on the other 7), look only and balance + look."""
    from inference_server.engines.look import spaces

    linear = footage_and_stills()
    looks = [("nilut-LUT01", need(DATA / "colour/looks/nilut-LUT01.cube"), SRGB)]
    looks += [(p.stem, p, LOG) for p in sorted(need(DATA / "colour/looks").glob("REDlogFilm_to_REDgamma*.cube"))]
    results: dict[str, list[tuple[float, float]]] = {}
    train_idx = (0, 5, 7)
    for name, path, space in looks:
        src = [np.clip(spaces.convert(i, "Linear Rec.709 (sRGB)", space), 0, 1) for i in linear]
        pairs = [(x, ocio_file(path, x)) for x in src]
        train = [pairs[i] for i in train_idx]
        tests = [p for i, p in enumerate(pairs) if i not in train_idx]
        for label, bal in (("ours look only", False), ("ours bal+look", True)):
            fn = ours(train, space, tmp, bal)
            assert callable(fn)
            mean, p95 = score([fn(a) for a, _ in tests], tests)
            results[f"{name} {label}"] = [(mean, p95)]
            print(f"issue4    {name:24s} {label:15s} mean dE2000 {mean:5.2f}  p95 {p95:5.2f}")
    return results


def fit_time() -> tuple[float, float]:
    import cv2

    from inference_server.engines.look.fit import fit_look

    lut = need(DATA / "colour/looks/nilut-LUT01.cube")
    frames = sorted(need(DATA / "footage/bedroom/frames").glob("*.jpg"))[::50][:4]
    pairs = []
    for p in frames:
        img = cv2.resize(read(p), (2048, 1080), interpolation=cv2.INTER_LINEAR)
        pairs.append(((img * 65535).astype(np.uint16), ocio_file(lut, img)))
    fit_look(pairs[:2], SRGB, balance=True)  # warm imports and caches
    med = []
    for bal in (False, True):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            fit_look(pairs, SRGB, balance=bal)
            times.append(time.perf_counter() - t)
        med.append(float(np.median(times)))
        print(f"time   fit 4 pairs 2048x1080 (uint16 source) {'balance + look' if bal else 'look only':15s}"
              f" best {min(times):.3f} s  median {med[-1]:.3f} s  (3 runs)")
    return med[0], med[1]


def summarise(name: str, res: dict[str, list[tuple[float, float]]]) -> None:
    for k, v in res.items():
        a = np.array(v)
        print(f"  {name:9s} {k:40s} mean dE2000 {a[:, 0].mean():5.2f} (worst split {a[:, 0].max():5.2f})"
              f"  p95 {a[:, 1].mean():5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("fivek", "shifted", "takes", "unshifted", "issue4", "time"))
    parser.add_argument("--balances", action="store_true",
                        help="shifted class: print each test shot's needed balance vs the estimate")
    parser.add_argument("--best-balance", action="store_true",
                        help="shifted and takes classes: also each test shot with the balance that brings it nearest its "
                             "target (searched): the floor no balance estimator can go under with the look")
    parser.add_argument("--sheets", default=str(ROOT / "out/bench-look"), help="folder for the contact sheets")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    sheets = Path(args.sheets)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        fk = fivek(tmp, sheets) if "fivek" not in args.skip else {}
        sh = creative(tmp, sheets, True, args.balances, best=args.best_balance) if "shifted" not in args.skip else {}
        tk: dict[str, list[tuple[float, float]]] = {}
        if "takes" not in args.skip:   # shifted takes of one scene, each still in turn (two stills: time)
            for k, still in enumerate(stills()[:2]):
                for key, v in creative(tmp, sheets, True, args.balances, takes(still), f"takes{k}",
                                       args.best_balance).items():
                    tk.setdefault(key, []).extend(v)
        un = creative(tmp, sheets, False) if "unshifted" not in args.skip else {}
        i4 = unshifted_issue4(tmp) if "issue4" not in args.skip else {}
        ft = fit_time() if "time" not in args.skip else (float("nan"), float("nan"))
    print("summary:")
    if fk:
        summarise("fivek", fk)
        rp = [min(a[0], b[0]) for a, b in zip(fk["root-poly d2"], fk["root-poly d3"])]
        for label in ("ours look only", "ours bal+look"):
            r = [o[0] / p for o, p in zip(fk[label], rp)]
            print(f"  fivek {label} / that split's best root-poly: " + ", ".join(f"{x:.2f}" for x in r)
                  + f"  (worst {max(r):.2f}; target <= 0.8 on every split)")
    for name, res in (("shifted", sh), ("takes", tk), ("unshifted", un), ("issue4", i4)):
        if res:
            summarise(name, res)
            for label, target in (("ours bal+look", 1.5 if name in ("shifted", "takes") else 0.6),
                                  ("ours look only", None), ("ours known bal+look", None),
                                  ("ours best bal+look", None)):
                m = [np.mean([x[0] for x in v]) for k, v in res.items() if k.endswith(" " + label)]
                if not m:
                    continue
                print(f"  {name} {label}: worst look {max(m):.2f}, average {np.mean(m):.2f}"
                      + (f" (target <= {target})" if target else ""))
    print(f"  fit time 4x2K median: look only {ft[0]:.3f} s, balance + look {ft[1]:.3f} s "
          f"(target <= 1 s; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
