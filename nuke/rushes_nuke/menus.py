"""The Rushes menu and toolbar entries (GUI only; called from menu.py)."""

from __future__ import annotations

import nuke

NODE_KINDS = ("WireRemoval", "CleanPlate", "ObjectRemoval", "Matte", "Look")
ICON = "rushes.png"  # in nuke/icons, which rushes_nuke.install() adds to the plugin path


def install() -> None:
    """Add Rushes to the Nodes toolbar and the main menu bar."""
    toolbar = nuke.toolbar("Nodes")
    bar = nuke.menu("Nuke")
    if toolbar is not None:
        nodes_menu = toolbar.addMenu("Rushes", icon=ICON)
        for kind in NODE_KINDS:
            nodes_menu.addCommand(kind, f"import rushes_nuke.kinds; rushes_nuke.kinds.create({kind!r})")
    main = bar.addMenu("Rushes")
    for kind in NODE_KINDS:
        main.addCommand(f"Create {kind}", f"import rushes_nuke.kinds; rushes_nuke.kinds.create({kind!r})")
    main.addSeparator()
    main.addCommand("Process selected", "import rushes_nuke.actions; rushes_nuke.actions.process_selected()")
    main.addCommand("Daemon status", "import rushes_nuke.actions; rushes_nuke.actions.daemon_status_dialog()")
