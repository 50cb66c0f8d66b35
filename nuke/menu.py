"""Rushes for Nuke, GUI only: the Rushes menu and toolbar entries."""

try:
    import rushes_nuke.menus

    rushes_nuke.menus.install()
except Exception as exc:  # noqa: BLE001 - never break the GUI's start-up
    import sys

    sys.stderr.write(f"Rushes: menus not loaded ({type(exc).__name__}: {exc})\n")
