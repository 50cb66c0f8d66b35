"""The morning report: ``report.json`` and ``report.html`` in the plan's report folder.

Built from the task results kept under ``REPORT/state/results`` (so a farm's last step, or
``rushes batch PLAN --report``, writes the same report as a local run). Per shot: status,
frames, seconds per frame, the repair's QC (frames flagged for a look, merged over chunks),
a before/after thumbnail of the middle frame, and the error for failures.
"""

from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from inference_server import media
from inference_server.batch import execute
from inference_server.batch.execute import state_dir
from inference_server.batch.graph import Task
from inference_server.batch.plan import Plan
from inference_server.frames import to_float
from inference_server.tasks.wire_removal import first

THUMB_HEIGHT = 135
_ORDER = {"failed": 0, "blocked": 1, "not run": 2, "done": 3, "skipped": 4}


def load_results(plan: Plan, tasks: list[Task]) -> list[dict[str, Any]]:
    out = []
    for task in tasks:
        path = state_dir(plan) / "results" / f"{task.id}.json"
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            out.append({"id": task.id, "kind": task.kind, "stage": task.stage, "shot": task.shot,
                        "chunk": task.chunk, "frames": len(task.frames), "status": "not run"})
    return out


def merge_qc(given: list[Any]) -> dict[str, Any] | None:
    """One shot's QC from its chunks' (schema in the QC brief); None when no chunk carried any."""
    parts: list[dict[str, Any]] = [q for q in given if isinstance(q, dict)]
    if not parts:
        return None
    frames = sorted((f for q in parts for f in q.get("frames", []) if isinstance(f, dict)),
                    key=lambda f: f.get("frame", 0))
    flagged = sorted({int(n) for q in parts for n in q.get("flagged", [])})
    places = [str(p) for q in parts for p in q.get("places", []) if isinstance(q.get("places"), list)]
    where = f"; look at {first(places, 6)}" if places else ""
    note = (f"{len(flagged)} frame(s) to check: {', '.join(map(str, flagged))}{where}" if flagged else
            "every frame passed") if len(parts) > 1 else parts[0].get("note", "")
    out = {k: v for k, v in parts[0].items() if k not in ("frames", "flagged", "note", "places")}  # e.g. gap_threshold
    out.update({"measure": parts[0].get("measure", ""), "threshold": parts[0].get("threshold"), "frames": frames,
                "flagged": flagged, "note": note})
    if places or any("places" in q for q in parts):
        out["places"] = places
    return out


