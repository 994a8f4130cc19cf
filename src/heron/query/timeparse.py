"""Parsing of API time parameters: RFC 3339 instants and relative durations like ``24h``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from heron.errors import QueryError
from heron.model import TimeRange

__all__ = ["DEFAULT_WINDOW", "parse_duration", "parse_instant", "parse_time_range"]

DEFAULT_WINDOW = timedelta(hours=24)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``24h``, ``7d``, ``2w`` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise QueryError(f"duration {text!r} is not understood; use a number and s/m/h/d/w: '24h'")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    except OverflowError as exc:
        raise QueryError(f"duration {text!r} is too long; use at most a few years") from exc


def _before(instant: datetime, duration: timedelta, text: str) -> datetime:
    try:
        return instant - duration
    except OverflowError as exc:
        raise QueryError(f"{text!r} reaches before year 1; use a shorter duration") from exc


def parse_instant(text: str, now: datetime | None = None) -> datetime:
    """An RFC 3339 time, unix seconds, or ``now-<duration>``; naive times are UTC."""
    now = now or datetime.now(UTC)
    value = text.strip()
    if value == "now":
        return now
    if value.startswith("now-"):
        return _before(now, parse_duration(value[4:]), text)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise QueryError(f"time {text!r} is out of range for unix seconds") from exc
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(
            f"time {text!r} is not RFC 3339 (2026-01-31T12:00:00Z), unix seconds or now-24h"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_time_range(
    start: str | None = None,
    end: str | None = None,
    since: str | None = None,
    now: datetime | None = None,
) -> TimeRange:
    """Build a range from ``start``/``end`` or ``since``; the default is the last 24 hours."""
    now = now or datetime.now(UTC)
    end_at = parse_instant(end, now) if end else now
    if start:
        start_at = parse_instant(start, now)
    elif since:
        start_at = _before(end_at, parse_duration(since), since)
    else:
        start_at = end_at - DEFAULT_WINDOW
    if start_at >= end_at:
        raise QueryError(
            f"time range start {start_at.isoformat()} is not before end {end_at.isoformat()}"
        )
    return TimeRange(start_at, end_at)
