"""A scripted daemon: a ROUTER on a real socket that answers each request as a test says."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import msgpack
import numpy as np
import zmq

from hostbridge import protocol as P

Reply = list[bytes]
Script = Callable[[dict[str, Any], int], list[Reply]]  # (request header, how many of its type came before)


def reply(header: dict[str, Any], mtype: str, *parts: bytes, **fields: Any) -> Reply:
    return [msgpack.packb(P.make_header(mtype, header["id"], **fields), use_bin_type=True), *parts]


def frame_reply(header: dict[str, Any], number: int) -> Reply:
    """Frame ``number`` of output "result": 2x2x3 float32 pixels all equal to ``number``."""
    pixels = np.full((2, 2, 3), number, np.float32)
    desc = {"number": number, "colour_space": "", "shape": [2, 2, 3], "dtype": "float32", "layout": "HWC",
            "where": "part", "part": 0}
    return reply(header, P.FRAME, pixels.tobytes(), output="result", frame=desc)


class ScriptedDaemon:
    """A ROUTER thread answering each request as ``script`` says; hello is answered for it."""

    def __init__(self, script: Script, tasks: tuple[str, ...] = ("echo",)) -> None:
        self.script = script
        self.tasks = list(tasks)
        self.seen: list[dict[str, Any]] = []
        self.sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_HANDOVER, 1)  # the client reconnects under the same identity
        port: int = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.url = f"tcp://127.0.0.1:{port}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        counts: Counter[str] = Counter()
        while not self.stop.is_set():
            if not self.sock.poll(50):
                continue
            identity, raw, *_ = self.sock.recv_multipart()
            header = msgpack.unpackb(raw, raw=False)
            self.seen.append(header)
            mtype = header["type"]
            if mtype == P.HELLO:
                replies = [reply(header, P.HELLO_REPLY, same_host=False, tasks=self.tasks)]
            else:
                replies = self.script(header, counts[mtype])
            counts[mtype] += 1
            for parts in replies:
                self.sock.send_multipart([identity, *parts])

    def requests(self, mtype: str) -> list[dict[str, Any]]:
        return [h for h in self.seen if h["type"] == mtype]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()
