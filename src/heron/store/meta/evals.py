"""Eval rules and the eval job queue in the metadata DB (runs and datasets: ``eval_runs.py``).

Plain functions over a SQLAlchemy engine (:attr:`MetaStore.engine`); rows go
in and out as small frozen records, so this layer knows SQL and nothing of
:mod:`heron.evals`.

The job queue, so several workers (threads or ``heron worker`` processes) can
share one database:

* :func:`enqueue_jobs` is ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
  ``(rule_id, span_id)``: a replayed span never gets a second job.
* :func:`claim_jobs` is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
  SKIP LOCKED) RETURNING``. On PostgreSQL concurrent claimers skip each
  other's rows; SQLite has no row locks but takes its single write lock for
  the statement, so the same statement is a single-writer claim there. A claim
  sets ``status='running'``, bumps ``attempts`` and sets a lease; a ``running``
  job whose lease expired (its worker died) is claimable again.
* :func:`finish_job` and :func:`fail_job` only change a row still ``running``
  with the ``attempts`` the caller claimed (a fencing token): a worker whose
  lease was taken over cannot overwrite the new owner's outcome. ``done`` and
  ``error`` rows are never claimed again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import SQLAlchemyError

from heron.errors import NotFoundError, StoreError
from heron.store.meta.schema import eval_jobs, eval_rules

__all__ = [
    "JobOutcome",
    "JobRecord",
    "NewJob",
    "RuleRecord",
    "claim_jobs",
    "delete_eval_rule",
    "enqueue_jobs",
    "expire_jobs",
    "fail_job",
    "finish_job",
    "get_eval_rule",
    "insert_eval_rule",
    "job_outcomes",
    "judge_cost_since",
    "list_eval_rules",
    "list_jobs",
    "queue_depth",
    "transaction",
    "update_eval_rule",
]


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """An eval rule as stored; ``definition`` is the rule as a JSON mapping."""

    project_id: str
    id: str
    name: str
    definition: dict[str, Any]
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to enqueue: evaluate ``span_id`` with ``rule_id`` once ``due_at`` has passed."""

    project_id: str
    rule_id: str
    trace_id: str
    span_id: str
    due_at: datetime
    judged: bool


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job row. ``attempts`` counts claims; ``score_id`` is set once ``done``."""

    id: int
    project_id: str
    rule_id: str
    trace_id: str
    span_id: str
    status: str
    attempts: int
    due_at: datetime
    lease_until: datetime | None
    last_error: str | None
    score_id: str | None
    evaluator: str | None
    label: str | None
    value: float | None
    cost_usd: float | None
    judged: bool
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a finished job produced (no score when the evaluator had nothing to judge)."""

    score_id: str | None
    evaluator: str
    label: str
    value: float | None
    cost_usd: float | None


@contextmanager
def transaction(engine: Engine, doing: str) -> Iterator[Connection]:
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        hint = (
            "run `heron migrate`"
            if "no such table" in str(exc) or "does not exist" in str(exc)
            else "check that the metadata database is reachable and writable"
        )
        first = str(exc).splitlines()[0]
        raise StoreError(
            f"metadata store failed while {doing}: {type(exc).__name__}: {first}; {hint}"
        ) from exc


# -- rules ----------------------------------------------------------------------


