"""Which device a job runs on: the GPUs the driver reports, and ``auto`` resolved to one device.

Below the server and the in-process runner, which both resolve ``--device`` the same way.
"""

from __future__ import annotations

import ctypes
import sys


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
    """'auto' picks cuda:0 when the driver reports a GPU and onnxruntime has the CUDA provider, else cpu."""
    if requested != "auto":
        if requested.startswith("cuda") and cuda_device_count() == 0:
            raise ValueError(f"device {requested!r} asked for, but no NVIDIA GPU/driver is visible on this machine")
        if requested not in ("cpu", "cuda") and not requested.startswith("cuda:"):
            raise ValueError(f"device {requested!r} is not one of auto, cpu, cuda, cuda:N")
        return "cuda:0" if requested == "cuda" else requested
    if cuda_device_count() == 0:
        return "cpu"
    try:
        import onnxruntime  # heavy: only when a GPU is there to ask about

        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            return "cuda:0"
    except ImportError:
        pass
    return "cpu"
