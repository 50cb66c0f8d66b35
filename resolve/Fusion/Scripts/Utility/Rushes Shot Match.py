"""Rushes Shot Match (Workspace > Scripts > Rushes Shot Match). All logic lives in rushes_resolve."""
import os
import sys


def _add_rushes_to_path() -> None:
    roots = [os.environ.get("RUSHES_HOME", "")]
    here = globals().get("__file__")
    if here:  # resolve/Fusion/Scripts/Utility/<this file> inside a Rushes checkout
        roots.append(os.path.join(os.path.dirname(os.path.abspath(here)), "..", "..", "..", ".."))
    for root in filter(None, roots):
        for path in (os.path.join(root, "resolve"), root):
            if os.path.isdir(path) and path not in sys.path:
                sys.path.append(path)


_add_rushes_to_path()
from rushes_resolve.entry import main  # noqa: E402

main("shot_match", globals())
