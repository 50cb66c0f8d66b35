"""Put ``resolve/`` on sys.path so tests import ``rushes_resolve`` as Resolve would."""

from __future__ import annotations

import sys
from pathlib import Path

RESOLVE_DIR = Path(__file__).resolve().parents[2] / "resolve"
if str(RESOLVE_DIR) not in sys.path:
    sys.path.insert(0, str(RESOLVE_DIR))
