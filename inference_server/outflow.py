"""Replies to clients are never dropped: a slow reader slows its own job down instead.

A ROUTER socket normally drops a message for a peer whose pipe is at its high-water mark.
With ``ROUTER_MANDATORY`` the send is refused instead (``EAGAIN``); the refused message
waits here, in order, with every later message for that client, and is sent again as the
client reads. Each job may have at most ``CREDIT`` messages not yet taken by the socket:
the worker that makes them waits for credit (the zguide's credit-based flow control,
applied between the workers and the ROUTER loop), so a client that stops reading holds
only a bounded number of its frames in the daemon. Heartbeats are dropped rather than
queued. A message for a client that has gone away (``EHOSTUNREACH``) is dropped and that
client's jobs are cancelled: nobody is left to receive their frames.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import zmq

CREDIT = 32          # messages per job waiting for the socket before its worker pauses
SEND_HWM = 64        # messages the ROUTER queues per client before it refuses more


class Outflow:
    """Ordered, lossless delivery to ROUTER peers. ``send`` runs on the loop thread only."""

    def __init__(self, router: zmq.Socket, on_gone: Callable[[bytes], None]) -> None:
        router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        router.setsockopt(zmq.SNDHWM, SEND_HWM)
        self.router = router
        self.on_gone = on_gone
        self.pending: dict[bytes, deque[tuple[list[Any], str]]] = {}
        self._inflight: dict[str, int] = {}
        self._cond = threading.Condition()

    # -- worker side -------------------------------------------------------------------
    def acquire(self, job: str, stop: Callable[[], bool]) -> None:
        """Wait until ``job`` may queue another message (``stop()`` true: go ahead at once)."""
        with self._cond:
            while self._inflight.get(job, 0) >= CREDIT and not stop():
                self._cond.wait(0.2)
            self._inflight[job] = self._inflight.get(job, 0) + 1

    def release(self, job: str) -> None:
        if not job:
            return
        with self._cond:
            left = self._inflight.get(job, 0) - 1
            if left > 0:
                self._inflight[job] = left
            else:
                self._inflight.pop(job, None)
            self._cond.notify_all()

    # -- loop side ---------------------------------------------------------------------
    def send(self, identity: bytes, frames: list[Any], job: str = "", droppable: bool = False) -> None:
        """Send ``frames`` (identity first) now, or queue them behind the client's earlier messages."""
        queue = self.pending.get(identity)
        if queue:
            if not droppable:
                queue.append((frames, job))
            return
        outcome = self._try(frames)
        if outcome == "sent" or (outcome == "full" and droppable):
            self.release(job)
        elif outcome == "full":
            self.pending.setdefault(identity, deque()).append((frames, job))
        else:
            self.release(job)
            self.on_gone(identity)

    def flush(self) -> None:
        """Send what the clients' pipes now take, oldest first."""
        for identity in list(self.pending):
            queue = self.pending[identity]
            while queue:
                frames, job = queue[0]
                outcome = self._try(frames)
                if outcome == "full":
                    break
                queue.popleft()
                self.release(job)
                if outcome == "gone":
                    self._drop(identity)
                    self.on_gone(identity)
                    break
            if not queue:
                self.pending.pop(identity, None)

    def _drop(self, identity: bytes) -> None:
        for _, job in self.pending.pop(identity, deque()):
            self.release(job)

    def _try(self, frames: list[Any]) -> str:
        try:
            self.router.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
            return "sent"
        except zmq.Again:
            return "full"
        except zmq.ZMQError as exc:
            if exc.errno == zmq.EHOSTUNREACH:
                return "gone"
            raise
