"""The transports' wire format, as ``@dissonance/core`` writes it: envelopes in binary wire frames.

An envelope is ``{"v": 1, "id", "type", "attempt", "createdAt", "payload", ["traceparent", "tracestate"]}``.
A frame of format 1 is ``00 44 46 01``, the header length (u32, little-endian), a UTF-8 JSON header
``{"e": envelope, "b": slots}`` in which every binary value of the payload is ``null``, then those values'
bytes in the order of ``b`` (each slot ``[path, kind, bytes]``, kind ``u8`` for raw bytes or ``f32`` for
little-endian float32). A body that does not start with NUL is envelope JSON (earlier releases, other
producers). This module reads both and writes format 1 (the batch frame, format 2, carries only batches).
"""

from __future__ import annotations

import json
import struct
import uuid
from datetime import datetime, timezone
from typing import Any

#: Magic of a format-1 frame.
MAGIC = b"\x00DF\x01"
#: ``content-type`` of a frame on RabbitMQ.
WIRE_CONTENT_TYPE = "application/vnd.dissonance.frame"
#: Envelope type of a dead letter (payload ``{"envelope", "error", "topic"}``).
DEAD_LETTER_TYPE = "dead-letter"
#: Envelope type of the stand-in that carries an undecodable body to the dead-letter topic.
INVALID_MESSAGE_TYPE = "dissonance.invalid-message"

_FIELDS = {"v", "id", "type", "attempt", "createdAt", "traceparent", "tracestate", "payload"}


class WireError(ValueError):
    """A body that is not a valid envelope (the TypeScript side's ``E_ENVELOPE``)."""


def now_iso() -> str:
    """The current UTC time as ISO-8601 with milliseconds and ``Z``, as ``createdAt`` takes it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(type_: str, payload: Any, *, id_: str | None = None, attempt: int = 1, trace: dict[str, str] | None = None) -> dict[str, Any]:
    """A new envelope (attempt 1 unless given) of ``type_`` around ``payload``."""
    env: dict[str, Any] = {"v": 1, "id": id_ or str(uuid.uuid4()), "type": type_, "attempt": attempt, "createdAt": now_iso()}
    env.update(trace or {})
    env["payload"] = payload
    return env


def trace_of(value: Any) -> dict[str, str]:
    """The W3C trace fields of an envelope, to carry over to its answer or dead letter."""
    if not isinstance(value, dict):
        return {}
    return {k: value[k] for k in ("traceparent", "tracestate") if isinstance(value.get(k), str)}


def encode_frame(env: dict[str, Any]) -> bytes:
    """``env`` as a frame of format 1: ``bytes``/``bytearray``/``memoryview`` values of the payload travel raw."""
    slots: list[list[Any]] = []
    blobs: list[bytes] = []

    def extract(value: Any, path: list[str | int]) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            slots.append([list(path), "u8", len(data)])
            blobs.append(data)
            return None
        if isinstance(value, dict):
            return {k: extract(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [extract(v, [*path, i]) for i, v in enumerate(value)]
        return value

    header_env = {**env, "payload": extract(env["payload"], ["payload"])}
    header = json.dumps({"e": header_env, "b": slots}, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()
    return b"".join([MAGIC, struct.pack("<I", len(header)), header, *blobs])


def decode_frame(body: bytes) -> dict[str, Any]:
    """A frame (or envelope JSON) → the checked envelope, binary values as ``bytes``. :raises WireError:"""
    if len(body) == 0 or body[0] != 0:
        try:
            value = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise WireError(f"invalid envelope: not a wire frame and not JSON: {error}") from None
        return _checked(value)
    if len(body) < 8:
        raise WireError("invalid envelope: wire frame: shorter than its 8-byte prefix")
    if bytes(body[:4]) != MAGIC:
        raise WireError(f"invalid envelope: wire frame: unknown magic {bytes(body[:4]).hex(' ')} (this worker reads format 1)")
    (length,) = struct.unpack_from("<I", body, 4)
    if 8 + length > len(body):
        raise WireError(f"invalid envelope: wire frame: header of {length} bytes runs past the end")
    try:
        header = json.loads(bytes(body[8 : 8 + length]).decode("utf-8"))
        env, slots = header["e"], header["b"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise WireError(f"invalid envelope: wire frame: bad header: {error}") from None
    at = 8 + length
    for slot in slots:
        if not (isinstance(slot, list) and len(slot) == 3 and slot[1] in ("u8", "f32") and isinstance(slot[2], int) and slot[2] >= 0):
            raise WireError("invalid envelope: wire frame: a binary slot is not [path, kind, bytes]")
        path, _kind, size = slot
        if at + size > len(body):
            raise WireError(f"invalid envelope: wire frame: binary value at {path} runs past the end")
        _place(env, path, bytes(body[at : at + size]))
        at += size
    if at != len(body):
        raise WireError(f"invalid envelope: wire frame: {len(body) - at} bytes after the last binary value")
    return _checked(env)


def _place(root: Any, path: Any, value: bytes) -> None:
    if not isinstance(path, list) or not path:
        raise WireError("invalid envelope: wire frame: a binary slot has a bad path")
    parent = root
    try:
        for key in path[:-1]:
            parent = parent[key]
        if parent[path[-1]] is not None:
            raise WireError(f"invalid envelope: wire frame: binary slot {path} does not point at a null")
        parent[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        raise WireError(f"invalid envelope: wire frame: binary slot {path} does not exist in the envelope") from None


def _checked(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireError("invalid envelope: not an object")
    unknown = set(value) - _FIELDS
    if unknown:
        raise WireError(f"invalid envelope: {', '.join(sorted(unknown))}: unknown field")
    checks = {
        "v": value.get("v") == 1,
        "id": isinstance(value.get("id"), str) and 1 <= len(value["id"]) <= 200,
        "type": isinstance(value.get("type"), str) and 1 <= len(value["type"]) <= 200,
        "attempt": isinstance(value.get("attempt"), int) and not isinstance(value.get("attempt"), bool) and value["attempt"] >= 1,
        "createdAt": isinstance(value.get("createdAt"), str),
        "payload": "payload" in value,
    }
    for field, ok in checks.items():
        if not ok:
            raise WireError(f"invalid envelope: {field}: invalid")
    return value
