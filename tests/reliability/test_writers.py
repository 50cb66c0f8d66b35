"""Item 1 and 2 of issue 15: writers on a full disk never leave a broken frame or end the process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hostbridge import Client
from hostbridge.errors import HostBridgeError
from inference_server import media
from inference_server.codec import decode_bytes
from inference_server.engines.wire.synthetic import wire_shot
from inference_server.runner import wait_for_daemon
from tests.conftest import REPO, free_port
from tests.reliability.smalldisk import need_small_disk, on_small_disk, python_env

WRITE_OVER_GOOD_FRAME = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from inference_server import media
    folder, ext = sys.argv[1], sys.argv[2]
    path = os.path.join(folder, "frame.1001." + ext)
    dtype = "uint8" if ext == "jpg" else ("float16" if ext == "exr" else "uint16")
    good = np.full((8, 8, 3), 0.5, np.float32)
    good = good.astype(dtype) if dtype == "float16" else (good * np.iinfo(dtype).max).astype(dtype)
    media.write_image(path, good)
    before = open(path, "rb").read()
    noise = np.random.default_rng(0).random((512, 512, 3), dtype=np.float32)
    big = noise.astype(dtype) if dtype == "float16" else (noise * np.iinfo(dtype).max).astype(dtype)
    try:
        media.write_image(path, big)
        error = ""
    except Exception as exc:
        error = type(exc).__name__ + ": " + str(exc)
    print(json.dumps({"error": error, "same": open(path, "rb").read() == before,
                      "files": sorted(os.listdir(folder))}))
""")


@pytest.mark.parametrize("ext", ["png", "dpx", "jpg", "exr", "tif"])
def test_write_image_on_a_full_disk_raises_and_keeps_the_earlier_frame(tmp_path: Path, ext: str) -> None:
    need_small_disk()
    disk = tmp_path / "disk"
    res = subprocess.run(on_small_disk(disk, 64, [sys.executable, "-c", WRITE_OVER_GOOD_FRAME, str(disk), ext]),
                         capture_output=True, text=True, env=python_env(), cwd=REPO, timeout=120)
    assert res.returncode == 0, f"the writer ended the process (status {res.returncode}): {res.stderr[-600:]}"
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["error"].startswith("WriteFailed: cannot write"), got
    assert "frame.1001." + ext in got["error"]
    assert got["same"], "the good frame from the earlier render was replaced"
    assert got["files"] == [f"frame.1001.{ext}"], got["files"]  # no temporary left behind


def _plate(folder: Path, n: int) -> None:
    _, plates, hints = wire_shot(n, drift=5.0)
    for i, (p, h) in enumerate(zip(plates, hints, strict=True)):
        media.write_image(folder / f"plate.{1001 + i:04d}.png", np.rint(p * 65535).astype(np.uint16))
        media.write_image(folder / f"hint.{1001 + i:04d}.png", np.rint(h[:, :, None] * 255).astype(np.uint8))


@pytest.mark.parametrize(("ext", "kib"), [("dpx", 200), ("png", 200), ("jpg", 48)])
def test_cli_on_a_full_disk_exits_non_zero_naming_the_frame_and_leaves_nothing(tmp_path: Path, ext: str,
                                                                                kib: int) -> None:
    need_small_disk()
    _plate(tmp_path, 12)
    disk = tmp_path / "disk"
    shot = disk / "shot"
    script = textwrap.dedent(f"""
        import json, os, sys
        from inference_server.cli import main
        code = main(["wire-remove", {str(tmp_path / "plate.####.png")!r}, {str(shot / f"repair.####.{ext}")!r},
                     "--hint", {str(tmp_path / "hint.####.png")!r}, "--mode", "spatial"])
        print(json.dumps({{"code": code, "files": sorted(os.listdir({str(shot)!r}))}}))
    """)
    res = subprocess.run(on_small_disk(disk, kib, ["sh", "-c", 'mkdir "$0" && exec "$@"', str(shot),
                                                   sys.executable, "-c", script]),
                         capture_output=True, text=True, timeout=300, cwd=REPO,
                         env=python_env(RUSHES_SERVER="tcp://127.0.0.1:1", RUSHES_CONFIG=str(tmp_path / "none.toml")))
    assert res.returncode == 0, f"the command was killed (status {res.returncode}): {res.stderr[-600:]}"
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["code"] == 2, res.stderr[-800:]
    assert "Traceback" not in res.stderr and "wrote" not in res.stderr
    assert re.search(r"rushes: error: frame 10\d\d \(.*repair\.10\d\d\." + ext + r"\) was not written", res.stderr), \
        res.stderr[-800:]
    assert got["files"] == [], f"partial output or temporaries left in the output folder: {got['files']}"


