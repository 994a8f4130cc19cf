"""Running eval jobs: claim from the metadata DB, evaluate, store the score, record the outcome.

Exactly-once in effect: a job's score has a deterministic id
(:func:`score_id_for`), so a worker that dies between storing the score and
marking the job done only causes the same score to be written again, which
the telemetry store keeps once. Failures retry with exponential backoff
(:class:`RetryPolicy`) and end as ``error`` with ``last_error`` after
``max_attempts`` tries; a rule that no longer exists, or an evaluator that
cannot be built (no judge configured), fails at once. Judge failures that are
likely to pass later (timeouts, HTTP 429/5xx, connection errors) are retried;
an answer the judge did give (a refusal, a bad scale) is stored as ``unclear``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine

from heron.errors import ConfigError, NotFoundError
from heron.evals.judging import EvaluatorFactory
from heron.evals.rules import EvalRule
from heron.evals.types import EvalInput, EvalResult, to_score
from heron.model import Score, Span, TimeRange
from heron.protocols import TelemetryStore
from heron.store.meta import evals as db

__all__ = ["JobRunner", "RetryPolicy", "build_input", "is_transient", "score_id_for"]

_log = structlog.get_logger("heron.evals.jobs")

_SESSION_TRACES = 10
"""Earlier traces of the session given to an evaluator (``include_session``)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def score_id_for(evaluator_key: str, span_id: str) -> str:
    """The score id of ``evaluator_key`` (``rule:<id>`` or ``evaluator:<name>``) on a span."""
    return hashlib.sha256(f"heron-eval:{evaluator_key}:{span_id}".encode()).hexdigest()[:32]


def is_transient(result: EvalResult) -> bool:
    """True when the result is a judge failure worth retrying later."""
    for flag in result.flags:
        if flag in ("judge:timeout", "judge:connection", "judge:http_429", "judge:http_408"):
            return True
        if flag.startswith("judge:http_5"):
            return True
    return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries, backoff and lease of eval jobs."""

    max_attempts: int = 5
    base_delay_s: float = 10.0
    max_delay_s: float = 3600.0
    lease_s: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        """Wait before try ``attempts + 1``: base * 2^(attempts-1), capped."""
        return timedelta(seconds=min(self.max_delay_s, self.base_delay_s * 2 ** (attempts - 1)))


class _Retry(Exception):
    """This try failed; retry later (unless out of tries)."""


def build_input(
    store: TelemetryStore, span: Span, trace: list[Span], *, include_session: bool
) -> EvalInput:
    """The :class:`EvalInput` of ``span``: its trace and, if asked, earlier session turns."""
    session: list[Span] | None = None
    if include_session and span.session_id:
        window = TimeRange(span.start_time - timedelta(days=1), span.start_time)
        earlier = [
            t
            for t in store.get_session(span.project_id, span.session_id, window).items
            if t.trace_id != span.trace_id
        ][-_SESSION_TRACES:]
        session = [s for t in earlier for s in store.get_trace(span.project_id, t.trace_id)]
    return EvalInput(span=span, trace=trace, session=session)


class JobRunner:
    """Claims and runs eval jobs; several runners (threads, processes) may share one DB."""

    def __init__(
        self,
        engine: Engine,
        store: TelemetryStore,
        factory: EvaluatorFactory,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utcnow,
        score_observers: Sequence[Callable[[Sequence[Score]], None]] = (),
    ) -> None:
        self.engine = engine
        self.store = store
        self.factory = factory
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.score_observers = score_observers

    def run_once(self, limit: int = 8) -> int:
        """Expire dead jobs, claim up to ``limit`` due ones and run them; how many ran."""
        now = self.clock()
        db.expire_jobs(self.engine, now=now, max_attempts=self.policy.max_attempts)
        jobs = db.claim_jobs(
            self.engine,
            now=now,
            lease_until=now + timedelta(seconds=self.policy.lease_s),
            limit=limit,
        )
        self.process_batch(jobs)
        return len(jobs)

    def process(self, job: db.JobRecord) -> str:
        """Run one claimed job; returns its new status (done, pending or error)."""
        return self.process_batch([job])[0]

    def process_batch(self, jobs: Sequence[db.JobRecord]) -> list[str]:
        """Run claimed jobs, storing their scores in one insert; their new statuses."""
        status: dict[int, str] = {}
        ready: list[tuple[db.JobRecord, db.JobOutcome]] = []
        scores: list[Score] = []
        for job in jobs:
            try:
                outcome, score = self._evaluate(job)
            except (NotFoundError, ConfigError) as exc:
                status[job.id] = self._fail(job, str(exc), final=True)
            except _Retry as exc:
                status[job.id] = self._fail(job, str(exc), final=False)
            except Exception as exc:  # the store or DB hiccuped: retry like a judge timeout
                status[job.id] = self._fail(job, f"{type(exc).__name__}: {exc}", final=False)
            else:
                ready.append((job, outcome))
                if score is not None:
                    scores.append(score)
        if scores:
            try:
                # One insert for the batch: small chDB inserts cost more than the rest.
                self.store.insert_scores(scores)
            except Exception as exc:
                for job, _ in ready:
                    status[job.id] = self._fail(job, f"storing scores: {exc}", final=False)
                return [status[job.id] for job in jobs]
            for observe in self.score_observers:
                observe(scores)
        for job, outcome in ready:
            if not db.finish_job(self.engine, job, outcome, self.clock()):
                _log.warning("eval job lost its lease before finishing", job_id=job.id)
            status[job.id] = "done"
        return [status[job.id] for job in jobs]

    def _fail(self, job: db.JobRecord, error: str, *, final: bool) -> str:
        now = self.clock()
        out_of_tries = job.attempts >= self.policy.max_attempts
        retry_at = None if final or out_of_tries else now + self.policy.delay(job.attempts)
        db.fail_job(self.engine, job, error=error, retry_at=retry_at, now=now)
        _log.info(
            "eval job failed",
            job_id=job.id,
            attempt=job.attempts,
            error=error[:300],
            retry_at=retry_at.isoformat() if retry_at else None,
        )
        return "error" if retry_at is None else "pending"

    def _evaluate(self, job: db.JobRecord) -> tuple[db.JobOutcome, Score | None]:
        record = db.get_eval_rule(self.engine, job.project_id, job.rule_id)
        rule = EvalRule.from_record(
            record.project_id, record.id, record.name, record.definition, record.enabled
        )
        trace = self.store.get_trace(job.project_id, job.trace_id)
        span = next((s for s in trace if s.span_id == job.span_id), None)
        if span is None:
            raise _Retry(f"span {job.span_id} of trace {job.trace_id} is not in the store yet")
        evaluator = self.factory.cached(
            evaluator=rule.evaluator, config=rule.config, template=rule.template, judge=rule.judge
        )
        item = build_input(self.store, span, trace, include_session=rule.include_session)
        result = evaluator.evaluate(item)
        if is_transient(result):
            raise _Retry(result.reasoning or ", ".join(result.flags))
        score = None
        if result.applicable:
            score = to_score(
                result,
                span,
                name=rule.score_label,
                score_id=score_id_for(f"rule:{rule.id}", span.span_id),
                created_at=self.clock(),
            )
            score.metadata["rule_id"] = rule.id
        outcome = db.JobOutcome(
            score_id=score.score_id if score is not None else None,
            evaluator=result.evaluator,
            label=result.label,
            value=result.value,
            cost_usd=result.cost_usd,
        )
        return outcome, score
