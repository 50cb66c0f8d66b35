"""`rushes wire-remove`: sequences in and out, bit depth kept, inputs never overwritten."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.cli import main
from inference_server.engines.metrics import psnr
from inference_server.engines.wire.synthetic import wire_shot

pytestmark = pytest.mark.usefixtures("in_process")


def _shot(folder: Path, n: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    truth, plates, hints = wire_shot(n, drift=5.0)
    for i, (p, h) in enumerate(zip(plates, hints, strict=True)):
        media.write_image(folder / f"plate.{1001 + i:04d}.png", np.rint(p * 65535).astype(np.uint16))
        media.write_image(folder / f"hint.{1001 + i:04d}.png", np.rint(h[:, :, None] * 255).astype(np.uint8))
    return truth, hints


def test_wire_remove_writes_a_repaired_sequence_in_the_plate_bit_depth(tmp_path: Path) -> None:
    truth, hints = _shot(tmp_path)
    out = tmp_path / "out" / "repair.####.png"
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(out), "--hint",
                    str(tmp_path / "hint.%04d.png"), "--frames", "1002-1003", "--mode", "temporal", "--regrain", "0"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["repair.1002.png", "repair.1003.png"]
    rep = media.read_image(tmp_path / "out" / "repair.1002.png")
    src = media.read_image(tmp_path / "plate.1002.png")
    assert rep.dtype == np.uint16 and rep.shape == src.shape
    h = hints[1]
    np.testing.assert_array_equal(rep[h == 0], src[h == 0])
    assert psnr(rep[h > 0] / 65535.0, truth[1][h > 0]) > psnr(src[h > 0] / 65535.0, truth[1][h > 0]) + 10


def test_matte_output_and_still_hint(tmp_path: Path) -> None:
    _shot(tmp_path, 2)
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "m.####.exr"),
                    "--hint", str(tmp_path / "hint.1001.png"), "--output", "matte", "--mode", "spatial"])
    assert code == 0
    m = media.read_image(tmp_path / "m.1002.exr")
    assert m.shape == (96, 160, 1) and m.max() == pytest.approx(1.0)


def test_refuses_to_overwrite_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _shot(tmp_path, 1)
    before = (tmp_path / "plate.1001.png").read_bytes()
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "plate.%04d.png"),
                    "--hint", str(tmp_path / "hint.####.png")])
    assert code == 2
    assert "overwrite the input" in capsys.readouterr().err
    assert (tmp_path / "plate.1001.png").read_bytes() == before


def test_missing_and_mismatched_inputs_fail_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _shot(tmp_path, 2)
    assert main(["wire-remove", str(tmp_path / "nope.####.png"), str(tmp_path / "o.####.png"),
                    "--hint", str(tmp_path / "hint.####.png")]) == 2
    assert "nope" in capsys.readouterr().err
    (tmp_path / "hint.1002.png").unlink()
    assert main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "o.####.png"),
                    "--hint", str(tmp_path / "hint.####.png")]) == 2
    assert "hint" in capsys.readouterr().err
    assert not list(tmp_path.glob("o.*"))


def test_model_version_needs_a_project_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _shot(tmp_path, 1)
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "o" / "r.####.png"),
                    "--hint", str(tmp_path / "hint.####.png"), "--model-version", "v002"])
    assert code != 0 and "--model-version needs --project" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_summary_names_the_qc_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _shot(tmp_path, 2)
    code = main(["wire-remove", str(tmp_path / "plate.####.png"), str(tmp_path / "o" / "r.####.png"), "--hint",
                 str(tmp_path / "hint.####.png"), "--regrain", "0"])
    err = capsys.readouterr().err
    assert code == 0 and "QC: " in err
    assert "no line left in the hint on 2 repaired frame(s)" in err or "frame(s) to check" in err


def _options(*command: str) -> dict[str, object]:
    """option dest -> its argparse action, for one sub-command of the real parser."""
    import argparse

    from inference_server.cli import build_parser

    parser: argparse.ArgumentParser = build_parser()
    for name in command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return {a.dest: a for a in parser._actions}


def test_cli_choices_and_defaults_are_the_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """No hand copy: a changed default, range or choice in a task shows in the CLI's options and help."""
    from dataclasses import replace

    from inference_server.tasks import wire_removal

    wire = wire_removal.MANIFEST
    opts = _options("wire-remove")
    assert (list(opts["mode"].choices), opts["mode"].default) == (wire.param("method").values(), "auto")
    assert (list(opts["output"].choices), opts["output"].default) == (wire.param("output").values(), "repair")
    assert opts["window"].help == "temporal window in frames each side (0-16, default 4)"
    assert opts["regrain"].help == "regrain amount (0-2, default 1)"
    fit = _options("look", "fit")
    assert (fit["size"].default, fit["smoothness"].default, fit["title"].default) == (33, 1.0, "Rushes look")
    assert fit["smoothness"].help == "LUT smoothness (0.01-100, default 1)"
    tr = _options("train")
    assert (list(tr["model"].choices), list(tr["preset"].choices), tr["preset"].default) == \
        (["wire-removal"], ["smoke", "full"], "smoke")
    window = replace(wire.param("window"), default=3, max=8)
    monkeypatch.setattr(wire_removal, "MANIFEST", replace(wire, params=tuple(
        window if p.name == "window" else p for p in wire.params)))
    monkeypatch.setattr("inference_server.cli.wire.MANIFEST", wire_removal.MANIFEST)
    assert _options("wire-remove")["window"].help == "temporal window in frames each side (0-8, default 3)"
