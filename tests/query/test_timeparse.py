"""Time parameters of the API: instants, durations and the default window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.errors import QueryError
from heron.query import parse_duration, parse_instant, parse_time_range

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "h", "24", "3 years", "-1h", "1hh"])
def test_bad_durations_name_the_value(bad: str) -> None:
    with pytest.raises(QueryError, match="not understood"):
        parse_duration(bad)


def test_instants() -> None:
    assert parse_instant("2026-11-28T10:00:00Z", NOW) == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert parse_instant("2026-11-28T10:00:00", NOW) == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert parse_instant("now-2h", NOW) == NOW - timedelta(hours=2)
    assert parse_instant("now", NOW) == NOW
    assert parse_instant("1795000000", NOW) == datetime.fromtimestamp(1795000000, UTC)
    with pytest.raises(QueryError, match="RFC 3339"):
        parse_instant("yesterday", NOW)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_instant("1e300", NOW), "out of range for unix seconds"),
        (lambda: parse_instant("-99999999999999", NOW), "out of range for unix seconds"),
        (lambda: parse_duration("99999999999999w"), "too long"),
        (lambda: parse_instant("now-500000w", NOW), "before year 1"),
        (lambda: parse_time_range(since="500000w", now=NOW), "before year 1"),
    ],
)
def test_times_out_of_range_are_query_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        call()


def test_default_range_is_last_24h() -> None:
    rng = parse_time_range(now=NOW)
    assert (rng.start, rng.end) == (NOW - timedelta(hours=24), NOW)
    assert parse_time_range(since="1h", now=NOW).start == NOW - timedelta(hours=1)


def test_inverted_range_is_refused() -> None:
    with pytest.raises(QueryError, match="not before end"):
        parse_time_range(start="2026-11-28T12:00:00Z", end="2026-11-28T11:00:00Z", now=NOW)


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_duration_round_trip(n: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_duration(f"{n}{unit}").total_seconds() == n * seconds
