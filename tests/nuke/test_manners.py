"""Graph manners (issue 17, item 8): the artist's label stays, nodes look like Rushes nodes,
and file knobs are read the way Nuke reads them (TCL expanded)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.nuke.conftest import PLUGIN_DIR
from tests.nuke.test_look import CC
from tests.nuke.test_process import exposure_node, press_process


def test_refresh_keeps_the_artists_label_and_shows_the_version(fake: ModuleType, daemon: str,
                                                               tmp_path: Path) -> None:
    node = exposure_node(fake, daemon, tmp_path / "plates")
    fake.fake_user_set(node["label"], "keep me: comp notes")
    assert "not processed" in fake.fake_autolabel(node)
    press_process(fake, node)
    fake.fake_user_set(node["version"], "v001")
    assert node["label"].value() == "keep me: comp notes", "the label belongs to the artist"
    drawn = fake.fake_autolabel(node)
    assert drawn.splitlines()[0] == node.name()
    assert "v001" in drawn and "keep me: comp notes" in drawn, drawn


def test_nodes_have_a_colour_and_the_toolbar_an_icon(fake: ModuleType, down: str) -> None:
    from rushes_nuke import kinds, menus

    node = kinds.create("WireRemoval", url=down)
    look = kinds.create("Look", url=down)
    assert node["tile_color"].value() != 0 and look["tile_color"].value() == node["tile_color"].value()
    menus.install()
    icon = fake.toolbar("Nodes").fake_items["Rushes"].fake_icon
    assert icon and (PLUGIN_DIR / "icons" / icon).is_file(), f"icon {icon!r} not shipped in nuke/icons"
    assert (PLUGIN_DIR / "icons" / icon).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_file_knobs_are_evaluated_so_tcl_paths_work(fake: ModuleType, down: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from rushes_nuke import kinds, state

    monkeypatch.setenv("SHOW_ROOT", str(tmp_path))
    (tmp_path / "look.cc").write_text(CC)
    fake.fake_set_ocio_config("aces_1.2")
    look = kinds.create("Look", url=down)
    fake.fake_user_set(look["apply"], "CDL")
    fake.fake_user_set(look["cdl_file"], "[getenv SHOW_ROOT]/look.cc")
    assert look.node("CDL")["slope"].value() == [1.1, 1.0, 0.9], "the CDL path was expanded"
    node = kinds.create("WireRemoval", url=down)
    node["cache_root"].setValue("$env(SHOW_ROOT)/cache")
    assert state.cache_root(node) == f"{tmp_path}/cache"


def test_proxy_mode_is_off_while_the_inputs_render_and_restored_after(fake: ModuleType, daemon: str,
                                                                       tmp_path: Path) -> None:
    """Issue 17, item 5: a proxy-scale render must never be cached as the result."""
    from tests.nuke.helpers import plate_pixels, read_exr

    node = exposure_node(fake, daemon, tmp_path / "plates")
    fake.root()["proxy"].setValue(True)
    press_process(fake, node)
    assert fake.fake_state().messages == []
    got = read_exr(Path(str(node.node("Read_result")["file"].value()).replace("####", "1001")))
    assert got.shape == plate_pixels(1001)[..., :3].shape, "the result is full resolution"
    assert fake.root()["proxy"].value() is True, "the artist's proxy setting is back"


def test_the_versions_qc_shows_in_the_node_status(fake: ModuleType, down: str, tmp_path: Path) -> None:
    """QC.md: a task summary may carry "qc"; the node's status shows its note (optional)."""
    import json

    from rushes_nuke import kinds, state

    node = kinds.create("WireRemoval", url=down)
    node["cache_root"].setValue(str(tmp_path / "cache"))
    folder = tmp_path / "cache" / str(node["rushes_id"].value())
    qc = {"measure": "residual line energy in the hint", "threshold": 0.25, "flagged": [1012, 1013],
          "frames": [{"frame": 1012, "value": 0.4, "flagged": True}], "note": "2 frame(s) to check: 1012, 1013"}
    for version, summary in (("v001", {"frames": 3}), ("v002", {"frames": 3, "qc": qc}),
                             ("v003", {"qc": "garbled"}), ("v004", {"qc": dict(qc, note="", flagged=[])})):
        (folder / version / "repair").mkdir(parents=True)
        (folder / version / "job.json").write_text(json.dumps({"outputs": {"repair": [1012, 1013]},
                                                               "summary": summary}))
    shown = {}
    for version in ("v001", "v002", "v003", "v004"):
        state.set_versions(node, select=version)
        kinds.refresh(node)
        shown[version] = node["rushes_note"].value() if node.knob("rushes_note") else ""
    assert shown == {"v001": "", "v002": "QC: 2 frame(s) to check: 1012, 1013", "v003": "",
                     "v004": "QC: every frame passed (residual line energy in the hint)"}
