"""The one error table: classes, codes and retryable come from it, on both sides of the wire."""

from __future__ import annotations

import pickle

import pytest

import hostbridge.errors as E
from hostbridge import protocol as P


def test_every_row_has_its_class_under_its_parent_and_importable_by_name() -> None:
    for kind in E.TABLE:
        cls = E.BY_CODE[kind.code]
        assert cls.__name__ == kind.cls and getattr(E, kind.cls) is cls, kind
        assert issubclass(cls, E.HostBridgeError)
        if kind.parent:
            assert cls.__bases__ == (E.CLASSES[kind.parent],), kind
    assert set(E.CLASSES) == {kind.cls for kind in E.TABLE}
    assert issubclass(E.GaveUp, E.DaemonUnavailable) and issubclass(E.FrameTooLarge, E.BadFrame)
    assert issubclass(E.UnknownType, E.BadRequest) and E.BY_CODE["bad_message"] is E.BadRequest
    assert issubclass(E.SegmentNotRegistered, E.SharedMemoryError) and E.BY_CODE["shm_unregistered"] is \
        E.SegmentNotRegistered and not E.SegmentNotRegistered.retryable  # the client re-registers, once


def test_retryable_is_stated_once_and_read_by_both_sides() -> None:
    assert {code for code, retry in E.RETRYABLE.items() if retry} == {"unavailable", "busy", "shutting_down"}
    assert P.ERROR_CODES is E.RETRYABLE
    for kind in E.TABLE:
        header = P.error_header("r1", kind.code, "why")
        assert header["retryable"] is kind.retryable
        err = E.error_from_wire(header["code"], header["detail"], header["retryable"])
        assert type(err) is E.BY_CODE[kind.code] and err.code == kind.code and err.retryable is kind.retryable
        assert str(err) == "why"
    assert E.Busy.retryable and not E.GaveUp.retryable and E.DaemonUnavailable.retryable
    assert P.error_header("r1", "shutting_down", "now", retryable=False)["retryable"] is False


def test_the_wire_word_wins_and_unknown_codes_stay_catchable() -> None:
    stop_now = E.error_from_wire("shutting_down", "stopped now", False)
    assert isinstance(stop_now, E.ShuttingDown) and not stop_now.retryable
    newer = E.error_from_wire("quota_exceeded", "over quota", False)
    assert type(newer) is E.HostBridgeError and newer.code == "quota_exceeded"
    with pytest.raises(E.HostBridgeError, match="over quota"):
        raise newer


def test_classes_are_real_exceptions_hosts_can_catch_and_pickle() -> None:
    err = E.Busy("the queue is full")
    assert err.code == "busy" and err.retryable and err.detail == "the queue is full"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is E.Busy and str(again) == "the queue is full"
    assert E.BadParams.__module__ == "hostbridge.errors" and E.BadParams.__doc__


def test_the_client_knows_a_forgotten_segment_by_its_class_and_an_older_daemons_words() -> None:
    from hostbridge.client import Client

    c = Client("tcp://127.0.0.1:1", timeout=0.1, retries=0)
    try:
        unregistered = E.error_from_wire("shm_unregistered", "segment 'x' was not registered by this client", False)
        older = E.error_from_wire("shm_error", "shared-memory segment 'x' was not registered by this client; name it", False)
        bad_secret = E.error_from_wire("shm_error", "segment 'x' was not registered: its first 16 bytes ...", False)
        assert not c._segments_forgotten(unregistered)  # nothing registered: nothing to tell it again
        c._registered["x"] = None
        assert [c._segments_forgotten(e) for e in (unregistered, older, bad_secret)] == [True, True, False]
    finally:
        c.close()
