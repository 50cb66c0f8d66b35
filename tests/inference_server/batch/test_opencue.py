"""`--export opencue`: the pyoutline job as OpenCue job-spec XML, field by field; the GPU wrapper."""

from __future__ import annotations

import os
import shlex
import subprocess
import xml.etree.ElementTree as Et
from pathlib import Path

import pytest

from inference_server.batch.graph import build_tasks, find_task
from inference_server.batch.plan import load_plan
from inference_server.batch.synthetic import make_night
from inference_server.cli import main

pytest.importorskip("outline", reason="opencue-pyoutline is part of the dev install; CI has it")


def test_the_job_spec_has_the_layers_gpu_fields_and_dependencies(tmp_path: Path) -> None:
    night = make_night(tmp_path / "night", wire_shots=2, frames=7, train_steps=5, chunk=3)
    plan = night.plan.read_text().replace("[farm]", '[farm]\ngpus = 2\ngpu_memory = "6G"\ncpus = 4')
    night.plan.write_text(plan)
    out = tmp_path / "cue"
    assert main(["batch", str(night.plan), "--export", "opencue", "--out", str(out)]) == 0
    wrap, copy = out / "rushes-cue-wrap", out / "plan.toml"
    assert os.access(wrap, os.X_OK) and copy.is_file()
    text = (out / "job.xml").read_text()
    assert text.startswith('<?xml version="1.0"?><!DOCTYPE spec PUBLIC "SPI Cue  Specification Language"')
    spec = Et.fromstring(text.split("?>", 1)[1].split(">", 1)[1])   # past the XML and DOCTYPE lines
    assert spec.findtext("show") == "night" and spec.findtext("shot") == "dailies"
    job = spec.find("job")
    assert job is not None and job.get("name") == "rushes_night"
    layers = {layer.get("name"): layer for layer in job.iter("layer")}
    assert list(layers) == ["ingest", "train", "wire_remove_A001", "wire_remove_A002", "clean_plate_C001",
                            "look_apply_A001_look", "report"]

    def field(name: str, tag: str) -> str | None:
        return layers[name].findtext(tag)

    base = ["rushes", "batch", str(copy), "--resume", "--task"]
    assert shlex.split(field("ingest", "cmd") or "") == [*base, "ingest.#IFRAME#"]
    assert (field("ingest", "range"), field("ingest", "chunk")) == ("1-1", "1")
    assert shlex.split(field("wire_remove_A001", "cmd") or "") == [str(wrap), *base, "wire_remove.A001@#IFRAME#"]
    assert (field("wire_remove_A001", "range"), field("wire_remove_A001", "chunk")) == ("1001-1007", "3")
    for gpu_layer in ("train", "wire_remove_A001", "wire_remove_A002", "clean_plate_C001"):
        assert (field(gpu_layer, "gpus"), field(gpu_layer, "gpu_memory"), field(gpu_layer, "cores")) == ("2", "6g", "4.0")
        assert field(gpu_layer, "cmd").startswith(str(wrap))   # type: ignore[union-attr]
    for cpu_layer in ("ingest", "look_apply_A001_look", "report"):
        assert field(cpu_layer, "gpus") is None and not (field(cpu_layer, "cmd") or "").startswith(str(wrap))
    assert shlex.split(field("report", "cmd") or "") == ["rushes", "batch", str(copy), "--report"]
    assert all(layer.findtext("services/service") == "rushes" for layer in layers.values())
    depends = [(d.get("type"), d.findtext("deplayer"), d.findtext("onlayer"), d.findtext("depjob"), d.findtext("onjob"))
               for d in spec.iter("depend")]
    shots = ["wire_remove_A001", "wire_remove_A002", "clean_plate_C001", "look_apply_A001_look"]
    assert depends == ([("LAYER_ON_LAYER", "train", "ingest", "rushes_night", "rushes_night")]
                       + [("LAYER_ON_LAYER", s, "train", "rushes_night", "rushes_night") for s in shots]
                       + [("LAYER_ON_LAYER", "report", s, "rushes_night", "rushes_night") for s in shots])
    # every frame OpenCue dispatches names one batch task of the snapshot plan
    tasks = build_tasks(load_plan(copy))
    assert [find_task(tasks, f"wire_remove.A001@{n}").id for n in (1001, 1004, 1007)] == [
        "wire_remove.A001.1001-1003", "wire_remove.A001.1004-1006", "wire_remove.A001.1007-1007"]


@pytest.mark.parametrize(("env", "visible"), [
    ({"CUE_GPU_CORES": "2,3"}, "2,3"),
    ({"CUE_GPU_CORES": " 1 "}, "1"),
    ({"CUE_GPU_CORES": "0", "CUDA_VISIBLE_DEVICES": "5"}, "0"),   # the farm's booking wins
    ({"CUDA_VISIBLE_DEVICES": "5"}, "5"),                         # no booking: left alone
    ({}, "unset"),
])
def test_the_gpu_wrapper_maps_cue_gpu_cores(tmp_path: Path, env: dict[str, str], visible: str) -> None:
    from inference_server.batch.opencue import WRAPPER_TEXT

    wrap = tmp_path / "wrap"
    wrap.write_text(WRAPPER_TEXT)
    base = {k: v for k, v in os.environ.items() if k not in ("CUE_GPU_CORES", "CUDA_VISIBLE_DEVICES")}
    run = subprocess.run(["bash", str(wrap), "bash", "-c", 'echo "${CUDA_VISIBLE_DEVICES-unset} $CUDA_DEVICE_ORDER" "$@"',
                          "-", "and", "args"], env={**base, **env}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    order = "PCI_BUS_ID" if "CUE_GPU_CORES" in env else os.environ.get("CUDA_DEVICE_ORDER", "")
    assert run.stdout.split() == [visible, *order.split(), "and", "args"]


def test_the_gpu_wrapper_refuses_a_garbled_booking(tmp_path: Path) -> None:
    from inference_server.batch.opencue import WRAPPER_TEXT

    wrap = tmp_path / "wrap"
    wrap.write_text(WRAPPER_TEXT)
    run = subprocess.run(["bash", str(wrap), "true"], env={**os.environ, "CUE_GPU_CORES": "GPU-0;1"},
                         capture_output=True, text=True)
    assert run.returncode == 2 and "CUE_GPU_CORES=GPU-0;1 is not a list of GPU numbers" in run.stderr
