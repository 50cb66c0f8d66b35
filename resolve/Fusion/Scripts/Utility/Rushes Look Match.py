"""Rushes Look Match (Workspace > Scripts > Rushes Look Match). All logic lives in rushes_resolve."""
import os
import sys


def _add_rushes_to_path() -> None:
    roots = [os.environ.get("RUSHES_HOME", "")]
    here = globals().get("__file__")
    if here:  # <Fusion>/Scripts/Utility/<this file>: a checkout, or an install beside <Fusion>/Rushes/lib
        utility = os.path.dirname(os.path.abspath(here))
        roots.append(os.path.join(utility, "..", "..", "..", ".."))
        fusion = os.path.join(utility, "..", "..")
    else:  # Resolve ran us without __file__: the per-user Fusion folder
        fusion = {"win32": os.path.join(os.environ.get("APPDATA", ""), "Blackmagic Design", "DaVinci Resolve", "Support",
                                        "Fusion"),
                  "darwin": os.path.expanduser("~/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion"),
                  }.get(sys.platform, os.path.expanduser("~/.local/share/DaVinciResolve/Fusion"))
    lib = os.path.join(fusion, "Rushes", "lib")  # where `rushes install resolve` puts the package and wheels
    roots += [lib, os.path.join(lib, "py%d.%d" % sys.version_info[:2])]
    for root in filter(None, roots):
        for path in (os.path.join(root, "resolve"), root):
            if os.path.isdir(path) and path not in sys.path:
                sys.path.append(path)


_add_rushes_to_path()
from rushes_resolve.entry import main  # noqa: E402

main("look_match", globals())
