"""Number, duration, money and time formatting of the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from heron.ui.format import (
    MISSING,
    format_cost,
    format_ms,
    format_pct,
    format_time,
    format_tokens,
    path_segment,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, MISSING),
        (0.5, "0.50 ms"),
        (850, "850 ms"),
        (1240, "1.24 s"),
        (125_000, "2 m 05 s"),
        (13_644_000, "3 h 47 m"),
    ],
)
def test_ms(value: float | None, text: str) -> None:
    assert format_ms(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, MISSING),
        (0, "$0"),
        (0.00612, "$0.0061"),
        (Decimal("1.5"), "$1.50"),
        (12345.6, "$12,346"),
    ],
)
def test_cost(value: float | Decimal | None, text: str) -> None:
    assert format_cost(value) == text


def test_tokens_pct_time_and_path_segments() -> None:
    assert [format_tokens(v) for v in (9999, 12_345, 4_500_000)] == ["9,999", "12.3k", "4.5M"]
    assert format_pct(0.1234) == "12.3%"
    plus2 = datetime(2026, 1, 31, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(plus2) == "2026-01-31 12:00:00"
    assert format_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00:00"
    assert path_segment("team/a b") == "team%2Fa%20b"
