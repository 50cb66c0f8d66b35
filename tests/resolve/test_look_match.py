"""Rushes Look Match and Shot Match end to end: fake Resolve, real daemon, real look fitting."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest
from rushes_resolve.cdl import parse_cc
from rushes_resolve.entry import main
from rushes_resolve.ui import Reporter

from tests.resolve import scene
from tests.resolve.fake_resolve import FakeProject, FakeResolve, FakeTimeline, FakeTimelineItem

H, W = 36, 48
SLOPE, OFFSET, POWER, SAT = np.array([1.15, 1.0, 0.88]), np.array([0.02, 0.0, -0.03]), np.array([1.1, 1.0, 0.92]), 0.85


def source_frame(seed: int) -> np.ndarray:
    """Smooth, varied ACEScct code values 0.1..0.85 (float32, (H, W, 3))."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    chans = [0.47 + 0.37 * np.sin(xx / rng.uniform(4, 9) + yy / rng.uniform(4, 9) + rng.uniform(0, 6))
             for _ in range(3)]
    return np.stack(chans, axis=2).astype(np.float32)


def the_grade(rgb: np.ndarray) -> np.ndarray:
    """The colorist's hero grade: an ASC CDL on ACEScct code values (Rec.709 luma for saturation)."""
    out = np.clip(rgb * SLOPE + OFFSET, 0.0, None) ** POWER
    luma = out @ np.array([0.2126, 0.7152, 0.0722])
    return np.clip(luma[..., None] + SAT * (out - luma[..., None]), 0.0, 1.0).astype(np.float32)


def grade_still(item: FakeTimelineItem, source_path: str, out_path: str) -> bool:
    """What Resolve exports: the graded frame as a 16-bit TIFF."""
    graded = the_grade(scene.read_image(source_path))
    scene.write_image(Path(out_path), np.round(graded * 65535).astype(np.uint16))
    return True


