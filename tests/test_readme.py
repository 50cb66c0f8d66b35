"""CI runs exactly the test command README.md gives."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```\n(.*?)\n```", (REPO / "README.md").read_text(), re.S)
    commands = [b for b in blocks if "\n" not in b]
    assert len(commands) >= 2, "README must give the demo command and the test command"
    demo, test = commands[0], commands[1]
    assert demo.endswith("rushes demo") and "pytest" in test
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert test in ci_lines
