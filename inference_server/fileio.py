"""Writing files so that nothing half-written is ever seen as final, and hashing them."""

from __future__ import annotations

import hashlib
import os

from hostbridge.files import atomic_write

__all__ = ["atomic_write", "atomic_write_text", "sha256_file"]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
