"""Page parameters: the time range selector and the trace filter bar, both plain GET forms.

The URL is the state: every filter is a query parameter, so a filtered view can
be bookmarked, shared and reloaded, and the pages work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, cast
from urllib.parse import urlencode

from heron.errors import QueryError
from heron.model import TimeRange, TraceFilter
from heron.query import parse_instant, parse_time_range

__all__ = [
    "RANGE_PRESETS",
    "TRACE_FILTERS",
    "TimeChoice",
    "TraceQuery",
    "parse_time_choice",
    "parse_trace_query",
]

RANGE_PRESETS: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# The filter bar's fields, in the order shown; names are the REST API's parameters.
TRACE_FILTERS: tuple[str, ...] = (
    "q",
    "model",
    "status",
    "user_id",
    "session_id",
    "tag",
    "prompt_template_hash",
    "min_duration_ms",
)


@dataclass(frozen=True, slots=True)
class TimeChoice:
    """The selected range: a preset name (``24h``) or ``custom`` with start/end as typed."""

    preset: str
    start_text: str
    end_text: str
    time: TimeRange

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce this choice on a page URL."""
        if self.preset == "custom":
            return {"range": "custom", "start": self.start_text, "end": self.end_text}
        return {"range": self.preset}

    def api_params(self) -> dict[str, str]:
        """The same range as REST API parameters (``since`` or ``start``/``end``)."""
        if self.preset == "custom":
            out = {"start": self.start_text}
            if self.end_text:
                out["end"] = self.end_text
            return out
        return {"since": self.preset}

    @property
    def is_live(self) -> bool:
        """True when the range ends now, so newer rows can still appear."""
        return self.preset != "custom" or not self.end_text


def parse_time_choice(params: Mapping[str, str], default: str = "24h") -> TimeChoice:
    """Read ``range`` (a preset or ``custom``) and, for custom, ``start``/``end``."""
    preset = (params.get("range") or "").strip() or default
    start = (params.get("start") or "").strip()
    end = (params.get("end") or "").strip()
    if preset == "custom" or (start and not params.get("range")):
        if not start:
            raise QueryError("a custom time range needs a start time; pick one or a preset")
        parse_instant(start)  # validates with the API's own message
        return TimeChoice("custom", start, end, parse_time_range(start, end or None))
    if preset not in RANGE_PRESETS:
        raise QueryError(
            f"time range {preset!r} is not one of {', '.join(RANGE_PRESETS)} or custom"
        )
    return TimeChoice(preset, "", "", TimeRange.last(RANGE_PRESETS[preset]))


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """The trace list's state: range, filters as typed, and the page cursor."""

    time: TimeChoice
    values: dict[str, str] = field(default_factory=dict)
    cursor: str | None = None

    def trace_filter(self) -> TraceFilter:
        """The filter for ``ProjectQueries.traces``."""
        v = self.values
        min_ms = v.get("min_duration_ms")
        return TraceFilter(
            time=self.time.time,
            model=v.get("model"),
            status=cast(Literal["ok", "error"] | None, v.get("status")),
            user_id=v.get("user_id"),
            session_id=v.get("session_id"),
            prompt_template_hash=v.get("prompt_template_hash"),
            tag=v.get("tag"),
            q=v.get("q"),
            min_duration_ms=float(min_ms) if min_ms else None,
        )

    def params(self, **changes: str | None) -> dict[str, str]:
        """Page URL parameters for this state, with ``changes`` applied (None removes)."""
        out = {**self.time.params(), **self.values}
        if self.cursor:
            out["cursor"] = self.cursor
        for key, value in changes.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    def url(self, path: str = "/traces", **changes: str | None) -> str:
        """A link to ``path`` with this state (e.g. the next page: ``cursor=...``)."""
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path

    def api_query(self) -> str:
        """The query string of ``GET /api/v1/traces`` with the same filters (live mode)."""
        return urlencode({**self.time.api_params(), **self.values})


def parse_trace_query(params: Mapping[str, str]) -> TraceQuery:
    """Validate the filter bar's parameters; empty fields mean no filter."""
    time = parse_time_choice(params)
    values: dict[str, str] = {}
    for name in TRACE_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            values[name] = value
    status = values.get("status")
    if status is not None and status not in ("ok", "error"):
        raise QueryError(f"status {status!r} is not 'ok' or 'error'")
    if "min_duration_ms" in values:
        try:
            minimum = float(values["min_duration_ms"])
        except ValueError:
            minimum = -1.0
        if not minimum >= 0:
            raise QueryError(
                f"minimum duration {values['min_duration_ms']!r} is not a number of "
                "milliseconds >= 0"
            )
    if len(values.get("q", "")) > 500:
        raise QueryError("the search text is longer than 500 characters; shorten it")
    return TraceQuery(time, values, (params.get("cursor") or "").strip() or None)
