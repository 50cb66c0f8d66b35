"""One parser for device strings; the device a daemon or an in-process run uses."""

from __future__ import annotations

import pytest

from inference_server import devices
from inference_server.devices import Device, parse_device, resolve_device


def test_parse_device_forms() -> None:
    assert [parse_device(t) for t in ("auto", "cpu", "cuda", "cuda:1", " CUDA:0 ")] == [
        Device("auto"), Device("cpu"), Device("cuda"), Device("cuda", 1), Device("cuda", 0)]
    assert str(parse_device("cuda:3")) == "cuda:3" and parse_device("cuda:3").is_cuda and not parse_device("cpu").is_cuda
    for bad in ("gpu", "cudax", "cuda:x", "cuda:", "cuda:-1", "cpu:0", "cuda:1:2", ""):
        with pytest.raises(ValueError, match=f"device {bad!r} is not one of auto, cpu, cuda or cuda:N"):
            parse_device(bad)


def test_resolve_device_needs_the_gpu_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "cuda_device_count", lambda: 0)
    assert resolve_device("cpu") == "cpu" and resolve_device("auto") == "cpu"
    with pytest.raises(ValueError, match="'cuda' asked for, but no NVIDIA GPU/driver is visible"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="is not one of"):   # a typo is named as a typo, not as a missing GPU
        resolve_device("cudax")
    monkeypatch.setattr(devices, "cuda_device_count", lambda: 2)
    assert resolve_device("cuda") == "cuda:0" and resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ValueError, match=r"'cuda:2' asked for, but the driver reports 2 GPU\(s\): cuda:0 to cuda:1"):
        resolve_device("cuda:2")