def _rule(row: RowMapping) -> RuleRecord:
    return RuleRecord(
        project_id=str(row["project_id"]),
        id=str(row["id"]),
        name=str(row["name"]),
        definition=dict(row["definition"]),
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def insert_eval_rule(
    engine: Engine,
    *,
    project_id: str,
    rule_id: str,
    name: str,
    definition: Mapping[str, Any],
    enabled: bool,
    now: datetime,
) -> RuleRecord:
    """Store a new rule (its id must be new)."""
    record = RuleRecord(
        project_id=project_id,
        id=rule_id,
        name=name,
        definition=dict(definition),
        enabled=enabled,
        created_at=now,
        updated_at=now,
    )
    with transaction(engine, "creating an eval rule") as conn:
        conn.execute(
            insert(eval_rules).values(
                id=rule_id,
                project_id=project_id,
                name=name,
                definition=record.definition,
                enabled=enabled,
                created_at=now,
                updated_at=now,
            )
        )
    return record


def _missing_rule(project_id: str, rule_id: str) -> NotFoundError:
    # The same words for another project's rule and a missing one (no leak).
    return NotFoundError(
        f"eval rule {rule_id!r} does not exist in this project; "
        "GET /api/v1/evals/rules lists the rules"
    )


def get_eval_rule(engine: Engine, project_id: str, rule_id: str) -> RuleRecord:
    """The rule ``rule_id`` of ``project_id``; :class:`NotFoundError` otherwise."""
    with transaction(engine, "reading an eval rule") as conn:
        row = (
            conn.execute(
                select(eval_rules)
                .where(eval_rules.c.id == rule_id)
                .where(eval_rules.c.project_id == project_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        raise _missing_rule(project_id, rule_id)
    return _rule(row)


def list_eval_rules(
    engine: Engine, project_id: str | None = None, *, enabled_only: bool = False
) -> list[RuleRecord]:
    """Rules of one project (every project when None), oldest first."""
    query = select(eval_rules).order_by(eval_rules.c.created_at, eval_rules.c.id)
    if project_id is not None:
        query = query.where(eval_rules.c.project_id == project_id)
    if enabled_only:
        query = query.where(eval_rules.c.enabled.is_(True))
    with transaction(engine, "listing eval rules") as conn:
        return [_rule(row) for row in conn.execute(query).mappings()]


def update_eval_rule(
    engine: Engine,
    *,
    project_id: str,
    rule_id: str,
    name: str,
    definition: Mapping[str, Any],
    enabled: bool,
    now: datetime,
) -> RuleRecord:
    """Replace a rule's definition; :class:`NotFoundError` when it is not this project's."""
    with transaction(engine, "updating an eval rule") as conn:
        result = conn.execute(
            update(eval_rules)
            .where(eval_rules.c.id == rule_id)
            .where(eval_rules.c.project_id == project_id)
            .values(name=name, definition=dict(definition), enabled=enabled, updated_at=now)
        )
    if not result.rowcount:
        raise _missing_rule(project_id, rule_id)
    return get_eval_rule(engine, project_id, rule_id)


def delete_eval_rule(engine: Engine, project_id: str, rule_id: str) -> None:
    """Delete a rule and its unfinished jobs (finished ones stay as history)."""
    with transaction(engine, "deleting an eval rule") as conn:
        result = conn.execute(
            delete(eval_rules)
            .where(eval_rules.c.id == rule_id)
            .where(eval_rules.c.project_id == project_id)
        )
        if not result.rowcount:
            raise _missing_rule(project_id, rule_id)
        conn.execute(
            delete(eval_jobs)
            .where(eval_jobs.c.rule_id == rule_id)
            .where(eval_jobs.c.status.in_(("pending", "running")))
        )


# -- jobs -----------------------------------------------------------------------


def _job(row: RowMapping) -> JobRecord:
    return JobRecord(**{name: row[name] for name in JobRecord.__dataclass_fields__})


def enqueue_jobs(engine: Engine, jobs: Sequence[NewJob], now: datetime) -> int:
    """Insert ``jobs``, skipping any (rule, span) already queued; the number inserted."""
    if not jobs:
        return 0
    rows = [
        {
            "project_id": job.project_id,
            "rule_id": job.rule_id,
            "trace_id": job.trace_id,
            "span_id": job.span_id,
            "status": "pending",
            "attempts": 0,
            "due_at": job.due_at,
            "judged": job.judged,
            "created_at": now,
        }
        for job in jobs
    ]
    with transaction(engine, "enqueuing eval jobs") as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        # RETURNING counts the rows really inserted on both engines (rowcount of
        # ON CONFLICT inserts is not reported the same way by every driver).
        statement = dialect.insert(eval_jobs).values(rows).on_conflict_do_nothing()
        inserted = conn.execute(statement.returning(eval_jobs.c.id)).all()
    return len(inserted)


def claim_jobs(
    engine: Engine, *, now: datetime, lease_until: datetime, limit: int
) -> list[JobRecord]:
    """Claim up to ``limit`` due jobs (or jobs whose lease expired) for this caller alone."""
    claimable = (eval_jobs.c.status == "pending") & (eval_jobs.c.due_at <= now)
    stale = (eval_jobs.c.status == "running") & (eval_jobs.c.lease_until < now)
    due = (
        select(eval_jobs.c.id)
        .where(claimable | stale)
        .order_by(eval_jobs.c.due_at, eval_jobs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with transaction(engine, "claiming eval jobs") as conn:
        rows = conn.execute(
            update(eval_jobs)
            .where(eval_jobs.c.id.in_(due))
            .values(status="running", attempts=eval_jobs.c.attempts + 1, lease_until=lease_until)
            .returning(*eval_jobs.c)
        ).mappings()
        claimed = [_job(row) for row in rows]
    return sorted(claimed, key=lambda job: (job.due_at, job.id))


def _owned(job: JobRecord) -> Any:
    return (
        (eval_jobs.c.id == job.id)
        & (eval_jobs.c.status == "running")
        & (eval_jobs.c.attempts == job.attempts)
    )


def finish_job(engine: Engine, job: JobRecord, outcome: JobOutcome, now: datetime) -> bool:
    """Mark a claimed job done with its outcome; False when the claim was lost meanwhile."""
    with transaction(engine, "finishing an eval job") as conn:
        result = conn.execute(
            update(eval_jobs)
            .where(_owned(job))
            .values(
                status="done",
                lease_until=None,
                last_error=None,
                score_id=outcome.score_id,
                evaluator=outcome.evaluator,
                label=outcome.label,
                value=outcome.value,
                cost_usd=outcome.cost_usd,
                finished_at=now,
            )
        )
    return bool(result.rowcount)


def fail_job(
    engine: Engine, job: JobRecord, *, error: str, retry_at: datetime | None, now: datetime
) -> bool:
    """Record a failed attempt: pending again at ``retry_at``, or ``error`` when None."""
    values: dict[str, Any] = {"last_error": error[:4000], "lease_until": None}
    if retry_at is None:
        values.update(status="error", finished_at=now)
    else:
        values.update(status="pending", due_at=retry_at)
    with transaction(engine, "recording an eval job failure") as conn:
        result = conn.execute(update(eval_jobs).where(_owned(job)).values(values))
    return bool(result.rowcount)


def expire_jobs(engine: Engine, *, now: datetime, max_attempts: int) -> int:
    """End as ``error`` the running jobs whose lease expired after their last allowed try.

    A job that kills its worker every time would otherwise be reclaimed forever.
    """
    with transaction(engine, "expiring eval jobs") as conn:
        result = conn.execute(
            update(eval_jobs)
            .where(eval_jobs.c.status == "running")
            .where(eval_jobs.c.lease_until < now)
            .where(eval_jobs.c.attempts >= max_attempts)
            .values(
                status="error",
                lease_until=None,
                finished_at=now,
                last_error=f"the worker stopped (lease expired) on each of {max_attempts} tries",
            )
        )
    return int(result.rowcount or 0)


def queue_depth(engine: Engine) -> int:
    """Jobs not finished yet (pending or running), across projects."""
    with transaction(engine, "counting eval jobs") as conn:
        count = conn.execute(
            select(func.count())
            .select_from(eval_jobs)
            .where(eval_jobs.c.status.in_(("pending", "running")))
        ).scalar_one()
    return int(count)


def judge_cost_since(engine: Engine, rule_ids: Sequence[str], since: datetime) -> dict[str, float]:
    """Judge cost in USD recorded by each rule's jobs finished at or after ``since``."""
    if not rule_ids:
        return {}
    with transaction(engine, "summing eval judge cost") as conn:
        rows = conn.execute(
            select(eval_jobs.c.rule_id, func.coalesce(func.sum(eval_jobs.c.cost_usd), 0.0))
            .where(eval_jobs.c.rule_id.in_(list(rule_ids)))
            .where(eval_jobs.c.finished_at >= since)
            .group_by(eval_jobs.c.rule_id)
        ).all()
    return {str(rule_id): float(total) for rule_id, total in rows}


def list_jobs(
    engine: Engine,
    project_id: str,
    *,
    rule_id: str | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> list[JobRecord]:
    """Jobs of a project (optionally of one rule / status), oldest first."""
    query = (
        select(eval_jobs)
        .where(eval_jobs.c.project_id == project_id)
        .order_by(eval_jobs.c.id)
        .limit(limit)
    )
    if rule_id is not None:
        query = query.where(eval_jobs.c.rule_id == rule_id)
    if status is not None:
        query = query.where(eval_jobs.c.status == status)
    with transaction(engine, "listing eval jobs") as conn:
        return [_job(row) for row in conn.execute(query).mappings()]


def job_outcomes(
    engine: Engine, project_id: str, start: datetime, end: datetime
) -> list[tuple[str, datetime, str | None, float | None]]:
    """``(evaluator, finished_at, label, value)`` of jobs done in ``[start, end)``."""
    with transaction(engine, "reading eval outcomes") as conn:
        rows = conn.execute(
            select(
                eval_jobs.c.evaluator, eval_jobs.c.finished_at, eval_jobs.c.label, eval_jobs.c.value
            )
            .where(eval_jobs.c.project_id == project_id)
            .where(eval_jobs.c.status == "done")
            .where(eval_jobs.c.finished_at >= start)
            .where(eval_jobs.c.finished_at < end)
            .where(eval_jobs.c.score_id.is_not(None))
        ).all()
    return [(str(e), f, lab, None if v is None else float(v)) for e, f, lab, v in rows]
