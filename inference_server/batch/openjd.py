"""Export a plan as an Open Job Description template (jobtemplate-2023-09; AWS Deadline Cloud's format).

One step per stage (Ingest, Train, Repairs on GPU hosts, Looks on any host, Report), a task
per shot and frame chunk (the task parameter ``Task`` is the batch task id), dependencies
between the steps, GPU host requirements, and a job environment that starts a `rushes serve`
daemon once per worker session (on a Unix socket in a private folder, so sessions sharing a
host never meet) and stops it on exit, cancelled sessions included. Each task runs
``rushes batch PLAN --task ID --resume``: a retried or duplicated task finds its outputs
complete and skips. Written for Linux workers (bash; macOS untested: its long TMPDIR may
not fit a Unix socket path).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inference_server.batch.execute import write_shared
from inference_server.batch.graph import Task
from inference_server.batch.plan import Plan, dump_plan

SPEC = "jobtemplate-2023-09"
PLAN_COPY = "plan.toml"

ENTER = r"""#!/usr/bin/env bash
# Start one rushes daemon for this worker session; later actions find it through RUSHES_SERVER.
set -euo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/rushes-session.XXXXXX")
echo "$dir" > "{{Session.WorkingDirectory}}/rushes-daemon-dir"
url="ipc://$dir/daemon.sock"
store="{{Param.Store}}"
detach=$(command -v setsid || true)   # its own session: the enter action's end must not take it down
$detach {{Param.Rushes}} serve --listen "$url" --device auto ${store:+--store "$store"} \
  > "$dir/daemon.log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$dir/daemon.pid"
for _ in $(seq 1 240); do
  if {{Param.Rushes}} ping --server "$url" --timeout 1 > /dev/null 2>&1; then
    echo "openjd_env: RUSHES_SERVER=$url"
    echo "rushes daemon $pid listening on $url"
    exit 0
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "rushes daemon exited before answering:"; cat "$dir/daemon.log"; exit 1
  fi
  sleep 0.5
done
echo "rushes daemon did not answer in 120 s:"; cat "$dir/daemon.log"; kill -KILL "$pid" || true; exit 1
"""

EXIT = r"""#!/usr/bin/env bash
# Stop this session's rushes daemon: SIGTERM (it finishes the frame in hand), then SIGKILL after 30 s.
dirfile="{{Session.WorkingDirectory}}/rushes-daemon-dir"
[ -f "$dirfile" ] || { echo "no rushes daemon to stop"; exit 0; }
dir=$(cat "$dirfile")
pid=$(cat "$dir/daemon.pid" 2> /dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2> /dev/null && kill -KILL "$pid"
fi
echo "rushes daemon $pid stopped"
rm -rf "$dir" "$dirfile"
"""

RUN = """#!/usr/bin/env bash
set -euo pipefail
exec {{Param.Rushes}} batch "{{Param.Plan}}" --task "{{Task.Param.Task}}" --resume
"""

REPORT = """#!/usr/bin/env bash
set -euo pipefail
exec {{Param.Rushes}} batch "{{Param.Plan}}" --report
"""


def _memory_mib(text: str) -> int:
    """``8G`` / ``16384M`` / ``8GB`` -> MiB."""
    t = text.strip().upper().rstrip("B").strip()
    scale = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    if t and t[-1] in scale:
        return max(1, int(float(t[:-1]) * scale[t[-1]]))
    return max(1, int(float(t) / (1024 * 1024)))


def gpu_requirements(plan: Plan) -> dict[str, Any]:
    amounts: list[dict[str, Any]] = [{"name": "amount.worker.gpu", "min": max(plan.gpus, 1)}]
    if plan.gpu_memory:
        amounts.append({"name": "amount.worker.gpu.memory", "min": _memory_mib(plan.gpu_memory)})
    return {"amounts": amounts}


def _script(file_text: str, name: str = "Run") -> dict[str, Any]:
    return {"actions": {"onRun": {"command": "bash", "args": [f"{{{{Task.File.{name}}}}}"],
                                  "cancelation": {"mode": "NOTIFY_THEN_TERMINATE", "notifyPeriodInSeconds": 30}}},
            "embeddedFiles": [{"name": name, "type": "TEXT", "data": file_text}]}


def _step(name: str, tasks: list[Task], deps: list[str], gpu: bool, plan: Plan) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": name,
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Task", "type": "STRING",
                                                         "range": [t.id for t in tasks]}]},
        "script": _script(RUN),
    }
    if deps:
        step["dependencies"] = [{"dependsOn": d} for d in deps]
    if gpu:
        step["hostRequirements"] = gpu_requirements(plan)
    return step


def build_template(plan: Plan, tasks: list[Task], out: Path, rushes: str = "rushes") -> dict[str, Any]:
    """The job template to be written in folder ``out`` as a dict (see the module doc).

    OpenJD takes a PATH parameter's default relative to the template's folder (and never above
    it), so the job reads its own snapshot of the plan, ``out/plan.toml`` (paths absolute).
    """

    groups = [("Ingest", [t for t in tasks if t.stage == "ingest"], False),
              ("Train", [t for t in tasks if t.stage == "train"], True),
              ("Repairs", [t for t in tasks if t.stage == "repairs" and t.gpu], True),
              ("Looks", [t for t in tasks if t.stage == "repairs" and not t.gpu], False)]
    steps: list[dict[str, Any]] = []
    before: list[str] = []
    for name, group, gpu in groups:
        if not group:
            continue
        steps.append(_step(name, group, before, gpu, plan))
        if name in ("Ingest", "Train"):
            before = [name]
    last = [s["name"] for s in steps if s["name"] in ("Repairs", "Looks")] or [s["name"] for s in steps[-1:]]
    report: dict[str, Any] = {"name": "Report", "script": _script(REPORT, "Report")}
    if last:
        report["dependencies"] = [{"dependsOn": d} for d in last]
    steps.append(report)
    return {
        "specificationVersion": SPEC,
        "name": f"Rushes dailies {plan.project}",
        "description": f"rushes batch {plan.path}: {len(tasks)} task(s)",
        "parameterDefinitions": [
            {"name": "Plan", "type": "PATH", "objectType": "FILE", "dataFlow": "IN", "default": PLAN_COPY,
             "description": "The night's plan (on shared storage)"},
            {"name": "Store", "type": "STRING", "default": plan.store,
             "description": "Project store for the session's daemon (empty: the worker user's store)"},
            {"name": "Rushes", "type": "STRING", "default": rushes, "minLength": 1,
             "description": "How to call rushes on the workers (a command, split on spaces)"},
        ],
        "jobEnvironments": [{
            "name": "RushesDaemon",
            "description": "One rushes daemon per worker session, stopped at the end (cancelled or not)",
            "script": {"actions": {"onEnter": {"command": "bash", "args": ["{{Env.File.Enter}}"]},
                                   "onExit": {"command": "bash", "args": ["{{Env.File.Exit}}"]}},
                       "embeddedFiles": [{"name": "Enter", "type": "TEXT", "data": ENTER},
                                         {"name": "Exit", "type": "TEXT", "data": EXIT}]},
        }],
        "steps": steps,
    }


def export_openjd(plan: Plan, tasks: list[Task], out: Path, rushes: str = "rushes") -> list[Path]:
    """Write ``out/template.json`` and the plan's snapshot ``out/plan.toml``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "template.json"
    write_shared(out / PLAN_COPY, dump_plan(plan))
    write_shared(path, json.dumps(build_template(plan, tasks, out, rushes), indent=2) + "\n")
    return [path, out / PLAN_COPY]
