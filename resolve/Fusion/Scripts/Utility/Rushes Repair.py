"""Rushes Repair (Workspace > Scripts > Rushes Repair). All logic lives in rushes_resolve."""
import os
import sys

# Find rushes_resolve: beside this checkout's resolve/Fusion, in <Fusion>/Rushes/lib (`rushes install resolve`),
# or in $RUSHES_HOME. Resolve may run a menu script without __file__: then the per-user Fusion folder.
_here = globals().get("__file__")
_fusion = os.path.join(os.path.dirname(os.path.abspath(_here)), "..", "..") if _here else os.path.expanduser({
    "win32": os.path.join(os.environ.get("APPDATA", ""), "Blackmagic Design", "DaVinci Resolve", "Support", "Fusion"),
    "darwin": "~/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion"}.get(
    sys.platform, "~/.local/share/DaVinciResolve/Fusion"))
_home = os.environ.get("RUSHES_HOME", "")
_roots = ([os.path.join(_home, "resolve"), _home] if _home else []) + [os.path.join(_fusion, ".."),
                                                                     os.path.join(_fusion, "Rushes", "lib")]
sys.path += [p for p in _roots if os.path.isdir(os.path.join(p, "rushes_resolve")) and p not in sys.path][:1]
from rushes_resolve import bootstrap  # noqa: E402

bootstrap.run("repair", globals())
