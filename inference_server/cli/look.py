"""`rushes look fit`, `rushes look apply` and `rushes shot-match`: looks for colorists."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from inference_server import media
from inference_server.cli.common import add_server_arg, param_help, progress_bar, run_task
from inference_server.cli.outputs import StagedOutputs
from inference_server.engines.look import files, spaces
from inference_server.engines.look.apply import apply_look, balanced_processor, look_processor
from inference_server.engines.look.balance import auto_balance
from inference_server.engines.look.files import write_atomic
from inference_server.engines.look.summary import balance_line, describe_cdl
from inference_server.frames import Frame
from inference_server.tasks.look_fit import MANIFEST as LOOK_FIT

CDL_EXTS = (".cc", ".ccc", ".cdl")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    look = sub.add_parser("look", help="learn a look from graded frames, or apply one",
                          description="Learn a grade from (source, graded) pairs as a 3D LUT and an ASC CDL, "
                                      "or apply a look file through OpenColorIO.")
    look.set_defaults(func=lambda args: _usage(look))
    lsub = look.add_subparsers(dest="look_command", metavar="ACTION")

    fit = lsub.add_parser("fit", help="learn a look from (source, graded) pairs",
                          description="Each --pair is one frame before and after the grade. Writes a .cube "
                                      "(and optionally an ASC CDL and a CLF); the CDL acts in ACEScct.")
    fit.add_argument("--pair", nargs=2, action="append", required=True, metavar=("SRC", "GRADED"),
                     help="a source image and the same frame graded (repeat for more pairs)")
    fit.add_argument("--out", required=True, metavar="LOOK.cube", help="3D LUT to write (.cube)")
    fit.add_argument("--cdl", metavar="LOOK.cc", help="also write the CDL (.cc, .ccc or .cdl)")
    fit.add_argument("--clf", metavar="LOOK.clf", help="also write the LUT as Academy CLF")
    fit.add_argument("--in-space", default="", metavar="NAME",
                     help="colour space of the frames (OCIO built-in config name; default ACEScct)")
    fit.add_argument("--size", type=int, default=LOOK_FIT.param("lut_size").default,
                     help=param_help(LOOK_FIT, "lut_size", "3D LUT points per side, usually 33 or 65"))
    fit.add_argument("--smoothness", type=float, default=LOOK_FIT.param("smoothness").default,
                     help=param_help(LOOK_FIT, "smoothness", "LUT smoothness"))
    fit.add_argument("--title", default=LOOK_FIT.param("title").default, help=param_help(LOOK_FIT, "title", "LUT title"))
    fit.add_argument("--balances", metavar="BAL.ccc",
                     help="also write every pair's balance as one .ccc, and each as SRC-NAME.balance.cc beside it")
    add_server_arg(fit)
    fit.set_defaults(func=look_fit)

    app = lsub.add_parser("apply", help="apply a look file (.cube, .cc, .clf...) to an image or sequence",
                          description="Grade IN through OpenColorIO. CDL files act in ACEScct: --in-space names "
                                      "the colour space of IN (default ACEScct). LUTs apply to IN's code values.")
    app.add_argument("look_file", metavar="LOOK")
    app.add_argument("input", metavar="IN", help="image, sequence (name.####.exr) or movie")
    app.add_argument("output", metavar="OUT", help="image or sequence pattern to write")
    app.add_argument("--in-space", default="", metavar="NAME", help="colour space of IN (for CDL files)")
    app.add_argument("--balance", metavar="auto|none|FILE.cc", default=None,
                     help="balance IN before the look: auto (estimated from IN with what the look learned from its "
                          "heroes; the default for a two-layer look), none (the default for any other look), or a "
                          ".cc/.ccc/.cdl file (acting in ACEScct)")
    app.set_defaults(func=look_apply)

    sm = sub.add_parser("shot-match", help="match a shot to a hero shot as an ASC CDL",
                        description="Make SHOT look like HERO (statistics in ACEScct) as a plausible primary "
                                    "grade; writes an ASC CDL (.cc/.ccc/.cdl) or the same grade as a .cube.")
    sm.add_argument("shot", metavar="SHOT", help="the shot to match (image, sequence or movie)")
    sm.add_argument("hero", metavar="HERO", help="the hero shot (image, sequence or movie)")
    sm.add_argument("--out", required=True, metavar="MATCH.cc", help="file to write (.cc, .ccc, .cdl or .cube)")
    sm.add_argument("--in-space", default="", metavar="NAME", help="colour space of both shots (default ACEScct)")
    add_server_arg(sm)
    sm.set_defaults(func=shot_match)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _check_ext(path: str, allowed: tuple[str, ...], what: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in allowed:
        raise ValueError(f"{what} {path!r} must end in {' or '.join(allowed)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"folder for {what} {path!r} does not exist")
    return ext


def _refuse_inputs(inputs: list[str], outputs: list[str]) -> None:
    real = {os.path.realpath(p) for p in inputs}
    for out in outputs:
        if os.path.realpath(out) in real:
            raise FileExistsError(f"refusing to overwrite input {out!r}; choose another output name")
    if len({os.path.realpath(o) for o in outputs}) != len(outputs):
        raise ValueError(f"two outputs share one file name: {', '.join(outputs)}")


def look_fit(args: argparse.Namespace) -> int:
    targets = {"look.cube": args.out}
    _check_ext(args.out, (".cube",), "--out")
    if args.cdl:
        targets[f"look{_check_ext(args.cdl, CDL_EXTS, '--cdl')}"] = args.cdl
    if args.clf:
        _check_ext(args.clf, (".clf",), "--clf")
        targets["look.clf"] = args.clf
    if args.balances:
        _check_ext(args.balances, (".ccc",), "--balances")
        targets["shot_balance.ccc"] = args.balances
        targets.update(_balance_paths(args.balances, [src for src, _ in args.pair]))
    inputs = [p for pair in args.pair for p in pair]
    _refuse_inputs(inputs, list(targets.values()))
    source, graded = [], []
    for i, (src, grd) in enumerate(args.pair):
        source.append(Frame(media.read_image(src), i + 1, args.in_space))
        graded.append(Frame(media.read_image(grd), i + 1, args.in_space))
        if source[-1].pixels.shape[:2] != graded[-1].pixels.shape[:2]:
            s, g = source[-1].pixels.shape, graded[-1].pixels.shape
            raise ValueError(f"pair {i + 1}: {src} is {s[1]}x{s[0]} but {grd} is {g[1]}x{g[0]}; "
                             "a pair must be the same frame before and after the grade")
    params: dict[str, Any] = {"in_space": args.in_space, "lut_size": args.size,
                              "smoothness": args.smoothness, "title": args.title}
    blobs: dict[str, bytes] = {}
    with progress_bar("look fit") as bar:
        summary = run_task("look_fit", {"source": source, "graded": graded}, params, server=args.server,
                           on_blob=lambda name, data: blobs.__setitem__(name, data), on_progress=bar)
    for name, path in targets.items():
        if name not in blobs:
            raise ValueError(f"the look_fit task returned no {name}")
        write_atomic(path, blobs[name])
    print(summary.get("text", ""))
    if summary.get("two_layer"):
        print("The .cube applies after each shot's balance (node 1: the balance CDL in ACEScct, node 2: the LUT); "
              "rushes look apply balances new shots with --balance auto")
    fit = summary.get("fit", {})
    if fit:
        print(f"Fit: {fit.get('pairs')} pair(s), {fit.get('samples')} pixels; RMS error in "
              f"{summary.get('working_space')}: CDL {fit.get('cdl_rms')}, LUT {fit.get('lut_rms')}")
    print("Wrote " + ", ".join(targets.values()))
    return 0


def _balance_paths(ccc: str, sources: list[str]) -> dict[str, str]:
    """shot_balance.<pair>.cc blob -> SRC-NAME.balance.cc beside the .ccc (pair number added on a clash)."""
    folder = os.path.dirname(os.path.abspath(ccc))
    stems = [os.path.splitext(os.path.basename(s))[0].split("%")[0].split("#")[0].rstrip("._-") or "shot"
             for s in sources]
    out = {}
    for i, stem in enumerate(stems):
        name = stem if stems.count(stem) == 1 else f"{stem}_{i + 1}"
        out[f"shot_balance.{i + 1}.cc"] = os.path.join(folder, f"{name}.balance.cc")
    return out


def _spread(seq: Any, count: int = 8) -> list[Any]:
    n = len(seq)
    picks = range(n) if n <= count else sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})
    return [seq[i].pixels for i in picks]


def _balance_processor(args: argparse.Namespace, seq: Any) -> Any:
    """The OCIO processor for LOOK with the --balance choice; prints the balance used."""
    choice = args.balance
    model = files.look_balance_model(args.look_file)
    if choice is None:
        choice = "auto" if model is not None else "none"
    if choice == "none":
        return look_processor(args.look_file, args.in_space or None)
    in_space = args.in_space or spaces.WORKING_SPACE
    if choice == "auto":
        if model is None:
            raise ValueError(f"{args.look_file} carries no balance model (only a two-layer .cube from "
                             "'rushes look fit' does); use --balance none or --balance FILE.cc")
        balance = auto_balance(_spread(seq), model, in_space)
        working = model.working_space
        how = "estimated"
    else:
        balance = files.read_cdl(choice)
        working = spaces.WORKING_SPACE
        how = f"from {choice}"
    info = describe_cdl(balance, working)
    print(balance_line(info, f"Balance ({how}, ACEScct offset "
                             + " ".join(f"{v:+.4f}" for v in balance.offset) + ")"))
    return balanced_processor(args.look_file, balance, in_space, working)


def look_apply(args: argparse.Namespace) -> int:
    media.refuse_overwrite([args.input, args.look_file], args.output)
    if args.balance not in (None, "auto", "none"):
        media.refuse_overwrite([args.balance], args.output)
    media.check_writable_format(args.output)
    seq = media.open_sequence(args.input)
    processor = _balance_processor(args, seq)
    if len(seq) > 1 and not media.is_pattern(args.output):
        raise ValueError(f"OUT {args.output!r} names one file but IN has {len(seq)} frames; "
                         "use a pattern such as graded.####.exr")
    media.ensure_folder(media.output_path(args.output, seq.numbers[0]))
    paths = seq.paths or []
    same_ext = bool(paths) and os.path.splitext(args.output)[1].lower() == os.path.splitext(paths[0])[1].lower()
    with StagedOutputs() as staged, progress_bar("look apply") as bar:
        staged.prepare(media.output_path(args.output, seq.numbers[0]))
        for i in range(len(seq)):
            frame = seq[i]
            like = paths[i] if same_ext else frame.pixels.dtype.name
            graded = apply_look(frame.pixels, processor, f"frame {frame.number} of {args.input}")
            staged.write(media.output_path(args.output, frame.number), graded, like, frame.number,
                         straight=seq.straight(i))
            bar(i + 1, len(seq), f"frame {frame.number}")
        staged.commit()
    print(f"Graded {len(seq)} frame(s) into {args.output}")
    return 0


def shot_match(args: argparse.Namespace) -> int:
    ext = _check_ext(args.out, (*CDL_EXTS, ".cube"), "--out")
    _refuse_inputs([args.shot, args.hero], [args.out])
    media.refuse_overwrite([args.shot, args.hero], args.out)
    shot = media.open_sequence(args.shot, colour_space=args.in_space)
    hero = media.open_sequence(args.hero, colour_space=args.in_space)
    blobs: dict[str, bytes] = {}
    with progress_bar("shot match") as bar:
        summary = run_task("shot_match", {"shot": shot, "hero": hero}, {"in_space": args.in_space},
                           server=args.server, on_blob=lambda name, data: blobs.__setitem__(name, data),
                           on_progress=bar)
    name = f"match{ext}"
    if name not in blobs:
        raise ValueError(f"the shot_match task returned no {name}")
    write_atomic(args.out, blobs[name])
    print(summary.get("text", ""))
    print(f"Wrote {args.out}")
    return 0
