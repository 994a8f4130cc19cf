"""Small helpers to build parameterized ClickHouse SQL.

Values are always bound as server-side parameters (``{name:Type}``); the only
text spliced into SQL is a table name or a whitelisted column expression.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from heron.model import TimeRange
from heron.store.telemetry.rows import to_utc

__all__ = ["LLM_KINDS_SQL", "NOT_DUPLICATE_SQL", "Params", "format_time_param"]

# An LLM call: a model span that does not repeat its parent's call.
LLM_KINDS_SQL = "kind IN ('llm', 'embedding')"
NOT_DUPLICATE_SQL = "duplicate_of IS NULL"
TIME64 = "DateTime64(6, 'UTC')"


def format_time_param(value: datetime) -> str:
    """A datetime as ClickHouse parses a ``DateTime64(6, 'UTC')`` parameter."""
    return to_utc(value).strftime("%Y-%m-%d %H:%M:%S.%f")


class Params:
    """Collects bound parameters and hands out their placeholders."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any, type_: str) -> str:
        """Bind ``value`` and return its ``{pN:Type}`` placeholder."""
        name = f"p{len(self.values)}"
        if isinstance(value, datetime):
            value = format_time_param(value)
        self.values[name] = value
        return f"{{{name}:{type_}}}"

    def time(self, value: datetime) -> str:
        """Bind a timestamp compared with ``DateTime64(6, 'UTC')`` columns."""
        return self.add(value, TIME64)

    def text(self, value: str) -> str:
        """Bind a string."""
        return self.add(value, "String")

    def in_range(self, column: str, time: TimeRange) -> str:
        """``column`` within the half-open range."""
        return f"{column} >= {self.time(time.start)} AND {column} < {self.time(time.end)}"
