"""Alert rules, their state, the event history and the notification outbox in the metadata DB.

Plain functions over a SQLAlchemy engine (the one :attr:`MetaStore.engine`
exposes); rows go in and out as dicts of JSON-ready values, so this layer knows
SQL and nothing of :mod:`heron.alerts` (which adapts them, see
``heron.alerts.persistence``).

Concurrency, so several ``heron worker`` processes can share one database:

* :func:`claim_rules` is a conditional ``UPDATE`` of each rule's ``next_eval_at``;
  only the worker whose update changed the row evaluates the rule this cycle.
* :func:`commit_evaluations` writes the new states, events and outbox rows
  in ONE transaction, so a crash either loses the whole evaluation (it is
  redone next cycle) or keeps all of it: a notification is never enqueued twice
  (the ``(dedup_key, notifier)`` unique key backs this up).
* :func:`claim_deliveries` is one ``UPDATE ... WHERE id IN (SELECT ... FOR
  UPDATE SKIP LOCKED) RETURNING``: on PostgreSQL concurrent claimers skip each
  other's rows; SQLite has no row locks but takes its single write lock at the
  start of the statement, so the same statement is a single-writer claim there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from heron.errors import ConfigError, StoreError
from heron.store.meta.schema import alert_events, alert_outbox, alert_projects, alert_rules

__all__ = [
    "EvaluationRow",
    "NewDelivery",
    "RuleRow",
    "StoredRule",
    "claim_deliveries",
    "claim_rules",
    "commit_evaluations",
    "count_events",
    "delete_rule",
    "enqueue_delivery",
    "get_rule",
    "insert_rule",
    "list_deliveries",
    "list_events",
    "list_rules",
    "seed_project_rules",
    "update_delivery",
    "update_rule",
    "upsert_rule",
]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A rule definition to write: ``definition`` is the rule as a JSON mapping."""

    project_id: str
    id: str
    name: str
    definition: dict[str, Any]
    enabled: bool
    origin: str  # "default", "file" or "api": where the rule came from


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A rule as stored, with its last evaluation state (None before the first)."""

    project_id: str
    id: str
    name: str
    definition: dict[str, Any]
    enabled: bool
    origin: str
    created_at: datetime
    updated_at: datetime
    next_eval_at: datetime
    state: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One notification to enqueue for one notifier."""

    notifier: str
    payload: dict[str, Any]
    dedup_key: str


@contextmanager
def _tx(engine: Engine, doing: str) -> Iterator[Connection]:
    try:
        with engine.begin() as conn:
            yield conn
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        hint = (
            "run `heron migrate`"
            if "no such table" in str(exc) or "does not exist" in str(exc)
            else "check that the database is reachable and writable"
        )
        raise StoreError(
            f"metadata store {where} failed while {doing}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0]}; {hint}"
        ) from exc


_CHUNK = 500  # keys per claim statement, well under every engine's parameter limit


