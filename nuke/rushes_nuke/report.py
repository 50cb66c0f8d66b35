"""How a run talks to the person; no Nuke here (the farm and the GUI subclass it)."""

from __future__ import annotations


class Reporter:
    """Progress and failures. GUI: ``nuke.ProgressTask`` + ``nuke.message``; farm: stdout."""

    def progress(self, done: int, total: int, message: str) -> bool:
        """Show progress; return False when the person asked to cancel."""
        return True

    def message(self, text: str) -> None:
        """Tell the person one thing went wrong (one sentence)."""
        print(text)

    def close(self) -> None:
        """The run is over (close progress windows)."""


class ProcessCancelled(Exception):
    """The person cancelled; nothing was kept."""
