"""Offline eval runs: score past spans of a time range with a rule's or a named evaluator.

A run is recorded in the metadata DB (``eval_runs``, kind ``run``) when it is
asked for, executed by the eval service, and shows its progress (``done`` of
``total``) and, when finished, a summary: count, pass / fail / unclear, not
applicable, mean score and judge cost. Scores get the same deterministic id
as online evaluation (``rule:<id>`` or ``evaluator:<name>`` with the span id),
so running again re-scores a span instead of counting it twice.

Spans are found through the store's trace list (traces whose root started in
the range), then filtered by the span filter, up to ``limit`` spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine

from heron.errors import ConfigError
from heron.evals.jobs import build_input, score_id_for
from heron.evals.judging import EvaluatorFactory
from heron.evals.rules import EvalRule, JudgeConfig, SpanFilter, TemplateSpec
from heron.evals.types import EvalResult, Evaluator, to_score
from heron.model import Score, Span, TimeRange, TraceFilter
from heron.protocols import TelemetryStore
from heron.store.meta import eval_runs as runs_db
from heron.store.meta import evals as db

__all__ = ["RunSpec", "execute_run", "iter_spans", "summarize"]

MAX_RUN_SPANS = 100_000


class RunSpec(BaseModel):
    """What an offline run scores: a rule or an evaluator, a time range, filters, a limit."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str | None = None
    evaluator: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    template: TemplateSpec | None = None
    judge: JudgeConfig | None = None
    start: datetime
    end: datetime
    filter: SpanFilter | None = Field(None, description="Default: the rule's, else LLM spans.")
    limit: int = Field(1000, ge=1, le=MAX_RUN_SPANS)

    @model_validator(mode="after")
    def _one_source(self) -> RunSpec:
        given = [x for x in (self.rule_id, self.evaluator, self.template) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'rule_id', 'evaluator' or 'template'")
        if self.end <= self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")
        return self


def summarize(results: Sequence[EvalResult]) -> dict[str, Any]:
    """Counts by label, the mean score of applicable results and the judge cost."""
    applicable = [r for r in results if r.applicable]
    values = [r.value for r in applicable if r.value is not None]
    costs = [r.cost_usd for r in results if r.cost_usd is not None]
    return {
        "count": len(results),
        "pass": sum(r.label == "pass" for r in applicable),
        "fail": sum(r.label == "fail" for r in applicable),
        "unclear": sum(r.label == "unclear" for r in applicable),
        "not_applicable": len(results) - len(applicable),
        "mean_score": sum(values) / len(values) if values else None,
        "cost_usd": sum(costs) if costs else None,
    }


def iter_spans(
    store: TelemetryStore, project_id: str, time: TimeRange, flt: SpanFilter, limit: int
) -> Iterator[tuple[Span, list[Span]]]:
    """``(span, its trace)`` of spans selected by ``flt`` in traces started in ``time``."""
    cursor: str | None = None
    found = 0
    while True:
        page = store.list_traces(project_id, TraceFilter(time=time), cursor=cursor, limit=200)
        for summary in page.items:
            trace = store.get_trace(project_id, summary.trace_id)
            for span in trace:
                if span.duplicate_of is None and flt.matches(span):
                    yield span, trace
                    found += 1
                    if found >= limit:
                        return
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _resolve(
    spec: RunSpec, engine: Engine, project_id: str, factory: EvaluatorFactory
) -> tuple[Evaluator, str, str, SpanFilter, bool]:
    """(evaluator, score-id key, score name, span filter, include_session) of a run."""
    if spec.rule_id is not None:
        record = db.get_eval_rule(engine, project_id, spec.rule_id)
        rule = EvalRule.from_record(
            record.project_id, record.id, record.name, record.definition, record.enabled
        )
        evaluator = factory.cached(
            evaluator=rule.evaluator, config=rule.config, template=rule.template, judge=rule.judge
        )
        return (
            evaluator,
            f"rule:{rule.id}",
            rule.score_label,
            spec.filter or rule.filter,
            rule.include_session,
        )
    evaluator = factory.build(
        evaluator=spec.evaluator, config=spec.config, template=spec.template, judge=spec.judge
    )
    return (
        evaluator,
        f"evaluator:{evaluator.name}",
        evaluator.name,
        spec.filter or SpanFilter(),
        False,
    )


def execute_run(
    run: runs_db.RunRecord,
    *,
    engine: Engine,
    store: TelemetryStore,
    factory: EvaluatorFactory,
    clock: Callable[[], datetime],
    score_observers: Sequence[Callable[[Sequence[Score]], None]] = (),
    batch: int = 50,
) -> dict[str, Any]:
    """Run a claimed offline run to the end, recording progress and the summary."""
    try:
        spec = RunSpec.model_validate(run.spec)
        evaluator, key, name, flt, with_session = _resolve(spec, engine, run.project_id, factory)
        selected = list(
            iter_spans(store, run.project_id, TimeRange(spec.start, spec.end), flt, spec.limit)
        )
        runs_db.update_run_progress(engine, run.id, done=0, total=len(selected))
        results: list[EvalResult] = []
        pending: list[Score] = []
        for index, (span, trace) in enumerate(selected, 1):
            item = build_input(store, span, trace, include_session=with_session)
            result = evaluator.evaluate(item)
            results.append(result)
            if result.applicable:
                score = to_score(
                    result,
                    span,
                    name=name,
                    score_id=score_id_for(key, span.span_id),
                    created_at=clock(),
                )
                score.metadata["run_id"] = run.id
                pending.append(score)
            if len(pending) >= batch or index == len(selected):
                _store(store, pending, score_observers)
                pending = []
                runs_db.update_run_progress(engine, run.id, done=index, total=len(selected))
        summary = {"evaluator": evaluator.name, **summarize(results)}
    except Exception as exc:
        message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        runs_db.finish_run(engine, run.id, status="error", now=clock(), error=message)
        raise
    runs_db.finish_run(engine, run.id, status="done", now=clock(), summary=summary)
    return summary


def _store(
    store: TelemetryStore,
    scores: list[Score],
    observers: Sequence[Callable[[Sequence[Score]], None]],
) -> None:
    if not scores:
        return
    store.insert_scores(scores)
    for observe in observers:
        observe(scores)
