"""Shared CLI plumbing: clear one-line errors, progress bars, and task running."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hostbridge.errors import HostBridgeError
from hostbridge.manifest import TaskManifest
from inference_server import media, runner
from inference_server.config import ENV_PREFIX
from inference_server.frames import Frame
from inference_server.windows import align

log = logging.getLogger("rushes")

ProgressFn = Callable[[int, int, str], None]
ENV_CONFIG = ENV_PREFIX + "CONFIG"


def param_help(manifest: TaskManifest, name: str, text: str) -> str:
    """``text`` with the task parameter's range and default as the task declares them, so an
    option's help cannot drift from the task: "regrain amount (0-2, default 1)"."""
    param = manifest.param(name)
    shown = [f"{param.min:g}-{param.max:g}"] if param.min is not None and param.max is not None else []
    default = param.default if not isinstance(param.default, float) else f"{param.default:g}"
    return f"{text} ({', '.join(shown + [f'default {default}'])})"


def add_server_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", help="daemon URL (default: the local daemon if it answers, else run in-process)")


def check_matching_frames(what: str, spec: str, frames: Sequence[Frame], plate: Sequence[Frame]) -> None:
    """Refuse a matte/hint whose frame count differs from the plate's, naming both ranges."""
    if len(frames) != len(plate):
        a, b = getattr(frames, "numbers", [0]), getattr(plate, "numbers", [0])
        raise ValueError(f"the {what} {spec!r} has {len(frames)} frame(s) ({a[0]}-{a[-1]}) "
                         f"but the plate has {len(plate)} ({b[0]}-{b[-1]})")


def open_matte(what: str, spec: str, plate_spec: str, plate: media.FrameSequence,
               frames: tuple[int, int] | None = None) -> Sequence[Frame]:
    """The ``what`` ("hint", "mask") sequence matched to the plate's frames, in the plate's pixel frame
    (``windows.align``): by frame number, plate frame 1001 taking matte frame 1001, a matte frame missing
    in the plate's range an error naming it (paired by position, a matte rendered from 1002 was laid one
    frame late over the whole shot, silently). A still stands for every frame. A movie's numbers (from 1)
    and a still plate's are only order: a movie matte pairs with a movie plate by number and with a
    sequence by position, and a matte sequence with a movie or still plate by position (numbered as
    the plate's frames, as the task asks)."""
    span = (plate.numbers[0], plate.numbers[-1])
    by_position = False
    try:
        if media.is_movie(spec):
            by_position = not media.is_movie(plate_spec)
            seq = media.open_sequence(spec, None if by_position else span)
        elif media.is_pattern(spec) and not media.is_pattern(plate_spec) and frames is None:
            by_position = True
            seq = media.open_sequence(spec, None, window="display")
        else:
            seq = media.open_sequence(spec, span, window="display")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"the {what}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"the {what}: {exc}") from None
    check_matching_frames(what, spec, seq, plate)
    return align(seq, plate, by_position)


def check_out_holds(out: str, count: int, example: str) -> None:
    """Refuse an OUT that names one file when ``count`` frames will be written."""
    if count > 1 and not media.is_pattern(out):
        raise ValueError(f"OUT {out!r} names one file but there are {count} frames; use a pattern such as {example}")


@contextmanager
def config_file(path: str | None) -> Iterator[None]:
    """`rushes --config FILE COMMAND`: FILE is the config of every command and of the processes it
    starts (as ``$RUSHES_CONFIG``, which ``load_config`` reads), for the command's duration."""
    if not path:
        yield
        return
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"config file {p} (given with --config) does not exist")
    before = os.environ.get(ENV_CONFIG)
    os.environ[ENV_CONFIG] = str(p.resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_CONFIG, None)
        else:
            os.environ[ENV_CONFIG] = before


def run_handler(args: argparse.Namespace) -> int:
    """Run a subcommand's handler under the global ``--config``; turn known failures into one clear line."""
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with config_file(getattr(args, "config", None)):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("rushes: interrupted", file=sys.stderr)
        return 130
    except (HostBridgeError, ValueError, FileNotFoundError, FileExistsError, PermissionError) as exc:
        print(f"rushes: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only or full disk, an unreachable share...
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"rushes: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


@contextmanager
def progress_bar(label: str) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr; yields ``update(done, total, message)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                  transient=False, disable=not sys.stderr.isatty()) as bar:
        tid = bar.add_task(label, total=None, note="")

        def update(done: int, total: int, message: str = "") -> None:
            bar.update(tid, completed=done, total=total, note=message)

        yield update


def run_task(task: str, inputs: Mapping[str, Sequence[Frame]], params: Mapping[str, Any] | None = None, *,
             server: str | None = None, project: str | None = None, store: Path | None = None,
             on_frame: Callable[[str, Frame], None] | None = None,
             on_blob: Callable[[str, bytes], None] | None = None,
             on_progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run ``task`` on the daemon at ``server`` (or the local one if it answers), else in-process.

    Streams each output frame to ``on_frame(output_name, frame)`` and each named file to
    ``on_blob(name, data)``; returns the task's summary dict.
    """
    summary = runner.run_task(task, inputs, dict(params or {}), server=server, project=project, store=store,
                              on_frame=on_frame, on_blob=on_blob, on_progress=on_progress)
    record_summary(task, summary)
    return summary


def record_summary(task: str, summary: Mapping[str, Any]) -> None:
    """For `rushes batch`: append ``{"task", "summary"}`` as a JSON line to $RUSHES_SUMMARY_FILE when it is set."""
    path = os.environ.get("RUSHES_SUMMARY_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"task": task, "summary": summary}, default=str) + "\n")
