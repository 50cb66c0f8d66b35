"""Rushes Repair: wire/object removal or a clean plate, imported and placed on the track above.

The clip's source frames (and, for wire/object removal, the matte clip's frames on a
track above it) go to the daemon, which answers with EXR frames. They are written
atomically into a new versioned render folder, imported into the Media Pool as an image
sequence, and placed on the first free video track above the original. The original
clip and its media are never modified.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

from hostbridge.files import atomic_write
from hostbridge.manifest import TaskManifest, snapshot_manifest
from rushes_resolve.bridge import file_frame, run_task, task_manifest
from rushes_resolve.changelog import Run
from rushes_resolve.clips import Clip, choose, overlapping, video_clips
from rushes_resolve.frames import next_version, sequence_spec
from rushes_resolve.paths import safe_name
from rushes_resolve.session import CLIP_COLORS, FLAG_COLORS, Session
from rushes_resolve.stills import source_path
from rushes_resolve.ui import Field

TASKS = ("wire_removal", "object_removal", "clean_plate")
SINGLE_FRAME_TASKS = ("clean_plate",)  # one clean frame for the whole shot, placed as a still
FIELDS = (
    Field("task", "Repair", "choice", "wire_removal", TASKS,
          "Wire Removal and Object Removal need a matte clip above the plate; Clean Plate needs none",
          labels=tuple(snapshot_manifest(t).label for t in TASKS)),
    Field("clip_color", "Clips to repair: clip colour", "choice", "", CLIP_COLORS,
          "Blank: the clip at the playhead"),
    Field("clip_flag", "Clips to repair: flag", "choice", "", FLAG_COLORS),
    Field("matte_track", "Matte track", "int", 0, tooltip="0: the nearest track above with a clip over the plate"),
    Field("server", "Daemon address", "text", ""),
)


def run(session: Session, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Repair each chosen clip; returns {"repaired": [{clip, folder, track, frames}], "problems"}."""
    opts = session.reporter.ask("Rushes Repair", FIELDS, values)
    if opts is None:
        session.reporter.say("Repair cancelled; nothing changed")
        return {"cancelled": True}
    task = opts["task"]
    if task not in TASKS:
        raise ValueError(f"repair {task!r} is not one of {', '.join(TASKS)}")
    timeline = session.timeline
    clips = video_clips(timeline)
    plates, how = choose(clips, timeline, session.media_pool, opts["clip_color"], opts["clip_flag"])
    if not plates:
        raise ValueError("no clip to repair: put the playhead on it, or mark it with the clip colour or flag")
    client = session.client(opts["server"])
    manifest = task_manifest(client, task)
    for plate in plates:  # every plate's frames and matte found before the first is repaired
        check_sources(session, manifest, plate, clips, int(opts["matte_track"]))
    log_run = session.log.start_run("repair", {k: v for k, v in opts.items() if k != "server"})
    repaired: list[dict[str, Any]] = []
    try:
        for plate in plates:
            session.reporter.say(f"{task} on {plate.name} ({how}), {plate.duration} frame(s)")
            repaired.append(repair_clip(session, client, manifest, plate, clips, int(opts["matte_track"]), log_run))
            clips = video_clips(timeline)
    except BaseException as exc:
        log_run.finish("failed", error=str(exc) or type(exc).__name__)
        raise
    summary = {"task": task, "repaired": repaired, "problems": []}
    log_run.finish("done", summary)
    return summary


def find_matte(clips: list[Clip], plate: Clip, matte_track: int, ours: str = "") -> list[Clip]:
    """Matte clips covering the plate: on ``matte_track``, or the nearest track above with any that
    is not a repair of Rushes' own (media under ``ours``, the render folder): run again, the first
    run's repair above the plate was taken for the matte."""
    if matte_track:
        found = overlapping(clips, matte_track, plate.start, plate.end)
        if not found:
            raise ValueError(f"no clip on video track {matte_track} lies over {plate.name!r}")
        return found
    top = max([c.track for c in clips], default=plate.track)
    for track in range(plate.track + 1, top + 1):
        found = [c for c in overlapping(clips, track, plate.start, plate.end) if not _made_by_rushes(c, ours)]
        if found:
            return found
    raise ValueError(f"no matte clip above {plate.name!r}: put the matte on a video track above the plate")


def _made_by_rushes(clip: Clip, ours: str) -> bool:
    """Whether ``clip`` shows media Rushes rendered (under the render folder ``ours``)."""
    if not ours:
        return False
    try:
        path = os.path.abspath(clip.media().path)
    except ValueError:  # a generator or title: no media, not ours
        return False
    return path.startswith(os.path.abspath(ours) + os.sep)


def check_sources(session: Session, manifest: TaskManifest, plate: Clip, clips: list[Clip], matte_track: int) -> None:
    """Raise naming the fault when ``plate``'s source frames or its matte cannot be found: a run of
    several plates found plate 2 had no matte after plate 1's repair was placed, and stopped halfway."""
    mattes = find_matte(clips, plate, matte_track, session.render_folder()) if _needs_matte(manifest) else []
    for record in range(plate.start, plate.end):
        _, number = source_path(plate, record)
        if mattes:
            _matte_path(mattes, record, number)


