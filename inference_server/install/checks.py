"""The health checks behind ``rushes doctor``: each returns ``Check`` rows, never raises.

Status is ``ok``, ``info`` (nothing to fix), ``warn`` (works, but worth a look) or
``fail`` (something is wrong: ``rushes doctor`` exits non-zero).
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from inference_server import __version__
from inference_server.devices import parse_device
from inference_server.install.ops import KINDS, installed

Status = Literal["ok", "info", "warn", "fail"]

REQUIRED = ("numpy", "torch", "onnxruntime", "OpenImageIO", "opencolorio", "pyzmq", "msgpack")
OPTIONAL = ("platformdirs", "rich", "opencv-python-headless", "av", "opentimelineio")
LOW_DISK_FAIL = 2 << 30
LOW_DISK_WARN = 20 << 30


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def dist_version(name: str) -> str | None:
    """Installed version of distribution ``name`` (onnxruntime also as onnxruntime-gpu)."""
    for candidate in ((name, f"{name}-gpu") if name == "onnxruntime" else (name,)):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_daemon(url: str, timeout: float, token: str | None = None) -> Check:
    """Is a daemon answering at ``url``, and which version is it."""
    try:
        import zmq

        from hostbridge import Client, HostBridgeError

        start = time.perf_counter()
        with Client(url, timeout=timeout, retries=0, token=token or None) as client:
            info = client.hello()
        ms = (time.perf_counter() - start) * 1000
    except ImportError as exc:
        return Check("daemon", "fail", f"hostbridge cannot be imported: {exc}")
    except HostBridgeError as exc:
        return Check("daemon", "fail", str(exc) or f"nothing answers at {url} within {timeout:g} s")
    except (ValueError, OSError, zmq.ZMQError) as exc:   # a malformed URL, for one
        return Check("daemon", "fail", f"cannot connect to {url!r}: {exc}")
    version = str(info.get("server_version", "?"))
    tasks = info.get("tasks") or []
    detail = (f"rushes {version} at {url} ({ms:.0f} ms), protocol {info.get('protocol', '?')}, "
              f"device {info.get('device', '?')}, {len(tasks)} tasks, "
              f"shared memory {'yes' if info.get('same_host') else 'no'}")
    if version != __version__:
        return Check("daemon", "warn", detail + f"; this rushes is {__version__}: restart the daemon")
    return Check("daemon", "ok", detail)


def cuda_missing_reason(env: Mapping[str, str] | None = None) -> str:
    """Why onnxruntime cannot use CUDA here, in one sentence ("" when nothing rules it out)."""
    env = os.environ if env is None else env
    if sys.platform == "darwin":
        return "macOS has no CUDA (onnxruntime uses CoreML or the CPU)"
    if dist_version("onnxruntime-gpu") is None:
        return "the CPU build of onnxruntime is installed; install onnxruntime-gpu"
    if env.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES')!r} hides every GPU"
    if sys.platform.startswith("linux"):
        if not Path("/proc/driver/nvidia/version").exists() and shutil.which("nvidia-smi") is None:
            return "no NVIDIA driver on this machine (no /proc/driver/nvidia/version, no nvidia-smi)"
        lib = "libcuda.so.1"
    else:
        if shutil.which("nvidia-smi") is None:
            return "no NVIDIA driver on this machine (nvidia-smi not found)"
        lib = "nvcuda.dll"
    import ctypes

    try:
        ctypes.CDLL(lib)
    except OSError as exc:
        return f"the NVIDIA driver library {lib} cannot be loaded ({exc})"
    return ""


def _ort_cuda_works() -> bool:
    """Build a one-node model and see whether onnxruntime keeps the CUDA provider."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    return "CUDAExecutionProvider" in sess.get_providers()


def check_device(configured: str = "auto") -> list[Check]:
    """torch's and onnxruntime's view of the GPU, and why CUDA is missing if it is."""
    rows: list[Check] = []
    try:
        import torch

        if torch.cuda.is_available():
            names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            rows.append(Check("device (torch)", "ok", f"CUDA {torch.version.cuda}: {names}"))
        else:
            build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
            rows.append(Check("device (torch)", "info", f"cpu (torch {torch.__version__} is {build})"))
    except ImportError as exc:
        rows.append(Check("device (torch)", "fail", f"torch cannot be imported: {exc}"))
    try:
        import onnxruntime as ort

        providers = ort.get_available_providers()
    except ImportError as exc:
        return [*rows, Check("onnxruntime providers", "fail", f"onnxruntime cannot be imported: {exc}")]
    reason = cuda_missing_reason()
    if not reason and "CUDAExecutionProvider" in providers:
        try:
            if not _ort_cuda_works():
                reason = ("onnxruntime could not start its CUDA provider: the CUDA 12 / cuDNN 9 runtime "
                          "libraries are missing or do not match (pip install nvidia-cudnn-cu12 nvidia-cublas-cu12)")
        except Exception as exc:  # a broken GPU stack must not stop the doctor
            reason = f"onnxruntime's CUDA probe failed: {exc}"
    elif not reason:
        reason = "this onnxruntime build has no CUDAExecutionProvider"
    usable = "cuda" if not reason else "cpu"
    detail = f"available: {', '.join(providers)}; will run on {usable}" + (f"; no CUDA: {reason}" if reason else "")
    try:
        wants_cuda = parse_device(configured).is_cuda
    except ValueError as exc:
        return [*rows, Check("onnxruntime providers", "fail", str(exc))]
    status: Status = "ok" if not reason else ("fail" if wants_cuda else "warn")
    if wants_cuda and reason:
        detail += f" (but the config asks for device {configured!r})"
    rows.append(Check("onnxruntime providers", status, detail))
    return rows


