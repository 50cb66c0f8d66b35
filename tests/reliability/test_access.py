"""Item 8: no client reads or writes another's shared memory through the daemon, and path
frames are read only inside the allowed roots, with refusals that do not tell whether a
file outside them exists."""

from __future__ import annotations

import os
import shutil
import tempfile
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.frames import path_frame
from inference_server.codec import encode_pixels
from tests.conftest import DaemonProcess
from tests.reliability.access_common import Raw


def desc_shm(name: str, shape: list[int]) -> dict[str, object]:
    return {"where": "shm", "shm": {"name": name, "offset": 0}, "shape": shape, "dtype": "float32", "number": 1}


def test_another_clients_segment_is_neither_read_nor_written(rooted: tuple[DaemonProcess, Path]) -> None:
    proc, _ = rooted
    with Client(proc.url) as victim:
        secret = victim.shared_frame((8, 8, 4), "float32")
        secret[:] = 0.123
        assert np.allclose(victim.run("echo", {"plate": [secret]}).frames["result"][0].array(), 0.123)
        victim_seg = next(iter(victim._shared.values())).name
        reply_seg = victim._reply_arena.seg
        assert reply_seg is not None and reply_seg.buf is not None
        before = bytes(reply_seg.buf[:4096])
        attacker = Raw(proc.url)
        try:
            # read the victim's pixels through echo: refused, and no pixels come back
            got = attacker.ask("run", task="echo", inputs={"plate": [desc_shm(victim_seg, [8, 8, 4])]}, params={})
            assert got["type"] == "error" and got["code"] == "shm_unregistered" and "not registered" in got["detail"]
            # write into the victim's reply segment: refused
            mine = np.full((8, 8, 4), 9.0, np.float32)
            part = {"where": "part", "part": 0, "shape": [8, 8, 4], "dtype": "float32", "number": 1}
            got = attacker.ask("run", (mine.tobytes(),), task="echo", inputs={"plate": [part]}, params={},
                               reply_shm={"name": reply_seg.name, "size": reply_seg.size})
            assert got["type"] == "error" and got["code"] == "shm_unregistered", got
            assert bytes(reply_seg.buf[:4096]) == before
            # claim the victim's segment with a guessed secret: refused
            got = attacker.ask("hello", segments=[{"name": victim_seg, "secret": "00" * 16}])
            assert got["type"] == "error" and got["code"] == "shm_error" and "secret" in got["detail"]
            # a name nobody registered reads the same as an existing one
            got = attacker.ask("run", task="echo", inputs={"plate": [desc_shm("psm_nothere", [8, 8, 4])]}, params={})
            assert got["code"] == "shm_unregistered" and "not registered" in got["detail"]
        finally:
            attacker.close()
        # the victim itself is still served from its segment
        assert np.allclose(victim.run("echo", {"plate": [secret]}).frames["result"][0].array(), 0.123)


def test_own_registered_segment_is_served(rooted: tuple[DaemonProcess, Path]) -> None:
    proc, _ = rooted
    seg = shared_memory.SharedMemory(create=True, size=8 * 8 * 4 * 4)
    raw = Raw(proc.url)
    try:
        assert raw.register(seg)["segments"] == [seg.name]
        assert seg.buf is not None
        np.ndarray((8, 8, 4), np.float32, buffer=seg.buf)[:] = 0.5
        got = raw.ask("run", task="echo", inputs={"plate": [desc_shm(seg.name, [8, 8, 4])]}, params={})
        assert got["type"] == "frame"
        assert np.allclose(np.frombuffer(got["parts"][0], np.float32), 0.5)
    finally:
        raw.close()
        seg.close()
        seg.unlink()


