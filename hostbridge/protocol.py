"""Every message between hosts and the daemon. Both sides import this module.

A message is a ZeroMQ multipart: one msgpack header (a map), then one raw part per
buffer the header references. Python 3.9+, msgpack only; no pickle, ever.

Header fields common to all messages: ``v`` (protocol version), ``type``, ``id``
(request id; replies carry the id of the request they answer).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import msgpack

from hostbridge.errors import RETRYABLE, is_retryable
from hostbridge.local import DEFAULT_URL  # noqa: F401  (part of the protocol's names)

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)

# Limits on what a header may contain (the decoder refuses anything bigger).
MAX_HEADER_BYTES = 1 << 20
MAX_DEPTH = 8
MAX_ID_LEN = 64

# Client -> daemon
HELLO = "hello"
PING = "ping"
LIST_TASKS = "list_tasks"
RUN = "run"            # frames in, streamed frames/blobs/progress out, then RESULT
SUBMIT = "submit"      # long job in the background; answered with ACCEPTED + job id
STATUS = "status"
CANCEL = "cancel"
REQUEST_TYPES = (HELLO, PING, LIST_TASKS, RUN, SUBMIT, STATUS, CANCEL)

# Daemon -> client
HELLO_REPLY = "hello_reply"
PONG = "pong"
TASKS = "tasks"
ACCEPTED = "accepted"
PROGRESS = "progress"
FRAME = "frame"
BLOB = "blob"
RESULT = "result"
STATUS_REPLY = "status_reply"
OK = "ok"
ERROR = "error"
REPLY_TYPES = (HELLO_REPLY, PONG, TASKS, ACCEPTED, PROGRESS, FRAME, BLOB, RESULT, STATUS_REPLY, OK, ERROR)
FINAL_TYPES = (HELLO_REPLY, PONG, TASKS, RESULT, STATUS_REPLY, OK, ERROR)

DTYPES = {"uint8": 1, "uint16": 2, "float16": 2, "float32": 4}
WHERE = ("part", "shm", "encoded", "path")
ENCODINGS = ("exr", "png", "tiff", "dpx", "jpg")

# Error code -> retryable, from the one table in hostbridge.errors (which also names each code's class).
ERROR_CODES = RETRYABLE


class ProtocolError(ValueError):
    """A header or frame descriptor breaks the protocol; ``code`` is a wire error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def encode_header(header: Dict[str, Any]) -> bytes:
    return msgpack.packb(header, use_bin_type=True)