def check_versions() -> list[Check]:
    """Python and library versions; a missing required library fails."""
    rows = [Check("rushes", "info", f"{__version__} (Python {sys.version.split()[0]}, {sys.executable})")]
    for name in REQUIRED:
        v = dist_version(name)
        rows.append(Check(name, "ok" if v else "fail", v or "not installed (required)"))
    extras = [f"{n} {dist_version(n)}" for n in OPTIONAL if dist_version(n)]
    rows.append(Check("other libraries", "info", ", ".join(extras) or "none"))
    return rows


def check_ocio(builtin: str) -> Check:
    """The pinned built-in OCIO config must be known to the installed OpenColorIO."""
    try:
        import PyOpenColorIO as ocio

        ocio.Config.CreateFromBuiltinConfig(builtin)
    except ImportError as exc:
        return Check("OCIO config", "fail", f"PyOpenColorIO cannot be imported: {exc}")
    except Exception as exc:
        return Check("OCIO config", "fail", f"OpenColorIO {dist_version('opencolorio')} does not know {builtin}: {exc}")
    return Check("OCIO config", "ok", f"{builtin} (OpenColorIO {ocio.__version__})")


def check_store(store: Path) -> Check:
    """Store folder, whether it is writable, and free disk."""
    probe = store
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        return Check("store", "fail", f"{store}: cannot read free disk ({exc})")
    gib = free / (1 << 30)
    where = f"{store} ({gib:.1f} GiB free)"
    if not os.access(probe, os.W_OK):
        return Check("store", "fail", f"{where}: {probe} is not writable")
    if free < LOW_DISK_FAIL:
        return Check("store", "fail", f"{where}: under {LOW_DISK_FAIL >> 30} GiB free")
    if not store.exists():
        return Check("store", "info", f"{where}: not created yet (the first `rushes ingest` creates it)")
    if free < LOW_DISK_WARN:
        return Check("store", "warn", f"{where}: under {LOW_DISK_WARN >> 30} GiB free")
    return Check("store", "ok", where)


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def check_models(store: Path) -> list[Check]:
    """One row per project: its tasks, model versions and the promoted one."""
    projects = sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")) if store.is_dir() else []
    projects = [p for p in projects if (p / "models").is_dir() or (p / "catalog.sqlite").is_file()]
    if not projects:
        return [Check("models", "info", f"no projects in {store}")]
    rows = []
    for project in projects:
        parts, bad = [], []
        for task_dir in sorted(d for d in (project / "models").glob("*") if d.is_dir()):
            versions = []
            for manifest in sorted(task_dir.glob("*/manifest.json")):
                try:
                    _read_json(manifest)
                    versions.append(manifest.parent.name)
                except (OSError, ValueError) as exc:
                    bad.append(f"{manifest} is unreadable ({exc})")
            promoted = None
            if (task_dir / "promoted.json").is_file():
                try:
                    promoted = _read_json(task_dir / "promoted.json").get("current")
                except (OSError, ValueError) as exc:
                    bad.append(f"{task_dir / 'promoted.json'} is unreadable ({exc})")
            if versions:
                parts.append(f"{task_dir.name} {len(versions)} version(s), latest {versions[-1]}, "
                             f"promoted {promoted or 'none'}")
        detail = "; ".join(parts) or "no models yet"
        rows.append(Check(f"models: {project.name}", "fail" if bad else "ok",
                          detail + ("; " + "; ".join(bad) if bad else "")))
    return rows


def check_installs(layout: Any) -> list[Check]:
    """Service and Nuke/Resolve plugins from the install manifests: version, place, files present."""
    try:
        found = installed(layout)
    except ValueError as exc:
        return [Check("installs", "fail", str(exc))]
    rows = []
    for kind in KINDS:
        mine = [(p, m) for p, m in found if m.kind == kind]
        if not mine:
            hint = "rushes install service" if kind == "service" else f"rushes install {kind}"
            rows.append(Check(kind, "info", f"not installed (`{hint}`)"))
        for _, m in mine:
            missing = [f.path for f in m.files if not Path(f.path).is_file()]
            pythons = m.info.get("python_versions")
            detail = f"{m.rushes_version} at {m.root}, {len(m.files)} files, installed {m.installed_at}"
            if pythons:
                detail += f", Pythons {', '.join(pythons)}"
            if missing:
                rows.append(Check(kind, "fail", f"{detail}; {len(missing)} file(s) missing, e.g. {missing[0]}: "
                                                f"re-run `rushes install {kind}`"))
            elif m.rushes_version != __version__:
                rows.append(Check(kind, "warn", f"{detail}; this rushes is {__version__}: re-run `rushes install {kind}`"))
            else:
                rows.append(Check(kind, "ok", detail))
    return rows
