"""Device strings (auto, cpu, cuda, cuda:N): one parser, and the choice of the device to run on."""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass

DEVICE_FORMS = "auto, cpu, cuda or cuda:N"


@dataclass(frozen=True)
class Device:
    """A parsed device string: ``kind`` is "auto", "cpu" or "cuda"; ``index`` the GPU (None: unsaid)."""

    kind: str
    index: int | None = None

    @property
    def is_cuda(self) -> bool:
        return self.kind == "cuda"

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}:{self.index}"


def parse_device(text: str) -> Device:
    """The one parser of device strings (config, --device, task contexts): ``auto``, ``cpu``,
    ``cuda`` or ``cuda:N``; ValueError naming ``text`` for anything else (e.g. ``cuda:x``, ``gpu``)."""
    kind, colon, index = str(text).strip().lower().partition(":")
    if kind in ("auto", "cpu", "cuda") and not colon:
        return Device(kind)
    if kind == "cuda" and index.isdigit():
        return Device("cuda", int(index))
    raise ValueError(f"device {text!r} is not one of {DEVICE_FORMS}")


def cuda_device_count() -> int:
    """GPUs the NVIDIA driver reports (0 without a driver); asks the driver, not a framework."""
    name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def resolve_device(requested: str) -> str:
    """The device to run on, as ``cpu`` or ``cuda:N``. 'auto' picks cuda:0 when the driver reports a GPU
    and onnxruntime has the CUDA provider, else cpu. A GPU asked for must be there (ValueError says why)."""
    device = parse_device(requested)
    if device.kind == "cpu":
        return "cpu"
    if device.is_cuda:
        count = cuda_device_count()
        if count == 0:
            raise ValueError(f"device {requested!r} asked for, but no NVIDIA GPU/driver is visible on this machine")
        if (device.index or 0) >= count:
            raise ValueError(f"device {requested!r} asked for, but the driver reports {count} GPU(s): "
                             f"cuda:0 to cuda:{count - 1}")
        return f"cuda:{device.index or 0}"
    if cuda_device_count() == 0:
        return "cpu"
    try:
        import onnxruntime  # heavy: only when a GPU is there to ask about

        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            return "cuda:0"
    except ImportError:
        pass
    return "cpu"
