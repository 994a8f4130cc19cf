"""The online eval pipeline: spans -> observer -> jobs -> evaluators -> scores in chDB.

Real parts throughout: the metadata DB on SQLite and PostgreSQL, the embedded
chDB telemetry store, and judges using the real openai client against the
local fake provider. Time is a fake clock, so backoff is checked without sleeping.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from heron.evals.jobs import JobRunner, RetryPolicy, score_id_for
from heron.evals.judging import EvaluatorFactory, JudgeDefaults
from heron.evals.observer import EvalObserver
from heron.evals.rules import EvalRule
from heron.evals.service import EvalService
from heron.model import Score, Span, StatsQuery, TimeRange
from heron.store.meta import MetaStore
from heron.store.meta import evals as db
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.testing.fake_provider import FakeProvider, Reply

from .conftest import Clock, build_span


def _factory(fp: FakeProvider) -> EvaluatorFactory:
    return EvaluatorFactory(
        JudgeDefaults(
            provider="openai",
            model="gpt-4o-mini",
            base_url=fp.base_url_openai,
            api_key="test-key",
            timeout_s=10.0,
            max_retries=0,  # the job queue retries, without the client's own sleeps
        )
    )


def _add_rule(meta: MetaStore, project: str, clock: Clock, **fields: Any) -> EvalRule:
    values: dict[str, Any] = {"id": uuid.uuid4().hex[:12], "project_id": project, "name": "r"}
    values.update(fields)
    rule = EvalRule.model_validate(values)
    db.insert_eval_rule(
        meta.engine,
        project_id=project,
        rule_id=rule.id,
        name=rule.name,
        definition=rule.definition(),
        enabled=rule.enabled,
        now=clock(),
    )
    return rule


def _trace(project: str, clock: Clock, answer: str, *, with_docs: bool = False) -> list[Span]:
    trace_id = uuid.uuid4().hex
    start = clock() - timedelta(minutes=5)
    spans = []
    if with_docs:
        spans.append(
            build_span(
                kind="retriever",
                project_id=project,
                trace_id=trace_id,
                start_time=start,
                end_time=start + timedelta(milliseconds=5),
                output_value='[{"content": "Paris is the capital of France."}]',
            )
        )
    spans.append(
        build_span(
            "What is the capital of France?",
            answer,
            project_id=project,
            trace_id=trace_id,
            start_time=start + timedelta(milliseconds=10),
            end_time=start + timedelta(seconds=1),
            model="gpt-4o-mini",
        )
    )
    return spans


class Recorder:
    """A score observer that keeps what it saw."""

    def __init__(self) -> None:
        self.scores: list[Score] = []

    def __call__(self, scores: Sequence[Score]) -> None:
        self.scores.extend(scores)


def test_spans_become_jobs_then_scores_in_the_store(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
    clock: Clock,
) -> None:
    refusal = _add_rule(meta, project, clock, evaluator="refusal", delay_s=30)
    halluc = _add_rule(meta, project, clock, evaluator="hallucination", delay_s=30)
    fp.add_rule(
        Reply.json(
            {
                "claims": [
                    {"claim": "Paris is the capital", "supported": True},
                    {"claim": "It has 90 million people", "supported": False},
                ],
                "reasoning": "one unsupported claim",
            }
        ).with_usage(300, 40)
    )
    good = _trace(project, clock, "Paris is the capital. It has 90 million people.", with_docs=True)
    refused = _trace(project, clock, "I'm sorry, but I can't help with that.")
    spans = good + refused
    telemetry.insert_spans(spans)
    observer = EvalObserver(meta.engine, clock=clock)
    observer(spans)
    # 2 LLM spans x 2 rules; the retriever span matches no rule.
    assert db.queue_depth(meta.engine) == 4
    observer(spans)  # a WAL replay
    assert db.queue_depth(meta.engine) == 4

    seen = Recorder()
    runner = JobRunner(meta.engine, telemetry, _factory(fp), clock=clock, score_observers=[seen])
    assert runner.run_once() == 0  # not due: the trace may still be arriving
    clock.advance(30)
    assert runner.run_once() == 4
    assert db.queue_depth(meta.engine) == 0

    llm_good, llm_refused = good[-1], refused[-1]
    scores = telemetry.list_scores(project, trace_id=llm_good.trace_id)
    by_name = {s.name: s for s in scores}
    assert by_name["refusal"].value == 1.0
    assert by_name["hallucination"].value == 0.5
    assert by_name["hallucination"].reasoning == "one unsupported claim"
    assert by_name["hallucination"].cost_usd is not None
    assert by_name["hallucination"].cost_usd > 0
    assert by_name["hallucination"].score_id == score_id_for(f"rule:{halluc.id}", llm_good.span_id)
    assert {s.source for s in scores} == {"eval"}
    # The refused answer: no documents to ground against -> not applicable, no score stored.
    refused_scores = telemetry.list_scores(project, trace_id=llm_refused.trace_id)
    assert [(s.name, s.value) for s in refused_scores] == [("refusal", 0.0)]
    assert sorted(s.score_id for s in seen.scores) == sorted(
        s.score_id for s in scores + refused_scores
    )
    jobs = db.list_jobs(meta.engine, project, rule_id=refusal.id)
    assert {j.status for j in jobs} == {"done"}

    window = TimeRange(clock() - timedelta(hours=1), clock() + timedelta(hours=1))
    (row,) = telemetry.stats(project, StatsQuery(time=window))
    assert row.avg_score == pytest.approx(0.5)  # refusal scores 1.0 and 0.0
    assert row.hallucination_rate == 1.0  # the one judged span is half unsupported


def test_a_crash_after_storing_the_score_does_not_duplicate_it(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
    clock: Clock,
) -> None:
    _add_rule(meta, project, clock, evaluator="refusal", delay_s=0)
    spans = _trace(project, clock, "Paris.")
    telemetry.insert_spans(spans)
    EvalObserver(meta.engine, clock=clock)(spans)
    policy = RetryPolicy(lease_s=60)
    dying = JobRunner(meta.engine, telemetry, _factory(fp), clock=clock, policy=policy)
    (job,) = db.claim_jobs(
        meta.engine, now=clock(), lease_until=clock() + timedelta(seconds=60), limit=1
    )
    _, score = dying._evaluate(job)
    assert score is not None
    telemetry.insert_scores([score])  # stored, then the worker dies before finishing the job
    clock.advance(61)
    assert JobRunner(meta.engine, telemetry, _factory(fp), clock=clock).run_once() == 1
    assert len(telemetry.list_scores(project, span_id=spans[-1].span_id)) == 1
    (done,) = db.list_jobs(meta.engine, project)
    assert (done.status, done.attempts) == ("done", 2)


def test_judge_failures_retry_with_backoff_then_end_as_error(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
    clock: Clock,
) -> None:
    _add_rule(meta, project, clock, evaluator="relevance", delay_s=0)
    fp.add_rule(Reply.error(503, "overloaded"))
    spans = _trace(project, clock, "Paris.")
    telemetry.insert_spans(spans)
    EvalObserver(meta.engine, clock=clock)(spans)
    policy = RetryPolicy(max_attempts=3, base_delay_s=10)
    runner = JobRunner(meta.engine, telemetry, _factory(fp), clock=clock, policy=policy)
    assert runner.run_once() == 1
    (job,) = db.list_jobs(meta.engine, project)
    assert (job.status, job.attempts, job.due_at) == ("pending", 1, clock() + timedelta(seconds=10))
    clock.advance(9)
    assert runner.run_once() == 0  # still backing off
    clock.advance(1)
    assert runner.run_once() == 1
    (job,) = db.list_jobs(meta.engine, project)
    assert (job.attempts, job.due_at) == (2, clock() + timedelta(seconds=20))  # doubled
    clock.advance(20)
    assert runner.run_once() == 1
    (job,) = db.list_jobs(meta.engine, project)
    assert (job.status, job.attempts) == ("error", 3)
    assert "503" in (job.last_error or "")
    assert telemetry.list_scores(project, trace_id=spans[-1].trace_id) == []
    assert len(fp.requests) == 3


def test_missing_span_is_retried_and_a_deleted_rule_fails_at_once(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
    clock: Clock,
) -> None:
    rule = _add_rule(meta, project, clock, evaluator="pii", delay_s=0)
    spans = _trace(project, clock, "mail me at a@example.com")
    EvalObserver(meta.engine, clock=clock)(spans)  # observed, but not stored (yet)
    runner = JobRunner(meta.engine, telemetry, _factory(fp), clock=clock)
    runner.run_once()
    (job,) = db.list_jobs(meta.engine, project)
    assert job.status == "pending"
    assert "not in the store yet" in (job.last_error or "")
    telemetry.insert_spans(spans)
    clock.advance(10)
    runner.run_once()
    (job,) = db.list_jobs(meta.engine, project)
    assert job.status == "done"
    assert job.label == "fail"

    other = _trace(project, clock, "fine")
    telemetry.insert_spans(other)
    second = _add_rule(meta, project, clock, evaluator="pii", delay_s=0)
    EvalObserver(meta.engine, clock=clock)(other)
    db.delete_eval_rule(meta.engine, project, rule.id)
    jobs = {j.rule_id: j for j in db.list_jobs(meta.engine, project)}
    assert set(jobs) == {rule.id, second.id}  # the finished job of the deleted rule stays
    assert jobs[rule.id].status == "done"


def test_judge_budget_stops_enqueuing_for_the_day(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
    clock: Clock,
) -> None:
    judged = _add_rule(
        meta, project, clock, evaluator="relevance", delay_s=0, daily_budget_usd=0.01
    )
    local = _add_rule(meta, project, clock, evaluator="pii", delay_s=0, daily_budget_usd=0.0)
    fp.add_rule(Reply.json({"score": 0.9, "reasoning": "ok"}).with_usage(100_000, 1_000))
    observer = EvalObserver(meta.engine, clock=clock, rules_ttl_s=0)
    runner = JobRunner(meta.engine, telemetry, _factory(fp), clock=clock)

    first = _trace(project, clock, "Paris.")
    telemetry.insert_spans(first)
    observer(first)
    assert runner.run_once() == 2
    (spent,) = [j.cost_usd for j in db.list_jobs(meta.engine, project, rule_id=judged.id)]
    assert spent is not None
    assert spent > 0.01

    second = _trace(project, clock, "Paris again.")
    telemetry.insert_spans(second)
    observer(second)
    assert observer.skipped_over_budget == 1
    assert len(db.list_jobs(meta.engine, project, rule_id=judged.id)) == 1
    assert len(db.list_jobs(meta.engine, project, rule_id=local.id)) == 2  # checks are free

    clock.advance(24 * 3600)  # a new UTC day, a new budget
    third = _trace(project, clock, "Paris, tomorrow.")
    observer(third)
    assert len(db.list_jobs(meta.engine, project, rule_id=judged.id)) == 2


def test_service_threads_work_the_queue(
    meta: MetaStore,
    project: str,
    telemetry: ClickHouseTelemetryStore,
    fp: FakeProvider,
) -> None:
    clock = Clock()
    _add_rule(meta, project, clock, evaluator="pii", delay_s=0)
    _add_rule(meta, project, clock, evaluator="refusal", delay_s=0)
    spans = [s for _ in range(10) for s in _trace(project, clock, "Paris.")]
    telemetry.insert_spans(spans)
    service = EvalService(
        engine=meta.engine, store=telemetry, factory=_factory(fp), workers=3, poll_s=0.02
    )
    service.observer(spans)
    assert service.eval_queue_depth() == 20
    service.start()
    try:
        deadline = time.monotonic() + 60
        while service.eval_queue_depth() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.stop()
    jobs = db.list_jobs(meta.engine, project)
    assert [j.status for j in jobs] == ["done"] * 20
    assert all(j.attempts == 1 for j in jobs)  # no job ran twice
    stored = [telemetry.list_scores(project, span_id=s.span_id) for s in spans]
    assert sum(len(found) for found in stored) == 20
