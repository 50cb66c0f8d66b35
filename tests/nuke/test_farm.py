"""Farm mode: the same Process from a command line, without the GUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.nuke.conftest import FAKE_DIR, PLUGIN_DIR
from tests.nuke.helpers import make_plate, plate_pixels, read_exr

FRAMES = range(1001, 1005)


def register_script(fake: ModuleType, path: Path, url: str, plates: Path, gui_server: str) -> None:
    """``scriptOpen(path)`` builds: Read -> Exposure1 (+1 stop) -> ..., as a saved script would hold."""
    pattern = make_plate(plates, "plate", FRAMES)

    def build() -> None:
        from rushes_nuke import kinds

        read = fake.nodes.Read(file=pattern, first=FRAMES[0], last=FRAMES[-1])
        read.setSelected(True)
        node = kinds.create("exposure", url=url)
        node["stops"].setValue(1.0)
        node["server"].setValue(gui_server)   # the GUI's setting (nothing there); the farm passes --server
        node["rushes_id"].setValue("Exposure_0123abcd")           # saved in the script, like every knob
        node["cache_root"].setValue(str(path.parent / "rushes_cache"))
        for n in fake.allNodes():
            n.setSelected(False)

    fake.fake_register_script(str(path), build)


def test_farm_processes_the_named_node(fake: ModuleType, daemon: str, down: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from rushes_nuke import farm

    script = tmp_path / "shot010_comp_v001.nk"
    register_script(fake, script, daemon, tmp_path / "plates", down)

    status = farm.main([str(script), "--node", "Exposure1", "--frames", "1002-1003", "--server", daemon, "--save"])

    out = capsys.readouterr()
    assert status == 0, out.err
    node = fake.toNode("Exposure1")
    cache_dir = Path(str(node["cache_root"].value())) / str(node["rushes_id"].value())
    assert sorted(p.name for p in (cache_dir / "v001" / "result").iterdir()) == ["result.1002.exr", "result.1003.exr"]
    np.testing.assert_allclose(read_exr(cache_dir / "v001" / "result" / "result.1003.exr"),
                               plate_pixels(1003)[..., :3] * 2.0, rtol=1e-6)
    assert f"rushes: Exposure1: v001 in {cache_dir / 'v001'}" in out.out
    assert "100%" in out.out and out.err == ""
    assert fake.fake_state().saved == [str(script)] and fake.fake_state().messages == []
    assert fake.fake_state().progress_tasks == [], "no GUI on the farm"
    assert node["server"].value() == down and node["first_frame"].value() == 1, "settings kept"
    assert cache_dir == script.parent / "rushes_cache" / "Exposure_0123abcd"
    assert node["version"].value() == "v001"
    assert farm.main([str(script), "--server", daemon, "--frames", "1001-1001"]) == 0   # v002, not saved
    node = fake.toNode("Exposure1")               # the script as it was opened (versions listed from disk)
    assert node["version"].values() == ["v001", "v002"]
    (cache_dir / "v003" / "result").mkdir(parents=True)              # e.g. another farm job finished
    (cache_dir / "v003" / "job.json").write_text('{"outputs": {"result": [1001]}}')
    fake.fake_user_set(node["showPanel"], True)                       # the artist opens the panel
    assert node["version"].values() == ["v001", "v002", "v003"]


def test_farm_reports_a_down_daemon_with_status_1(fake: ModuleType, daemon: str, down: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from rushes_nuke import farm

    script = tmp_path / "a.nk"
    register_script(fake, script, daemon, tmp_path / "plates", down)
    assert farm.main([str(script), "--save"]) == 1    # the node's own server: nothing listens
    err = capsys.readouterr().err
    assert err.startswith("rushes: error: Exposure1: ") and "rushes serve" in err
    assert fake.fake_state().saved == [], "a failed run does not save the script"


@pytest.mark.parametrize(("args", "message"), [
    (["--frames", "10-x"], "--frames '10-x' is not A-B"),
    (["--frames", "20-10"], "the last frame comes before the first"),
    (["--node", "Blur1"], "no Rushes node named Blur1"),
])
def test_farm_bad_arguments(fake: ModuleType, daemon: str, down: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            args: list[str], message: str) -> None:
    from rushes_nuke import farm

    script = tmp_path / "a.nk"
    register_script(fake, script, daemon, tmp_path / "plates", down)
    assert farm.main([str(script), *args]) == 2
    assert message in capsys.readouterr().err


def test_farm_missing_script(fake: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rushes_nuke import farm

    assert farm.main([str(tmp_path / "nope.nk")]) == 2
    assert "cannot open" in capsys.readouterr().err


def test_farm_runs_as_a_file_like_nuke_t_does(tmp_path: Path) -> None:
    """``nuke -t .../rushes_nuke/farm.py --help``: the package is found from the file's place."""
    env = {"PYTHONPATH": str(FAKE_DIR), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(PLUGIN_DIR / "rushes_nuke" / "farm.py"), "--help"], cwd=tmp_path,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--frames" in done.stdout and "--save" in done.stdout


def test_a_render_node_that_cannot_see_the_cache_errors_instead_of_showing_the_plate(
        fake: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 17, item 6: init.py runs in `nuke -t` too; there the script-load callback must
    change no knob, and a cache the render node cannot see is a loud error."""
    from rushes_nuke import kinds

    script = str(tmp_path / "comp.nk")
    hidden_cache = tmp_path / "studio_only" / "rushes_cache"

    def build() -> None:
        read = fake.nodes.Read(file=str(tmp_path / "plate.####.exr"))
        read.setSelected(True)
        node = kinds.create("WireRemoval", url="tcp://127.0.0.1:1")
        node["cache_root"].setValue(str(hidden_cache))
        node["rushes_id"].setValue("WireRemoval_0123abcd")
        node["version"].setValues(["v001"])
        node["version"].setValue("v001")
        node.node("Read_repair")["file"].setValue(f"{hidden_cache}/WireRemoval_0123abcd/v001/repair/repair.####.exr")
        node.node("OutputSwitch")["which"].setValue(0)

    fake.fake_register_script(script, build)
    monkeypatch.setattr(fake, "GUI", False)   # nuke -t: the farm's render node
    with pytest.raises(RuntimeError, match=r"WireRemoval1 shows v001 but its cache .*studio_only.* is not visible"):
        fake.scriptOpen(script)
    node = fake.toNode("WireRemoval1")
    assert node["version"].value() == "v001" and node.node("OutputSwitch")["which"].value() == 0, "no knob changed"
    assert node.node("Read_repair")["file"].value().endswith("repair.####.exr")
    assert any("not visible" in line for line in fake.fake_state().log if line.startswith("error: "))


def test_in_the_gui_a_missing_cache_keeps_the_saved_version_and_says_why(
        fake: ModuleType, tmp_path: Path) -> None:
    from rushes_nuke import kinds

    script = str(tmp_path / "comp.nk")
    hidden_cache = tmp_path / "studio_only" / "rushes_cache"

    def build() -> None:
        node = kinds.create("WireRemoval", url="tcp://127.0.0.1:1")
        node["cache_root"].setValue(str(hidden_cache))
        node["version"].setValues(["v002"])
        node["version"].setValue("v002")
        node.node("Read_repair")["file"].setValue("/mnt/cache/repair.####.exr")

    fake.fake_register_script(script, build)
    fake.scriptOpen(script)                      # the GUI (fake.GUI is True)
    node = fake.toNode("WireRemoval1")
    assert node["version"].value() == "v002" and node.node("Read_repair")["file"].value() == "/mnt/cache/repair.####.exr"
    assert "shows v002 but its cache" in node["rushes_note"].value()
