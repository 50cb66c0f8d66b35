"""Rushes for Nuke, every mode (GUI, `nuke -t`, render farm): register callbacks only.

Never raises into Nuke's start-up: a broken install prints one line and Nuke carries on.
"""

try:
    import rushes_nuke

    rushes_nuke.install()
except Exception as exc:  # noqa: BLE001 - Nuke must start whatever happens here
    import sys

    sys.stderr.write(f"Rushes: plugin not loaded ({type(exc).__name__}: {exc})\n")
