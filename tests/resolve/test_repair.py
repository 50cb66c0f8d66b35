"""Rushes Repair end to end: fake Resolve, real daemon, real wire removal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rushes_resolve.entry import main
from rushes_resolve.ui import Reporter

from tests.resolve import scene
from tests.resolve.fake_resolve import FakeResolve

H, W = 48, 64
WIRE_X = 30


def background(n: int) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    base = 0.35 + 0.15 * np.sin(xx / 7.0 + yy / 11.0)
    return np.repeat(base[:, :, None], 3, axis=2)


def plate_frame(n: int) -> np.ndarray:
    img = background(n)
    img[:, WIRE_X:WIRE_X + 2, :] = 0.02  # a dark wire
    return img


def walker_frame(n: int) -> np.ndarray:
    """A locked-off shot with a dark figure crossing it, 10 px further each frame."""
    img = background(n)
    x = 10 * (n - 1)
    img[16:32, x:x + 10, :] = 0.05
    return img


def hint_frame(n: int) -> np.ndarray:
    hint = np.zeros((H, W, 3), np.uint8)
    hint[:, WIRE_X - 3:WIRE_X + 5, :] = 255
    return hint


@pytest.fixture
def rushes_env(tmp_path: Path, daemon: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUSHES_SERVER", daemon)
    monkeypatch.setenv("RUSHES_RESOLVE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RUSHES_RESOLVE_LUT_DIR", str(tmp_path / "LUT"))
    monkeypatch.setenv("RUSHES_RESOLVE_RENDER_DIR", str(tmp_path / "renders"))
    return tmp_path


def test_wire_removal_is_imported_above_the_plate_and_reverted(rushes_env: Path) -> None:
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "A001_plate", 1001, 1005, plate_frame)
    hint_path = scene.write_sequence(tmp / "media" / "hint", "A001_hint", 1001, 1005, hint_frame, "png")
    before = scene.digest(tmp / "media" / "plate")
    resolve, project, timeline = scene.project(tmp, tracks=2)
    plate = scene.clip(timeline, 1, "A001", plate_path, 86400 + 10, 5)
    scene.clip(timeline, 2, "A001 hint", hint_path, 86400 + 10, 5)
    timeline.playhead = 86400 + 12
    timeline.selected = plate  # the colorist clicked the plate on the Color page
    assert plate.media is not None and plate.media.SetClipProperty("Input Color Space", "ARRI LogC4")
    plate.graphs[0].luts[1] = str(tmp / "LUT" / "show.cube")  # the plate is graded
    plate.cdl[1] = {"Slope": "1.1 1 1", "Offset": "0 0 0", "Power": "1 1 1", "Saturation": "1"}

    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "wire_removal"}, reporter) == 0, reporter.lines

    # the original media and clip are untouched; the repair sits on a new track 3 over the plate
    assert scene.digest(tmp / "media" / "plate") == before
    assert timeline.video[0] == [plate]
    assert project.calls.named("AddTrack") == [("video", "mono")]
    [placed] = timeline.video[2]
    assert (placed.start, placed.duration) == (plate.start, 5)
    [imported] = project.calls.named("ImportMedia")
    info = imported[0][0]
    assert (info["StartIndex"], info["EndIndex"]) == (1001, 1005)
    folder = tmp / "renders" / "Test_Show" / "A001_wire_removal_v001"
    assert info["FilePath"] == str(folder / "A001_wire_removal.%04d.exr")
    assert sorted(p.name for p in folder.iterdir()) == [f"A001_wire_removal.{n}.exr" for n in range(1001, 1006)]
    assert placed.media is not None and placed.media.GetClipProperty("File Path") == \
        str(folder / "A001_wire_removal.[1001-1005].exr")
    # issue 17, item 11: the repair carries the plate's grade and input colour space
    assert placed.grade() == plate.grade() and placed.graphs[0].luts[1].endswith("show.cube")
    assert placed.media.GetClipProperty("Input Color Space") == "ARRI LogC4"
    repaired = scene.read_image(folder / "A001_wire_removal.1003.exr")
    assert repaired.shape[:2] == (H, W)
    wire = (slice(None), slice(WIRE_X, WIRE_X + 2), slice(0, 3))
    # the wire was near black; the repair is within 0.1 of the clean background there
    assert float(np.abs(repaired[wire] - background(1003)[wire]).mean()) < 0.1
    assert float(np.abs(plate_frame(1003)[wire] - background(1003)[wire]).mean()) > 0.25

    log_file = next((tmp / "state" / "projects").glob("*/rushes_changes.json"))
    run = json.loads(log_file.read_text())["runs"][-1]
    assert run["status"] == "done"
    assert [c["kind"] for c in run["changes"]] == ["import", "track", "place"]

    reporter = Reporter()
    assert main("revert", {"resolve": resolve}, None, reporter) == 0, reporter.lines
    assert len(timeline.video) == 2 and timeline.video[0] == [plate]
    assert all(c.name != "A001_wire_removal.[1001-1005].exr" for c in project.media_pool.root.clips)
    assert json.loads(log_file.read_text())["runs"][-1]["status"] == "reverted"
    assert folder.is_dir()  # rendered files are kept
    reporter = Reporter()
    main("revert", {"resolve": resolve}, None, reporter)
    assert reporter.lines[-1].startswith("nothing to revert")


def test_repair_without_a_matte_says_where_to_put_it(rushes_env: Path) -> None:
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "B", 1, 3, plate_frame)
    resolve, project, timeline = scene.project(tmp)
    scene.clip(timeline, 1, "B", plate_path, 86400, 3)
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "wire_removal"}, reporter) == 1
    assert reporter.lines[-1] == "error: no matte clip above 'B': put the matte on a video track above the plate"
    assert project.calls.named("ImportMedia") == []


def test_clean_plate_needs_no_matte_and_goes_on_the_free_track(rushes_env: Path) -> None:
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "C001", 1, 5, walker_frame)
    resolve, project, timeline = scene.project(tmp, tracks=3)
    plate = scene.clip(timeline, 1, "C001", plate_path, 86400, 5)
    plate.SetClipColor("Pink")
    scene.clip(timeline, 2, "other", plate_path, 86400 + 2, 2)  # busy over part of the plate
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "clean_plate", "clip_color": "Pink"}, reporter) == 0, \
        reporter.lines
    assert project.calls.named("AddTrack") == []
    [placed] = timeline.video[2]
    assert (placed.start, placed.duration) == (86400, 5)
    # one clean frame (at the task's reference, the middle frame) imported as a still over the whole plate
    still = tmp / "renders" / "Test_Show" / "C001_clean_plate_v001" / "C001_clean_plate.0003.exr"
    assert project.calls.named("ImportMedia") == [([str(still)],)]
    clean = scene.read_image(still)
    assert clean.shape[:2] == (H, W)
    # the walker is voted out: the clean plate shows the background where it stood in frame 3
    where = (slice(16, 32), slice(20, 30), slice(0, 3))
    assert float(np.abs(walker_frame(3)[where] - background(3)[where]).mean()) > 0.2
    assert float(np.median(np.abs(clean[where] - background(3)[where]))) < 0.05


def test_no_daemon_is_reported_quickly_and_nothing_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from tests.conftest import free_port

    monkeypatch.setenv("RUSHES_SERVER", f"tcp://127.0.0.1:{free_port()}")
    monkeypatch.setenv("RUSHES_RESOLVE_STATE_DIR", str(tmp_path / "state"))
    plate_path = scene.write_sequence(tmp_path / "media", "D", 1, 2, plate_frame)
    resolve, project, timeline = scene.project(tmp_path)
    scene.clip(timeline, 1, "D", plate_path, 86400, 2)
    reporter = Reporter()
    t0 = time.monotonic()
    assert main("repair", {"resolve": resolve}, {"task": "clean_plate"}, reporter) == 1
    assert time.monotonic() - t0 < 10
    assert "rushes serve" in reporter.lines[-1], reporter.lines
    assert reporter.lines[-1].startswith("error: the Rushes daemon at "), reporter.lines  # its sentence, no class name
    assert project.calls.named("ImportMedia") == [] and project.calls.named("AddTrack") == []
    assert not list((tmp_path / "state").glob("projects/*/rushes_changes.json"))


def walker_matte(n: int) -> np.ndarray:
    matte = np.zeros((H, W, 3), np.uint8)
    x = 10 * (n - 1)
    matte[14:34, max(0, x - 2):x + 12, :] = 255
    return matte


def walker_scene(tmp: Path, tracks: int, matte_track: int) -> tuple[FakeResolve, Any, Any, Any]:
    """The walker plate E001 on video track 1 (five frames at 86400) and its matte on ``matte_track``:
    (resolve, project, timeline, plate clip)."""
    plate_path = scene.write_sequence(tmp / "media" / "plate", "E001", 1, 5, walker_frame)
    matte_path = scene.write_sequence(tmp / "media" / "matte", "E001_matte", 1, 5, walker_matte, "png")
    resolve, project, timeline = scene.project(tmp, tracks=tracks)
    plate = scene.clip(timeline, 1, "E001", plate_path, 86400, 5)
    scene.clip(timeline, matte_track, "E001 matte", matte_path, 86400, 5)
    return resolve, project, timeline, plate


def test_object_removal_takes_the_matte_from_the_given_track(rushes_env: Path) -> None:
    tmp = rushes_env
    resolve, project, timeline, plate = walker_scene(tmp, 3, 3)
    timeline.selected = plate
    reporter = Reporter()
    values = {"task": "object_removal", "matte_track": 3}
    assert main("repair", {"resolve": resolve}, values, reporter) == 0, reporter.lines
    # above its matte (track 3), on a track added for it: on the free track 2, under the matte, it did not show
    assert timeline.video[1] == [] and len(timeline.video) == 4
    [placed] = timeline.video[3]
    assert (placed.start, placed.duration) == (86400, 5)
    out = tmp / "renders" / "Test_Show" / "E001_object_removal_v001"
    assert sorted(p.name for p in out.iterdir()) == [f"E001_object_removal.{n:04d}.exr" for n in range(1, 6)]
    repaired = scene.read_image(out / "E001_object_removal.0003.exr")
    where = (slice(16, 32), slice(20, 30), slice(0, 3))
    assert float(np.median(np.abs(repaired[where] - background(3)[where]))) < 0.05


def test_a_retimed_plate_is_refused_with_the_reason(rushes_env: Path) -> None:
    """Issue 17, item 13: a retime maps record frames to other source frames."""
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "A001_plate", 1001, 1010, plate_frame)
    resolve, project, timeline = scene.project(tmp, tracks=1)
    plate = scene.clip(timeline, 1, "A001", plate_path, 86400, 5)
    plate.speed = 2.0  # 200 %: ten source frames over five timeline frames
    timeline.playhead = 86401
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "clean_plate"}, reporter) == 1
    assert "plays 10 source frames over 5 timeline frames (retimed" in reporter.lines[-1]
    assert project.calls.named("ImportMedia") == [] and project.calls.named("AppendToTimeline") == []


@pytest.mark.parametrize("version, ok", [((19, 0, 1, 6), False), ((19, 0, 2, 3), True), ((21, 0, 0, 0), True)])
def test_resolve_19_0_0_to_19_0_1_is_told_to_update(rushes_env: Path, version: tuple[int, int, int, int],
                                                     ok: bool) -> None:
    """Issue 17, item 12: GetSourceStartFrame and GetStart(subframe) arrived in 19.0.2."""
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "A001_plate", 1001, 1003, plate_frame)
    _, project, timeline = scene.project(tmp, tracks=1)
    scene.clip(timeline, 1, "A001", plate_path, 86400, 3)
    timeline.playhead = 86401
    resolve = FakeResolve(project, version=version)
    reporter = Reporter()
    status = main("repair", {"resolve": resolve}, {"task": "clean_plate"}, reporter)
    assert (status == 0) is ok, reporter.lines
    if not ok:
        assert reporter.lines[-1] == ("error: DaVinci Resolve 19.0.1 lacks TimelineItem.GetSourceStartFrame and "
                                      "GetStart(subframe), which Rushes needs; update Resolve to 19.0.2 or later")


def test_a_second_run_takes_the_matte_not_the_first_runs_repair(rushes_env: Path) -> None:
    """The repair goes above its matte, and a clip Rushes rendered is never taken for a matte."""
    tmp = rushes_env
    resolve, project, timeline, plate = walker_scene(tmp, 3, 3)      # track 2 left empty
    for _run in (1, 2):
        timeline.selected = plate
        reporter = Reporter()
        assert main("repair", {"resolve": resolve}, {"task": "object_removal", "matte_track": 0}, reporter) == 0, \
            reporter.lines
    # run 1 above the matte, on track 4 (under it, on track 2, it did not show and run 2 took it for the
    # matte); run 2, its matte still track 3's, on track 5
    assert [len(timeline.video[k]) for k in range(5)] == [1, 0, 1, 1, 1]
    out = tmp / "renders" / "Test_Show"
    first, second = (scene.read_image(out / f"E001_object_removal_v00{v}" / "E001_object_removal.0003.exr")
                     for v in (1, 2))
    np.testing.assert_allclose(second, first, atol=1e-4)   # the same matte, the same repair


def test_the_repair_takes_the_plates_framing(rushes_env: Path) -> None:
    """A blown-up, repositioned, cropped plate: the repair over it is framed the same (README, "Looking up
    Timeline item properties"), or it jumps back to the full frame."""
    resolve, project, timeline, plate = walker_scene(rushes_env, 2, 2)
    for key, value in (("ZoomX", 1.2), ("ZoomY", 1.2), ("Pan", 30.0), ("CropLeft", 10.0), ("FlipX", True)):
        assert plate.SetProperty(key, value)
    timeline.selected = plate
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "object_removal", "matte_track": 2}, reporter) == 0, \
        reporter.lines
    [placed] = timeline.video[2]
    assert {k: placed.GetProperty(k) for k in ("ZoomX", "ZoomY", "Pan", "CropLeft", "FlipX", "Opacity")} == {
        "ZoomX": 1.2, "ZoomY": 1.2, "Pan": 30.0, "CropLeft": 10.0, "FlipX": True, "Opacity": 100.0}


