"""`python -m inference_server.batch.child PARENT_PID -- ARGS...`: run `rushes ARGS` as a task's child.

On Linux the child asks the kernel to kill it when the worker that started it dies (a farm node
lost mid-task), so an orphan never goes on writing into a staging folder that the retry owns.
"""

from __future__ import annotations

import signal
import sys


def _die_with_parent(parent: int) -> None:
    if sys.platform != "linux":
        return
    import ctypes
    import os

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if os.getppid() != parent:   # the parent died before we asked
        os._exit(137)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--" or not argv[0].isdigit():
        print("usage: python -m inference_server.batch.child PARENT_PID -- RUSHES_ARGS...", file=sys.stderr)
        return 2
    _die_with_parent(int(argv[0]))
    from inference_server.cli import main as rushes

    return rushes(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
