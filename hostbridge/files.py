"""Writing files so that nothing half-written is ever seen under its final name (stdlib only)."""

from __future__ import annotations

import os
import tempfile
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


def atomic_write(path: PathLike, data: bytes, mode: Optional[int] = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then ``os.replace``.

    The data is flushed and fsynced before the rename (a network or quota file system may report
    a failed write only then); the folder is created when missing; ``mode`` sets the permission
    bits. On failure the temporary file is removed, ``path`` is untouched, and an OSError names
    ``path`` (not the temporary name).
    """
    final = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(final))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(final)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, final)
    except OSError as exc:
        _unlink(tmp)
        raise OSError(exc.errno, exc.strerror or str(exc), final) from None
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
