"""Formatting of numbers, durations, money and times for the pages (Jinja filters).

Every helper accepts ``None`` and answers an em dash, because missing values are
normal in telemetry (no cost for an unknown model, no TTFT for a plain call).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

__all__ = [
    "FILTERS",
    "MISSING",
    "format_cost",
    "format_count",
    "format_ms",
    "format_pct",
    "format_score",
    "format_time",
    "format_tokens",
    "iso_time",
    "path_segment",
    "pretty_json",
    "short_id",
]

MISSING = "—"


def format_ms(value: float | None) -> str:
    """A duration: ``850 ms``, ``1.24 s``, ``2 m 05 s``."""
    if value is None:
        return MISSING
    if value == 0:
        return "0 ms"
    if value < 1:
        return f"{value:.2f} ms"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 60_000:
        return f"{value / 1000:.2f} s"
    minutes, seconds = divmod(round(value / 1000), 60)
    if minutes < 60:
        return f"{minutes} m {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"


def format_cost(value: float | Decimal | None) -> str:
    """US dollars with enough digits to tell small LLM costs apart."""
    if value is None:
        return MISSING
    amount = float(value)
    if amount == 0:
        return "$0"
    if abs(amount) < 0.01:
        return f"${amount:.4f}"
    if abs(amount) < 100:
        return f"${amount:.2f}"
    return f"${amount:,.0f}"


def format_tokens(value: int | float | None) -> str:
    """Token counts: exact below 10k, then ``12.3k`` / ``4.5M``."""
    if value is None:
        return MISSING
    if abs(value) < 10_000:
        return f"{int(value):,}"
    if abs(value) < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def format_count(value: int | float | None) -> str:
    """A plain count with thousands separators."""
    return MISSING if value is None else f"{int(value):,}"


def format_pct(value: float | None, digits: int = 1) -> str:
    """A 0..1 ratio as a percentage."""
    return MISSING if value is None else f"{value * 100:.{digits}f}%"


def format_score(value: float | None) -> str:
    """An eval score in 0..1 with two decimals."""
    return MISSING if value is None else f"{value:.2f}"


def format_time(value: datetime | str | None) -> str:
    """A UTC wall-clock time as the tables show it (the JS localizes it on load).

    Also takes the REST API's RFC 3339 strings, as the analytics dicts carry them.
    """
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(value: datetime | None) -> str:
    """RFC 3339 for ``<time datetime=...>`` attributes."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def short_id(value: str | None, length: int = 8) -> str:
    """The first characters of a hex id, as people quote them."""
    return MISSING if not value else value[:length]


def pretty_json(value: Any) -> str:
    """Indented JSON of raw attributes; plain text, escaped by the template like any other."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def path_segment(value: str) -> str:
    """A value quoted for one URL path segment (``/`` included, unlike ``urlencode``)."""
    return quote(value, safe="")


FILTERS: dict[str, Any] = {
    "segment": path_segment,
    "ms": format_ms,
    "cost": format_cost,
    "tokens": format_tokens,
    "count": format_count,
    "pct": format_pct,
    "score": format_score,
    "time": format_time,
    "iso": iso_time,
    "short_id": short_id,
    "pretty_json": pretty_json,
}
