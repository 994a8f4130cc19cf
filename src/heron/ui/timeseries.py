"""Stats rows (``ProjectQueries.stats`` with a bucket) turned into chart series."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import cast

from heron.model import BUCKETS, StatsRow, TimeRange
from heron.model.query import Bucket
from heron.ui.charts import Series, fill_buckets

__all__ = ["MAX_BUCKETS", "MAX_GROUPS", "bucket_for", "group_label", "series_by", "total_series"]

MAX_BUCKETS = 200
MAX_GROUPS = 8
Value = Callable[[StatsRow], float | None]


def bucket_for(time: TimeRange) -> Bucket:
    """The finest bucket that keeps a chart under ``MAX_BUCKETS`` points."""
    span = (time.end - time.start).total_seconds()
    for name, seconds in BUCKETS.items():
        if span / seconds <= MAX_BUCKETS:
            return cast(Bucket, name)
    return "1d"


def group_label(row: StatsRow, field: str) -> str:
    """The group's value as a legend label (``(none)`` for rows without one)."""
    value = row.group.get(field)
    return "(none)" if value in (None, "") else str(value)


def _points(
    rows: Sequence[StatsRow], value: Value, time: TimeRange, bucket: Bucket, fill: float | None
) -> list[tuple[datetime, float | None]]:
    by_bucket = {r.bucket_start: value(r) for r in rows if r.bucket_start is not None}
    return fill_buckets(by_bucket, time.start, time.end, timedelta(seconds=BUCKETS[bucket]), fill)


def series_by(
    rows: Sequence[StatsRow],
    field: str,
    value: Value,
    time: TimeRange,
    bucket: Bucket,
    fill: float | None,
) -> list[Series]:
    """One series per group (the ``MAX_GROUPS`` busiest), each bucket filled with ``fill``."""
    groups: dict[str, list[StatsRow]] = {}
    for row in rows:
        groups.setdefault(group_label(row, field), []).append(row)
    busiest = sorted(groups.items(), key=lambda kv: (-sum(r.requests for r in kv[1]), kv[0]))
    return [
        Series(name, _points(group_rows, value, time, bucket, fill))
        for name, group_rows in busiest[:MAX_GROUPS]
    ]


def total_series(
    rows: Sequence[StatsRow],
    name: str,
    value: Value,
    time: TimeRange,
    bucket: Bucket,
    fill: float | None,
) -> Series:
    """One series from ungrouped bucket rows."""
    return Series(name, _points(rows, value, time, bucket, fill))
