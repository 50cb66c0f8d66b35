"""`rushes clean-plate PLATE OUT [--mask MASK]`: a clean plate, or object removal under a matte.

Without ``--mask`` one clean background frame (in the reference frame's framing, the middle
of the range) is written to OUT, and the matte of pixels no frame showed clean beside it
(``name_unseen.ext``). With ``--mask`` every frame is repaired where the matte is white
(object removal) and written to the OUT sequence. The foreground matte is a daemon task
(``foreground_matte``) used by the host nodes; the command line contract has no flag for it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from inference_server import media
from inference_server.cli.common import (
    add_server_arg,
    check_out_holds,
    open_matte,
    progress_bar,
    run_task,
)
from inference_server.cli.outputs import LikePlate, StagedOutputs
from inference_server.frames import Frame

_TOKEN = re.compile(r"([._])(#+|%0?\d*d|@+)$")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("clean-plate", help="build a clean background plate, or remove an object under a matte",
                       description="Without --mask: write one clean background frame of the shot to OUT and "
                                   "a matte of never-seen-clean pixels beside it (NAME_unseen.EXT). With --mask: "
                                   "remove what the matte covers from every frame and write the repaired "
                                   "sequence to OUT. PLATE and MASK are image sequences (name.####.exr, "
                                   "name.%04d.png), single images or movies.")
    p.add_argument("plate", metavar="PLATE", help="the plate (sequence, image or movie)")
    p.add_argument("out", metavar="OUT", help="output image (clean plate) or sequence (with --mask)")
    p.add_argument("--mask", help="matte over the object to remove, one frame per plate frame (or one still)")
    p.add_argument("--frames", help="frame range A-B (default: every plate frame)")
    add_server_arg(p)
    p.set_defaults(func=clean_plate)


def unseen_spec(out_spec: str) -> str:
    """Where the never-seen-clean matte goes: ``clean.####.exr`` -> ``clean_unseen.####.exr``."""
    root, ext = os.path.splitext(out_spec)
    m = _TOKEN.search(root)
    if m:
        return f"{root[:m.start()]}_unseen{m.group(1)}{m.group(2)}{ext}"
    return f"{root}_unseen{ext}"


def removal_summary(summary: dict[str, Any], written: int, out: str) -> str:
    """The artist's summary of an object removal: what was written, where the fill came from,
    and the QC note naming the frames to check (older daemons send no "qc")."""
    text = (f"wrote {written} repaired frame(s) to {out} "
            f"({summary.get('revealed_percent', '?')}% of the masked pixels taken from other frames")
    if "never_revealed_percent" in summary:
        keys = summary.get("key_frames") or []
        text += (f", {summary['never_revealed_percent']}% never revealed and painted"
                 + (f" on key frame(s) {', '.join(map(str, keys))}" if keys else ""))
    text += f"; camera model {summary.get('model')})"
    qc = summary.get("qc")
    if isinstance(qc, dict) and qc.get("note"):
        text += f"\nQC: {qc['note']} ({qc.get('measure', 'check')})"
    return text


def clean_plate(args: argparse.Namespace) -> int:
    frames = media.parse_frame_range(args.frames) if args.frames else None
    inputs_specs = [args.plate] + ([args.mask] if args.mask else [])
    media.refuse_overwrite(inputs_specs, args.out)
    media.output_path(args.out, 0)  # a movie OUT is refused here, before any work
    media.check_writable_format(args.out)
    if not args.mask:
        media.refuse_overwrite(inputs_specs, unseen_spec(args.out))
    plate = media.open_sequence(args.plate, frames)
    mask = None
    if args.mask:
        mask = open_matte("mask", args.mask, args.plate, plate, frames)
        check_out_holds(args.out, len(plate), "clean.####.exr")
    elif len(plate) < 2:
        raise ValueError(f"the plate {args.plate!r} has one frame; a clean plate needs a shot of several frames")
    media.ensure_folder(media.output_path(args.out, plate.numbers[0]))
    like = LikePlate(plate, args.out)  # the clean plate and its matte: like the reference frame
    written: dict[str, list[str]] = {}
    staged = StagedOutputs()

    def on_frame(output: str, frame: Frame) -> None:
        spec = unseen_spec(args.out) if output == "unseen" else args.out
        path = media.output_path(spec, frame.number)
        like.write(staged, path, frame, output != "unseen")
        if path not in written.setdefault(output, []):
            written[output].append(path)

    with staged:
        staged.prepare(media.output_path(args.out, plate.numbers[0]))
        if mask is not None:
            with progress_bar("object removal") as update:
                summary = run_task("object_removal", {"plate": plate, "matte": mask}, {},
                                   server=args.server, on_frame=on_frame, on_progress=update)
            staged.commit()
            print(removal_summary(summary, len(written.get("repair", [])), args.out), file=sys.stderr)
            return 0
        with progress_bar("clean plate") as update:
            summary = run_task("clean_plate", {"plate": plate}, {}, server=args.server,
                               on_frame=on_frame, on_progress=update)
        staged.commit()
    clean, unseen = written.get("clean", []), written.get("unseen", [])
    print(f"wrote clean plate {', '.join(clean)} (reference frame {summary.get('reference_frame')}, "
          f"{summary.get('used_frames')} frames voted, camera model {summary.get('model')}); "
          f"never seen clean: {summary.get('never_seen_percent')}% -> {', '.join(unseen)}", file=sys.stderr)
    return 0
