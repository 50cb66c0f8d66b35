"""Rushes Look: applying a .cube / CDL through OCIO nodes, and fitting from selected pairs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import OpenImageIO as oiio
import pytest

from tests.nuke.helpers import tree, write_exr

CC = """<?xml version="1.0" encoding="UTF-8"?>
<ColorCorrection id="shot010" xmlns="urn:ASC:CDL:v1.01">
  <SOPNode><Slope>1.1 1.0 0.9</Slope><Offset>0.01 0.0 -0.02</Offset><Power>1.0 1.2 1.0</Power></SOPNode>
  <SatNode><Saturation>0.8</Saturation></SatNode>
</ColorCorrection>
"""


def test_read_cdl(tmp_path: Path) -> None:
    from rushes_nuke.look import read_cdl

    (tmp_path / "a.cc").write_text(CC)
    assert read_cdl(str(tmp_path / "a.cc")) == {"slope": [1.1, 1.0, 0.9], "offset": [0.01, 0.0, -0.02],
                                                 "power": [1.0, 1.2, 1.0], "saturation": 0.8}
    (tmp_path / "b.cc").write_text(CC.replace("<Slope>1.1 1.0 0.9</Slope>", "<Slope>1.1</Slope>"))
    with pytest.raises(ValueError, match="no valid Slope"):
        read_cdl(str(tmp_path / "b.cc"))
    (tmp_path / "c.cc").write_text("not xml")
    with pytest.raises(ValueError, match="cannot read the CDL"):
        read_cdl(str(tmp_path / "c.cc"))


def test_look_node_applies_lut_and_cdl(fake: ModuleType, down: str, tmp_path: Path) -> None:
    from rushes_nuke import kinds

    fake.fake_set_ocio_config("aces_1.2")
    node = kinds.create("Look", url=down)
    lut, cdl = node.node("LUT"), node.node("CDL")
    assert lut.Class() == "OCIOFileTransform" and cdl.Class() == "OCIOCDLTransform"
    assert lut.input(0) is cdl and lut["disable"].value() and cdl["disable"].value(), "no look yet"
    assert node["lut_size"].value() == 33 and node["working_space"].value() == "ACEScct", "fallback fit knobs"
    (tmp_path / "look.cc").write_text(CC)
    (tmp_path / "look.cube").write_text("LUT_3D_SIZE 2\n")
    fake.fake_user_set(node["lut_file"], str(tmp_path / "look.cube"))
    fake.fake_user_set(node["cdl_file"], str(tmp_path / "look.cc"))
    assert lut["file"].value() == str(tmp_path / "look.cube") and not lut["disable"].value()
    assert cdl["disable"].value(), "Apply is LUT"
    fake.fake_user_set(node["apply"], "CDL + LUT")
    assert not cdl["disable"].value() and not lut["disable"].value()
    assert cdl["slope"].value() == [1.1, 1.0, 0.9] and cdl["saturation"].value() == 0.8
    fake.fake_user_set(node["apply"], "CDL")
    assert lut["disable"].value() and not cdl["disable"].value()
    fake.fake_user_set(node["working_space"], "ACEScc")
    assert cdl["working_space"].value() == "ACES - ACEScc", "the CDL acts in the working space, as aces_1.2 names it"
    assert lut["working_space"].value() == "ACES - ACEScct", "a hand-picked LUT: ACEScct unless told"
    fake.fake_user_set(node["in_space"], "ACEScg")
    assert lut["working_space"].value() == "ACES - ACEScg"


def test_names_missing_from_the_scripts_config_are_said_not_forced(fake: ModuleType, down: str,
                                                                   tmp_path: Path) -> None:
    """Issue 17, item 3: nuke-default has no ACEScct; the OCIO knob would refuse it."""
    from rushes_nuke import kinds

    node = kinds.create("Look", url=down)     # the fake's script: nuke-default, working space linear
    (tmp_path / "look.cc").write_text(CC)
    fake.fake_user_set(node["apply"], "CDL")
    fake.fake_user_set(node["cdl_file"], str(tmp_path / "look.cc"))
    assert node.node("CDL")["disable"].value(), "not applied in a space it was not made for"
    assert "CDL off: its working space ACEScct is not in this script's OCIO config" in node["rushes_note"].value()
    fake.fake_user_set(node["working_space"], "Cineon")
    assert not node.node("CDL")["disable"].value() and node["rushes_note"].value() == ""
    assert node.node("CDL")["working_space"].value() == "Cineon"


def test_pairs_from_selection(fake: ModuleType, down: str) -> None:
    from rushes_nuke.look import pairs_from

    read1, read2, read3 = (fake.nodes.Read() for _ in range(3))
    grade1 = fake.nodes.Grade()
    grade1.setInput(0, read1)
    dot = fake.nodes.Dot()
    dot.setInput(0, read2)
    grade2 = fake.nodes.Grade()
    grade2.setInput(0, dot)
    assert pairs_from([grade1, read1, read2, grade2]) == [(read1, grade1), (read2, grade2)]
    with pytest.raises(ValueError, match="Read3 could not be paired"):
        pairs_from([grade1, read1, read3])
    with pytest.raises(ValueError, match="select pairs"):
        pairs_from([read1, read2])


def test_fit_without_pairs_says_what_to_select(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds

    node = kinds.create("Look", url=down)
    fake.fake_press(node, "fit")
    [message] = fake.fake_state().messages
    assert message.startswith("Look1: select pairs")


def test_fit_from_selected_pairs_against_the_daemon(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    from rushes_nuke import kinds

    fake.fake_set_ocio_config("aces_1.2")     # an ACES show: the raw Writes hold ACEScg
    look = kinds.create("Look", url=daemon)
    look["server"].setValue(daemon)
    look["keep_inputs"].setValue(True)
    chosen = []
    for k in range(2):
        (tmp_path / "plates").mkdir(exist_ok=True)
        pixels = np.random.default_rng(k).uniform(0.1, 0.9, (32, 32, 3)).astype(np.float32)  # ACEScct code values
        write_exr(tmp_path / "plates" / f"shot{k}.1001.exr", pixels)
        read = fake.nodes.Read(file=str(tmp_path / "plates" / f"shot{k}.####.exr"), first=1001, last=1001)
        grade = fake.nodes.Grade()
        white = fake.Double_Knob("white", "gain")
        white.setValue(1.2)
        grade.addKnob(white)
        grade.setInput(0, read)
        chosen += [read, grade]
    for n in fake.allNodes():
        n.setSelected(n in chosen)
    graph_before = [n.name() for n in fake.allNodes()]
    before = tree(tmp_path)

    fake.fake_press(look, "fit")
    # issue 17, item 7: the daemon job runs on a worker thread; the GUI stays responsive
    from rushes_nuke import actions

    worker = actions._RUNNING.get(str(look["rushes_id"].value()))
    assert worker is not None and worker is not threading.main_thread(), "Fit must not block the GUI"
    assert actions.wait(60)
    assert look["version"].values() == ["none"], "the node changes on the main thread, not the worker"
    assert fake.fake_process_events() >= 1

    assert fake.fake_state().messages == []
    assert [n.name() for n in fake.allNodes()] == graph_before, "the temporary Writes are gone"
    assert sorted(n.name() for n in fake.selectedNodes()) == sorted(n.name() for n in chosen), "selection kept"
    assert look["version"].values() == ["v001"]
    written = sorted(k for k in tree(tmp_path) if k not in before)
    assert any(k.endswith(".cube") for k in written) and all("/v001/" in k for k in written)
    kept = [tmp_path / k for k in written if "/inputs/" in k]
    assert len(kept) == 4, written
    for path in kept:   # the pairs reach the fit at full float precision, not as 16-bit half
        assert oiio.ImageInput.open(str(path)).spec().format == oiio.FLOAT, path
    assert look["lut_file"].value().endswith(".cube") and "/v001/" in look["lut_file"].value()
    assert not look.node("LUT")["disable"].value()
    assert look["cdl_file"].value().endswith("/v001/look.cc")
    # issue 17, item 2: the frames went as the working space, and the LUT applies there
    job = json.loads((Path(look["lut_file"].value()).parent / "job.json").read_text())
    assert job["frames_space"] == "ACES - ACEScg" and job["summary"]["in_space"] == "ACEScg", job["summary"]
    assert look.node("LUT")["working_space"].value() == "ACES - ACEScg"
    # issue 17, item 4: the fitted LUT holds the CDL; "CDL + LUT" must not apply it twice
    fake.fake_user_set(look["apply"], "CDL + LUT")
    assert not look.node("LUT")["disable"].value() and look.node("CDL")["disable"].value()
    assert "already holds its CDL" in look["rushes_note"].value()
    fake.fake_user_set(look["apply"], "CDL")
    assert look.node("CDL")["working_space"].value() == "ACES - ACEScct"
    slope = look.node("CDL")["slope"].value()
    assert all(abs(s - slope[0]) < 0.05 for s in slope) and slope[0] > 1.0, f"a neutral gain up, got {slope}"
