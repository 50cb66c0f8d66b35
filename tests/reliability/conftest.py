"""Fixtures of the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess


@pytest.fixture
def rooted(tmp_path: Path) -> Iterator[tuple[DaemonProcess, Path]]:
    """A daemon of its own whose plate root is ``tmp_path/plates``: (process, root)."""
    root = tmp_path / "plates"
    root.mkdir()
    proc = DaemonProcess(tmp_path / "store", env={"RUSHES_PLATE_ROOTS": str(root)}).start()
    yield proc, root
    proc.stop()
