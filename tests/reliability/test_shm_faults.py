"""Item 5: a client that shrinks its shared-memory segment after the daemon opened it cannot
kill the daemon (SIGBUS on the next access); its own request fails, everyone else is served."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.errors import HostBridgeError
from tests.conftest import DaemonProcess

pytestmark = pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="POSIX shared memory in /dev/shm (Linux) only")


def test_shrunk_segment_does_not_kill_the_daemon(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path / "store").start()
    try:
        victim_result: dict[str, Any] = {}
        with Client(proc.url, timeout=20, retries=0) as hostile, Client(proc.url, timeout=10) as other:
            hostile.hello()
            assert hostile.same_host
            frame = hostile.shared_frame((256, 256, 4), "float32")
            frame[:] = 0.5
            seg_name = next(iter(hostile._shared.values())).name

            def run() -> None:  # the daemon opens the segment at once and reads frame 2 after 1.5 s
                try:
                    victim_result["out"] = hostile.run("echo", {"plate": [frame, frame]}, {"delay": 0.75})
                except HostBridgeError as exc:
                    victim_result["error"] = exc

            thread = threading.Thread(target=run)
            thread.start()
            time.sleep(0.4)
            os.truncate(f"/dev/shm/{seg_name}", 0)  # shrink it under the daemon; never touch `frame` again
            thread.join(30)
            assert proc.proc is not None and proc.proc.poll() is None, "the daemon died"
            assert other.ping() < 1.0
            good = other.run("exposure", {"plate": [np.full((4, 4, 3), 0.25, np.float32)]}, {"stops": 2.0})
            assert np.allclose(good.frames["result"][0].array(), 1.0)
            err = victim_result.get("error")
            assert err is not None and err.code == "shm_error" and seg_name in str(err), victim_result
            assert "out" not in victim_result
    finally:
        assert proc.stop() == 0
