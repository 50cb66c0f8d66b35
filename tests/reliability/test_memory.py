"""Item 7: memory and descriptors stay bounded. Finished jobs keep only their summary, open
segments are capped by count, and pixel limits are checked before anything is decoded."""

from __future__ import annotations

import struct
import zlib
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DaemonProcess
from tests.reliability.access_common import Raw, fd_count, rss_bytes

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads RSS and fds from /proc")



def part_desc(shape: list[int], dtype: str = "float32") -> dict[str, object]:
    return {"where": "part", "part": 0, "shape": shape, "dtype": dtype, "number": 1}


def test_finished_jobs_keep_no_pixels(rooted: tuple[DaemonProcess, Path]) -> None:
    proc, _ = rooted
    assert proc.proc is not None
    raw = Raw(proc.url)
    frame = np.full((1024, 1280, 2), 0.5, np.float32)  # 10 MiB
    try:
        def one() -> None:
            got = raw.ask("run", (frame.tobytes(),), task="echo", params={}, inputs={"plate": [part_desc([1024, 1280, 2])]})
            assert got["type"] == "frame"
            raw.final(got["id"])  # the result

        for _ in range(3):
            one()
        before = rss_bytes(proc.proc.pid)
        for _ in range(30):  # 300 MiB sent in all
            one()
        grown = rss_bytes(proc.proc.pid) - before
        assert grown < 60 << 20, f"the daemon kept {grown >> 20} MiB after 30 finished 10 MiB jobs"
    finally:
        raw.close()


def test_open_segments_are_capped_by_count(rooted: tuple[DaemonProcess, Path]) -> None:
    proc, _ = rooted
    assert proc.proc is not None
    before = fd_count(proc.proc.pid)
    segs: list[shared_memory.SharedMemory] = []
    raws = [Raw(proc.url) for _ in range(8)]
    try:
        for raw in raws:
            for _ in range(25):  # 200 small segments, each used once
                seg = shared_memory.SharedMemory(create=True, size=4 * 4 * 4)
                segs.append(seg)
                assert raw.register(seg)["segments"] == [seg.name]
                got = raw.ask("run", task="echo", params={}, inputs={"plate": [
                    {"where": "shm", "shm": {"name": seg.name, "offset": 0}, "shape": [2, 2, 1], "dtype": "float32"}]})
                assert got["type"] == "frame", got
        grown = fd_count(proc.proc.pid) - before  # 64 segments (max_segments) and one socket per client
        assert grown <= 64 + len(raws) + 4, f"the daemon holds {grown} more descriptors after 200 segments"
    finally:
        for raw in raws:
            raw.close()
        for seg in segs:
            seg.close()
            seg.unlink()


def grey_png(path: Path, side: int) -> None:
    """A valid 8-bit grey PNG of side x side zeros, written in chunks (a few hundred KB)."""
    comp = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    data = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_pixel_limits_are_checked_before_decoding(rooted: tuple[DaemonProcess, Path]) -> None:
    proc, root = rooted
    assert proc.proc is not None
    png = root / "huge.png"
    grey_png(png, 16384)
    assert png.stat().st_size < 1 << 20
    seg = shared_memory.SharedMemory(create=True, size=16384 * 16384 * 2)  # sparse: nothing touched
    raw = Raw(proc.url)
    try:
        before = rss_bytes(proc.proc.pid)
        got = raw.ask("run", task="echo", params={}, inputs={"plate": [{"where": "path", "path": str(png)}]})
        assert got["type"] == "error" and got["code"] == "frame_too_large" and "16384x16384" in got["detail"], got
        raw.register(seg)
        got = raw.ask("run", task="exposure", params={"stops": 1.0}, inputs={"plate": [
            {"where": "shm", "shm": {"name": seg.name, "offset": 0}, "shape": [16384, 16384, 1], "dtype": "float16"}]})
        assert got["type"] == "error" and got["code"] == "frame_too_large" and "pixel" in got["detail"], got
        grown = rss_bytes(proc.proc.pid) - before
        assert grown < 64 << 20, f"the daemon grew {grown >> 20} MiB refusing two small requests"
    finally:
        raw.close()
        seg.close()
        seg.unlink()
