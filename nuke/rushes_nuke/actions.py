"""What the buttons and menu entries do in the GUI (thin: the work is in ``process``)."""

from __future__ import annotations

import os
import threading

import nuke
from rushes_nuke import daemon, kinds, state
from rushes_nuke.report import Reporter


class GuiReporter(Reporter):
    """A ``nuke.ProgressTask`` with Cancel, and one ``nuke.message`` for a failure.

    Safe from a worker thread: the message is shown on the main thread.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.task: nuke.ProgressTask | None = None

    def progress(self, done: int, total: int, message: str) -> bool:
        if self.task is None:
            self.task = nuke.ProgressTask(self.title)
        self.task.setMessage(message)
        self.task.setProgress(int(100 * done / total) if total else 0)
        return not self.task.isCancelled()

    def message(self, text: str) -> None:
        self.close()
        if threading.current_thread() is threading.main_thread():
            nuke.message(text)
        else:
            nuke.executeInMainThread(nuke.message, args=(text,))

    def close(self) -> None:
        self.task = None  # Nuke closes the progress window when the task is released


_RUNNING: dict[str, threading.Thread] = {}


def background() -> bool:
    """Run the daemon step on a worker thread (GUI), unless $RUSHES_NUKE_FOREGROUND is set."""
    return bool(nuke.GUI) and not os.environ.get("RUSHES_NUKE_FOREGROUND")


def process_node(node: nuke.Group) -> str | threading.Thread | None:
    """Process one Rushes node with GUI feedback.

    Returns the new version (foreground), the worker thread (background), or None.
    """
    key = str(node["rushes_id"].value())
    running = _RUNNING.get(key)
    if running is not None and running.is_alive():
        nuke.message(f"{node.name()} is already processing; wait for it or cancel it first.")
        return None
    behaviour = kinds.of(node)
    result = behaviour.process(node, GuiReporter(f"Rushes: {behaviour.verb} {node.name()}"), background())
    if isinstance(result, threading.Thread):
        _RUNNING[key] = result
    return result


def wait(timeout: float | None = None) -> bool:
    """Wait for every background Process to finish; True when none is left running."""
    for thread in list(_RUNNING.values()):
        thread.join(timeout)
    return not any(t.is_alive() for t in _RUNNING.values())


def process_this() -> str | threading.Thread | None:
    node = nuke.thisNode()
    assert isinstance(node, nuke.Group)
    return process_node(node)


def process_selected() -> list[str | threading.Thread | None]:
    """Menu entry: process every selected Rushes node, one after the other."""
    found = [n for n in nuke.selectedNodes() if state.is_rushes(n) and isinstance(n, nuke.Group)]
    if not found:
        nuke.message("Select one or more Rushes nodes to process.")
        return []
    return [process_node(n) for n in found if isinstance(n, nuke.Group)]


def check_daemon_this() -> str:
    node = nuke.thisNode()
    url = str(node["server"].value()).strip() or daemon.default_url()
    line = daemon.status_line(url)
    node["daemon_status"].setValue(line)
    return line


def use_input_range_this() -> None:
    node = nuke.thisNode()
    source = node.input(0)
    if source is None:
        nuke.message(f"{node.name()}: connect the Source input first.")
        return
    node["first_frame"].setValue(source.firstFrame())
    node["last_frame"].setValue(source.lastFrame())


def daemon_status_dialog() -> str:
    """Menu entry: say whether the daemon answers (and how to start it if not)."""
    line = "Rushes daemon: " + daemon.status_line(daemon.default_url())
    nuke.message(line)
    return line