def decode_header(data: bytes) -> Dict[str, Any]:
    """Decode and sanity-check a header; raise ProtocolError naming the problem."""
    if len(data) > MAX_HEADER_BYTES:
        raise ProtocolError("bad_message", f"header is {len(data)} bytes, over the {MAX_HEADER_BYTES}-byte limit")
    try:
        header = msgpack.unpackb(data, raw=False, strict_map_key=True,
                                 max_str_len=MAX_HEADER_BYTES, max_bin_len=MAX_HEADER_BYTES,
                                 max_array_len=65536, max_map_len=4096, max_ext_len=0)
    except Exception as exc:  # msgpack raises several unrelated types on garbage
        raise ProtocolError("bad_message", f"header is not valid msgpack ({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict):
        raise ProtocolError("bad_message", f"header must be a map, got {type(header).__name__}")
    _check_depth(header, 0)
    version = header.get("v")
    if version not in SUPPORTED_VERSIONS:
        raise ProtocolError("unsupported_version",
                            f"protocol version {version!r} is not supported; this side speaks {SUPPORTED_VERSIONS}")
    mtype = header.get("type")
    if not isinstance(mtype, str):
        raise ProtocolError("bad_message", "header field 'type' is missing or not text")
    rid = header.get("id")
    if not isinstance(rid, str) or not rid or len(rid) > MAX_ID_LEN:
        raise ProtocolError("bad_message", f"header field 'id' must be text of 1-{MAX_ID_LEN} characters")
    return header


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ProtocolError("bad_message", f"header nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)


def make_header(mtype: str, rid: str, **fields: Any) -> Dict[str, Any]:
    header: Dict[str, Any] = {"v": PROTOCOL_VERSION, "type": mtype, "id": rid}
    header.update(fields)
    return header


def error_header(rid: str, code: str, detail: str, retryable: Optional[bool] = None) -> Dict[str, Any]:
    """An ``error`` reply; ``retryable`` is the table's unless the sender knows better (a stop-now notice)."""
    return make_header(ERROR, rid, code=code, detail=detail,
                       retryable=is_retryable(code) if retryable is None else retryable)


# Which fields each request may carry: name -> (required, allowed types)
_FIELDS: Dict[str, Dict[str, Tuple[bool, Tuple[type, ...]]]] = {
    HELLO: {"shm_probe": (False, (dict,)), "token": (False, (str,)), "client": (False, (str,)),
            "segments": (False, (list,))},  # [{name, secret}]: shared memory this client will name
    PING: {"token": (False, (str,))},
    LIST_TASKS: {"token": (False, (str,))},
    RUN: {"task": (True, (str,)), "params": (False, (dict,)), "inputs": (True, (dict,)),
          "encode": (False, (str, type(None))), "reply_shm": (False, (dict,)),
          "project": (False, (str, type(None))), "token": (False, (str,))},
    STATUS: {"job": (True, (str,)), "token": (False, (str,))},
    CANCEL: {"job": (True, (str,)), "token": (False, (str,))},
}
_FIELDS[SUBMIT] = _FIELDS[RUN]
_ENVELOPE = {"v", "type", "id"}


def check_request(header: Dict[str, Any], n_parts: int = 0, max_bytes: int = 1 << 62,
                  max_side: int = 1 << 31) -> None:
    """Check a decoded request's shape; raise ProtocolError naming the first problem.

    The one request validator: type, fields and their types, then for ``run``/``submit``
    the inputs map, every frame descriptor (against ``max_bytes``/``max_side``), the buffer
    parts (``n_parts`` came, each referenced exactly once), ``encode`` and ``reply_shm``.
    What needs the daemon (tasks, parameters, paths, segments) is checked there.
    """
    mtype = header["type"]
    if mtype not in _FIELDS:
        raise ProtocolError("unknown_type", f"unknown message type {mtype!r}; expected one of {', '.join(REQUEST_TYPES)}")
    spec = _FIELDS[mtype]
    extra = sorted(set(header) - _ENVELOPE - set(spec))
    if extra:
        raise ProtocolError("bad_message", f"{mtype} message has unexpected field(s) {', '.join(extra)}")
    for name, (required, types) in spec.items():
        if name not in header:
            if required:
                raise ProtocolError("bad_message", f"{mtype} message is missing field {name!r}")
            continue
        if not isinstance(header[name], types):
            raise ProtocolError("bad_message", f"{mtype} field {name!r} has the wrong type "
                                               f"({type(header[name]).__name__})")
    if mtype not in (RUN, SUBMIT):
        if n_parts:
            raise ProtocolError("bad_frame", f"{mtype} takes no buffer parts, got {n_parts}")
        return
    _check_job(header, n_parts, max_bytes, max_side)


def _check_job(header: Dict[str, Any], n_parts: int, max_bytes: int, max_side: int) -> None:
    inputs = header["inputs"]
    for port, items in inputs.items():
        if not isinstance(port, str) or not isinstance(items, list):
            raise ProtocolError("bad_frame", "'inputs' must map input names to lists of frame descriptors")
    for items in inputs.values():
        for desc in items:
            check_descriptor(desc, WHERE, n_parts, max_bytes, max_side)
    used = part_indices(inputs)
    if sorted(used) != list(range(n_parts)):
        raise ProtocolError("bad_frame", f"wrong part count: the header references parts {sorted(used)} "
                                         f"but {n_parts} buffer part(s) came")
    encode = header.get("encode")
    if encode is not None and encode not in ENCODINGS:
        raise ProtocolError("bad_message", f"cannot encode outputs as {encode!r}; use one of {', '.join(ENCODINGS)}")
    reply = header.get("reply_shm")
    if reply is not None and encode is None and not isinstance(reply.get("name"), str):
        raise ProtocolError("bad_message", "'reply_shm' needs a text 'name'")


def frame_nbytes(shape: Sequence[int], dtype: str) -> int:
    n = DTYPES[dtype]
    for d in shape:
        n *= d
    return n


def check_descriptor(desc: Any, where_ok: Sequence[str], n_parts: int, max_bytes: int, max_side: int) -> Dict[str, Any]:
    """Validate one frame descriptor; return it. Raises ProtocolError with a precise detail."""
    if not isinstance(desc, dict):
        raise ProtocolError("bad_frame", f"frame descriptor must be a map, got {type(desc).__name__}")
    allowed = {"shape", "dtype", "layout", "colour_space", "number", "where", "part", "shm", "encoded", "path"}
    extra = sorted(set(desc) - allowed)
    if extra:
        raise ProtocolError("bad_frame", f"frame descriptor has unexpected field(s) {', '.join(extra)}")
    where = desc.get("where")
    if where not in WHERE:
        raise ProtocolError("bad_frame", f"frame 'where' must be one of {', '.join(WHERE)}, got {where!r}")
    if where not in where_ok:
        raise ProtocolError("bad_frame", f"frames by {where!r} are not accepted here")
    number = desc.get("number", 0)
    if isinstance(number, bool) or not isinstance(number, int):
        raise ProtocolError("bad_frame", f"frame 'number' must be an integer, got {number!r}")
    if not isinstance(desc.get("colour_space", ""), str):
        raise ProtocolError("bad_frame", "frame 'colour_space' must be text")
    if desc.get("layout", "HWC") != "HWC":
        raise ProtocolError("bad_frame", f"frame layout {desc.get('layout')!r} is not supported; send HWC")
    if where in ("part", "shm"):
        _check_shape_dtype(desc, max_bytes, max_side)
    if where == "part":
        part = desc.get("part")
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < n_parts:
            raise ProtocolError("bad_frame", f"frame 'part' {part!r} does not name one of the {n_parts} buffer part(s)")
    elif where == "shm":
        shm = desc.get("shm")
        if not isinstance(shm, dict) or not isinstance(shm.get("name"), str) or not isinstance(shm.get("offset", 0), int):
            raise ProtocolError("bad_frame", "frame 'shm' must be a map with a text 'name' and an integer 'offset'")
        if shm.get("offset", 0) < 0:
            raise ProtocolError("bad_frame", "frame 'shm' offset must not be negative")
    elif where == "encoded":
        enc = desc.get("encoded")
        if not isinstance(enc, dict) or enc.get("format") not in ENCODINGS:
            raise ProtocolError("bad_frame", f"frame 'encoded' must name a format among {', '.join(ENCODINGS)}")
        part = enc.get("part")
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < n_parts:
            raise ProtocolError("bad_frame", f"encoded frame 'part' {part!r} does not name one of the {n_parts} part(s)")
    else:
        if not isinstance(desc.get("path"), str) or not desc["path"]:
            raise ProtocolError("bad_frame", "frame 'path' must be a non-empty text path")
    return desc


def _check_shape_dtype(desc: Dict[str, Any], max_bytes: int, max_side: int) -> None:
    shape = desc.get("shape")
    if not isinstance(shape, list) or len(shape) != 3 or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise ProtocolError("bad_frame", f"frame shape must be [H, W, C] integers, got {shape!r}")
    if min(shape) <= 0:
        raise ProtocolError("bad_frame", f"frame shape {shape} has a zero or negative dimension")
    if shape[2] > 4:
        raise ProtocolError("bad_frame", f"frame shape {shape} has {shape[2]} channels; at most 4 are supported")
    dtype = desc.get("dtype")
    if dtype not in DTYPES:
        raise ProtocolError("bad_frame", f"frame dtype {dtype!r} is not supported; use one of {', '.join(DTYPES)}")
    if shape[0] > max_side or shape[1] > max_side:
        raise ProtocolError("frame_too_large", f"frame {shape[1]}x{shape[0]} is over the {max_side}-pixel side limit")
    if frame_nbytes(shape, dtype) > max_bytes:
        raise ProtocolError("frame_too_large",
                            f"frame of {frame_nbytes(shape, dtype)} bytes is over the {max_bytes}-byte limit")


def part_indices(inputs: Dict[str, List[Dict[str, Any]]]) -> List[int]:
    """Every buffer part index the descriptors reference, in order of appearance."""
    found: List[int] = []
    for descs in inputs.values():
        for d in descs:
            if isinstance(d, dict):
                if d.get("where") == "part" and isinstance(d.get("part"), int):
                    found.append(d["part"])
                enc = d.get("encoded")
                if d.get("where") == "encoded" and isinstance(enc, dict) and isinstance(enc.get("part"), int):
                    found.append(enc["part"])
    return found