def _shots(plan: Plan, tasks: list[Task], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_shot: dict[tuple[str, str], list[tuple[Task, dict[str, Any]]]] = {}
    for task, res in zip(tasks, results, strict=True):
        key = (task.kind, task.shot or task.id)
        by_shot.setdefault(key, []).append((task, res))
    shots = []
    for (kind, name), items in by_shot.items():
        statuses = [r["status"] for _, r in items]
        status = min(statuses, key=lambda s: _ORDER.get(s, 0))
        frames = sum(int(r.get("frames") or 0) for _, r in items)
        ran = [r for _, r in items if r["status"] in ("done", "skipped")]   # skipped: the figures of the run that did it
        seconds = sum(float(r.get("seconds") or 0) for r in ran)
        spf = [float(r["seconds_per_frame"]) for r in ran if r.get("seconds_per_frame") is not None]
        errors = [f"{r['id']}: {r['error']}" for _, r in items if r.get("error")]
        outputs = [o["path"] for _, r in items for o in (r.get("outputs") or [])]
        shots.append({"kind": kind, "shot": name, "status": status, "tasks": len(items), "frames": frames,
                      "seconds": round(seconds, 2),
                      "seconds_per_frame": round(sum(spf) / len(spf), 4) if spf else None,
                      "qc": merge_qc([r.get("qc") for _, r in items]), "errors": errors,
                      "out": items[0][0].out, "outputs": len(outputs),
                      "workers": sorted({str(r.get("ran_on") or r.get("worker")) for _, r in items
                                         if r.get("worker")})})
    return shots


def write_report(plan: Plan, tasks: list[Task], *, engine: str, wall_seconds: float | None = None,
                 thumbnails: bool = True) -> dict[str, Any]:
    """Write report.json and report.html (and thumbnails); returns the report."""
    results = load_results(plan, tasks)
    shots = _shots(plan, tasks, results)
    if thumbnails:
        for shot, task in zip(shots, _first_tasks(tasks, shots), strict=True):
            shot["thumbnail"] = _thumbnail(plan, task, shot)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    report = {"plan": str(plan.path), "project": plan.project, "engine": engine,
              "written": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "wall_seconds": wall_seconds,
              "counts": counts, "ok": all(r["status"] in ("done", "skipped") for r in results),
              "shots": shots, "tasks": results}
    plan.report.mkdir(parents=True, exist_ok=True)
    execute.write_shared(plan.report / "report.json", json.dumps(report, indent=1, default=str))
    execute.write_shared(plan.report / "report.html", render_html(report))
    return report


def _first_tasks(tasks: list[Task], shots: list[dict[str, Any]]) -> list[Task]:
    first: dict[tuple[str, str], Task] = {}
    for t in tasks:
        first.setdefault((t.kind, t.shot or t.id), t)
    return [first[(s["kind"], s["shot"])] for s in shots]


def _display(pixels: np.ndarray) -> np.ndarray:
    """A frame as display uint8 RGB: float (scene-linear) through a 1/2.2 gamma, integers as they are."""
    f = to_float(pixels)
    if pixels.dtype.kind == "f":
        f = np.clip(f, 0.0, 1.0) ** (1 / 2.2)
    f = f[:, :, :3] if f.shape[2] >= 3 else np.repeat(f[:, :, :1], 3, axis=2)
    return np.asarray(np.rint(np.clip(f, 0, 1) * 255), np.uint8)


def _thumbnail(plan: Plan, task: Task, shot: dict[str, Any]) -> str | None:
    """Before | after of the shot's middle output frame, THUMB_HEIGHT high; its path relative to the report."""
    import cv2

    if task.kind not in ("wire_remove", "clean_plate", "look_apply") or shot["status"] not in ("done", "skipped"):
        return None
    src = task.argv[1] if task.kind != "look_apply" else task.argv[3]
    try:
        if task.frames:
            n = task.frames[len(task.frames) // 2]
            after_path = media.output_path(task.out, n)
            seq = media.open_sequence(src)
            before = seq[seq.numbers.index(n) if n in seq.numbers else 0].pixels
        else:  # a clean plate: one frame; the plate's middle frame beside it
            seq = media.open_sequence(src)
            before = seq[len(seq) // 2].pixels
            outs = [p for p in Path(task.out).parent.glob("*") if p.is_file() and "_unseen" not in p.name
                    and p.name.startswith(os.path.basename(task.out).split(".")[0])]
            if not outs:
                return None
            after_path = str(sorted(outs)[0])
        after = media.read_image(after_path)
    except (OSError, ValueError, IndexError):
        return None
    row = []
    for px in (before, after):
        img = _display(px)
        w = max(1, round(img.shape[1] * THUMB_HEIGHT / img.shape[0]))
        row.append(cv2.resize(img, (w, THUMB_HEIGHT), interpolation=cv2.INTER_AREA))
    sheet = np.concatenate([row[0], np.full((THUMB_HEIGHT, 4, 3), 255, np.uint8), row[1]], axis=1)
    name = f"thumbs/{task.kind}.{shot['shot']}.png"
    (plan.report / "thumbs").mkdir(parents=True, exist_ok=True)
    media.write_image(plan.report / name, sheet)
    return name


def render_html(report: dict[str, Any]) -> str:
    esc = html.escape
    rows = []
    for s in report["shots"]:
        qc = s.get("qc") or {}
        qc_text = esc(qc.get("note", "")) if qc else "-"
        if qc.get("flagged"):
            qc_text = f"<b class=flag>{qc_text}</b>"
        thumb = f"<img src='{esc(s['thumbnail'])}' alt='before | after'>" if s.get("thumbnail") else ""
        spf = f"{s['seconds_per_frame']:.3f}" if s.get("seconds_per_frame") is not None else "-"
        err = "<br>".join(esc(e) for e in s["errors"])
        rows.append(f"<tr class={esc(s['status'].replace(' ', '-'))}><td>{esc(s['kind'])}</td><td>{esc(s['shot'])}</td>"
                    f"<td>{esc(s['status'])}</td><td>{s['frames']}</td><td>{spf}</td><td>{qc_text}</td>"
                    f"<td>{thumb}</td><td class=err>{err}</td></tr>")
    counts = ", ".join(f"{v} {esc(k)}" for k, v in sorted(report["counts"].items()))
    wall = f"{report['wall_seconds']:.1f} s" if report.get("wall_seconds") else "-"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Rushes dailies: {esc(report['project'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:4px 8px;vertical-align:top}}tr.failed,tr.blocked{{background:#fdd}}tr.skipped{{color:#666}}
.flag{{color:#b00}}.err{{font-family:monospace;font-size:90%}}img{{display:block}}</style></head><body>
<h1>Dailies report: {esc(report['project'])}</h1>
<p>Plan {esc(report['plan'])}; engine {esc(report['engine'])}; written {esc(report['written'])};
wall time {wall}; tasks: {counts}.</p>
<table><tr><th>task</th><th>shot</th><th>status</th><th>frames</th><th>s/frame</th><th>QC</th>
<th>before | after</th><th>error</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
