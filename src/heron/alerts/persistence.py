"""Alert rules, state, history and outbox kept in the metadata database.

:class:`MetaAlertStore` adapts :mod:`heron.store.meta.alerts` (SQL over
SQLite or PostgreSQL) to the engine's :class:`~heron.alerts.AlertStore` and
the dispatcher's :class:`~heron.alerts.Outbox`, and offers the rule CRUD the
REST API and the rules file use. Several processes may share one database:
rule evaluations and deliveries are claimed there (see the SQL module).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import Engine

from heron.alerts.event import AlertEvent, parse_time
from heron.alerts.outbox import Delivery
from heron.alerts.rule import AlertRule, default_rules
from heron.alerts.source import Evaluation, RuleKey
from heron.alerts.state import AlertState, RuleState
from heron.errors import NotFoundError, StoreError
from heron.model import format_time
from heron.store.meta import alerts as sql

__all__ = ["MetaAlertStore", "state_from_json", "state_to_json"]

_log = structlog.get_logger("heron.alerts.persistence")
_TIMES = ("since", "pending_since", "last_notified_at", "last_evaluated_at")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def state_to_json(state: RuleState) -> dict[str, Any]:
    """A rule state as a JSON mapping (times as RFC 3339 text)."""
    data = asdict(state)
    for name in _TIMES:
        if data[name] is not None:
            data[name] = format_time(data[name])
    return data


def state_from_json(data: dict[str, Any]) -> RuleState:
    """The state :func:`state_to_json` wrote."""
    values = dict(data)
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = parse_time(str(values[name]))
    return RuleState(**values)


def _row(rule: AlertRule, origin: str) -> sql.RuleRow:
    return sql.RuleRow(
        project_id=rule.project_id, id=rule.id, name=rule.name,
        definition=rule.to_file_dict(), enabled=rule.enabled, origin=origin,
    )  # fmt: skip


def _rule(stored: sql.StoredRule) -> AlertRule:
    data = {**stored.definition, "project_id": stored.project_id, "id": stored.id}
    try:
        return AlertRule.model_validate(data)
    except ValidationError as exc:
        raise StoreError(
            f"stored alert rule {stored.id!r} of project {stored.project_id!r} is invalid "
            f"({exc.error_count()} errors: {exc.errors()[0]['msg']}); fix it with "
            "PUT /api/v1/alerts/rules/{id} or delete it"
        ) from exc


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        id=int(row["id"]), dedup_key=str(row["dedup_key"]), notifier=str(row["notifier"]),
        payload=dict(row["payload"]), created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"], status=row["status"],
        attempts=int(row["attempts"]), last_error=row["last_error"],
        delivered_at=row["delivered_at"],
    )  # fmt: skip


class MetaAlertStore:
    """Rules, state, events and outbox in the metadata database behind ``engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # -- rules -------------------------------------------------------------

    def ensure_defaults(self, project_id: str) -> bool:
        """Create the standard rules the first time a project is seen; True if created now."""
        rows = [_row(rule, "default") for rule in default_rules(project_id)]
        created = sql.seed_project_rules(self.engine, project_id, rows, self.clock())
        if created:
            _log.info("default alert rules created", project_id=project_id)
        return created

    def rules(self) -> list[AlertRule]:
        """Every project's enabled rules (an invalid stored rule is logged and skipped)."""
        result = []
        for stored in sql.list_rules(self.engine, enabled_only=True):
            try:
                result.append(_rule(stored))
            except StoreError as exc:
                _log.error("alert rule skipped", rule_id=stored.id, error=str(exc))
        return result

    def list_rules(self, project_id: str) -> list[AlertRule]:
        """The rules of one project, by id."""
        return [_rule(stored) for stored in sql.list_rules(self.engine, project_id)]

    def get_rule(self, project_id: str, rule_id: str) -> AlertRule:
        """One rule; :class:`NotFoundError` when the project has no such rule."""
        stored = sql.get_rule(self.engine, project_id, rule_id)
        if stored is None:
            raise NotFoundError(
                f"alert rule {rule_id!r} does not exist in this project; "
                "GET /api/v1/alerts/rules lists its rules"
            )
        return _rule(stored)

    def create_rule(self, rule: AlertRule, *, origin: str = "api") -> AlertRule:
        """Add a rule; ConfigError when its id is taken."""
        sql.insert_rule(self.engine, _row(rule, origin), self.clock())
        return rule

    def replace_rule(self, rule: AlertRule, *, origin: str = "api") -> AlertRule:
        """Replace an existing rule's definition (its state is kept); NotFoundError if none."""
        if not sql.update_rule(self.engine, _row(rule, origin), self.clock()):
            self.get_rule(rule.project_id, rule.id)  # raises the NotFoundError
        return rule

    def upsert_rule(self, rule: AlertRule, *, origin: str = "file") -> None:
        """Create or replace a rule (rules file loading)."""
        sql.upsert_rule(self.engine, _row(rule, origin), self.clock())

    def delete_rule(self, project_id: str, rule_id: str) -> None:
        """Delete a rule and its state; NotFoundError when there is none."""
        if not sql.delete_rule(self.engine, project_id, rule_id):
            self.get_rule(project_id, rule_id)

    def states(self, project_id: str) -> list[tuple[AlertRule, RuleState | None]]:
        """Each rule of the project with its current state (None before its first evaluation)."""
        result = []
        for stored in sql.list_rules(self.engine, project_id):
            state = state_from_json(stored.state) if stored.state is not None else None
            result.append((_rule(stored), state))
        return result

    # -- AlertStore --------------------------------------------------------

    def load_state(self, project_id: str, rule_id: str) -> RuleState | None:
        """See :class:`heron.alerts.AlertStore`."""
        stored = sql.get_rule(self.engine, project_id, rule_id)
        if stored is None or stored.state is None:
            return None
        return state_from_json(stored.state)

    def claim(
        self, keys: Sequence[RuleKey], now: datetime, until: datetime
    ) -> dict[RuleKey, RuleState | None]:
        """See :class:`heron.alerts.AlertStore` (a rule not in the database is never claimed)."""
        claimed = sql.claim_rules(self.engine, keys, now, until)
        return {k: state_from_json(v) if v else None for k, v in claimed.items()}

    def commit(self, evaluations: Sequence[Evaluation]) -> None:
        """See :class:`heron.alerts.AlertStore`: one transaction for the whole cycle."""
        rows = [
            sql.EvaluationRow(
                project_id=e.project_id, rule_id=e.rule_id, at=e.at,
                state=state_to_json(e.state),
                event=e.event.to_record() if e.event is not None else None,
                deliveries=[sql.NewDelivery(n.notifier, n.payload, n.dedup_key)
                            for n in e.notifications],
            )
            for e in evaluations
        ]  # fmt: skip
        sql.commit_evaluations(self.engine, rows)

    def events(
        self, project_id: str, *, limit: int = 100, state: AlertState | None = None,
        since: datetime | None = None,
    ) -> list[AlertEvent]:  # fmt: skip
        """See :class:`heron.alerts.AlertStore`."""
        bodies = sql.list_events(self.engine, project_id, state=state, since=since, limit=limit)
        return [AlertEvent.from_record(body) for body in bodies]

    # -- Outbox ------------------------------------------------------------

    def enqueue(
        self, notifier: str, payload: dict[str, Any], dedup_key: str, now: datetime
    ) -> Delivery | None:
        """See :class:`heron.alerts.Outbox` (the engine enqueues through :meth:`commit`)."""
        project_id = str(payload.get("project_id", ""))
        item = sql.NewDelivery(notifier, payload, dedup_key)
        inserted = sql.enqueue_delivery(self.engine, project_id, item, now)
        return None if inserted is None else _delivery(inserted)

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """See :class:`heron.alerts.Outbox`."""
        return [
            _delivery(row) for row in sql.claim_deliveries(self.engine, now, now + lease, limit)
        ]

    def update(self, delivery: Delivery) -> None:
        """See :class:`heron.alerts.Outbox`."""
        sql.update_delivery(
            self.engine, delivery.id,
            {"status": delivery.status, "attempts": delivery.attempts,
             "last_error": delivery.last_error, "next_attempt_at": delivery.next_attempt_at,
             "delivered_at": delivery.delivered_at},
        )  # fmt: skip

    def list(self, status: str | None = None) -> list[Delivery]:
        """See :class:`heron.alerts.Outbox`."""
        return [_delivery(row) for row in sql.list_deliveries(self.engine, status)]