def _needs_matte(manifest: TaskManifest) -> bool:
    mattes_in = [p.name for p in manifest.inputs if p.kind == "matte"]
    return bool(mattes_in) and any(p.name == mattes_in[0] and not p.optional for p in manifest.inputs)


def repair_clip(session: Session, client: Any, manifest: TaskManifest, plate: Clip,
                clips: list[Clip], matte_track: int, log_run: Run) -> dict[str, Any]:
    task = manifest.name
    frames_in = [p.name for p in manifest.inputs if p.kind == "frames"]
    mattes_in = [p.name for p in manifest.inputs if p.kind == "matte"]
    if not frames_in:
        raise ValueError(f"task {task!r} takes no frames input")
    records = list(range(plate.start, plate.end))
    plate_paths = [source_path(plate, r) for r in records]
    inputs: dict[str, list[Any]] = {frames_in[0]: [file_frame(client, p, n) for p, n in plate_paths]}
    needs_matte = _needs_matte(manifest)
    matte_top = 0
    if needs_matte:
        mattes = find_matte(clips, plate, matte_track, session.render_folder())
        matte_top = max(m.track for m in mattes)
        inputs[mattes_in[0]] = [_matte_frame(client, mattes, r, n) for r, (_, n) in zip(records, plate_paths)]
    outputs = [p.name for p in manifest.outputs]
    wanted = "repair" if "repair" in outputs else (outputs[0] if outputs else "")
    first, last = plate_paths[0][1], plate_paths[-1][1]
    root = session.render_folder()
    os.makedirs(root, exist_ok=True)
    stem = f"{safe_name(plate.name)}_{task}"
    folder = os.path.join(root, f"{stem}_v{next_version(os.listdir(root), stem):03d}")
    os.makedirs(folder)
    pattern, _ = sequence_spec(folder, stem, first, last)
    written: dict[int, str] = {}

    def on_frame(output: str, frame: Any) -> None:
        if output != wanted:
            return
        if frame.encoded != "exr":
            raise ValueError(f"the daemon sent frame {frame.number} as {frame.encoded or 'raw pixels'}, not EXR")
        path = pattern % frame.number
        atomic_write(path, bytes(frame.data))
        written[frame.number] = path

    try:
        run_task(client, task, inputs, {}, session.reporter.progress, encode="exr",
                 project=session.rushes_project, on_frame=on_frame)
        return _place_result(session, task, plate, plate_paths, written, wanted, folder, pattern, clips, log_run,
                             matte_top)
    except BaseException:
        if not _imported_from(log_run, folder):  # a refused or failed run leaves no version folder behind
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _imported_from(log_run: Run, folder: str) -> bool:
    """Whether this run imported anything from ``folder`` (then Revert, not this, removes it)."""
    return any(str(c.get("value", "")).startswith(folder + os.sep) for c in log_run.changes)


def _place_result(session: Session, task: str, plate: Clip, plate_paths: list[tuple[str, int]], written: dict[int, str],
                  wanted: str, folder: str, pattern: str, clips: list[Clip], log_run: Run,
                  matte_top: int) -> dict[str, Any]:
    first, last = plate_paths[0][1], plate_paths[-1][1]
    if task in SINGLE_FRAME_TASKS:
        if not written:
            raise ValueError(f"the daemon returned no {wanted!r} frame for {plate.name!r}; nothing was imported")
        still = written[min(written)]
        track = place(session, plate, still, None, clips, log_run, matte_top)
        return {"clip": plate.name, "folder": folder, "pattern": still, "track": track, "frames": [min(written)]}
    missing = [n for _, n in plate_paths if n not in written]
    if missing:
        raise ValueError(f"the daemon returned no {wanted!r} frame for {len(missing)} frame(s) of "
                         f"{plate.name!r} (first missing: {missing[0]}); nothing was imported")
    track = place(session, plate, pattern, (first, last), clips, log_run, matte_top)
    return {"clip": plate.name, "folder": folder, "pattern": pattern, "track": track, "frames": [first, last]}


def _matte_frame(client: Any, mattes: list[Clip], record: int, number: int) -> Any:
    return file_frame(client, _matte_path(mattes, record, number), number)


def _matte_path(mattes: list[Clip], record: int, number: int) -> str:
    """The matte file shown at ``record`` (plate frame ``number``); ValueError where no matte clip covers it."""
    for matte in mattes:
        if matte.contains(record):
            return source_path(matte, record)[0]
    raise ValueError(f"the matte does not cover record frame {record} (frame {number} of the plate)")


