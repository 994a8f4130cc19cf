"""The on-disk format of one WAL record, and the record type itself.

A segment starts with the 8-byte magic ``HRNWAL01`` and holds records framed as::

    u32 body length | u32 CRC32(body) | body = u64 seq | u8 kind | u16 len(project) |
                                              project (UTF-8) | payload (serialized proto)

All integers are little-endian. The CRC makes a torn or damaged record detectable; the
length prefix lets a reader skip to the next record without parsing the payload.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FRAME_HEADER_SIZE",
    "MAGIC",
    "RECORD_KINDS",
    "RecordKind",
    "WalRecord",
    "decode_frame",
    "encode_frame",
    "frame_length",
]

RecordKind = Literal["traces", "logs"]

MAGIC = b"HRNWAL01"
_FRAME = struct.Struct("<II")  # body length, CRC32 of the body
_BODY_HEAD = struct.Struct("<QBH")  # seq, kind code, project id length
_KINDS: dict[str, int] = {"traces": 1, "logs": 2}
_KIND_NAMES: dict[int, RecordKind] = {1: "traces", 2: "logs"}
RECORD_KINDS: frozenset[str] = frozenset(_KINDS)
"""The kinds a record may have."""
# A body longer than this is corruption, not data: bodies are capped far below it.
_MAX_BODY = 1 << 30

FRAME_HEADER_SIZE = _FRAME.size + _BODY_HEAD.size
"""Bytes a record takes besides its project id and payload."""


@dataclass(frozen=True, slots=True)
class WalRecord:
    """One accepted batch: the valid part of an OTLP request, serialized."""

    seq: int
    kind: RecordKind
    project_id: str
    payload: bytes


def encode_frame(seq: int, kind: RecordKind, project_id: str, payload: bytes) -> bytes:
    """One framed record, ready to append to a segment."""
    project = project_id.encode()
    body = _BODY_HEAD.pack(seq, _KINDS[kind], len(project)) + project + payload
    return _FRAME.pack(len(body), zlib.crc32(body)) + body


def frame_length(data: bytes, offset: int) -> int:
    """The length of the frame at ``offset``, or 0 when its header is torn or absurd."""
    if offset + _FRAME.size > len(data):
        return 0
    body_len, _crc = _FRAME.unpack_from(data, offset)
    if body_len < _BODY_HEAD.size or body_len > _MAX_BODY:
        return 0
    return _FRAME.size + int(body_len)


def decode_frame(frame: bytes) -> WalRecord | None:
    """Parse one frame; None when it is torn or its checksum does not match."""
    if len(frame) < _FRAME.size + _BODY_HEAD.size:
        return None
    body_len, crc = _FRAME.unpack_from(frame, 0)
    body = frame[_FRAME.size :]
    if len(body) != body_len or zlib.crc32(body) != crc:
        return None
    seq, kind_code, project_len = _BODY_HEAD.unpack_from(body, 0)
    kind = _KIND_NAMES.get(kind_code)
    start = _BODY_HEAD.size
    if kind is None or start + project_len > len(body):
        return None
    try:
        project_id = body[start : start + project_len].decode()
    except UnicodeDecodeError:
        return None
    return WalRecord(seq, kind, project_id, body[start + project_len :])
