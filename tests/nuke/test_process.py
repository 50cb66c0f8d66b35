"""Process against a real daemon: the cache holds the right pixels and nothing else is written."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.nuke.helpers import make_plate, plate_pixels, read_exr, tree, upstream_pixels, write_exr

FRAMES = range(1001, 1004)


def press_process(fake: ModuleType, node: object) -> None:
    """The artist presses Process; the daemon step runs on a worker thread, as in the GUI."""
    from rushes_nuke import actions

    fake.fake_press(node, "process")
    assert actions.wait(60), "Process did not finish within 60 s"
    fake.fake_process_events()  # the GUI's event loop runs what the worker queued


def exposure_node(fake: ModuleType, url: str, plates: Path, stops: float = 1.0):
    from rushes_nuke import kinds

    read = fake.nodes.Read(file=make_plate(plates, "plate", FRAMES), first=FRAMES[0], last=FRAMES[-1])
    read.setSelected(True)
    node = kinds.create("exposure", url=url)
    assert node.input(0) is read, "a new node connects to the selected node, as in Nuke"
    node["server"].setValue(url)
    node["stops"].setValue(stops)
    node["first_frame"].setValue(FRAMES[0])
    node["last_frame"].setValue(FRAMES[-1])
    return node


def test_process_exposure_caches_the_result_and_writes_nothing_else(fake: ModuleType, daemon: str,
                                                                    tmp_path: Path) -> None:
    plates = tmp_path / "plates"
    node = exposure_node(fake, daemon, plates, stops=1.0)
    before = tree(tmp_path)

    press_process(fake, node)

    assert fake.fake_state().messages == []
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    written = {k: v for k, v in tree(tmp_path).items() if k not in before}
    assert {k: v for k, v in tree(tmp_path).items() if k in before} == before, "the plates were not touched"
    rel = cache_dir.relative_to(tmp_path)
    assert sorted(written) == sorted([f"{rel}/v001/job.json"] +
                                     [f"{rel}/v001/result/result.{f}.exr" for f in FRAMES])
    for f in FRAMES:
        got = read_exr(cache_dir / "v001" / "result" / f"result.{f}.exr")
        np.testing.assert_allclose(got, plate_pixels(f)[..., :3] * 2.0, rtol=1e-6)
    job = json.loads((cache_dir / "v001" / "job.json").read_text())
    assert job["task"] == "exposure" and job["params"] == {"stops": 1.0} and job["frames"] == [1001, 1003]
    assert job["transfer"] == "path", "the daemon is on this machine: frames go as file references"
    # the node now shows v001 through its internal Read
    assert node["version"].values() == ["v001"] and node["version"].value() == "v001"
    read = node.node("Read_result")
    assert read["file"].value() == str(cache_dir / "v001" / "result" / "result.####.exr")
    assert (read["first"].value(), read["last"].value()) == (1001, 1003)
    assert node.node("OutputSwitch")["which"].value() == 0
    assert node.node("Write_plate")["disable"].value() is True, "internal Writes stay disabled"
    task = fake.fake_state().progress_tasks[-1]
    assert task.fake_progress[-1] == 100 and not task.fake_cancelled
    assert fake.fake_state().main_thread_calls == ["_finish_later"], "the node is updated on the main thread"


def test_second_process_adds_a_version_and_earlier_ones_stay_selectable(fake: ModuleType, daemon: str,
                                                                      tmp_path: Path) -> None:
    node = exposure_node(fake, daemon, tmp_path / "plates", stops=1.0)
    node["transfer"].setValue("EXR bytes")  # as for a daemon on another machine
    press_process(fake, node)
    node["stops"].setValue(-1.0)
    node["keep_inputs"].setValue(True)
    press_process(fake, node)

    assert fake.fake_state().messages == []
    assert node["version"].values() == ["v001", "v002"] and node["version"].value() == "v002"
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    np.testing.assert_allclose(read_exr(cache_dir / "v002" / "result" / "result.1002.exr"),
                               plate_pixels(1002)[..., :3] * 0.5, rtol=1e-6)
    assert json.loads((cache_dir / "v002" / "job.json").read_text())["transfer"] == "encoded"
    assert sorted(p.name for p in (cache_dir / "v002" / "inputs").iterdir()) == [f"plate.{f}.exr" for f in FRAMES]
    assert not (cache_dir / "v001" / "inputs").exists()
    read = node.node("Read_result")
    fake.fake_user_set(node["version"], "v001")   # the artist picks the earlier version
    assert "/v001/" in read["file"].value()
    fake.fake_user_set(node["output"], "Source")
    assert node.node("OutputSwitch")["which"].value() == 1


def test_cancel_keeps_nothing(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    node = exposure_node(fake, daemon, tmp_path / "plates")
    fake.fake_state().cancel_at_progress = 50   # the artist presses Cancel once the daemon reports
    before = tree(tmp_path)

    press_process(fake, node)

    assert fake.fake_state().progress_tasks[-1].fake_cancelled
    assert fake.fake_state().messages == [], "a cancel is not an error"
    assert tree(tmp_path) == before, "a cancelled run leaves nothing in the cache"
    assert node["version"].values() == ["none"] and node["rushes_status"].value() == "not processed"


def test_daemon_down_says_so_and_how_to_start_it(fake: ModuleType, down: str, tmp_path: Path) -> None:
    url = down
    read = fake.nodes.Read(file=make_plate(tmp_path / "plates", "plate", FRAMES), first=FRAMES[0], last=FRAMES[-1])
    read.setSelected(True)
    from rushes_nuke import kinds

    node = kinds.create("WireRemoval", url=url)   # static knobs while the daemon is down
    assert node["method"].values() == ["Auto", "Temporal (moving scene)", "Temporal (static scene)", "Spatial"]
    node.setInput(1, fake.nodes.Read(file=make_plate(tmp_path / "plates", "hint", FRAMES), first=FRAMES[0], last=FRAMES[-1]))
    before = tree(tmp_path)
    node["server"].setValue(url)
    fake.fake_press(node, "check_daemon")
    assert node["daemon_status"].value().startswith(f"not running at {url}")
    assert "rushes serve" in node["daemon_status"].value()

    press_process(fake, node)

    [message] = fake.fake_state().messages
    assert message.startswith("WireRemoval1: ") and "rushes serve" in message and url in message
    assert tree(tmp_path) == before


@pytest.mark.parametrize("missing", ["Source", "Hint"])
def test_unconnected_input_is_named(fake: ModuleType, down: str, tmp_path: Path, missing: str) -> None:
    from rushes_nuke import kinds

    node = kinds.create("WireRemoval", url=down)
    read = fake.nodes.Read(file=make_plate(tmp_path / "plates", "plate", FRAMES), first=FRAMES[0], last=FRAMES[-1])
    node.setInput(0, None if missing == "Source" else read)
    press_process(fake, node)
    assert fake.fake_state().messages == [f"WireRemoval1: connect the {missing} input first"]


def wire_plates(folder: Path) -> tuple[str, str, np.ndarray]:
    """A static textured scene crossed by a dark wire that moves 4 px a frame, and a hint
    stroke 7 px wide over the wire. Returns (plate pattern, hint pattern, clean scene)."""
    h, w = 24, 40
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = np.stack([0.3 + 0.2 * np.sin(x / 5.0), 0.4 + 0.1 * np.cos(y / 4.0), 0.2 + 0.004 * x], -1)
    folder.mkdir(parents=True)
    for i, f in enumerate(FRAMES):
        col = 12 + 4 * i
        plate = np.concatenate([scene, np.ones((h, w, 1))], axis=2)   # a keyed plate: its alpha is its matte
        plate[:, :6, 3] = 0.5
        plate[:, col:col + 2, :3] = 0.02
        hint = np.zeros((h, w, 4), np.float32)
        hint[:, col - 3:col + 5, 3] = 1.0
        write_exr(folder / f"plate.{f}.exr", plate.astype(np.float32))
        write_exr(folder / f"hint.{f}.exr", hint)
    return str(folder / "plate.####.exr"), str(folder / "hint.####.exr"), scene.astype(np.float32)


def test_process_wire_removal_repairs_the_wire(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    from rushes_nuke import kinds

    plate_pattern, hint_pattern, scene = wire_plates(tmp_path / "plates")
    plate = fake.nodes.Read(file=plate_pattern, first=FRAMES[0], last=FRAMES[-1])
    plate.setSelected(True)
    node = kinds.create("WireRemoval", url=daemon)
    node.setInput(1, fake.nodes.Read(file=hint_pattern, first=FRAMES[0], last=FRAMES[-1]))
    assert [k for k in ("method", "window", "regrain", "output") if node.knob(k) is None] == []
    node["method"].setValue("Temporal (static scene)")
    node["regrain"].setValue(0.0)
    node["first_frame"].setValue(FRAMES[0])
    node["last_frame"].setValue(FRAMES[-1])
    before = tree(tmp_path)

    press_process(fake, node)

    assert fake.fake_state().messages == []
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    rel = cache_dir.relative_to(tmp_path)
    written = sorted(k for k in tree(tmp_path) if k not in before)
    assert written == sorted([f"{rel}/v001/job.json"] + [f"{rel}/v001/repair/repair.{f}.exr" for f in FRAMES])
    for i, f in enumerate(FRAMES):
        got = read_exr(cache_dir / "v001" / "repair" / f"repair.{f}.exr")
        col = 12 + 4 * i
        np.testing.assert_allclose(got[:, :col - 3, :3], scene[:, :col - 3], atol=1e-6)  # outside the hint: untouched
        assert np.abs(got[:, col:col + 2, :3] - scene[:, col:col + 2]).max() < 0.05, "the wire is gone"
        assert (got[:, :6, 3] == 0.5).all() and (got[:, 6:, 3] == 1.0).all(), "the plate's alpha, as it was"
    job = json.loads((cache_dir / "v001" / "job.json").read_text())
    assert job["params"]["method"] == "static" and job["summary"]["wire_pixels"] > 0  # the stable value
    assert node["rushes_status"].value() == "v001 Repair 1001-1003" and node["label"].value() == ""  # black outside
    fake.fake_user_set(node["output"], "Source")     # shown at once, without processing
    assert node.node("OutputSwitch")["which"].value() == 1


def test_a_task_error_becomes_one_message_and_keeps_nothing(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    from rushes_nuke import kinds

    plate_pattern, _hint, _scene = wire_plates(tmp_path / "plates")
    empty = tmp_path / "empty"
    empty.mkdir()
    for f in FRAMES:
        write_exr(empty / f"hint.{f}.exr", np.zeros((24, 40, 4), np.float32))
    fake.nodes.Read(file=plate_pattern, first=FRAMES[0], last=FRAMES[-1]).setSelected(True)
    node = kinds.create("WireRemoval", url=daemon)
    node.setInput(1, fake.nodes.Read(file=str(empty / "hint.####.exr"), first=FRAMES[0], last=FRAMES[-1]))
    node["first_frame"].setValue(FRAMES[0])
    node["last_frame"].setValue(FRAMES[-1])
    before = tree(tmp_path)

    press_process(fake, node)

    [message] = fake.fake_state().messages
    assert message.startswith("WireRemoval1: ") and "hint is empty" in message
    assert tree(tmp_path) == before and node["version"].values() == ["none"]


def test_process_object_removal_with_a_matte_input(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    """The Object Matte input is rendered as alpha only and the hole is filled from other frames."""
    from rushes_nuke import kinds

    h, w = 48, 64
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = np.stack([0.5 + 0.3 * np.sin(x / 3.0) * np.cos(y / 4.0), 0.4 + 0.2 * np.sin((x + y) / 5.0),
                      0.3 + 0.2 * np.cos(x / 6.0)], -1).astype(np.float32)
    folder = tmp_path / "plates"
    folder.mkdir()
    frames = range(1001, 1006)
    for i, f in enumerate(frames):
        plate, matte = scene.copy(), np.zeros((h, w, 4), np.float32)
        col = 8 + 10 * i
        plate[18:30, col:col + 8] = 0.05                     # a dark object crossing the frame
        matte[16:32, col - 2:col + 10, 3] = 1.0               # the artist's roto, in alpha
        write_exr(folder / f"plate.{f}.exr", plate)
        write_exr(folder / f"matte.{f}.exr", matte)
    fake.nodes.Read(file=str(folder / "plate.####.exr"), first=frames[0], last=frames[-1]).setSelected(True)
    node = kinds.create("ObjectRemoval", url=daemon)
    node.setInput(1, fake.nodes.Read(file=str(folder / "matte.####.exr"), first=frames[0], last=frames[-1]))
    node["regrain"].setValue(0.0)
    node["first_frame"].setValue(frames[0])
    node["last_frame"].setValue(frames[-1])

    press_process(fake, node)

    assert fake.fake_state().messages == []
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    got = read_exr(cache_dir / "v001" / "repair" / "repair.1003.exr")
    hole = (slice(18, 30), slice(28, 36))
    assert np.abs(got[hole][..., :3] - scene[hole]).mean() < 0.03, "the object is gone"
    np.testing.assert_allclose(got[:, 50:, :3], scene[:, 50:], atol=1e-5)
    assert (got[..., 3] == 0).all(), "a plate without alpha: Nuke's missing channel, 0"
    assert node.node("Read_repair")["file"].value().endswith("/v001/repair/repair.####.exr")
    # the revealed matte was not asked for: choosing it shows the Source and says so, not black
    from rushes_nuke.state import output_labels

    fake.fake_user_set(node["output"], "Revealed Matte")
    assert node["rushes_status"].value() == "v001 has no Revealed Matte (it was not asked for); Source shown"
    assert node.node("OutputSwitch")["which"].value() == output_labels(node).index("Source")


def test_a_pasted_copy_gets_its_own_cache(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    original = exposure_node(fake, daemon, tmp_path / "plates")
    press_process(fake, original)
    copy = exposure_node(fake, daemon, tmp_path / "plates")
    copy["rushes_id"].setValue(original["rushes_id"].value())   # what copy-paste gives
    copy["cache_root"].setValue(original["cache_root"].value())
    press_process(fake, copy)
    assert copy["rushes_id"].value() != original["rushes_id"].value()
    assert copy["version"].values() == ["v001"] and original["version"].values() == ["v001"]
    cache_root = Path(str(original["cache_root"].value()))
    assert sorted(p.name for p in cache_root.iterdir()) == sorted([original["rushes_id"].value(),
                                                                   copy["rushes_id"].value()])


def test_a_clean_plate_is_one_frame_held_over_the_shot(fake: ModuleType, daemon: str, tmp_path: Path) -> None:
    """CleanPlate's daemon task returns one clean frame for the whole shot: it is a whole version
    (not a run missing frames), and the node holds it over every frame of the shot, not black."""
    from rushes_nuke import kinds

    frames = range(1001, 1006)
    pattern = make_plate(tmp_path / "plates", "plate", frames, channels=3, h=24, w=32)
    fake.nodes.Read(file=pattern, first=frames[0], last=frames[-1]).setSelected(True)
    node = kinds.create("CleanPlate", url=daemon)
    node["first_frame"].setValue(frames[0])
    node["last_frame"].setValue(frames[-1])

    press_process(fake, node)

    assert fake.fake_state().messages == []
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    job = json.loads((cache_dir / "v001" / "job.json").read_text())
    assert job["outputs"]["clean"] == [1003], "one frame: the middle of the range, the reference"
    read = node.node("Read_clean")
    assert (read["before"].value(), read["after"].value()) == ("hold", "hold")
    held = read_exr(cache_dir / "v001" / "clean" / "clean.1003.exr")
    for f in (1001, 1005, 1010):
        np.testing.assert_array_equal(upstream_pixels(read, f), held)
    assert node["rushes_status"].value() == "v001 Clean Plate (frame 1003, held over the shot)"
