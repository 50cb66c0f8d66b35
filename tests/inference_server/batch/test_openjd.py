"""`--export openjd`: the template passes `openjd check`, and `openjd run` executes it with the real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.batch.graph import build_tasks
from inference_server.batch.plan import load_plan
from inference_server.batch.synthetic import make_night
from inference_server.cli import main

from .conftest import assert_same_renders, renders, repairs_night

OPENJD = shutil.which("openjd", path=os.path.dirname(sys.executable)) or shutil.which("openjd")
RUSHES = f"{sys.executable} -m inference_server.cli"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(OPENJD is None, reason="openjd-cli is part of the dev install; CI has it")]


def _export(plan: Path, out: Path) -> dict:  # type: ignore[type-arg]
    assert main(["batch", str(plan), "--export", "openjd", "--out", str(out)]) == 0
    check = subprocess.run([str(OPENJD), "check", str(out / "template.json")], capture_output=True, text=True)
    assert check.returncode == 0 and "passes validation checks" in check.stdout, check.stdout + check.stderr
    return dict(json.loads((out / "template.json").read_text()))


def _run(template: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(OPENJD), "run", str(template), "-p", f"Rushes={RUSHES}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _history(plan: Path) -> list[dict]:  # type: ignore[type-arg]
    path = load_plan(plan).report / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_template_runs_the_night_with_a_daemon_per_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    night = make_night(tmp_path / "night", wire_shots=2, frames=5, train_steps=3, chunk=3)
    template = _export(night.plan, tmp_path / "job")
    steps = {s["name"]: s for s in template["steps"]}
    assert list(steps) == ["Ingest", "Train", "Repairs", "Looks", "Report"]
    assert steps["Repairs"]["parameterSpace"]["taskParameterDefinitions"][0]["range"] == [
        "wire_remove.A001.1001-1003", "wire_remove.A001.1004-1005", "wire_remove.A002.1001-1003",
        "wire_remove.A002.1004-1005", "clean_plate.C001"]
    assert [d["dependsOn"] for d in steps["Repairs"]["dependencies"]] == ["Train"]
    assert [d["dependsOn"] for d in steps["Report"]["dependencies"]] == ["Repairs", "Looks"]
    assert steps["Repairs"]["hostRequirements"] == {"amounts": [{"name": "amount.worker.gpu", "min": 1}]}
    assert "hostRequirements" not in steps["Looks"] and "hostRequirements" not in steps["Ingest"]
    env = template["jobEnvironments"][0]["script"]["actions"]
    assert set(env) == {"onEnter", "onExit"}

    proc = _run(tmp_path / "job" / "template.json", "--step", "Report", "--run-dependencies")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    daemon = re.search(r"rushes daemon (\d+) listening on (ipc://\S+)", out)
    assert daemon and f"rushes daemon {daemon.group(1)} stopped" in out and "All actions completed successfully" in out
    assert not Path(daemon.group(2)[len("ipc://"):]).exists()
    history = _history(night.plan)
    assert [h["status"] for h in history] == ["done"] * 8
    report = json.loads((night.root / "report" / "report.json").read_text())
    assert report["ok"] and report["engine"] == "farm" and report["counts"] == {"done": 8}

    # the same frames as the commands run by hand, in-process (no daemon), write
    monkeypatch.setenv("RUSHES_STORE", str(night.root / "store"))
    got = renders(night)
    for task in build_tasks(load_plan(night.plan))[2:]:
        ref = tmp_path / "ref" / task.id / os.path.basename(task.out)
        assert main([str(ref) if a == task.out else a for a in task.argv]) == 0
        for n in task.frames:
            have = got[os.path.relpath(media.output_path(task.out, n), night.root / "renders")]
            np.testing.assert_array_equal(have, media.read_image(media.output_path(str(ref), n)), err_msg=task.id)


def test_two_workers_on_the_same_tasks_compute_each_once(tmp_path: Path,
                                                         reference_renders: dict[str, np.ndarray]) -> None:
    night = repairs_night(tmp_path / "night")
    template = tmp_path / "job" / "template.json"
    ids = _export(night.plan, tmp_path / "job")["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["range"]
    tasks = [{"Task": t} for t in ids]
    first = _run(template, "--step", "Repairs", "--no-run-dependencies", "--tasks", json.dumps(tasks))
    second = _run(template, "--step", "Repairs", "--no-run-dependencies", "--tasks", json.dumps(tasks[::-1]))
    for proc in (first, second):
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
    looks = _run(template, "--step", "Looks", "--no-run-dependencies")
    out, _ = looks.communicate(timeout=300)
    assert looks.returncode == 0, out
    history = _history(night.plan)
    for task_id in ids:   # each task computed by one worker and found complete by the other
        assert sorted(h["status"] for h in history if h["id"] == task_id) == ["done", "skipped"], task_id
    assert not list((night.root / "renders").rglob(".rushes-stage*"))
    assert_same_renders(renders(night), reference_renders)


def test_a_cancelled_session_still_stops_its_daemon(tmp_path: Path) -> None:
    night = make_night(tmp_path / "night", wire_shots=1, frames=8, train_steps=None, ingest=False, clean=False,
                       look=False)
    _export(night.plan, tmp_path / "job")
    proc = _run(tmp_path / "job" / "template.json", "--step", "Repairs", "--no-run-dependencies")
    claim = load_plan(night.plan).report / "state" / "claims" / "wire_remove.A001.lock"
    end = time.monotonic() + 120
    while time.monotonic() < end and not (claim.is_file() and claim.read_text().strip()):
        time.sleep(0.05)
    assert claim.is_file(), "the task never started"
    proc.send_signal(signal.SIGTERM)   # what a farm's cancel does to the worker's session
    out, _ = proc.communicate(timeout=120)
    assert "Cancelling the session" in out and "Exiting Environment: RushesDaemon" in out, out
    daemon = re.search(r"rushes daemon (\d+) listening", out)
    assert daemon and f"rushes daemon {daemon.group(1)} stopped" in out, out
    with pytest.raises(ProcessLookupError):
        os.kill(int(daemon.group(1)), 0)
    # the interrupted task left nothing half-done: no staging, no frame under its final name, not marked done
    assert not list((night.root / "renders").rglob(".rushes-stage*"))
    assert not list((night.root / "renders").rglob("*.png"))
    assert not (load_plan(night.plan).report / "state" / "done" / "wire_remove.A001.json").exists()
