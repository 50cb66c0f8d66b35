"""Fixtures for the command-line tests."""

from __future__ import annotations

import pytest


@pytest.fixture()
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands find no daemon (nothing answers on port 1), so they run the task in-process."""
    monkeypatch.setenv("RUSHES_SERVER", "tcp://127.0.0.1:1")
