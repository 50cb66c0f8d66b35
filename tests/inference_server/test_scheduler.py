"""Submitted jobs (status, cancel), against a real daemon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.errors import NotFound
from hostbridge.frames import path_frame
from inference_server.codec import encode_pixels
from tests.conftest import wait_state


def test_submit_status_and_cancel(daemon: str, tmp_path: Path) -> None:
    frame = tmp_path / "f.exr"
    frame.write_bytes(encode_pixels(np.zeros((4, 4, 3), np.float16), "exr"))
    with Client(daemon) as c:
        job = c.submit("echo", {"delay": 0.0}, inputs={"plate": [path_frame(str(frame), 1)]})
        st = wait_state(c, job, ("done",))
        assert st["summary"] == {"frames": 1} and st["done"] == 1 and st["total"] == 1
        slow = c.submit("echo", {"delay": 1.0}, inputs={"plate": [path_frame(str(frame), n) for n in range(20)]})
        wait_state(c, slow, ("running",))
        c.cancel(slow)
        st = wait_state(c, slow, ("cancelled",))
        assert st["error"]["code"] == "cancelled"
        with pytest.raises(NotFound, match="nope"):
            c.status("nope")