@pytest.mark.parametrize("fmt", ["jpg", "png", "dpx"])
def test_daemon_with_a_full_tmpdir_answers_an_error_and_keeps_serving(tmp_path: Path, fmt: str) -> None:
    need_small_disk()
    disk = tmp_path / "tmpdir"
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tmp_path / "daemon.log"
    argv = [sys.executable, "-m", "inference_server.cli", "serve", "--listen", url, "--store", str(tmp_path / "store"),
            "--device", "cpu"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(on_small_disk(disk, 64, argv), cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env=python_env(TMPDIR=str(disk), RUSHES_CONFIG=str(tmp_path / "none.toml")))
    try:
        wait_for_daemon(proc, url, 60, log)
        big = (np.random.default_rng(0).random((400, 400, 3)) * [85, 170, 255]).astype(np.uint8)
        with Client(url, timeout=20, retries=0) as c:
            if fmt == "jpg":  # encoded in memory: a full TMPDIR does not matter
                got = c.run("echo", {"plate": [big]}, encode=fmt).frames["result"][0]
                back = decode_bytes(bytes(got.data), "jpg")
                assert back.shape == big.shape
                np.testing.assert_allclose(back.mean(axis=(0, 1)), big.mean(axis=(0, 1)), atol=3)  # R, G, B in order
            else:
                with pytest.raises(HostBridgeError, match=f"cannot encode a frame as {fmt}"):
                    c.run("echo", {"plate": [big]}, encode=fmt)
            time.sleep(0.2)
            assert proc.poll() is None, f"the daemon died: {log.read_text()[-800:]}"
            assert c.ping() < 5
            small = c.run("echo", {"plate": [big[:8, :8]]}, encode=fmt)
            assert len(small.frames["result"]) == 1
    finally:
        proc.terminate()
        proc.wait(30)


def test_look_fit_on_a_full_disk_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    need_small_disk()
    src = (np.random.default_rng(1).random((32, 32, 3)) * 0.8).astype(np.float32)
    media.write_image(tmp_path / "src.exr", src)
    media.write_image(tmp_path / "grd.exr", src * 1.1)
    disk = tmp_path / "disk"
    argv = [sys.executable, "-m", "inference_server.cli", "look", "fit", "--pair", str(tmp_path / "src.exr"),
            str(tmp_path / "grd.exr"), "--out", str(disk / "look.cube"), "--size", "33"]
    script = 'import os, subprocess, sys; r = subprocess.run(sys.argv[2:]); print(r.returncode, os.listdir(sys.argv[1]))'
    res = subprocess.run(on_small_disk(disk, 16, [sys.executable, "-c", script, str(disk), *argv]),
                         capture_output=True, text=True, timeout=300, cwd=REPO,
                         env=python_env(RUSHES_SERVER="tcp://127.0.0.1:1", RUSHES_CONFIG=str(tmp_path / "none.toml")))
    assert res.stdout.strip().splitlines()[-1] == "2 []", (res.stdout, res.stderr[-600:])
    assert f"rushes: error: No space left on device ({disk / 'look.cube'})" in res.stderr
    assert "Traceback" not in res.stderr
