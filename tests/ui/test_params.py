"""The filter bar and time range parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from heron.errors import QueryError
from heron.ui.params import parse_time_choice, parse_trace_query


def test_presets_and_default() -> None:
    choice = parse_time_choice({})
    assert choice.preset == "24h"
    assert choice.time.end - choice.time.start == timedelta(hours=24)
    assert parse_time_choice({"range": "15m"}).api_params() == {"since": "15m"}


def test_custom_range_from_datetime_local_inputs() -> None:
    choice = parse_time_choice(
        {"range": "custom", "start": "2026-01-30T10:00", "end": "2026-01-30T12:30"}
    )
    assert choice.time.start == datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    assert choice.time.end == datetime(2026, 1, 30, 12, 30, tzinfo=UTC)
    assert not choice.is_live
    assert choice.api_params() == {"start": "2026-01-30T10:00", "end": "2026-01-30T12:30"}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"range": "3y"}, "3y"),
        ({"range": "custom"}, "start"),
        ({"range": "custom", "start": "yesterday"}, "yesterday"),
        ({"status": "maybe"}, "maybe"),
        ({"min_duration_ms": "-4"}, "-4"),
        ({"min_duration_ms": "fast"}, "fast"),
    ],
)
def test_bad_values_say_what_is_wrong(params: dict[str, str], words: str) -> None:
    with pytest.raises(QueryError, match=words):
        parse_trace_query(params)


def test_filters_reach_the_trace_filter_and_the_urls() -> None:
    state = parse_trace_query(
        {
            "range": "1h",
            "model": " gpt-4o ",
            "status": "error",
            "q": "",
            "min_duration_ms": "250",
            "tag": "a&b",
            "cursor": "c1",
        }
    )
    flt = state.trace_filter()
    assert (flt.model, flt.status, flt.min_duration_ms, flt.tag, flt.q) == (
        "gpt-4o",
        "error",
        250.0,
        "a&b",
        None,
    )
    assert parse_qs(state.url().split("?", 1)[1]) == {
        "range": ["1h"],
        "model": ["gpt-4o"],
        "status": ["error"],
        "min_duration_ms": ["250"],
        "tag": ["a&b"],
        "cursor": ["c1"],
    }
    assert "cursor" not in state.url(cursor=None)
    api = parse_qs(state.api_query())
    assert api["since"] == ["1h"]
    assert api["tag"] == ["a&b"]
    assert "cursor" not in api