def _insert_ignoring_duplicates(conn: Connection, table: Any, values: Mapping[str, Any]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; the number of rows inserted (0 or 1)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, because drivers differ in the rowcount they report for a skipped row.
    key = next(iter(table.primary_key.columns))
    statement = dialect.insert(table).values(dict(values)).on_conflict_do_nothing()
    return 0 if conn.execute(statement.returning(key)).first() is None else 1


def _rule_values(row: RuleRow, now: datetime) -> dict[str, Any]:
    return {
        "name": row.name,
        "definition": row.definition,
        "enabled": row.enabled,
        "origin": row.origin,
        "updated_at": now,
    }


def _stored(row: RowMapping) -> StoredRule:
    return StoredRule(
        project_id=str(row["project_id"]),
        id=str(row["id"]),
        name=str(row["name"]),
        definition=dict(row["definition"]),
        enabled=bool(row["enabled"]),
        origin=str(row["origin"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        next_eval_at=row["next_eval_at"],
        state=dict(row["state"]) if row["state"] is not None else None,
    )


def _key(project_id: str, rule_id: str) -> Any:
    return (alert_rules.c.project_id == project_id) & (alert_rules.c.id == rule_id)


# -- rules -------------------------------------------------------------------


def seed_project_rules(
    engine: Engine, project_id: str, rules: Sequence[RuleRow], now: datetime
) -> bool:
    """Create ``rules`` once per project; False when the project was seeded before.

    A marker row records the seeding, so a default rule the user deleted is not
    recreated; a rule id that already exists (e.g. from the rules file) is kept.
    """
    with _tx(engine, "checking default alert rules") as conn:
        seen = conn.execute(
            select(alert_projects.c.project_id).where(alert_projects.c.project_id == project_id)
        ).first()
    if seen is not None:
        return False
    try:
        with _tx(engine, "creating default alert rules") as conn:
            conn.execute(
                insert(alert_projects).values(project_id=project_id, defaults_created_at=now)
            )
            for row in rules:
                values = {
                    "project_id": row.project_id, "id": row.id, "created_at": now,
                    "next_eval_at": now, "state": None, **_rule_values(row, now),
                }  # fmt: skip
                _insert_ignoring_duplicates(conn, alert_rules, values)
    except IntegrityError:
        return False  # seeded already, or by another worker just now
    return True


def insert_rule(engine: Engine, row: RuleRow, now: datetime) -> None:
    """Create a rule; :class:`ConfigError` when the id is taken in the project."""
    values = {
        "project_id": row.project_id, "id": row.id, "created_at": now, "next_eval_at": now,
        "state": None, **_rule_values(row, now),
    }  # fmt: skip
    try:
        with _tx(engine, "creating an alert rule") as conn:
            conn.execute(insert(alert_rules).values(values))
    except IntegrityError as exc:
        raise ConfigError(
            f"alert rule {row.id!r} already exists in project {row.project_id!r} (or the project "
            "does not exist); choose another id or update it with PUT"
        ) from exc


def update_rule(engine: Engine, row: RuleRow, now: datetime) -> bool:
    """Replace a rule's definition (its state is kept); False when it does not exist."""
    with _tx(engine, "updating an alert rule") as conn:
        result = conn.execute(
            update(alert_rules).where(_key(row.project_id, row.id)).values(_rule_values(row, now))
        )
    return bool(result.rowcount)


def upsert_rule(engine: Engine, row: RuleRow, now: datetime) -> None:
    """Create the rule or replace its definition (rules file loading)."""
    if not update_rule(engine, row, now):
        try:
            insert_rule(engine, row, now)
        except ConfigError:
            update_rule(engine, row, now)  # created concurrently: ours wins


def delete_rule(engine: Engine, project_id: str, rule_id: str) -> bool:
    """Delete a rule and its state; False when it does not exist."""
    with _tx(engine, "deleting an alert rule") as conn:
        result = conn.execute(delete(alert_rules).where(_key(project_id, rule_id)))
    return bool(result.rowcount)


def get_rule(engine: Engine, project_id: str, rule_id: str) -> StoredRule | None:
    """One rule of one project, or None."""
    with _tx(engine, "reading an alert rule") as conn:
        row = conn.execute(select(alert_rules).where(_key(project_id, rule_id))).mappings().first()
    return None if row is None else _stored(row)


def list_rules(
    engine: Engine, project_id: str | None = None, *, enabled_only: bool = False
) -> list[StoredRule]:
    """Rules of one project (every project when None), by project and id."""
    query = select(alert_rules).order_by(alert_rules.c.project_id, alert_rules.c.id)
    if project_id is not None:
        query = query.where(alert_rules.c.project_id == project_id)
    if enabled_only:
        query = query.where(alert_rules.c.enabled.is_(True))
    with _tx(engine, "listing alert rules") as conn:
        rows = conn.execute(query).mappings().all()
    return [_stored(row) for row in rows]


def claim_rules(
    engine: Engine, keys: Sequence[tuple[str, str]], now: datetime, until: datetime
) -> dict[tuple[str, str], dict[str, Any] | None]:
    """Claim the due rules among ``keys`` at ``now``: each goes to exactly one concurrent claimer.

    A row is claimed by moving ``next_eval_at`` to ``until``, conditionally on
    it being due; the database serializes the updates of one row, so a second
    claimer for the same cycle matches nothing. Returns the claimed keys with
    their saved state (None before the first evaluation).
    """
    claimed: dict[tuple[str, str], dict[str, Any] | None] = {}
    with _tx(engine, "claiming alert rules") as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            rows = conn.execute(
                update(alert_rules)
                .where(tuple_(alert_rules.c.project_id, alert_rules.c.id).in_(chunk))
                .where(alert_rules.c.next_eval_at <= now)
                .values(next_eval_at=until)
                .returning(alert_rules.c.project_id, alert_rules.c.id, alert_rules.c.state)
            ).all()
            for project_id, rule_id, state in rows:
                claimed[(str(project_id), str(rule_id))] = dict(state) if state else None
    return claimed


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    """What one rule evaluation writes (see :func:`commit_evaluations`)."""

    project_id: str
    rule_id: str
    at: datetime
    state: dict[str, Any]
    event: dict[str, Any] | None
    deliveries: Sequence[NewDelivery]


def commit_evaluations(engine: Engine, rows: Sequence[EvaluationRow]) -> None:
    """Save states, append events and enqueue deliveries of a cycle in ONE transaction.

    A crash before the commit loses the whole cycle (its rules are evaluated
    again when their claim expires); after it, everything is kept, so no
    notification is ever enqueued twice. A rule deleted meanwhile is skipped.
    """
    if not rows:
        return
    with _tx(engine, "saving alert evaluations") as conn:
        for row in rows:
            result = conn.execute(
                update(alert_rules).where(_key(row.project_id, row.rule_id)).values(state=row.state)
            )
            if not result.rowcount:
                continue
            if row.event is not None:
                conn.execute(
                    insert(alert_events).values(
                        project_id=row.project_id, rule_id=row.rule_id,
                        state_to=row.event["state_to"], at=row.at, body=row.event,
                    )
                )  # fmt: skip
            for item in row.deliveries:
                _insert_ignoring_duplicates(
                    conn, alert_outbox, _delivery_values(row.project_id, item, row.at)
                )


def _delivery_values(project_id: str, item: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "project_id": project_id, "dedup_key": item.dedup_key, "notifier": item.notifier,
        "payload": item.payload, "status": "pending", "attempts": 0, "last_error": None,
        "created_at": now, "next_attempt_at": now, "delivered_at": None,
    }  # fmt: skip


def enqueue_delivery(
    engine: Engine, project_id: str, item: NewDelivery, now: datetime
) -> dict[str, Any] | None:
    """Enqueue one delivery on its own; None when ``(dedup_key, notifier)`` exists already."""
    with _tx(engine, "enqueueing an alert delivery") as conn:
        if not _insert_ignoring_duplicates(
            conn, alert_outbox, _delivery_values(project_id, item, now)
        ):
            return None
        row = (
            conn.execute(
                select(alert_outbox)
                .where(alert_outbox.c.dedup_key == item.dedup_key)
                .where(alert_outbox.c.notifier == item.notifier)
            )
            .mappings()
            .one()
        )
    return dict(row)


def list_events(
    engine: Engine,
    project_id: str,
    *,
    state: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Event bodies of a project, newest first."""
    query = (
        select(alert_events.c.body)
        .where(alert_events.c.project_id == project_id)
        .order_by(alert_events.c.at.desc(), alert_events.c.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(alert_events.c.state_to == state)
    if since is not None:
        query = query.where(alert_events.c.at >= since)
    with _tx(engine, "listing alert events") as conn:
        return [dict(body) for body in conn.execute(query).scalars()]


# -- outbox ------------------------------------------------------------------


def claim_deliveries(
    engine: Engine, now: datetime, lease_until: datetime, limit: int
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due pending deliveries, oldest first, for this caller alone.

    Claimed rows get ``next_attempt_at = lease_until``: if the caller dies
    before recording the outcome, they become due again after the lease.
    """
    due = (
        select(alert_outbox.c.id)
        .where(alert_outbox.c.status == "pending")
        .where(alert_outbox.c.next_attempt_at <= now)
        .order_by(alert_outbox.c.next_attempt_at, alert_outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with _tx(engine, "claiming alert deliveries") as conn:
        rows = conn.execute(
            update(alert_outbox)
            .where(alert_outbox.c.id.in_(due))
            .values(next_attempt_at=lease_until)
            .returning(*alert_outbox.c)
        ).mappings()
        claimed = [dict(row) for row in rows]
    return sorted(claimed, key=lambda d: d["id"])


def update_delivery(engine: Engine, delivery_id: int, values: Mapping[str, Any]) -> None:
    """Record a delivery attempt's outcome (status, attempts, error, times)."""
    allowed = {"status", "attempts", "last_error", "next_attempt_at", "delivered_at"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"cannot update delivery columns {sorted(unknown)}")
    with _tx(engine, "updating an alert delivery") as conn:
        conn.execute(update(alert_outbox).where(alert_outbox.c.id == delivery_id).values(values))


def list_deliveries(
    engine: Engine, status: str | None = None, *, limit: int = 1000
) -> list[dict[str, Any]]:
    """Deliveries (optionally of one status), oldest first."""
    query = select(alert_outbox).order_by(alert_outbox.c.id).limit(limit)
    if status is not None:
        query = query.where(alert_outbox.c.status == status)
    with _tx(engine, "listing alert deliveries") as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def count_events(engine: Engine, project_id: str) -> int:
    """How many events a project has (for tests and the UI)."""
    with _tx(engine, "counting alert events") as conn:
        value = conn.execute(
            select(func.count())
            .select_from(alert_events)
            .where(alert_events.c.project_id == project_id)
        ).scalar_one()
    return int(value)