def test_every_plate_is_checked_before_the_first_is_repaired(rushes_env: Path) -> None:
    """Two marked plates, the second with no matte over it: nothing is sent, imported or placed."""
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "P", 1, 6, plate_frame)
    hint_path = scene.write_sequence(tmp / "media" / "hint", "P_hint", 1, 3, hint_frame, "png")
    resolve, project, timeline = scene.project(tmp, tracks=2)
    first = scene.clip(timeline, 1, "P1", plate_path, 86400, 3)
    second = scene.clip(timeline, 1, "P2", plate_path, 86410, 3, source_start=3)
    scene.clip(timeline, 2, "P hint", hint_path, 86400, 3)       # over P1 only
    first.SetClipColor("Pink")
    second.SetClipColor("Pink")
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "wire_removal", "clip_color": "Pink"}, reporter) == 1
    assert "no matte clip above 'P2'" in reporter.lines[-1]
    assert project.calls.named("ImportMedia") == [] and project.calls.named("AppendToTimeline") == []


def test_a_refused_repair_leaves_no_version_folder(rushes_env: Path) -> None:
    """The daemon refuses (a matte of another size): nothing imported, and no empty E001_..._v001 left to
    make the next run v002."""
    tmp = rushes_env
    plate_path = scene.write_sequence(tmp / "media" / "plate", "E001", 1, 5, walker_frame)
    small = scene.write_sequence(tmp / "media" / "small", "E001_small", 1, 5,
                                 lambda n: np.full((8, 8, 3), 255, np.uint8), "png")
    resolve, project, timeline = scene.project(tmp, tracks=2)
    plate = scene.clip(timeline, 1, "E001", plate_path, 86400, 5)
    scene.clip(timeline, 2, "E001 small", small, 86400, 5)
    timeline.selected = plate
    reporter = Reporter()
    assert main("repair", {"resolve": resolve}, {"task": "object_removal", "matte_track": 2}, reporter) == 1
    assert "8x8" in reporter.lines[-1], reporter.lines
    renders = tmp / "renders" / "Test_Show"
    assert not renders.exists() or list(renders.iterdir()) == []
    assert project.calls.named("ImportMedia") == []