def test_path_frames_only_inside_the_roots(rooted: tuple[DaemonProcess, Path], tmp_path: Path) -> None:
    proc, root = rooted
    pixels = np.full((4, 4, 3), 0.25, np.float16)
    inside = root / "shot" / "plate.1001.exr"
    inside.parent.mkdir()
    inside.write_bytes(encode_pixels(pixels, "exr"))
    outside = tmp_path / "secret.exr"
    outside.write_bytes(encode_pixels(pixels, "exr"))
    escape = root / "link.exr"
    escape.symlink_to(outside)  # a link inside a root to a file outside it
    raw = Raw(proc.url)
    try:
        def ask(path: Path) -> dict[str, object]:
            return raw.ask("run", task="echo", params={},
                           inputs={"plate": [{"where": "path", "path": str(path), "number": 1}]})

        got = ask(inside)
        assert got["type"] == "frame"
        assert np.allclose(np.frombuffer(got["parts"][0], np.float16), 0.25)  # type: ignore[index]
        refusals = {}
        for path in (outside, tmp_path / "missing.exr", escape, Path("/etc/shadow")):
            got = ask(path)
            assert got["type"] == "error" and got["code"] == "bad_frame", got
            refusals[str(path)] = str(got["detail"]).replace(str(path), "PATH")
        assert len(set(refusals.values())) == 1, refusals  # existing or not: the same words
        assert "not readable through this daemon" in next(iter(refusals.values()))
        got = ask(root / "shot" / "missing.exr")  # inside the roots a missing file is named as such
        assert got["code"] == "bad_frame" and "no such file" in str(got["detail"])
    finally:
        raw.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not Path("/dev/shm").is_dir(),
                    reason="needs root to hand a probe segment to another user (chown) and /dev/shm")
def test_without_roots_a_client_reads_only_what_its_own_user_may(tmp_path: Path) -> None:
    """No plate_roots: the hello probe's owner is the client's user; files are served to it only
    when that user may read them itself (here the client is user 65534, nobody)."""
    proc = DaemonProcess(tmp_path / "store").start()
    folder = Path(tempfile.mkdtemp(prefix="rushes-perm-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        pixels = encode_pixels(np.full((4, 4, 3), 0.5, np.float16), "exr")
        public, private, hidden = folder / "public.exr", folder / "private.exr", folder / "closed" / "x.exr"
        for path, mode in ((public, 0o644), (private, 0o600)):
            path.write_bytes(pixels)
            path.chmod(mode)
        hidden.parent.mkdir(mode=0o700)
        hidden.write_bytes(pixels)
        hidden.chmod(0o644)
        probe = shared_memory.SharedMemory(create=True, size=16)
        raw = Raw(proc.url)
        try:
            assert probe.buf is not None
            probe.buf[:16] = b"0123456789abcdef"
            os.fchown(probe._fd, 65534, 65534)  # type: ignore[attr-defined]
            hello = raw.ask("hello", shm_probe={"name": probe.name, "secret": b"0123456789abcdef".hex()})
            assert hello["same_host"] is True

            def ask(path: Path) -> dict[str, object]:
                return raw.ask("run", task="echo", params={},
                               inputs={"plate": [{"where": "path", "path": str(path), "number": 1}]})

            assert ask(public)["type"] == "frame"
            words = {str(p): str(ask(p)["detail"]).replace(str(p), "PATH") for p in (private, hidden,
                                                                                    hidden.parent / "y.exr")}
            assert len(set(words.values())) == 1 and "not readable through this daemon" in words[str(private)]
            assert "no such file" in str(ask(folder / "gone.exr")["detail"])  # nobody could see that itself
        finally:
            raw.close()
            probe.close()
            probe.unlink()
        with Client(proc.url) as same_user:  # the daemon's own user reads its private file
            assert same_user.run("echo", {"plate": [path_frame(str(private), 1)]}).frames["result"]
    finally:
        proc.stop()
        shutil.rmtree(folder)


def test_a_restarted_daemon_is_told_the_segments_again(tmp_path: Path) -> None:
    proc = DaemonProcess(tmp_path / "store").start()
    try:
        with Client(proc.url, timeout=10) as c:
            frame = c.shared_frame((8, 8, 4), "float32")
            frame[:] = 0.25
            assert np.allclose(c.run("exposure", {"plate": [frame]}, {"stops": 1.0}).frames["result"][0].array(), 0.5)
            proc.stop()
            proc.start()  # same port, empty registry: the client re-registers and is served
            assert np.allclose(c.run("exposure", {"plate": [frame]}, {"stops": 2.0}).frames["result"][0].array(), 1.0)
            assert float(frame[0, 0, 0]) == 0.25  # registering left the pixels as they were
    finally:
        proc.stop()
