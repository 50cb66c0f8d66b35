"""A draining daemon (first stop signal) sends the result of the job in hand before it stops."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from hostbridge import Client
from hostbridge import protocol as P
from inference_server.config import Config
from inference_server.server import Daemon


def test_draining_daemon_sends_the_result_its_worker_is_slow_to_hand_over(tmp_path: Path) -> None:
    daemon = Daemon(Config(listen="tcp://127.0.0.1:0", device="cpu", store=str(tmp_path / "store")))
    url = daemon.bind()
    handed = daemon.scheduler.send

    def slow(identity: bytes, header: dict[str, Any], parts: Any) -> None:
        if header.get("type") == P.RESULT:
            daemon.stop_requests = 1  # the stop signal comes while the job finishes
            time.sleep(0.3)  # and the worker is slow to hand its result to the loop
        handed(identity, header, parts)

    daemon.scheduler.send = slow
    serving = threading.Thread(target=daemon.serve, daemon=True)
    serving.start()
    try:
        with Client(url, timeout=10, give_up=5) as client:
            result = client.run("echo", {"plate": [np.zeros((2, 2, 1), np.float32)] * 2}, {})
        assert result.summary == {"frames": 2}
    finally:
        serving.join(10)
    assert not serving.is_alive()  # and then it stopped
