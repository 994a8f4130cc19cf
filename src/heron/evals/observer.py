"""The span observer that turns freshly stored spans into eval jobs.

The flusher calls it after each stored chunk. For every enabled rule of the
span's project whose filter and sample select the span, it enqueues a job due
``delay_s`` later. Jobs are unique per (rule, span), so a WAL replay enqueues
nothing new. A rule with a judge and a ``daily_budget_usd`` enqueues no more
judge jobs once the judge cost its jobs recorded today (UTC) reaches the
budget; jobs already queued still run, so the budget can be exceeded by at
most the cost of the queue.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import structlog
from pydantic import ValidationError
from sqlalchemy import Engine

from heron.evals.rules import EvalRule
from heron.model import Span
from heron.store.meta import evals as db

__all__ = ["EvalObserver"]

_log = structlog.get_logger("heron.evals.observer")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EvalObserver:
    """A :class:`heron.protocols.SpanObserver` enqueuing eval jobs for matching spans.

    Rules are re-read at most every ``rules_ttl_s`` seconds (and at once after
    :meth:`invalidate`, which the rules API calls on every write).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rules_ttl_s: float = 5.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.rules_ttl_s = rules_ttl_s
        self._lock = threading.Lock()
        self._rules: dict[str, list[EvalRule]] | None = None
        self._loaded_at = 0.0
        self.enqueued = 0
        self.skipped_over_budget = 0

    def invalidate(self) -> None:
        """Forget the cached rules (a rule was created, changed or deleted)."""
        with self._lock:
            self._rules = None

    def rules(self) -> dict[str, list[EvalRule]]:
        """Enabled rules by project id."""
        with self._lock:
            if self._rules is not None and time.monotonic() - self._loaded_at < self.rules_ttl_s:
                return self._rules
        by_project: dict[str, list[EvalRule]] = defaultdict(list)
        for record in db.list_eval_rules(self.engine, enabled_only=True):
            try:
                rule = EvalRule.from_record(
                    record.project_id, record.id, record.name, record.definition, record.enabled
                )
            except ValidationError as exc:  # edited by hand: skip it, keep the others
                _log.error("invalid stored eval rule skipped", rule_id=record.id, error=str(exc))
                continue
            by_project[record.project_id].append(rule)
        with self._lock:
            self._rules = dict(by_project)
            self._loaded_at = time.monotonic()
            return self._rules

    def __call__(self, spans: Sequence[Span]) -> None:
        """Enqueue the jobs ``spans`` call for (never raises into the flusher's loop)."""
        rules = self.rules()
        if not rules:
            return
        now = self.clock()
        selected: list[tuple[EvalRule, Span]] = [
            (rule, span)
            for span in spans
            if span.duplicate_of is None
            for rule in rules.get(span.project_id, ())
            if rule.selects(span)
        ]
        if not selected:
            return
        over = self._over_budget({rule.id: rule for rule, _ in selected}.values(), now)
        jobs = []
        for rule, span in selected:
            if rule.id in over:
                self.skipped_over_budget += 1
                continue
            jobs.append(
                db.NewJob(
                    project_id=span.project_id,
                    rule_id=rule.id,
                    trace_id=span.trace_id,
                    span_id=span.span_id,
                    due_at=now + timedelta(seconds=rule.delay_s),
                    judged=rule.needs_judge,
                )
            )
        self.enqueued += db.enqueue_jobs(self.engine, jobs, now)

    def _over_budget(self, rules: Iterable[EvalRule], now: datetime) -> set[str]:
        budgeted = [r for r in rules if r.needs_judge and r.daily_budget_usd is not None]
        if not budgeted:
            return set()
        day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        spent = db.judge_cost_since(self.engine, [r.id for r in budgeted], day)
        return {
            r.id
            for r in budgeted
            if r.daily_budget_usd is not None and spent.get(r.id, 0.0) >= r.daily_budget_usd
        }
