"""Opaque pagination cursors: ``(time, id)`` of the last item of a page.

A cursor is base64url JSON; callers must treat it as opaque. Decoding a
tampered or foreign cursor raises ``QueryError`` (HTTP 400), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from heron.errors import QueryError
from heron.store.telemetry.rows import to_utc

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(time: datetime, key: str) -> str:
    """The cursor that resumes after the item ``(time, key)``."""
    payload = json.dumps([to_utc(time).isoformat(), key], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(time, key)`` inside ``cursor``; ``QueryError`` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        time_text, key = json.loads(raw)
        if not isinstance(time_text, str) or not isinstance(key, str):
            raise TypeError("cursor fields have the wrong types")
        return to_utc(datetime.fromisoformat(time_text)), key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise QueryError(
            f"invalid cursor {cursor[:40]!r}: pass back the next_cursor of the previous page "
            "unchanged, or omit it to start from the first page"
        ) from exc
