"""Rushes nodes for Nuke: Groups that run their work through hostbridge and the daemon.

Importing this package registers nothing; in a Rushes checkout it makes the checkout's
hostbridge importable (an installed plugin has it on ``sys.path`` already), since the node
modules import ``hostbridge.manifest`` (stdlib only; pyzmq is needed only to talk to the daemon).
``install()`` registers callbacks (from init.py, in every mode) and ``menus.install()`` adds
the menus (from menu.py, GUI only).
"""

from __future__ import annotations

import os
import sys

__version__ = "0.1.0"
_installed = False


def _add_hostbridge_path() -> None:
    """In a Rushes checkout, hostbridge sits two folders above this file; make it importable."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isdir(os.path.join(top, "hostbridge")) and top not in sys.path:
        sys.path.append(top)


_add_hostbridge_path()


def install() -> None:
    """Register Rushes' callbacks (safe on the farm: no GUI work, no sockets). Idempotent."""
    global _installed
    if _installed:
        return
    import nuke
    from rushes_nuke import callbacks

    icons = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "icons")
    if os.path.isdir(icons):  # the toolbar icon is looked up on the plugin path
        nuke.pluginAddPath(icons, addToSysPath=False)
    nuke.addKnobChanged(callbacks.knob_changed, nodeClass="Group")
    nuke.addOnScriptLoad(callbacks.script_loaded)
    _installed = True
