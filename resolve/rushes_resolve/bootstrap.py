"""What every Scripts-menu file runs once its few lines have found this package.

A menu file (``resolve/Fusion/Scripts/Utility/Rushes *.py``) puts the folder holding
``rushes_resolve`` on ``sys.path`` (the checkout's ``resolve/``, or ``<Fusion>/Rushes/lib`` where
`rushes install resolve` puts it, or ``$RUSHES_HOME``) and calls ``run``. Here the rest is added:
``$RUSHES_HOME`` and the pyzmq/msgpack wheels the installer keeps per Python version in
``lib/py3.X`` beside this package; then the tool runs. Standard library only, Python 3.9.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def search_paths(env: Mapping[str, str] | None = None) -> list[str]:
    """Folders holding Rushes' host packages (rushes_resolve, hostbridge) or the wheels for this
    Python (``py3.X``): under ``$RUSHES_HOME``, beside this package (an install's lib, a checkout's
    resolve/) and one level up (a checkout's root, where hostbridge is). Existing ones, in order."""
    env = os.environ if env is None else env
    version = "py%d.%d" % sys.version_info[:2]
    found: list[str] = []
    for root in filter(None, (env.get("RUSHES_HOME", ""), PACKAGE_PARENT, os.path.dirname(PACKAGE_PARENT))):
        for path in (os.path.join(root, "resolve"), root, os.path.join(root, version)):
            holds = any(os.path.isdir(os.path.join(path, pkg)) for pkg in ("rushes_resolve", "hostbridge"))
            if (holds or path.endswith(version)) and os.path.isdir(path) and path not in found:
                found.append(path)
    return found


def add_paths(env: Mapping[str, str] | None = None) -> None:
    """Append ``search_paths`` to ``sys.path`` (each once)."""
    for path in search_paths(env):
        if path not in sys.path:
            sys.path.append(path)


def run(tool: str, script_globals: Mapping[str, Any] | None = None) -> int:
    """The body of a Scripts-menu file: complete ``sys.path``, then run ``tool`` (see ``entry.main``)."""
    add_paths()
    from rushes_resolve.entry import main  # after add_paths: the tool's imports may need the wheels

    return main(tool, script_globals)
