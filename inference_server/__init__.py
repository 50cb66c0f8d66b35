"""Rushes inference daemon: server, scheduler, tasks, engines, training, project store, CLI."""

from __future__ import annotations

__version__ = "0.1.0"
