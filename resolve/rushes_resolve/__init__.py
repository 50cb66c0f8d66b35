"""Rushes for DaVinci Resolve: Look Match, Shot Match, Repair and Revert.

The entry files under ``resolve/Fusion/Scripts/Utility`` call ``rushes_resolve.entry.main``.
Host code here runs inside Resolve's own Python (3.9+): it imports only the standard
library and ``hostbridge``, never numpy, torch, OpenImageIO, OpenCV or OpenColorIO.
Nothing happens at import.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
