"""Output frames that become final together.

A command writes each frame into a hidden staging folder beside its final name
(``.rushes-staging-HOST-PID-XXXX``) and moves them all into place only once the whole job
has succeeded. A failed, cancelled or killed render therefore never leaves frames under
their final names (nor replaces good frames of an earlier render): a failure removes the
staging folder, and the next command run in that folder removes the folders that killed
commands on this host left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from types import TracebackType

import numpy as np

from inference_server import media
from inference_server.frames import Frame, from_float, to_float
from inference_server.writers import WriteFailed

PREFIX = ".rushes-staging-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: str) -> list[str]:
    """Remove staging folders in ``folder`` left by commands of this host that are no longer running."""
    host = socket.gethostname()
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(f"{PREFIX}{host}-"):
            continue
        pid_text = name[len(f"{PREFIX}{host}-"):].split("-", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
            removed.append(name)
    return removed


class StagedOutputs:
    """Use as a context manager: ``write(path, pixels, like, number)`` per frame, ``commit()`` at the end.

    Leaving the block without ``commit()`` (an error, Ctrl-C) discards every staged frame.
    """

    def __init__(self) -> None:
        self._stages: dict[str, str] = {}    # final folder -> its staging folder
        self.files: dict[str, str] = {}      # final path -> staged path
        self.committed = False
        self._tag = f"{PREFIX}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.committed:
            self.discard()

    def prepare(self, path: str) -> None:
        """Make the staging folder for ``path`` now, so an unwritable folder fails before any work."""
        self._stage(os.path.dirname(os.path.abspath(path)))

    def _stage(self, folder: str) -> str:
        if folder not in self._stages:
            remove_stale(folder)
            stage = os.path.join(folder, self._tag)
            os.mkdir(stage, 0o755)
            self._stages[folder] = stage
        return self._stages[folder]

    def write(self, path: str, pixels: np.ndarray, like: str | None, number: int, names: bool = True,
              straight: bool = False) -> None:
        """Write frame ``number`` (bound for ``path``) into the staging folder; raises naming the frame.
        ``names``: the channels are the ``like`` file's; ``straight``: the alpha is straight, as the
        source file stored it (``media.write_image``)."""
        folder = os.path.dirname(os.path.abspath(path))
        staged = os.path.join(self._stage(folder), os.path.basename(path))
        try:
            media.write_image(staged, pixels, like_format=like, channel_names=names, straight=straight)
        except WriteFailed as exc:
            raise WriteFailed(f"frame {number} ({path}) was not written: {str(exc).split(': ', 1)[-1]}; "
                              "no frame of this render was put under its final name") from None
        self.files[path] = staged

    def commit(self) -> list[str]:
        """Move every staged frame to its final name; returns the final paths in write order.

        All or nothing: a final name held by a folder is refused before any frame moves, and a move
        that fails part way puts back what was there (frames of an earlier render are moved aside
        into the staging folder first, not overwritten) and raises naming the frame's final path."""
        for final in self.files:
            if os.path.isdir(final):
                raise FileExistsError(f"cannot write {final}: a folder has that name; no frame of this render "
                                      "was put under its final name")
        done: list[str] = []
        kept: dict[str, str] = {}   # final path -> the earlier file there, moved aside
        try:
            for final, staged in self.files.items():
                if os.path.lexists(final):
                    aside = staged + ".before"
                    os.replace(final, aside)
                    kept[final] = aside
                os.replace(staged, final)
                done.append(final)
        except OSError as exc:
            for final in done:
                try:
                    os.remove(final)
                except OSError:
                    pass
            for final, aside in kept.items():
                try:
                    os.replace(aside, final)
                except OSError:
                    pass
            failed = next(f for f in self.files if f not in done)
            raise OSError(exc.errno, f"{failed} could not be put in place ({exc.strerror or exc}); no frame of "
                                     "this render was left under its final name") from None
        self.committed = True
        self.discard()
        return list(self.files)

    def discard(self) -> None:
        for stage in self._stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        self._stages.clear()


class LikePlate:
    """How a command writes a result frame (``write``): like its own plate frame, found by number, in the
    plate's pixel type; in the plate's format that frame's file is the reference (its header, timecode,
    channel names: frame 1's on every frame stamped its timecode on all), and its alpha is written as
    that file stored it (``media.write_image``'s ``straight``)."""

    def __init__(self, plate: media.FrameSequence, out: str) -> None:
        self.plate = plate
        paths = plate.paths or []
        same_format = bool(paths) and os.path.splitext(out)[1].lower() == os.path.splitext(paths[0])[1].lower()
        self.likes = dict(zip(plate.numbers, paths)) if same_format else {}
        self.index = {n: i for i, n in enumerate(plate.numbers)}

    def write(self, staged: StagedOutputs, path: str, frame: Frame, names: bool = True) -> None:
        """Write ``frame`` to ``path`` through ``staged``; ``names``: its channels are the plate's."""
        dtype = self.plate.info.dtype
        px = frame.pixels if frame.pixels.dtype.name == dtype else from_float(to_float(frame.pixels), dtype)
        k = self.index.get(frame.number)
        staged.write(path, px, self.likes.get(frame.number, dtype), frame.number, names,
                     k is not None and self.plate.straight(k))

