"""The client's one retry loop, against a scripted ROUTER on a real socket.

The script decides each reply, so the tests can make an attempt go silent half way or
refuse it, and check what the client sends again and what it delivers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from hostbridge import Client
from hostbridge import protocol as P
from hostbridge.errors import BadParams, Busy
from hostbridge.frames import FrameOut, array_frame
from tests.hostbridge.scripted import Reply, Script, ScriptedDaemon, frame_reply, reply


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], ScriptedDaemon]]:
    made: list[ScriptedDaemon] = []

    def make(script: Script) -> ScriptedDaemon:
        made.append(ScriptedDaemon(script))
        return made[-1]

    yield make
    for d in made:
        d.close()


def _silent_after_three_then_whole(header: dict[str, Any], before: int) -> list[Reply]:
    """The first run sends frames 0-2 and goes silent (the daemon died); the second runs the job through."""
    if header["type"] != P.RUN:
        return [reply(header, P.PONG)]
    if before == 0:
        return [frame_reply(header, n) for n in range(3)]
    return [*(frame_reply(header, n) for n in range(5)), reply(header, P.RESULT, summary={"frames": 5})]


def test_a_job_sent_again_delivers_each_frame_to_on_frame_once(
        scripted: Callable[[Script], ScriptedDaemon]) -> None:
    daemon = scripted(_silent_after_three_then_whole)
    calls: Counter[int] = Counter()

    def on_frame(output: str, out: FrameOut) -> None:
        assert output == "result" and float(np.asarray(out.array())[0, 0, 0]) == out.number
        calls[out.number] += 1

    with Client(daemon.url, timeout=0.5, retries=2, use_shm=False) as c:
        res = c.run("echo", {"plate": [array_frame(np.zeros((2, 2, 3), np.float32), 0)]}, on_frame=on_frame)
    assert res.summary == {"frames": 5}
    assert calls == Counter({0: 1, 1: 1, 2: 1, 3: 1, 4: 1})
    assert res.frames == {}  # given to on_frame, not kept
    runs = daemon.requests(P.RUN)
    assert len(runs) == 2 and runs[0]["id"] != runs[1]["id"]  # sent again under a fresh id...
    assert runs[0]["inputs"] == runs[1]["inputs"]  # ...with the same frames
    assert len(daemon.requests(P.HELLO)) == 2  # after the silence it said hello again (a new daemon?)


def test_a_job_sent_again_keeps_the_finished_attempts_frames_once(
        scripted: Callable[[Script], ScriptedDaemon]) -> None:
    daemon = scripted(_silent_after_three_then_whole)
    with Client(daemon.url, timeout=0.5, retries=2, use_shm=False) as c:
        res = c.run("echo", {"plate": [array_frame(np.zeros((2, 2, 3), np.float32), 0)]})
    assert [f.number for f in res.frames["result"]] == [0, 1, 2, 3, 4]
    assert [float(np.asarray(f.array())[0, 0, 0]) for f in res.frames["result"]] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_retryable_refusals_are_sent_again_and_others_are_raised_at_once(
        scripted: Callable[[Script], ScriptedDaemon]) -> None:
    def script(header: dict[str, Any], before: int) -> list[Reply]:
        if header["type"] == P.PING:
            if before < 2:
                return [reply(header, P.ERROR, code="busy", detail="queue full", retryable=True)]
            return [reply(header, P.PONG)]
        if header["type"] == P.STATUS:
            return [reply(header, P.ERROR, code="busy", detail="still full", retryable=True)]
        return [reply(header, P.ERROR, code="bad_params", detail="stops must be a number", retryable=False)]

    daemon = scripted(script)
    with Client(daemon.url, timeout=2.0, retries=2, use_shm=False) as c:
        c.ping()  # two refusals, then a pong
        assert len(daemon.requests(P.PING)) == 3
        assert len({h["id"] for h in daemon.requests(P.PING)}) == 3
        with pytest.raises(Busy, match="still full"):
            c.status("j1")  # refused every time: the last refusal is raised after retries + 1 attempts
        assert len(daemon.requests(P.STATUS)) == 3
        with pytest.raises(BadParams, match="stops"):
            c.run("echo", {"plate": [array_frame(np.zeros((2, 2, 3), np.float32), 0)]})
        assert len(daemon.requests(P.RUN)) == 1  # not worth a retry


def test_a_job_refused_as_busy_mid_stream_is_sent_again_without_duplicates(
        scripted: Callable[[Script], ScriptedDaemon]) -> None:
    def script(header: dict[str, Any], before: int) -> list[Reply]:
        if before == 0:
            return [frame_reply(header, 0), reply(header, P.ERROR, code="shutting_down", detail="stopping",
                                              retryable=True)]
        return [frame_reply(header, 0), frame_reply(header, 1), reply(header, P.RESULT, summary={})]

    daemon = scripted(script)
    got: list[int] = []
    with Client(daemon.url, timeout=2.0, retries=1, use_shm=False) as c:
        c.run("echo", {"plate": [array_frame(np.zeros((2, 2, 3), np.float32), 0)]},
              on_frame=lambda _name, out: got.append(out.number))
    assert got == [0, 1]
    assert len(daemon.requests(P.RUN)) == 2
    assert len(daemon.requests(P.HELLO)) == 1  # it answered: no new hello
