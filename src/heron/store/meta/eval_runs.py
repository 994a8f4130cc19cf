"""Offline eval runs, experiments and datasets in the metadata DB.

Plain functions over a SQLAlchemy engine, like :mod:`heron.store.meta.evals`.
A run (kind ``run`` or ``experiment``) is created ``pending``, claimed by one
eval service with :func:`claim_run` (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), reports progress, and ends ``done`` with a summary or ``error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from heron.errors import NotFoundError
from heron.store.meta.evals import transaction
from heron.store.meta.schema import eval_datasets, eval_runs

__all__ = [
    "DatasetRecord",
    "RunRecord",
    "claim_run",
    "create_dataset",
    "create_run",
    "finish_run",
    "get_dataset",
    "get_run",
    "list_datasets",
    "list_runs",
    "update_run_progress",
]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """An offline run or an experiment with its progress and (when finished) summary."""

    id: str
    project_id: str
    kind: str
    spec: dict[str, Any]
    status: str
    total: int | None
    done: int
    summary: dict[str, Any] | None
    results: list[Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset and its items (``{input, expected, metadata}`` mappings)."""

    id: str
    project_id: str
    name: str
    items: list[dict[str, Any]]
    created_at: datetime


# -- runs and experiments -------------------------------------------------------


def _run(row: RowMapping) -> RunRecord:
    return RunRecord(**{name: row[name] for name in RunRecord.__dataclass_fields__})


def create_run(
    engine: Engine,
    *,
    run_id: str,
    project_id: str,
    kind: str,
    spec: Mapping[str, Any],
    now: datetime,
) -> RunRecord:
    """Record a new pending run (``kind`` run or experiment)."""
    values: dict[str, Any] = {
        "id": run_id,
        "project_id": project_id,
        "kind": kind,
        "spec": dict(spec),
        "status": "pending",
        "total": None,
        "done": 0,
        "summary": None,
        "results": None,
        "error": None,
        "created_at": now,
        "started_at": None,
        "finished_at": None,
    }
    with transaction(engine, "creating an eval run") as conn:
        conn.execute(insert(eval_runs).values(values))
    return RunRecord(**values)


def get_run(engine: Engine, project_id: str, run_id: str, kind: str | None = None) -> RunRecord:
    """One run of this project; :class:`NotFoundError` otherwise."""
    query = select(eval_runs).where(eval_runs.c.id == run_id)
    query = query.where(eval_runs.c.project_id == project_id)
    if kind is not None:
        query = query.where(eval_runs.c.kind == kind)
    with transaction(engine, "reading an eval run") as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"{kind or 'eval run'} {run_id!r} does not exist in this project")
    return _run(row)


def list_runs(engine: Engine, project_id: str, kind: str, limit: int = 100) -> list[RunRecord]:
    """Runs of one kind, newest first."""
    query = (
        select(eval_runs)
        .where(eval_runs.c.project_id == project_id)
        .where(eval_runs.c.kind == kind)
        .order_by(eval_runs.c.created_at.desc(), eval_runs.c.id)
        .limit(limit)
    )
    with transaction(engine, "listing eval runs") as conn:
        return [_run(row) for row in conn.execute(query).mappings()]


def claim_run(engine: Engine, now: datetime) -> RunRecord | None:
    """Take the oldest pending run (moving it to ``running``), or None."""
    oldest = (
        select(eval_runs.c.id)
        .where(eval_runs.c.status == "pending")
        .order_by(eval_runs.c.created_at, eval_runs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    with transaction(engine, "claiming an eval run") as conn:
        row = (
            conn.execute(
                update(eval_runs)
                .where(eval_runs.c.id.in_(oldest))
                .values(status="running", started_at=now)
                .returning(*eval_runs.c)
            )
            .mappings()
            .first()
        )
    return None if row is None else _run(row)


def update_run_progress(engine: Engine, run_id: str, *, done: int, total: int | None) -> None:
    """Record how many items a running run has scored out of ``total``."""
    with transaction(engine, "updating eval run progress") as conn:
        conn.execute(
            update(eval_runs).where(eval_runs.c.id == run_id).values(done=done, total=total)
        )


def finish_run(
    engine: Engine,
    run_id: str,
    *,
    status: str,
    now: datetime,
    summary: Mapping[str, Any] | None = None,
    results: list[Any] | None = None,
    error: str | None = None,
) -> None:
    """Record a run's end: ``done`` with its summary (and results), or ``error``."""
    with transaction(engine, "finishing an eval run") as conn:
        conn.execute(
            update(eval_runs)
            .where(eval_runs.c.id == run_id)
            .values(
                status=status,
                finished_at=now,
                error=error,
                summary=dict(summary) if summary is not None else None,
                results=results,
            )
        )


# -- datasets -------------------------------------------------------------------


def create_dataset(
    engine: Engine,
    *,
    dataset_id: str,
    project_id: str,
    name: str,
    items: Sequence[Mapping[str, Any]],
    now: datetime,
) -> DatasetRecord:
    """Store a dataset with its items."""
    record = DatasetRecord(dataset_id, project_id, name, [dict(i) for i in items], now)
    with transaction(engine, "creating a dataset") as conn:
        conn.execute(
            insert(eval_datasets).values(
                id=record.id, project_id=project_id, name=name, items=record.items, created_at=now
            )
        )
    return record


def get_dataset(engine: Engine, project_id: str, dataset_id: str) -> DatasetRecord:
    """One dataset of this project; :class:`NotFoundError` otherwise."""
    with transaction(engine, "reading a dataset") as conn:
        row = (
            conn.execute(
                select(eval_datasets)
                .where(eval_datasets.c.id == dataset_id)
                .where(eval_datasets.c.project_id == project_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFoundError(f"dataset {dataset_id!r} does not exist in this project")
    return DatasetRecord(
        str(row["id"]),
        str(row["project_id"]),
        str(row["name"]),
        list(row["items"]),
        row["created_at"],
    )


def list_datasets(engine: Engine, project_id: str) -> list[tuple[str, str, int, datetime]]:
    """``(id, name, item count, created_at)`` of the project's datasets, newest first."""
    with transaction(engine, "listing datasets") as conn:
        rows = conn.execute(
            select(
                eval_datasets.c.id,
                eval_datasets.c.name,
                eval_datasets.c["items"],
                eval_datasets.c.created_at,
            )
            .where(eval_datasets.c.project_id == project_id)
            .order_by(eval_datasets.c.created_at.desc())
        ).all()
    return [(str(i), str(n), len(items), c) for i, n, items, c in rows]
