"""Host -> daemon -> host round trip of one frame, as a ratio to one np.copyto of it.

Starts a real daemon on a loopback port and sends RGBA float16 frames to the `echo`
task over TCP (message parts) and over shared memory. Prints one line per case and a
summary; targets: shared memory <= 2.5x memcpy, tcp <= 10x. Never passes or fails.

    python bench/transport.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hostbridge import Client  # noqa: E402
from inference_server.runner import TemporaryDaemon  # noqa: E402

SIZES = {"2K 2048x1080": (1080, 2048), "UHD 3840x2160": (2160, 3840)}
TARGETS = {"shm": 2.5, "shm-zero-copy": 2.5, "tcp": 10.0}


def median_time(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as store, \
            TemporaryDaemon(Path(store), device="cpu", env={"RUSHES_CONFIG": os.path.join(store, "none.toml")}) as daemon:
        url = daemon.url
        worst = {p: 0.0 for p in TARGETS}
        for label, (h, w) in SIZES.items():
            frame = np.random.default_rng(0).random((h, w, 4), dtype=np.float32).astype(np.float16)
            dst = np.empty_like(frame)
            memcpy = median_time(lambda: np.copyto(dst, frame), args.repeats * 2)  # noqa: B023
            for path in TARGETS:
                with Client(url, timeout=30, use_shm=path != "tcp") as c:
                    c.hello()
                    sent = frame
                    if path == "shm-zero-copy":  # the host renders straight into shared memory
                        sent = c.shared_frame(frame.shape, "float16")
                        np.copyto(sent, frame)
                    out = c.run("echo", {"plate": [sent]}).frames["result"][0]  # warm up, and check
                    assert np.array_equal(out.array(), frame), "echo changed the frame"
                    rt = median_time(lambda: c.run("echo", {"plate": [sent]}), args.repeats)  # noqa: B023
                ratio = rt / memcpy
                worst[path] = max(worst[path], ratio)
                print(f"{label:14s} {path:13s}: round trip {rt * 1e3:7.2f} ms, memcpy {memcpy * 1e3:6.2f} ms, "
                      f"ratio {ratio:5.2f}x (target <= {TARGETS[path]}x)", flush=True)
    print("summary: " + ", ".join(f"{p} worst {worst[p]:.2f}x memcpy (target <= {TARGETS[p]}x, "
                                  f"{'met' if worst[p] <= TARGETS[p] else 'NOT met'})" for p in worst))


if __name__ == "__main__":
    main()
