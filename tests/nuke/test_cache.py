"""The per-node, per-version cache layout (plain Python, no Nuke)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rushes_nuke import cache


def test_versions_appear_only_when_committed(tmp_path: Path) -> None:
    layout = cache.NodeCache(str(tmp_path), "WireRemoval_ab12cd34")
    assert layout.versions() == []
    work = layout.begin()
    writer = cache.OutputWriter(work)
    writer.frame("repair", 1001, b"exr-1")
    writer.frame("repair", 1002, b"exr-2")
    writer.blob("look.cube", b"LUT_3D_SIZE 2")
    assert layout.versions() == [], "a partial folder is not a version"
    writer.job({"task": "wire_removal"})
    assert layout.commit(work) == "v001"
    assert layout.versions() == ["v001"]
    v1 = Path(layout.version_dir("v001"))
    assert sorted(str(p.relative_to(v1)) for p in v1.rglob("*")) == [
        "job.json", "look.cube", "repair", "repair/repair.1001.exr", "repair/repair.1002.exr"]
    job = json.loads((v1 / "job.json").read_text())
    assert job == {"task": "wire_removal", "outputs": {"repair": [1001, 1002]}}
    assert cache.frame_range(job, "repair") == [1001, 1002] and cache.frame_range(job, "matte") is None
    assert layout.output_pattern("v001", "repair") == f"{v1}/repair/repair.####.exr"


def test_discard_removes_the_partial_folder_and_numbers_continue(tmp_path: Path) -> None:
    layout = cache.NodeCache(str(tmp_path), "n")
    first = layout.begin()
    cache.OutputWriter(first).job({})
    layout.commit(first)
    failed = layout.begin()
    cache.OutputWriter(failed).frame("result", 1, b"x")
    layout.discard(failed)
    assert sorted(os.listdir(layout.dir)) == ["v001"]
    again = layout.begin()
    cache.OutputWriter(again).job({})
    assert layout.commit(again) == "v002"


def test_commit_refuses_a_folder_without_job(tmp_path: Path) -> None:
    layout = cache.NodeCache(str(tmp_path), "n")
    with pytest.raises(ValueError, match="job.json"):
        layout.commit(layout.begin())


@pytest.mark.parametrize("name", ["../evil.cube", "job.json", "inputs", "sub/x.cube", ""])
def test_blob_names_cannot_escape_or_replace_the_job(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        cache.OutputWriter(str(tmp_path)).blob(name, b"x")


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a.exr"
    cache.atomic_write(str(target), b"one")
    cache.atomic_write(str(target), b"two")
    assert target.read_bytes() == b"two" and os.listdir(tmp_path) == ["a.exr"]


def test_default_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RUSHES_NUKE_CACHE", raising=False)
    assert cache.default_root(str(tmp_path / "shot010_comp_v003.nk")) == str(tmp_path / "rushes_cache")
    assert cache.default_root("").endswith(os.path.join(".cache", "rushes", "nuke"))
    monkeypatch.setenv("RUSHES_NUKE_CACHE", "/caches/show")
    assert cache.default_root(str(tmp_path / "x.nk")) == "/caches/show"


def test_bad_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cache folder"):
        cache.NodeCache(str(tmp_path), "///")
    with pytest.raises(ValueError, match="v001"):
        cache.NodeCache(str(tmp_path), "n").version_dir("../v1")
    assert cache.safe_key("Wire Removal/1") == "Wire_Removal_1"
