"""Ingest: 10-bit ProRes with timecode, sequences, idempotent re-runs, corrupt files, ALE CDL."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from inference_server.media import read_clip_frames
from inference_server.project.ingest import ingest
from inference_server.project.store import open_project

DATA = Path(__file__).resolve().parents[3] / "../shared/data"


def write_prores_10bit(path: Path, frames: int = 4, width: int = 320, height: int = 16) -> None:
    """A ProRes 422 HQ (yuv422p10le) movie with a 10-bit ramp, start timecode 01:02:03:04, reel A001."""
    import av

    with av.open(str(path), "w") as c:
        c.metadata["timecode"] = "01:02:03:04"
        s = c.add_stream("prores_ks", rate=24)
        s.width, s.height, s.pix_fmt = width, height, "yuv422p10le"
        s.metadata["reel_name"] = "A001"
        ramp = np.linspace(0, 65535, width).astype(np.uint16)
        for i in range(frames):
            a = np.empty((height, width, 3), np.uint16)
            a[...] = ramp[None, :, None]
            a[..., 2] = 1000 * i
            for p in s.encode(av.VideoFrame.from_ndarray(a, format="rgb48le")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def write_png_sequence(folder: Path, name: str, numbers: range, size: int = 48) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for n in numbers:
        cv2.imwrite(str(folder / f"{name}.{n:04d}.png"), rng.integers(0, 255, (size, size, 3), dtype=np.uint8))


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_prores_10bit_keeps_bit_depth_and_timecode(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_prores_10bit(src / "A001C003.mov")
    before = snapshot(src)
    store = open_project("show", tmp_path / "store")
    report = ingest([src], store)
    assert report.added == [str((src / "A001C003.mov").resolve())]
    with store.catalog() as cat:
        (clip,) = cat.clips()
        assert cat.schema_version == 3
    assert clip["bit_depth"] == 10 and clip["pixel_format"] == "yuv422p10le" and clip["codec"] == "prores"
    assert clip["timecode"] == "01:02:03:04" and clip["reel"] == "A001"
    assert (clip["width"], clip["height"], clip["frame_count"], clip["fps"]) == (320, 16, 4, 24.0)
    frames = read_clip_frames(clip, [0, 3])
    red = frames[0][8, :, 0]
    # a 320-step ramp survives with more distinct levels than 8 bits could hold
    assert len(np.unique(np.round(red * 65535))) > 256
    assert abs(float(red[-1]) - 1.0) < 0.01 and abs(float(red[0])) < 0.01
    assert snapshot(src) == before  # nothing written next to the sources


def test_reingest_is_idempotent_and_picks_up_changes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_png_sequence(src / "sh010", "plate", range(1001, 1006))
    store = open_project("show", tmp_path / "store")
    first = ingest([src], store)
    assert len(first.added) == 1 and first.added[0].endswith("plate.%04d.png")
    seen: list[tuple[int, int]] = []
    again = ingest([src], store, progress=lambda d, t, m: seen.append((d, t)))
    assert again.added == [] and again.updated == [] and again.unchanged == first.added
    assert seen == [(1, 1)]
    write_png_sequence(src / "sh020", "plate", range(1, 4))
    os.utime(src / "sh010" / "plate.1003.png", ns=(1, 1))
    third = ingest([src], store)
    assert len(third.added) == 1 and "sh020" in third.added[0]
    assert len(third.updated) == 1 and "sh010" in third.updated[0]
    with store.catalog() as cat:
        clips = {Path(c["path"]).parent.name: c for c in cat.clips()}
        shots = cat.shots("clip")
    assert (clips["sh010"]["first_frame"], clips["sh010"]["last_frame"]) == (1001, 1005)
    assert clips["sh020"]["frame_count"] == 3 and clips["sh020"]["bit_depth"] == 8
    assert sorted(s["name"] for s in shots) == ["sh010", "sh020"]  # "plate" is generic: the folder names the shot


def test_corrupt_file_is_recorded_and_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_png_sequence(src, "good", range(1, 3))
    (src / "broken.mov").write_bytes(b"\x00\x00\x00\x14ftypqt  " + os.urandom(2000))
    store = open_project("show", tmp_path / "store")
    report = ingest([src], store)
    broken = str((src / "broken.mov").resolve())
    assert len(report.added) == 1 and list(report.failed) == [broken]
    with store.catalog() as cat:
        assert [e["path"] for e in cat.errors()] == [broken]
        assert len(cat.clips()) == 1
    again = ingest([src], store)
    assert "unchanged since it failed" in again.failed[broken]
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ingest([tmp_path / "nowhere"], store)


def test_ale_cdl_columns_are_imported(tmp_path: Path) -> None:
    ale = DATA / "editorial/ale/sample_cdl.ale"
    assert ale.is_file(), f"missing test data: {ale}"
    store = open_project("show", tmp_path / "store")
    report = ingest([ale], store)
    assert report.sidecars == [str(ale.resolve())]
    with store.catalog() as cat:
        rows = cat.shots("ale")
    assert len(rows) == 4
    first = rows[0]
    assert first["name"] == "A005_C010_0501J0" and first["start_tc"] == "17:49:33:01"
    assert first["cdl"]["slope"] == pytest.approx([0.8714, 0.9334, 0.9947])
    assert first["cdl"]["offset"] == pytest.approx([-0.087, -0.0922, -0.0808])
    assert first["cdl"]["power"] == pytest.approx([0.9988, 1.0218, 1.0101])
    assert first["cdl"]["sat"] == pytest.approx(0.9)
    # 17:49:33:01 .. 17:49:35:10 at 23.976 (24-frame timecode), End exclusive: 57 frames
    assert first["last_frame"] - first["first_frame"] + 1 == 57
    assert ingest([ale], store).sidecars == []


def test_newer_catalog_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    store = open_project("show", tmp_path / "store").create()
    with store.catalog() as cat:
        assert cat.schema_version == 3
    db = sqlite3.connect(store.catalog_path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(ValueError, match="schema version 99"):
        store.catalog()
    with pytest.raises(ValueError, match="not usable"):
        open_project("../escape", tmp_path / "store")


def test_a_version_1_catalog_is_brought_forward(tmp_path: Path) -> None:
    import sqlite3

    from inference_server.project.catalog import MIGRATIONS

    store = open_project("show", tmp_path / "store").create()
    store.catalog_path.unlink(missing_ok=True)
    db = sqlite3.connect(store.catalog_path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO jobs (kind, state, started) VALUES ('train', 'running', 1.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with store.catalog() as cat:
        assert cat.schema_version == 3
        (job,) = cat.jobs()
    assert job["state"] == "running" and job["pid"] is None  # no process recorded: nothing to judge by


def test_ale_reads_the_same_through_opentimelineio_and_the_fallback_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from inference_server.project import ale as ale_mod

    path = DATA / "editorial/ale/sample_cdl.ale"
    assert ale_mod._rows_via_otio(path) is not None  # the otio-ale-adapter plugin is installed
    via_otio = ale_mod.read_ale(path)
    monkeypatch.setattr(ale_mod, "_rows_via_otio", lambda p: None)
    fallback = ale_mod.read_ale(path)
    keys = ("name", "tape", "start_tc", "end_tc", "first_frame", "last_frame")
    assert [[r[k] for k in keys] for r in via_otio] == [[r[k] for k in keys] for r in fallback]
    for a, b in zip(via_otio, fallback, strict=True):
        assert (a["cdl"] is None) == (b["cdl"] is None)
        if a["cdl"] is not None:
            assert all(a["cdl"][k] == pytest.approx(b["cdl"][k]) for k in ("slope", "offset", "power", "sat"))