def place(session: Session, plate: Clip, pattern: str, frame_range: tuple[int, int] | None, clips: list[Clip],
          log_run: Run, above: int = 0) -> int:
    """Import ``pattern`` (a sequence over ``frame_range``, or one still when None) and put it
    over the whole plate on the first free track above it and above track ``above`` (its matte's)."""
    pool = session.media_pool
    if frame_range is None:
        imported = pool.ImportMedia([pattern])
    else:
        imported = pool.ImportMedia([{"FilePath": pattern, "StartIndex": frame_range[0], "EndIndex": frame_range[1]}])
    if not imported:
        raise ValueError(f"Resolve did not import {pattern}" + (f" ({frame_range[0]}-{frame_range[1]})"
                                                                  if frame_range else ""))
    media = imported[0]
    timeline = session.timeline
    where = {"timeline_id": timeline.GetUniqueId(), "source_clip": plate.name, "source_clip_id": plate.uid}
    log_run.add_change("import", media_id=media.GetUniqueId(), value=pattern, **where)
    track, added = free_track_above(session, plate, clips, above)
    if added:
        log_run.add_change("track", track=track, **where)
    carry_colour_space(plate, media, session)
    # endFrame is exclusive (measured on Studio 21 by others): the duration, not duration - 1
    info = {"mediaPoolItem": media, "startFrame": 0, "endFrame": plate.duration,
            "trackIndex": track, "recordFrame": plate.start}
    # the 21.0 stubs type AppendToTimeline's clip-info overload's return as a list literal,
    # which mypy cannot use; the call itself is the documented one
    append: Any = pool.AppendToTimeline
    items = append([info])
    if not items:
        raise ValueError(f"Resolve imported {pattern} but did not place it on video track {track}")
    item = items[0]
    log_run.add_change("place", clip_id=item.GetUniqueId(), clip=item.GetName(), track=track,
                       media_id=media.GetUniqueId(), value=pattern, **where)
    placed = int(item.GetDuration(False))
    if placed != plate.duration:
        raise ValueError(f"Resolve placed {os.path.basename(pattern)} as {placed} frame(s) over {plate.name!r} "
                         f"({plate.duration} frames); Revert removes it")
    carry_framing(plate, item, session)
    # the repaired clip covers the plate: it needs the plate's grade, or it shows ungraded
    if not plate.item.CopyGrades([item]):
        session.reporter.error(f"Resolve did not copy the grade of {plate.name!r} onto the repaired clip on "
                               f"video track {track}; copy it by hand (Color page, middle-click)")
    session.reporter.say(f"placed {os.path.basename(pattern)} on video track {track} over {plate.name}")
    return track


# the Edit page Inspector's framing (README, "Looking up Timeline item properties"): a repair laid over a
# blown-up, repositioned or cropped plate without them jumps back to the plate's full frame
FRAMING = ("Pan", "Tilt", "ZoomX", "ZoomY", "ZoomGang", "RotationAngle", "AnchorPointX", "AnchorPointY",
           "Pitch", "Yaw", "FlipX", "FlipY", "CropLeft", "CropRight", "CropTop", "CropBottom", "CropSoftness",
           "CropRetain", "Distortion")


def carry_framing(plate: Clip, item: Any, session: Session) -> None:
    """Give the placed repair the plate's Inspector framing (zoom, position, rotation, crop, lens)."""
    missed = []
    for key in FRAMING:
        value = plate.item.GetProperty(key)
        if value is None or value == item.GetProperty(key):
            continue
        if not item.SetProperty(key, value):
            missed.append(f"{key} {value}")
    if missed:
        session.reporter.error(f"Resolve did not take the plate's framing on the repair of {plate.name!r} "
                               f"({', '.join(missed)}); set it by hand in the Inspector")


COLOUR_SPACE_PROPERTY = "Input Color Space"


def carry_colour_space(plate: Clip, media: Any, session: Session) -> None:
    """Give the imported repair the plate's input colour space (colour-managed projects)."""
    source = plate.item.GetMediaPoolItem()
    space = source.GetClipProperty(COLOUR_SPACE_PROPERTY) if source is not None else ""
    if isinstance(space, str) and space and not media.SetClipProperty(COLOUR_SPACE_PROPERTY, space):
        session.reporter.error(f"Resolve did not set {COLOUR_SPACE_PROPERTY} {space!r} on the repair of "
                               f"{plate.name!r}; set it by hand to match the plate")


def free_track_above(session: Session, plate: Clip, clips: list[Clip], above: int = 0) -> tuple[int, bool]:
    """The first video track above the plate (and above track ``above``: its matte's) with nothing
    over its frames; adds one if needed. Under its matte, the repair did not show."""
    timeline = session.timeline
    count = int(timeline.GetTrackCount("video"))
    for track in range(max(plate.track, above) + 1, count + 1):
        if not overlapping(clips, track, plate.start, plate.end):
            return track, False
    if not timeline.AddTrack("video", "mono"):
        raise ValueError("every video track above the plate is busy and Resolve did not add a new one")
    return int(timeline.GetTrackCount("video")), True