@pytest.fixture
def rushes_env(tmp_path: Path, daemon: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUSHES_SERVER", daemon)
    monkeypatch.setenv("RUSHES_RESOLVE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RUSHES_RESOLVE_LUT_DIR", str(tmp_path / "LUT"))
    return tmp_path


def _frames_from(seed: int) -> Callable[[int], np.ndarray]:
    return lambda n: source_frame(seed + n)


def build(tmp: Path, export_still_works: bool = True
          ) -> tuple[FakeResolve, FakeProject, FakeTimeline, list[FakeTimelineItem]]:
    resolve, project, timeline = scene.project(tmp, grade_still, export_still_works=export_still_works)
    items = []
    for i, name in enumerate(("A001", "A002", "A003")):
        path = scene.write_sequence(tmp / "media" / name, name, 1001, 1004, _frames_from(10 * i))
        items.append(scene.clip(timeline, 1, name, path, 86400 + 4 * i, 4))
    items[0].SetClipColor("Orange")  # the hero
    return resolve, project, timeline, items


def apply_cube(path: str, rgb: np.ndarray) -> np.ndarray:
    """Apply a LUT file through OpenColorIO, as any other tool would read it."""
    proc = ocio.Config.CreateRaw().getProcessor(
        ocio.FileTransform(src=path, interpolation=ocio.INTERP_LINEAR, direction=ocio.TRANSFORM_DIR_FORWARD))
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    proc.getDefaultCPUProcessor().applyRGB(out)
    return out


def log_runs(tmp: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(next((tmp / "state" / "projects").glob("*/rushes_changes.json")).read_text())["runs"]


def test_look_match_fits_sets_and_reverts(rushes_env: Path) -> None:
    tmp = rushes_env
    resolve, project, timeline, (hero, a2, a3) = build(tmp)
    old_lut = tmp / "LUT" / "show" / "old.cube"
    old_lut.parent.mkdir(parents=True)
    old_lut.write_text("LUT_3D_SIZE 2\n" + "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
    project.RefreshLUTList()
    assert a3.graphs[0].SetLUT(1, str(old_lut))
    project.calls.clear()
    timeline.playhead = 86400 + 9  # on A003: the hero frame is then A001's middle

    reporter = Reporter()
    values = {"in_space": "ACEScct", "apply": "LUT"}
    assert main("look_match", {"resolve": resolve}, values, reporter) == 0, reporter.lines
    assert any("turn off data burn-in and any wipe" in line for line in reporter.lines), "issue 17, item 15"

    lut = tmp / "LUT" / "Rushes" / "Test_Show" / "A001_look_v001.cube"
    assert lut.is_file() and lut.with_suffix(".cc").is_file()
    # OCIO reads the LUT, and it reproduces the grade on a clip it never saw
    unseen = source_frame(99)
    err = np.abs(apply_cube(str(lut), unseen) - the_grade(unseen))
    assert float(err.mean()) < 0.01 and float(err.max()) < 0.08, (err.mean(), err.max())

    names = [name for name, _ in project.calls]
    assert names.index("RefreshLUTList") < names.index("SetLUT")
    assert project.calls.named("SetLUT") == [("A002", 1, str(lut)), ("A003", 1, str(lut))]
    assert a2.graphs[0].luts[1] == str(lut) and hero.graphs[0].luts[1] == ""
    assert project.calls.named("SetCDL") == [], "the fitted LUT holds the CDL: never both (issue 17, item 4)"
    cdl = parse_cc(lut.with_suffix(".cc").read_bytes())
    assert np.allclose([float(v) for v in cdl["Slope"].split()], SLOPE, atol=0.08)
    assert float(cdl["Saturation"]) == pytest.approx(SAT, abs=0.08)
    # the colorist's view is left as it was
    assert timeline.playhead == 86400 + 9 and resolve.page == "edit"
    [export] = project.calls.named("ExportCurrentFrameAsStill")
    assert export[0].endswith("A001_graded_86401.tif")

    run = log_runs(tmp)[-1]
    assert run["status"] == "done" and run["files"] == [str(lut), str(lut.with_suffix(".cc"))]
    luts = [c for c in run["changes"] if c["kind"] == "lut"]
    assert [(c["clip"], c["node"], c["prior"]) for c in luts] == [("A002", 1, ""), ("A003", 1, "show/old.cube")]
    # issue 17, item 14: the look went into a new grade version; the colorist's stays untouched
    assert a2.GetCurrentVersion()["versionName"] == f"Rushes Look Match {run['id']}"
    assert a2.GetVersionNameList(0) == [f"Rushes Look Match {run['id']}", "Version 1"]

    reporter = Reporter()
    assert main("revert", {"resolve": resolve}, None, reporter) == 0, reporter.lines
    assert a2.graphs[0].luts[1] == "" and a3.graphs[0].luts[1] == str(old_lut)
    assert a2.GetCurrentVersion()["versionName"] == "Version 1" and a2.GetVersionNameList(0) == ["Version 1"]
    assert log_runs(tmp)[-1]["status"] == "reverted"


def test_look_match_cdl_replaces_nothing_the_colorist_had(rushes_env: Path) -> None:
    """Issue 17, items 4 and 14: Apply CDL sets only the CDL, in a new grade version; Revert
    brings back the colorist's own CDL exactly (no API reads a CDL back)."""
    tmp = rushes_env
    resolve, project, timeline, (hero, a2, a3) = build(tmp)
    theirs = {"NodeIndex": "2", "Slope": "1.2 1 0.9", "Offset": "0.01 0 0", "Power": "1 1 1", "Saturation": "0.9"}
    assert a2.SetCDL(theirs)
    project.calls.clear()
    reporter = Reporter()
    values = {"in_space": "ACEScct", "apply": "CDL", "cdl_node": 2}
    assert main("look_match", {"resolve": resolve}, values, reporter) == 0, reporter.lines
    assert project.calls.named("SetLUT") == []
    [cdl2, cdl3] = project.calls.named("SetCDL")
    assert cdl2[0] == "A002" and cdl3[0] == "A003" and cdl2[1]["NodeIndex"] == "2"
    assert np.allclose([float(v) for v in cdl2[1]["Slope"].split()], SLOPE, atol=0.08)
    assert main("revert", {"resolve": resolve}, None, Reporter()) == 0
    assert a2.cdl[2] == {k: v for k, v in theirs.items() if k != "NodeIndex"}, "the colorist's primaries are back"
    assert 2 not in a3.cdl


@pytest.mark.parametrize("works, graded_from", [(False, "export still"), (True, "gallery still")])
def test_look_match_through_a_gallery_still(rushes_env: Path, works: bool, graded_from: str) -> None:
    """Asked for, or when ExportCurrentFrameAsStill fails: GrabStill + ExportStills, then DeleteStills."""
    tmp = rushes_env
    resolve, project, timeline, (hero, a2, a3) = build(tmp, export_still_works=works)
    reporter = Reporter()
    values = {"in_space": "ACEScct", "apply_to": "all clips", "graded_from": graded_from}
    assert main("look_match", {"resolve": resolve}, values, reporter) == 0, reporter.lines
    assert len(project.calls.named("ExportCurrentFrameAsStill")) == (0 if works else 1)
    assert len(project.calls.named("GrabStill")) == 1 and len(project.calls.named("DeleteStills")) == 1
    assert project.gallery.album.stills == []  # the gallery is left as it was
    assert project.calls.named("SetLUT")[0][:2] == ("A002", 1)


def test_look_match_without_a_hero_changes_nothing(rushes_env: Path) -> None:
    tmp = rushes_env
    resolve, project, timeline, items = build(tmp)
    items[0].SetClipColor("")
    timeline.playhead = 86400 + 100  # past the last clip
    reporter = Reporter()
    assert main("look_match", {"resolve": resolve}, None, reporter) == 1
    assert reporter.lines[-1].startswith("error: no hero clip")
    assert project.calls.named("SetLUT") == []


def test_shot_match_sets_a_cdl_per_clip_and_reverts(rushes_env: Path, tmp_path: Path) -> None:
    resolve, project, timeline = scene.project(tmp_path)
    hero_src = source_frame(1)
    # the shot is the hero with a colour cast and less exposure (in ACEScct code values)
    cast = np.array([0.92, 1.0, 1.08], np.float32)
    shot_src = np.clip(hero_src * cast - 0.03, 0, 1)
    hero_path = scene.write_sequence(tmp_path / "m" / "H", "H", 1, 2, lambda n: hero_src)
    shot_path = scene.write_sequence(tmp_path / "m" / "S", "S", 1, 2, lambda n: shot_src)
    hero = scene.clip(timeline, 1, "Hero", hero_path, 86400, 2)
    shot = scene.clip(timeline, 1, "Shot", shot_path, 86402, 2)
    hero.SetClipColor("Orange")
    shot.SetClipColor("Teal")
    theirs = {"NodeIndex": "1", "Slope": "1.1 1 1", "Offset": "0 0 0", "Power": "1 1 1.05", "Saturation": "1.1"}
    assert shot.SetCDL(theirs)    # the colorist's primaries on node 1
    project.calls.clear()
    reporter = Reporter()
    assert main("shot_match", {"resolve": resolve}, {"in_space": "ACEScct", "node": 1}, reporter) == 0, \
        reporter.lines
    [(name, cdl)] = project.calls.named("SetCDL")
    assert name == "Shot" and cdl["NodeIndex"] == "1"
    slope, offset, power = (np.array([float(v) for v in cdl[k].split()]) for k in ("Slope", "Offset", "Power"))
    # red must come up and blue down relative to green to undo the cast
    assert offset[0] - offset[1] > 0.01 and offset[2] - offset[1] < -0.01, offset
    matched = np.clip(shot_src * slope + offset, 0, None) ** power
    luma = matched @ np.array([0.2126, 0.7152, 0.0722])
    matched = luma[..., None] + float(cdl["Saturation"]) * (matched - luma[..., None])
    before = np.abs(shot_src.mean(axis=(0, 1)) - hero_src.mean(axis=(0, 1))).max()
    after = np.abs(matched.mean(axis=(0, 1)) - hero_src.mean(axis=(0, 1))).max()
    assert after < 0.5 * before, (before, after)
    assert hero.cdl == {}
    reporter = Reporter()
    assert shot.GetCurrentVersion()["versionName"].startswith("Rushes Shot Match ")
    assert main("revert", {"resolve": resolve}, None, reporter) == 0
    assert shot.cdl[1] == {k: v for k, v in theirs.items() if k != "NodeIndex"}, "issue 17, item 14"
    assert shot.GetCurrentVersion()["versionName"] == "Version 1"


def test_a_clip_without_the_node_is_reported_and_the_rest_still_revert(rushes_env: Path) -> None:
    tmp = rushes_env
    resolve, project, timeline, (hero, a2, a3) = build(tmp)
    a2.graphs[0].luts = {1: ""}  # a one-node grade: node 2 does not exist
    reporter = Reporter()
    assert main("look_match", {"resolve": resolve}, {"in_space": "ACEScct", "node": 2}, reporter) == 1
    assert "error: clip 'A002' has 1 node(s) on layer 1; node 2 does not exist" in reporter.lines
    lut = str(tmp / "LUT" / "Rushes" / "Test_Show" / "A001_look_v001.cube")
    assert a3.graphs[0].luts[2] == lut
    assert log_runs(tmp)[-1]["status"] == "partial"
    assert main("revert", {"resolve": resolve}, None, Reporter()) == 0
    assert a3.graphs[0].luts[2] == "" and log_runs(tmp)[-1]["status"] == "reverted"
    assert a2.GetVersionNameList(0) == ["Version 1"], "no version was made on the clip that failed"
