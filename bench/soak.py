"""Soak: rounds of N clients x M requests of good and hostile traffic against one real daemon on loopback.

Prints the daemon's RSS and open descriptors after a warm-up round at the same load and after each
measured round, the RSS trend (least-squares MiB/round) and band, per-class request counts and
outcomes, and other clients' ping latency (p50/p99/max) measured from a separate process while
the traffic runs, including while 200 MB foreign files are read. Goals: flat memory, flat
descriptors, p99 ping < 100 ms. Bounded: every loop has a fixed count. Never passes or fails.

    python bench/soak.py [--clients 6] [--requests 40] [--rounds 6]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hostbridge import Client  # noqa: E402
from hostbridge.errors import HostBridgeError  # noqa: E402
from hostbridge.frames import path_frame  # noqa: E402
from inference_server.runner import TemporaryDaemon  # noqa: E402

CLASSES = ("good_shm", "good_tcp", "good_path", "bad_foreign_path", "bad_encoded", "bad_nan", "bad_segment",
           "bad_outside_root", "bad_header", "shrink_segment")


def rss_fds(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as fh:
        rss = next(int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def pinger(url: str, seconds: float, out: Any) -> None:
    lat: list[float] = []
    end = time.monotonic() + seconds
    with Client(url, timeout=30) as c:
        while time.monotonic() < end and len(lat) < 100_000:
            lat.append(c.ping())
            time.sleep(0.01)
    out.put(lat)


def raw_send(url: str, parts: list[bytes]) -> str:
    import msgpack
    import zmq

    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(url)
    try:
        sock.send_multipart(parts)
        if not sock.poll(20_000):
            return "no reply"
        return str(msgpack.unpackb(sock.recv_multipart()[0], raw=False).get("code", "ok"))
    finally:
        sock.close()


def one(kind: str, c: Client, url: str, files: dict[str, Path], rng: random.Random) -> str:
    """Run one request of ``kind``; the outcome: 'ok' or the error code."""
    import msgpack

    plate = np.full((270, 480, 4), 0.25, np.float16)
    try:
        if kind == "good_shm":
            out = c.run("exposure", {"plate": [plate]}, {"stops": 1.0})
            return "ok" if np.allclose(out.frames["result"][0].array(), 0.5) else "wrong pixels"
        if kind == "good_tcp":
            with Client(url, use_shm=False, timeout=30) as tcp:
                out = tcp.run("exposure", {"plate": [plate]}, {"stops": 1.0})
            return "ok" if np.allclose(out.frames["result"][0].array(), 0.5) else "wrong pixels"
        if kind == "good_path":
            out = c.run("echo", {"plate": [path_frame(str(files["good"]), 1)]})
            return "ok" if out.frames["result"] else "no frame"
        if kind == "bad_foreign_path":
            c.run("echo", {"plate": [path_frame(str(files[rng.choice(["zeros_exr", "zeros_png"])]), 1)]})
        elif kind == "bad_outside_root":
            c.run("echo", {"plate": [path_frame("/etc/passwd.exr", 1)]})
        elif kind == "bad_encoded":
            from hostbridge.frames import encoded_frame

            c.run("echo", {"plate": [encoded_frame(bytes(20 << 20), "exr", 1)]})
        elif kind == "bad_nan":
            c.run("exposure", {"plate": [np.full((8, 8, 3), np.nan, np.float32)]}, {"stops": 1.0})
        elif kind == "bad_segment":
            header = {"v": 1, "type": "run", "id": secrets.token_hex(4), "task": "echo", "params": {},
                      "inputs": {"plate": [{"where": "shm", "shm": {"name": f"psm_{secrets.token_hex(4)}"},
                                            "shape": [64, 64, 4], "dtype": "float32"}]}}
            return raw_send(url, [msgpack.packb(header)])
        elif kind == "bad_header":
            return raw_send(url, [rng.choice([b"\xc1garbage", msgpack.packb([1, 2]), msgpack.packb({"v": 9})])])
        elif kind == "shrink_segment":
            with Client(url, timeout=30, retries=0) as victim:
                frame = victim.shared_frame((256, 256, 4), "float32")
                frame[:] = 0.5
                name = next(iter(victim._shared.values())).name
                victim.hello()  # registers the segment now: nothing in this process touches it after the shrink
                import threading

                result: list[str] = []

                def go() -> None:
                    try:
                        victim.run("echo", {"plate": [frame, frame]}, {"delay": 0.3})
                        result.append("ok")
                    except HostBridgeError as exc:
                        result.append(exc.code)

                t = threading.Thread(target=go)
                t.start()
                time.sleep(0.1)
                os.truncate(f"/dev/shm/{name}", 0)
                t.join(60)
                return result[0] if result else "no reply"
        return "ok (should have failed)"
    except HostBridgeError as exc:
        return exc.code


def client(url: str, files: dict[str, Path], requests: int, seed: int, out: Any) -> None:
    import faulthandler

    faulthandler.dump_traceback_later(180, exit=True)  # a hung client shows where, and ends
    rng = random.Random(seed)
    counts: Counter[tuple[str, str]] = Counter()
    with Client(url, timeout=60) as c:
        for _ in range(requests):
            kind = rng.choice(CLASSES)
            t0 = time.monotonic()
            outcome = one(kind, c, url, files, rng)
            if time.monotonic() - t0 > 10:
                print(f"slow: {kind} -> {outcome} in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
            counts[(kind, outcome)] += 1
    out.put(dict(counts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=6, help="measured rounds after a warm-up round at the same load")
    args = ap.parse_args()
    from inference_server.codec import encode_pixels

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "plates"
        root.mkdir()
        files = {"good": root / "good.1001.exr", "zeros_exr": root / "zeros.1001.exr",
                 "zeros_png": root / "zeros.1001.png"}
        files["good"].write_bytes(encode_pixels(np.full((540, 960, 3), 0.5, np.float16), "exr"))
        for key in ("zeros_exr", "zeros_png"):
            with open(files[key], "wb") as fh:
                fh.truncate(200 << 20)
        env = {"RUSHES_CONFIG": os.path.join(tmp, "none.toml"), "RUSHES_PLATE_ROOTS": str(root)}
        with TemporaryDaemon(Path(tmp) / "store", device="cpu", env=env) as daemon:
            pid = daemon.proc.pid
            ctx = mp.get_context("spawn")
            q: Any = ctx.Queue()
            # Warm-up: one whole round at the same concurrency, not counted. The allocator keeps the
            # high-water mark of concurrent requests (buffers of several jobs in flight at once);
            # a leak is what keeps growing after that, round on round.
            warm = [ctx.Process(target=client, args=(daemon.url, files, args.requests, 99_000 + i, q))
                    for i in range(args.clients)]
            for p in warm:
                p.start()
            for _ in warm:
                q.get(timeout=600)
            for p in warm:
                p.join()
            time.sleep(2.0)
            rss0, fds0 = rss_fds(pid)
            figures: list[tuple[int, int]] = []
            totals: Counter[tuple[str, str]] = Counter()
            lat: list[float] = []
            t0 = time.monotonic()
            pq: Any = ctx.Queue()
            for r in range(args.rounds):
                procs = [ctx.Process(target=client, args=(daemon.url, files, args.requests, r * 1000 + i, q))
                         for i in range(args.clients)]
                for p in procs:
                    p.start()
                pings = [ctx.Process(target=pinger, args=(daemon.url, 5.0, pq))]
                pings[0].start()
                done = 0
                while done < len(procs):
                    try:
                        totals.update(q.get(timeout=1.0))
                        done += 1
                    except Exception:
                        if not any(p.is_alive() for p in procs):
                            totals[("client process", "died")] += len(procs) - done
                            break
                    if not pings[-1].is_alive() and done < len(procs):
                        lat += pq.get(timeout=30)
                        pings.append(ctx.Process(target=pinger, args=(daemon.url, 5.0, pq)))
                        pings[-1].start()
                for p in procs:
                    p.join()
                pings[-1].join()
                lat += pq.get(timeout=30)
                time.sleep(2.0)
                figures.append(rss_fds(pid))
            span = time.monotonic() - t0
            alive = daemon.proc.poll() is None
    arr = np.array(lat) * 1000
    print(f"soak: {args.rounds} rounds of {args.clients} clients x {args.requests} requests in {span:.1f} s; "
          f"daemon alive: {alive}")
    print(f"  after the warm-up round: RSS {rss0 / 2**20:7.1f} MiB, {fds0} fds")
    for r, (rss1, fds1) in enumerate(figures, 1):
        print(f"  after round {r}: RSS {rss1 / 2**20:7.1f} MiB ({(rss1 - rss0) / 2**20:+.1f}), "
              f"{fds1} fds ({fds1 - fds0:+d})")
    rss = np.array([rss0] + [f[0] for f in figures], float) / 2**20
    slope = np.polyfit(np.arange(len(rss)), rss, 1)[0]
    print(f"  RSS trend over the measured rounds: {slope:+.2f} MiB/round (least squares), "
          f"band {rss.max() - rss.min():.1f} MiB; fds {min(f[1] for f in figures)}-{max(f[1] for f in figures)} "
          f"(goal: no trend, flat fds)")
    print(f"  ping ({len(arr)} from another process): p50 {np.percentile(arr, 50):.1f} ms  "
          f"p99 {np.percentile(arr, 99):.1f} ms  max {arr.max():.1f} ms  (goal p99 < 100 ms)")
    print("  requests by class -> outcome:")
    for kind in (*CLASSES, "client process"):
        outcomes = {o: n for (k, o), n in sorted(totals.items()) if k == kind}
        if not outcomes and kind == "client process":
            continue
        print(f"    {kind:18s} {outcomes}")


if __name__ == "__main__":
    main()
