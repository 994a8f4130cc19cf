"""Prompt templates as first-class objects: listing, sorting, worst-N and detail views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from heron.analytics.source import AnalyticsSource
from heron.errors import NotFoundError, QueryError
from heron.model import TimeRange, format_time
from heron.model.analytics import CallRef, TemplateStats, VersionStats

__all__ = [
    "SORT_FIELDS",
    "TEMPLATE_HASH_PATTERN",
    "VARIABLE_CALLS",
    "WORST_BY",
    "call_dict",
    "list_templates",
    "template_detail",
    "template_dict",
    "variables_window",
    "version_dict",
    "worst_templates",
]

TEMPLATE_HASH_PATTERN = r"^[0-9A-Za-z_.:-]{1,128}$"
"""What a template hash given by a caller (URL, form) may look like."""

SORT_FIELDS: tuple[str, ...] = (
    "calls",
    "errors",
    "error_rate",
    "latency_avg_ms",
    "latency_p95_ms",
    "ttft_p95_ms",
    "input_tokens_avg",
    "output_tokens_avg",
    "cost_usd",
    "cost_per_call_usd",
    "avg_score",
    "hallucination_rate",
    "first_seen",
    "last_seen",
    "versions",
)
WORST_BY: tuple[str, ...] = ("quality", "errors", "latency", "cost")


def trace_links(trace_id: str) -> dict[str, str]:
    """Where to open a trace: the UI page and the API resource."""
    return {"ui": f"/traces/{trace_id}", "api": f"/api/v1/traces/{trace_id}"}


def template_dict(t: TemplateStats) -> dict[str, Any]:
    """One template as the API returns it (rates and per-call figures derived here)."""
    return {
        "prompt_template_hash": t.prompt_template_hash,
        "template_preview": t.template_preview,
        **_call_figures(t),
        "ttft_p95_ms": t.ttft_p95_ms,
        "avg_score": t.avg_score,
        "scored_calls": t.scored,
        "hallucination_rate": t.hallucination_rate,
        "hallucination_judged": t.judged,
        "versions": list(t.versions),
        "example": {
            "trace_id": t.example_trace_id,
            "preview": t.example_preview,
            "links": trace_links(t.example_trace_id),
        },
    }


def version_dict(v: VersionStats) -> dict[str, Any]:
    """One version of a template as the API returns it (``version`` None: unversioned calls)."""
    return {"version": v.version, **_call_figures(v)}


def _call_figures(x: TemplateStats | VersionStats) -> dict[str, Any]:
    """The call aggregates a template and each of its versions share, rates derived."""
    return {
        "calls": x.calls,
        "errors": x.errors,
        "error_rate": x.errors / x.calls if x.calls else None,
        "latency_avg_ms": x.latency_avg_ms,
        "latency_p95_ms": x.latency_p95_ms,
        "input_tokens_avg": x.input_tokens_avg,
        "output_tokens_avg": x.output_tokens_avg,
        "cost_usd": x.cost_usd,
        "cost_per_call_usd": x.cost_usd / x.priced_calls if x.cost_usd is not None else None,
        "priced_calls": x.priced_calls,
        "first_seen": format_time(x.first_seen),
        "last_seen": format_time(x.last_seen),
    }


def _sort_value(row: dict[str, Any], field: str) -> Any:
    value = row[field]
    return len(value) if field == "versions" else value


def sort_rows(rows: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Rows sorted by ``field``; rows without a value go last in either order."""
    if field not in SORT_FIELDS:
        raise QueryError(f"cannot sort templates by {field!r}; use one of {', '.join(SORT_FIELDS)}")
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: r["prompt_template_hash"])  # stable tie order
    present.sort(key=lambda r: _sort_value(r, field), reverse=descending)
    return present + missing


