"""One task under its claim: two workers never both compute it; the report merges QC over chunks."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from inference_server.batch import execute
from inference_server.batch.graph import build_tasks
from inference_server.batch.plan import load_plan
from inference_server.batch.report import merge_qc, write_report
from inference_server.batch.synthetic import make_night


def test_two_workers_given_one_task_compute_it_once(tmp_path: Path) -> None:
    night = make_night(tmp_path / "night", wire_shots=1, frames=3, train_steps=None, ingest=False, clean=False,
                       look=False)
    plan = load_plan(night.plan)
    task = build_tasks(plan)[0]
    results: dict[str, dict[str, Any]] = {}

    def worker(name: str) -> None:
        results[name] = execute.run_task(plan, task, resume=True, worker=name)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    statuses = sorted((r["status"], name) for name, r in results.items())
    assert [s for s, _ in statuses] == ["done", "skipped"]
    did, waited = statuses[0][1], statuses[1][1]
    assert results[waited]["ran_on"] == did and results[waited]["waited"] > 0.5   # it waited for the claim
    assert results[waited]["outputs"] == results[did]["outputs"] and len(results[did]["outputs"]) == 3
    record = execute.completed(plan, task)
    assert record is not None and record["worker"] == did and record["fingerprint"] == execute.fingerprint(task)
    # an output changed behind the record's back makes the task incomplete again
    Path(record["outputs"][0]["path"]).write_bytes(b"truncated")
    assert execute.completed(plan, task) is None


def _qc(frames: list[tuple[int, float]], threshold: float = 0.25) -> dict[str, Any]:
    flagged = [n for n, v in frames if v > threshold]
    return {"measure": "residual line energy in the hint", "threshold": threshold,
            "frames": [{"frame": n, "value": v, "flagged": v > threshold} for n, v in frames],
            "flagged": flagged, "note": f"{len(flagged)} frame(s) to check" if flagged else "every frame passed"}


def test_the_report_carries_qc_merged_over_chunks(tmp_path: Path) -> None:
    night = make_night(tmp_path / "night", wire_shots=1, frames=5, train_steps=None, ingest=False, clean=False,
                       look=False, chunk=3)
    plan = load_plan(night.plan)
    tasks = build_tasks(plan)
    assert [t.id for t in tasks] == ["wire_remove.A001.1001-1003", "wire_remove.A001.1004-1005"]
    qcs = [_qc([(1001, 0.03), (1002, 0.31), (1003, 0.1)]), _qc([(1004, 0.02), (1005, 0.4)])]
    for task, qc, seconds in zip(tasks, qcs, (3.0, 2.0), strict=True):
        execute.write_shared(execute.state_dir(plan) / "results" / f"{task.id}.json", json.dumps(
            {"id": task.id, "kind": task.kind, "stage": task.stage, "shot": task.shot, "chunk": task.chunk,
             "frames": len(task.frames), "status": "done", "seconds": seconds, "seconds_per_frame": seconds / 3,
             "qc": qc, "worker": "w1", "outputs": []}))
    report = write_report(plan, tasks, engine="local", thumbnails=False)
    shot = report["shots"][0]
    assert shot["frames"] == 5 and shot["seconds"] == 5.0 and shot["seconds_per_frame"] == pytest.approx(0.8333, abs=1e-3)
    assert shot["qc"]["flagged"] == [1002, 1005] and [f["frame"] for f in shot["qc"]["frames"]] == [1001, 1002, 1003, 1004, 1005]
    assert shot["qc"]["note"] == "2 frame(s) to check: 1002, 1005" and shot["qc"]["threshold"] == 0.25
    html = (plan.report / "report.html").read_text()
    assert "<b class=flag>2 frame(s) to check: 1002, 1005</b>" in html
    assert merge_qc([None, None]) is None and merge_qc([qcs[0]]) == qcs[0] | {"note": qcs[0]["note"]}


def test_merged_qc_keeps_where_to_look_and_the_wire_checks_thresholds() -> None:
    from inference_server.tasks.wire_removal import wire_qc

    def check(frame: int, gap: int, at: list[int] | None) -> dict[str, object]:
        return {"frame": frame, "value": 0.0, "residual": 0.0, "repaired": 0.4, "passes": 1,
                "flagged": gap >= 30, "gap": gap, "gap_at": at}

    chunks = [wire_qc([check(1001, 0, None), check(1002, 82, [150, 44, 232, 76])]),
              wire_qc([check(1003, 40, [10, 20, 50, 40])])]
    merged = merge_qc(chunks)
    assert merged is not None and merged["flagged"] == [1002, 1003] and merged["gap_threshold"] == 30
    assert merged["places"] == ["1002 (x 150-232, y 44-76)", "1003 (x 10-50, y 20-40)"]
    assert merged["note"] == ("2 frame(s) to check: 1002, 1003; look at 1002 (x 150-232, y 44-76), "
                              "1003 (x 10-50, y 20-40)")
