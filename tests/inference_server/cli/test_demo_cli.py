"""`rushes demo` on a machine with no daemon running starts one and repairs through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, free_port


def test_demo_goes_through_a_temporary_daemon(tmp_path: Path) -> None:
    env = dict(os.environ, RUSHES_SERVER=f"tcp://127.0.0.1:{free_port()}", RUSHES_CONFIG=str(tmp_path / "none.toml"))
    out = subprocess.run([sys.executable, "-m", "inference_server.cli", "demo", "--out", str(tmp_path / "demo"),
                          "--frames", "3"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "started a temporary daemon at tcp://127.0.0.1:" in out.stdout
    figures = json.loads((tmp_path / "demo" / "psnr.json").read_text())
    assert figures["frames"] == 3
    assert figures["psnr_in_hint_db"] > figures["psnr_unrepaired_db"] + 10
    assert sorted(p.name for p in (tmp_path / "demo" / "repair").iterdir()) == [
        "repair.1001.png", "repair.1002.png", "repair.1003.png"]
