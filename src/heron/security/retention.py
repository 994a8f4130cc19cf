"""Retention per project: the TTL stamped on new rows, and what is still kept.

The telemetry store stamps every row with ``retention_days_for(project_id)``
at insert time and a row-level ``TTL`` deletes it that many days after its
``start_time``. Changing a project's retention therefore applies to data
ingested afterwards; :func:`apply_retention` also rewrites the stamp of rows
already stored (an asynchronous ``ALTER TABLE ... UPDATE`` mutation: cheap to
issue, run by the engine in the background), so the new policy covers old
data too. The admin API does both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from heron.errors import NotFoundError
from heron.store.meta import MetaStore
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.store.telemetry import migrations as telemetry_migrations

__all__ = ["RetentionLookup", "apply_retention", "oldest_kept", "retention_days_for"]


class RetentionLookup:
    """``lookup(project_id) -> days`` (0 = forever), cached for ``ttl_s`` seconds.

    Pass it to the telemetry store as ``retention_days_for``; the flusher calls
    it once per project per batch, so the metadata store is read at most once
    per project every ``ttl_s``.
    """

    def __init__(
        self,
        meta: MetaStore,
        *,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._meta = meta
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, int]] = {}

    def __call__(self, project_id: str) -> int:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(project_id)
            if hit is not None and now - hit[0] < self._ttl_s:
                return hit[1]
        try:
            days = self._meta.get_project(project_id).retention_days or 0
        except NotFoundError:
            days = 0
        with self._lock:
            self._cache[project_id] = (now, days)
        return days

    def invalidate(self, project_id: str | None = None) -> None:
        """Forget one project's value (all when ``None``)."""
        with self._lock:
            if project_id is None:
                self._cache.clear()
            else:
                self._cache.pop(project_id, None)


def retention_days_for(meta: MetaStore, *, ttl_s: float = 30.0) -> RetentionLookup:
    """A cached ``project_id -> retention days`` callable for the telemetry store."""
    return RetentionLookup(meta, ttl_s=ttl_s)


def oldest_kept(store: ClickHouseTelemetryStore, project_id: str) -> datetime | None:
    """Start time of the oldest span still stored for the project, ``None`` when empty."""
    _, rows = store.query_rows(
        f"SELECT min(start_time), count() FROM {store.spans_table} WHERE project_id = {{p:String}}",
        {"p": project_id},
        "find the oldest span kept",
    )
    if not rows or not rows[0][1]:
        return None
    oldest = rows[0][0]
    if not isinstance(oldest, datetime):
        return None
    return oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)


def apply_retention(
    store: ClickHouseTelemetryStore, project_id: str, days: int | None, *, wait: bool = False
) -> None:
    """Re-stamp the project's stored rows with ``days`` (``None`` = forever).

    The mutation runs in the background unless ``wait``; rows past the new TTL
    are deleted by the engine's next merge of their part.
    """
    template = telemetry_migrations.template_vars(store.location)
    for table in store.project_tables:
        store.command(
            f"ALTER TABLE {table}{template['local']} {template['on_cluster']} "
            "UPDATE retention_days = {d:UInt16} WHERE project_id = {p:String}"
            + (" SETTINGS mutations_sync = 2" if wait else ""),
            {"d": max(0, days or 0), "p": project_id},
            "re-stamp retention",
        )
