"""mypy over resolve/ against fusionscript-stubs 21.0: no errors (and the stubs really bite)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "mypy", "--python-version", "3.10", "--strict", "--follow-imports=silent"]


def run_mypy(*targets: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, "--cache-dir", str(cache), *targets], check=False, cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_resolve_package_type_checks() -> None:
    out = run_mypy("resolve/", cache=Path("/tmp/rushes-mypy-resolve"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_stubs_catch_a_wrong_call(tmp_path: Path) -> None:
    bad = tmp_path / "bad_host_code.py"
    bad.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from fusionscript import TimelineItem\n"
        "def apply(item: 'TimelineItem') -> bool:\n"
        "    return item.GetNodeGraph(1).SetLUT('1', '/l/look.cube')\n")
    out = run_mypy(str(bad), cache=tmp_path / "cache")
    assert out.returncode == 1
    assert 'Argument 1 to "SetLUT" of "Graph" has incompatible type "str"; expected "int"' in out.stdout
