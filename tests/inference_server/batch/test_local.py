"""`rushes batch PLAN` with the local engine: a whole synthetic night, checked against in-process runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.batch.graph import build_tasks
from inference_server.batch.plan import load_plan
from inference_server.batch.synthetic import make_night
from inference_server.cli import main
from inference_server.project import registry
from inference_server.project.store import open_project

from .conftest import renders


def test_a_night_runs_end_to_end_and_matches_in_process_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    night = make_night(tmp_path / "night", wire_shots=2, frames=5, train_steps=3)
    assert main(["batch", str(night.plan), "--jobs", "2"]) == 0
    assert "6 task(s): 6 done" in capsys.readouterr().out

    # ingest and train went to the plan's store
    store = open_project("night", night.root / "store", must_exist=True)
    with store.catalog() as catalog:
        paths = [c["path"] for c in catalog.clips()]
    assert len(paths) == 2 and "sh010" in paths[0] and "sh020" in paths[1]
    versions = registry.list_versions(store, "wire_removal")
    assert [v["version"] for v in versions] == ["v001"] and versions[0]["steps"] == 3

    # every output equals what the same command writes when run by hand, in-process
    plan = load_plan(night.plan)
    monkeypatch.setenv("RUSHES_STORE", str(night.root / "store"))
    got = renders(night)
    for task in build_tasks(plan)[2:]:
        ref = tmp_path / "ref" / task.id / os.path.basename(task.out)
        assert main([str(ref) if a == task.out else a for a in task.argv]) == 0
        for n in task.frames:
            want = media.read_image(media.output_path(str(ref), n))
            have = got[os.path.relpath(media.output_path(task.out, n), night.root / "renders")]
            np.testing.assert_array_equal(have, want, err_msg=f"{task.id} frame {n}")
    assert len(got) == 4 * 5   # two wire shots, the object removal, the look: 5 frames each, nothing more
    assert not list((night.root / "renders").rglob(".rushes-stage*"))   # no staging left behind

    # the morning report
    report = json.loads((night.root / "report" / "report.json").read_text())
    assert report["ok"] and report["counts"] == {"done": 6} and report["engine"] == "local"
    shots = {(s["kind"], s["shot"]): s for s in report["shots"]}
    assert set(shots) == {("ingest", "ingest.1"), ("train", "train"), ("wire_remove", "A001"),
                          ("wire_remove", "A002"), ("clean_plate", "C001"), ("look_apply", "A001_look")}
    a001 = shots[("wire_remove", "A001")]
    assert a001["status"] == "done" and a001["frames"] == 5 and a001["outputs"] == 5 and a001["errors"] == []
    assert 0 < a001["seconds_per_frame"] < a001["seconds"]
    thumb = media.read_image(night.root / "report" / a001["thumbnail"])
    assert thumb.shape[0] == 135 and thumb.shape[1] > 2 * 135 and thumb.dtype == np.uint8
    html = (night.root / "report" / "report.html").read_text()
    assert "A001_look" in html and "thumbs/wire_remove.A001.png" in html and "6 done" in html
    train = next(t for t in report["tasks"] if t["id"] == "train")
    assert train["summary"]["version"] == "v001" and train["summary"]["steps"] == 3

    # --resume: nothing to do but the (incremental) ingest; an input touched since, or an output gone,
    # reruns just that task
    stamp = {p: p.stat().st_mtime_ns for p in (night.root / "renders").rglob("*.png")}
    assert main(["batch", str(night.plan), "--resume"]) == 0
    assert "6 task(s): 1 done, 5 skipped" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (night.root / "renders").rglob("*.png")} == stamp
    hint = night.root / "plates" / "A002" / "hint.1003.png"
    os.utime(hint, ns=(hint.stat().st_atime_ns, hint.stat().st_mtime_ns + 10**9))
    (night.root / "renders" / "A001_look" / "A001_look.1002.png").unlink()
    assert main(["batch", str(night.plan), "--resume"]) == 0
    assert "6 task(s): 3 done, 3 skipped" in capsys.readouterr().out
    ran = [t["id"] for t in json.loads((night.root / "report" / "report.json").read_text())["tasks"]
           if t["status"] == "done"]
    assert ran == ["ingest.1", "wire_remove.A002", "look_apply.A001_look"]
    assert renders(night).keys() == got.keys()


def test_a_failed_shot_is_reported_and_leaves_nothing_under_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")   # two GPUs: two tasks at once, each seeing its own
    night = make_night(tmp_path / "night", wire_shots=2, frames=4, train_steps=None, ingest=False, clean=False,
                       look=False)
    for p in (night.root / "plates" / "A002").glob("hint.*.png"):   # an empty hint: the repair refuses it
        media.write_image(p, np.zeros((96, 160, 1), np.uint8))
    assert main(["batch", str(night.plan)]) == 1
    captured = capsys.readouterr()
    assert "2 task(s): 1 done, 1 failed" in captured.out
    assert "wire_remove A002: wire_remove.A002: error: the hint is empty on every frame" in captured.err
    assert sorted(p.name for p in (night.root / "renders").iterdir()) == ["A001", "A002"]
    assert list((night.root / "renders" / "A002").iterdir()) == []    # no partial output, no staging
    report = json.loads((night.root / "report" / "report.json").read_text())
    shot = next(s for s in report["shots"] if s["shot"] == "A002")
    assert not report["ok"] and shot["status"] == "failed" and "hint is empty" in shot["errors"][0]
    assert "hint is empty" in (night.root / "report" / "report.html").read_text()
    assert sorted(t["cuda_visible_devices"] for t in report["tasks"]) == ["3", "5"]
    assert main(["batch", str(night.plan), "--resume"]) == 1    # a failure is not complete: tried again
    assert "1 failed, 1 skipped" in capsys.readouterr().out


def test_a_failed_training_blocks_the_repairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    night = make_night(tmp_path / "night", wire_shots=1, frames=3, train_steps=2, ingest=False, clean=False,
                       look=False)   # nothing ingested: training has nothing to learn from
    assert main(["batch", str(night.plan)]) == 1
    report = json.loads((night.root / "report" / "report.json").read_text())
    status = {t["id"]: t["status"] for t in report["tasks"]}
    assert status == {"train": "failed", "wire_remove.A001": "blocked"}
    blocked = next(t for t in report["tasks"] if t["id"] == "wire_remove.A001")
    assert blocked["error"] == "not run: train failed before it"
    assert not (night.root / "renders").exists()


def test_an_output_folder_that_cannot_be_made_fails_only_that_shot(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    night = make_night(tmp_path / "night", wire_shots=1, frames=3, train_steps=None, ingest=False, clean=False)
    (night.root / "renders").mkdir()
    (night.root / "renders" / "A001").write_text("a file where the shot's folder should be")
    assert main(["batch", str(night.plan)]) == 1
    report = json.loads((night.root / "report" / "report.json").read_text())
    status = {t["id"]: (t["status"], t.get("error", "")) for t in report["tasks"]}
    assert status["look_apply.A001_look"] == ("done", "")
    assert status["wire_remove.A001"][0] == "failed" and "FileExistsError" in status["wire_remove.A001"][1]
    assert (night.root / "renders" / "A001").read_text().startswith("a file")