def list_templates(
    source: AnalyticsSource,
    project_id: str,
    time: TimeRange,
    *,
    sort: str = "calls",
    order: str = "desc",
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Templates seen in the range with their aggregates, sorted."""
    if order not in ("asc", "desc"):
        raise QueryError(f"order {order!r} is not asc or desc")
    rows = [template_dict(t) for t in source.template_stats(project_id, time)]
    return sort_rows(rows, sort, order == "desc")[:limit]


def _quality(row: dict[str, Any], min_calls: int) -> float | None:
    """Badness 0..1: 1 - average score, else the hallucination rate (enough samples only)."""
    if row["avg_score"] is not None and row["scored_calls"] >= min_calls:
        return 1.0 - float(row["avg_score"])
    if row["hallucination_rate"] is not None and row["hallucination_judged"] >= min_calls:
        return float(row["hallucination_rate"])
    return None


def worst_templates(
    source: AnalyticsSource,
    project_id: str,
    time: TimeRange,
    *,
    by: str,
    limit: int = 10,
    min_calls: int = 30,
) -> list[dict[str, Any]]:
    """The ``limit`` worst templates by one criterion, among those with ``min_calls`` calls.

    errors: highest error rate (then most errors); latency: highest p95; cost:
    highest cost per call; quality: lowest average score (or highest
    hallucination rate when only hallucination is judged), with ``min_calls``
    scored calls.
    """
    badness: dict[str, Callable[[dict[str, Any]], Any]] = {
        "errors": lambda r: (r["error_rate"], r["errors"]),
        "latency": lambda r: r["latency_p95_ms"],
        "cost": lambda r: r["cost_per_call_usd"],
        "quality": lambda r: _quality(r, min_calls),
    }
    if by not in badness:
        raise QueryError(f"worst by {by!r} is not one of {', '.join(WORST_BY)}")
    rows = [
        template_dict(t) for t in source.template_stats(project_id, time) if t.calls >= min_calls
    ]
    ranked = [(badness[by](r), r) for r in rows]
    ranked = [(value, r) for value, r in ranked if value is not None]
    ranked.sort(key=lambda item: item[1]["prompt_template_hash"])
    ranked.sort(key=lambda item: item[0], reverse=True)
    result = []
    for value, row in ranked[:limit]:
        result.append({**row, "badness": value if not isinstance(value, tuple) else value[0]})
    return result


def call_dict(call: CallRef) -> dict[str, Any]:
    """One call worth looking at, with links to its trace."""
    return {
        "trace_id": call.trace_id,
        "span_id": call.span_id,
        "start_time": format_time(call.start_time),
        "status": call.status,
        "error": call.error,
        "duration_ms": call.duration_ms,
        "model": call.model,
        "score": call.score,
        "score_name": call.score_name,
        "preview": call.preview,
        "links": trace_links(call.trace_id),
    }


VARIABLE_CALLS = 50_000
"""About how many of a template's latest calls its variable distributions are read from.

The distributions describe how a template is being filled in; 50k recent calls
estimate them closely, and reading them costs a few hours of the range rather
than all of it (the variables scan was ~75 ms of a 24 h detail over ~380k calls
at 1M spans). Fewer calls in the range: every call is read, and the figures are
exact.
"""


def variables_window(stats: TemplateStats, calls: TimeRange, sample: int | None) -> TimeRange:
    """The part of ``calls`` (the template's first to last call) its variables are read from.

    All of it when the template has at most ``sample`` calls (or ``sample`` is
    None); else its latest stretch that holds about ``sample`` calls at the
    range's average rate. The calls actually read are counted by the query, so
    the figure shown is exact for what was read even when the rate varies.
    """
    if sample is None or stats.calls <= sample:
        return calls
    span = (calls.end - calls.start) * (sample / stats.calls)
    return TimeRange(max(calls.start, calls.end - span), calls.end)


def template_detail(
    source: AnalyticsSource,
    project_id: str,
    time: TimeRange,
    template_hash: str,
    *,
    top_values: int = 5,
    limit: int = 10,
    variable_calls: int | None = VARIABLE_CALLS,
) -> dict[str, Any]:
    """A template's text, aggregates, variable distributions and worst calls.

    Variables are read from about ``variable_calls`` of the latest calls when
    the template has more (None: every call); ``variables_sample`` says which
    calls were read, so a page can label the figures.
    """
    stats = source.template_stats(project_id, time, template_hash)
    if not stats:
        raise NotFoundError(
            f"prompt template {template_hash!r} has no calls in this project between "
            f"{format_time(time.start)} and {format_time(time.end)}; widen the range (since=7d)"
        )
    t = stats[0]
    # Every call of the template lies between its first and last call: reading only that
    # span lets the store skip the rest of the range. (Scores keep the whole range: a
    # score may sit on another span of a trace that has a call of the template.)
    seen = TimeRange(t.first_seen, t.last_seen + timedelta(microseconds=1))
    calls = TimeRange(max(time.start, seen.start), min(time.end, seen.end))
    window = variables_window(t, calls, variable_calls)
    variables = source.template_variables(project_id, window, template_hash, top_values)
    sampled = window.start > calls.start
    read = variables[0].of_calls if variables else None  # no variable: nothing to label
    return {
        **template_dict(t),
        "by_version": [version_dict(v) for v in t.by_version],
        "template": t.template_text,  # the latest call's, read with the aggregates
        "variables": [
            {
                "name": v.name,
                "calls": v.calls,
                "distinct_values": v.distinct,
                "top_values": [{"value": value, "count": count} for value, count in v.top],
            }
            for v in variables
        ],
        "variables_sample": {
            "sampled": sampled,
            "calls": read,
            "start": format_time(window.start),
            "end": format_time(window.end),
        },
        "worst_calls": [
            call_dict(c) for c in source.worst_calls(project_id, calls, template_hash, limit)
        ],
        "lowest_scored_calls": [
            call_dict(c) for c in source.lowest_scored_calls(project_id, time, template_hash, limit)
        ],
    }
