"""`rushes wire-remove PLATE OUT --hint HINT`: repair a wire across a shot."""

from __future__ import annotations

import argparse
import sys

from inference_server import media
from inference_server.cli.common import (
    add_server_arg,
    check_out_holds,
    open_matte,
    param_help,
    progress_bar,
    run_task,
)
from inference_server.cli.outputs import LikePlate, StagedOutputs
from inference_server.frames import Frame
from inference_server.tasks.wire_removal import MANIFEST


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("wire-remove", help="remove a wire from a plate, given a rough hint matte",
                       description="Repair a rig or stunt wire: PLATE and HINT are image sequences "
                                   "(name.####.exr, name.%%04d.png), single images or movies; OUT is a sequence "
                                   "written in the plate's format and bit depth.")
    p.add_argument("plate", metavar="PLATE", help="the plate (sequence, image or movie)")
    p.add_argument("out", metavar="OUT", help="output sequence, e.g. repair.####.exr")
    p.add_argument("--hint", required=True, help="rough matte over the wire (one frame per plate frame, or one still)")
    p.add_argument("--frames", help="frame range A-B (default: every plate frame)")
    # choices, ranges and defaults are the task's (wire_removal's stable values, sent as they are)
    method, output = MANIFEST.param("method"), MANIFEST.param("output")
    p.add_argument("--mode", choices=method.values(), default=method.default,
                   help=param_help(MANIFEST, "method", "repair method"))
    p.add_argument("--output", choices=output.values(), default=output.default,
                   help=param_help(MANIFEST, "output", "what to write"))
    p.add_argument("--window", type=int, help=param_help(MANIFEST, "window", "temporal window in frames each side"))
    p.add_argument("--regrain", type=float, help=param_help(MANIFEST, "regrain", "regrain amount"))
    p.add_argument("--project", help="project whose trained model to use")
    p.add_argument("--model-version", metavar="VERSION",
                   help="with --project: which of its trained versions to use, e.g. v003 (default: the promoted one)")
    add_server_arg(p)
    p.set_defaults(func=wire_remove)


def wire_remove(args: argparse.Namespace) -> int:
    if args.model_version is not None and not args.project:
        raise ValueError("--model-version needs --project (the project whose model versions to choose from)")
    frames = media.parse_frame_range(args.frames) if args.frames else None
    media.refuse_overwrite([args.plate, args.hint], args.out)
    media.output_path(args.out, 0)  # a movie OUT is refused here, before any work
    media.check_writable_format(args.out)
    plate = media.open_sequence(args.plate, frames)
    hint = open_matte("hint", args.hint, args.plate, plate, frames)
    check_out_holds(args.out, len(plate), "repair.####.exr")
    media.ensure_folder(media.output_path(args.out, plate.numbers[0]))
    like = LikePlate(plate, args.out)
    names = args.output in ("repair", "source")  # a matte in the alpha is no plate's fourth channel
    params: dict[str, object] = {"method": args.mode, "output": args.output}
    if args.window is not None:
        params["window"] = args.window
    if args.regrain is not None:
        params["regrain"] = args.regrain
    if args.model_version is not None:
        params["model_version"] = args.model_version
    with StagedOutputs() as staged:
        staged.prepare(media.output_path(args.out, plate.numbers[0]))

        def on_frame(_output: str, frame: Frame) -> None:
            like.write(staged, media.output_path(args.out, frame.number), frame, names)

        with progress_bar("wire removal") as update:
            summary = run_task("wire_removal", {"plate": plate, "hint": hint}, params,
                               server=args.server, project=args.project, on_frame=on_frame, on_progress=update)
        written = staged.commit()
    print(f"wrote {len(written)} frame(s) to {args.out} ({summary.get('seconds_per_frame', '?')} s/frame, "
          f"method {summary.get('method')}{_model_note(args.project, summary)})", file=sys.stderr)
    qc = summary.get("qc")
    if isinstance(qc, dict) and qc.get("note"):
        print(f"QC: {qc['note']}", file=sys.stderr)
    return 0


def _model_note(project: str | None, summary: dict[str, object]) -> str:
    if not project:
        return ""
    version = summary.get("project_model")
    return f", project {project} model {version}" if version else f", project {project} has no trained model: untuned"
