"""`rushes serve` and `rushes ping`."""

from __future__ import annotations

import argparse
import os
import re
import socket
import stat

from hostbridge import Client
from hostbridge.local import DEFAULT_URL
from inference_server.config import default_server, load_config
from inference_server.logs import setup_logging
from inference_server.server import Daemon


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the inference daemon")
    p.add_argument("--listen", help=f"ZeroMQ URL to bind (default: the config's listen, else {DEFAULT_URL})")
    p.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--store", help="project store folder (default: the user data dir)")
    p.add_argument("--workers", type=int, help="worker threads (default 1)")
    p.add_argument("--queue-size", type=int, help="jobs waiting before new ones get 'busy'")
    p.add_argument("--log-file", help="write JSON logs here, rotated at 10 MB")
    p.set_defaults(func=serve)
    p = sub.add_parser("ping", help="check that the daemon answers")
    p.add_argument("--server", help="daemon URL (default: $RUSHES_SERVER, else the config's listen address)")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait")
    p.set_defaults(func=ping)


def serve(args: argparse.Namespace) -> int:
    flags = {"listen": args.listen, "device": args.device, "store": args.store, "workers": args.workers,
             "queue_size": args.queue_size, "log_file": args.log_file}
    cfg, _ = load_config(flags, args.config)
    setup_logging("DEBUG" if args.verbose else cfg.log_level, cfg.log_file)
    check_ipc_paths(cfg.listen)
    daemon = Daemon(cfg)
    endpoint = daemon.bind()
    daemon.install_signals()
    print(f"rushes daemon listening on {endpoint} (device {daemon.device})", flush=True)
    daemon.serve()
    return 0


def check_ipc_paths(listen: str) -> None:
    """Refuse an ``ipc://`` endpoint whose path holds a file, or a socket someone listens on.

    ZeroMQ deletes whatever is at an ipc path before binding: a typo would destroy a file,
    and a second daemon would silently steal the first one's clients.
    """
    for part in re.split(r"[;,\s]+", listen):
        if not part.startswith("ipc://") or part[6:].startswith("@"):
            continue
        path = part[6:]
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISSOCK(mode):
            raise FileExistsError(f"refusing to listen on {part}: {path} exists and is not a socket "
                                  "(ZeroMQ would delete it); choose another path")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            continue  # a stale socket left by a daemon that is gone: ZeroMQ replaces it
        finally:
            probe.close()
        raise FileExistsError(f"refusing to listen on {part}: another process is listening there")


def ping(args: argparse.Namespace) -> int:
    url = default_server(args.server or "")
    with Client(url, timeout=args.timeout, retries=0) as client:
        info = client.hello()
        rtt = client.ping()
    print(f"rushes daemon {info.get('server_version')} at {url}: {rtt * 1000:.2f} ms round trip, "
          f"device {info.get('device')}, shared memory {'yes' if info.get('same_host') else 'no'}")
    return 0
