"""Pure helpers: timecodes, source paths, per-OS folders, CDL strings, the change log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rushes_resolve import cdl, frames, paths
from rushes_resolve.changelog import ChangeLog


def test_timecode_round_trip_and_drop_frame() -> None:
    assert frames.timecode_to_frame("01:00:00:00", 24) == 86400
    assert frames.timecode_to_frame("01:00:01:05", 23.976) == 86400 + 24 + 5
    assert frames.frame_to_timecode(86400 + 24 + 5, 24) == "01:00:01:05"
    # 29.97 drop-frame: 00:01:00;02 is frame 1800 (frames 0 and 1 of minute 1 are skipped)
    assert frames.timecode_to_frame("00:01:00;02", 29.97) == 1800
    assert frames.timecode_to_frame("00:10:00;00", 29.97) == 17982
    for n in (0, 1, 1799, 1800, 1801, 17981, 17982, 17983, 107892 + 1800):
        tc = frames.frame_to_timecode(n, 29.97, drop=True)
        assert frames.timecode_to_frame(tc, 29.97) == n, (n, tc)
    assert frames.frame_to_timecode(1800, 29.97, drop=True) == "00:01:00;02"
    for n in (0, 3599, 3600, 35964, 35965):
        assert frames.timecode_to_frame(frames.frame_to_timecode(n, 59.94, drop=True), 59.94) == n
    with pytest.raises(ValueError, match="frame 24 at 24 fps"):
        frames.timecode_to_frame("01:00:00:24", 24)
    with pytest.raises(ValueError, match="HH:MM:SS:FF"):
        frames.timecode_to_frame("1h", 24)
    assert frames.frame_rate_from_setting("29.97 DF") == pytest.approx(29.97)
    with pytest.raises(ValueError, match="frames per second"):
        frames.frame_rate_from_setting("")


def test_source_paths_as_resolve_shows_them() -> None:
    seq = frames.parse_source_path("/show/A001/plate.[0998-1010].exr")
    assert seq.kind == "sequence" and (seq.first, seq.last) == (998, 1010)
    assert seq.frame_path(1001) == "/show/A001/plate.1001.exr"
    with pytest.raises(ValueError, match="outside"):
        seq.frame_path(1011)
    assert frames.parse_source_path("/s/p_####.dpx").frame_path(7) == "/s/p_0007.dpx"
    assert frames.parse_source_path("/s/100%_[1-3].png").frame_path(2) == "/s/100%_2.png"
    assert frames.parse_source_path("/s/A001.mov").kind == "movie"
    assert frames.parse_source_path("/s/still.tif").kind == "image"
    with pytest.raises(ValueError, match="no File Path"):
        frames.parse_source_path("")
    # GetSourceStartFrame counts from the media's first frame (Resolve's README; others' tools read it so)
    assert frames.source_frame_number(seq, 3, 2) == 998 + 5
    assert frames.source_frame_number(seq, 0, 0) == 998
    with pytest.raises(ValueError, match="file frame 2001, outside the files 998-1010"):
        frames.source_frame_number(seq, 1001, 2)


def test_output_names_and_versions() -> None:
    pattern, files = frames.sequence_spec("/r", "A001_wire_removal", 1001, 1003)
    assert pattern == "/r/A001_wire_removal.%04d.exr"
    assert files[-1] == "/r/A001_wire_removal.1003.exr"
    assert frames.next_version(["A_look_v001.cube", "A_look_v007.cc", "B_look_v009.cube"], "A_look") == 8
    assert frames.next_version([], "x") == 1


def test_lut_and_state_folders_per_os() -> None:
    assert paths.resolve_lut_folder("linux", {}) == "/opt/resolve/LUT"
    assert paths.resolve_lut_folder("darwin", {}) == \
        "/Library/Application Support/Blackmagic Design/DaVinci Resolve/LUT"
    assert paths.resolve_lut_folder("win32", {"PROGRAMDATA": "D:\\PD"}) == \
        "D:\\PD\\Blackmagic Design\\DaVinci Resolve\\Support\\LUT"
    assert paths.resolve_lut_folder("linux", {"RUSHES_RESOLVE_LUT_DIR": "/x"}) == "/x"
    assert paths.rushes_lut_folder("My Show!", "linux", {}) == "/opt/resolve/LUT/Rushes/My_Show"
    assert paths.rushes_lut_folder("S", "win32", {}) == \
        "C:\\ProgramData\\Blackmagic Design\\DaVinci Resolve\\Support\\LUT\\Rushes\\S"
    assert paths.state_folder("linux", {}, "/home/c") == "/home/c/.local/share/rushes/resolve"
    assert paths.state_folder("linux", {"XDG_DATA_HOME": "/d"}, "/home/c") == "/d/rushes/resolve"
    assert paths.state_folder("darwin", {}, "/Users/c") == "/Users/c/Library/Application Support/rushes/resolve"
    assert paths.state_folder("win32", {"APPDATA": "C:\\U\\AppData\\Roaming"}, "C:\\U") == \
        "C:\\U\\AppData\\Roaming\\rushes\\resolve"
    assert paths.project_slug("-My Show / Reel 2") == "My_Show_Reel_2"
    assert paths.project_slug("///") == "untitled" and len(paths.project_slug("x" * 300)) == 128
    with pytest.raises(ValueError, match="unsupported platform 'sunos5'"):
        paths.resolve_lut_folder("sunos5", {})


def test_cdl_strings_for_set_cdl() -> None:
    cc = (b'<ColorCorrection id="a" xmlns="urn:ASC:CDL:v1.01"><SOPNode><Slope>1.1 1.0 0.9</Slope>'
          b'<Offset>0.01 0 -0.02</Offset><Power>1 1 1.05</Power></SOPNode>'
          b'<SatNode><Saturation>0.9</Saturation></SatNode></ColorCorrection>')
    values = cdl.parse_cc(cc)
    assert values == {"Slope": "1.1 1 0.9", "Offset": "0.01 0 -0.02", "Power": "1 1 1.05", "Saturation": "0.9"}
    assert cdl.cdl_map(2, values) == dict(values, NodeIndex="2")
    assert cdl.from_values({"slope": [2, 1, 1], "offset": [0, 0, 0], "power": [1, 1, 1]})["Saturation"] == "1"
    with pytest.raises(ValueError, match="from 1"):
        cdl.cdl_map(0, values)
    with pytest.raises(ValueError, match="3 number"):
        cdl.parse_cc(b"<ColorCorrection><Slope>1 1</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power></ColorCorrection>")
    with pytest.raises(ValueError, match="not finite"):
        cdl.from_values({"slope": [float("nan"), 1, 1], "offset": [0, 0, 0], "power": [1, 1, 1]})


def test_change_log_is_saved_after_each_change(tmp_path: Path) -> None:
    path = tmp_path / "p" / "log.json"
    log = ChangeLog(str(path), "Show")
    run = log.start_run("look_match", {"node": 2})
    run.add_change("lut", clip="A", node=2, prior="", value="/l/a.cube")
    on_disk = json.loads(path.read_text())
    assert on_disk["runs"][0]["status"] == "running"
    assert on_disk["runs"][0]["changes"][0]["value"] == "/l/a.cube"
    run.finish("done")
    empty = log.start_run("shot_match")
    empty.finish("done")
    again = ChangeLog(str(path))
    last = again.last_undoable()
    assert last is not None and last["id"] == run.id  # the empty run is skipped
    assert list(tmp_path.glob("p/.*tmp")) == []
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        ChangeLog(str(path))
