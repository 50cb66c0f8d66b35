"""Item 11: a job belongs to the client that started it (its id cannot be taken over, nor the
job watched or cancelled by another client), and artist pairs come only from allowed roots."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from inference_server.codec import encode_pixels
from tests.conftest import DaemonProcess
from tests.reliability.access_common import Raw


def test_jobs_belong_to_their_client(tmp_path: Path) -> None:
    root = tmp_path / "plates"
    root.mkdir()
    frame = root / "f.exr"
    frame.write_bytes(encode_pixels(np.zeros((4, 4, 3), np.float16), "exr"))
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_PLATE_ROOTS": str(root)}).start()
    owner, other = Raw(proc.url), Raw(proc.url)
    try:
        def submit(raw: Raw, frames: int, delay: float) -> dict[str, object]:
            inputs = {"plate": [{"where": "path", "path": str(frame), "number": n} for n in range(frames)]}
            return raw.first(raw.send("submit", rid="job-1", task="echo", params={"delay": delay}, inputs=inputs))

        assert submit(owner, 6, 0.3)["type"] == "accepted"
        # another client reusing the id gets a job of its own, and cancels only that one
        assert submit(other, 1, 5.0)["type"] == "accepted"
        assert other.ask("cancel", job="job-1")["type"] == "ok"
        # a third client can neither see nor cancel either job-1
        stranger = Raw(proc.url)
        for mtype in ("cancel", "status"):
            got = stranger.ask(mtype, job="job-1")
            assert got["type"] == "error" and got["code"] == "not_found", got
        stranger.close()
        end = time.monotonic() + 30
        while True:
            st = owner.ask("status", job="job-1")
            assert st["type"] == "status_reply", st
            if st["state"] not in ("queued", "running"):
                break
            assert time.monotonic() < end, st
            time.sleep(0.1)
        assert st["state"] == "done" and st["total"] == 6 and st["summary"] == {"frames": 6}, st
        theirs = other.ask("status", job="job-1")
        assert theirs["state"] == "cancelled" and theirs["done"] == 0, theirs
    finally:
        owner.close()
        other.close()
        proc.stop()


def test_train_pairs_only_from_allowed_roots(tmp_path: Path) -> None:
    root = tmp_path / "plates"
    root.mkdir()
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_PLATE_ROOTS": str(root)}).start()
    raw = Raw(proc.url)
    try:
        for plate, fix in (("/etc/passwd", str(root / "fix.####.exr")),
                           (str(root / "plate.####.exr"), str(tmp_path / "elsewhere" / "fix.####.exr")),
                           (str(root / ".." / "escape.####.exr"), str(root / "fix.####.exr"))):
            got = raw.ask("submit", task="train", project="show", inputs={},
                          params={"project": "show", "pairs": json.dumps([[plate, fix]])})
            assert got["type"] == "error" and got["code"] == "bad_params", got
            assert "outside the folders this daemon keeps pairs from" in str(got["detail"]), got
    finally:
        raw.close()
        proc.stop()
