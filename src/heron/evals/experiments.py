"""Experiments: run a dataset through one or two generators and score each answer.

Each item's input is rendered into each side's prompt template, sent to that
side's model (:mod:`heron.evals.generator`), and the answer judged by the
experiment's evaluator with the item's ``expected`` as reference. Results are
stored side by side in the run row (kind ``experiment``); the comparison per
side is: mean score, pass rate, generation cost, judge cost, mean and p95
latency, and errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine

from heron.errors import ConfigError
from heron.evals.generator import GeneratorSpec, call_model, render_prompt
from heron.evals.judging import EvaluatorFactory
from heron.evals.rules import JudgeConfig, TemplateSpec
from heron.evals.types import EvalInput, Evaluator
from heron.model import Span
from heron.store.meta import eval_runs as runs_db

__all__ = ["ExperimentSpec", "compare_sides", "execute_experiment"]


class ExperimentSpec(BaseModel):
    """An experiment on a dataset: 1-2 generator sides and an evaluator."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    sides: list[GeneratorSpec] = Field(min_length=1, max_length=2)
    evaluator: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    template: TemplateSpec | None = None
    judge: JudgeConfig | None = None

    @model_validator(mode="after")
    def _checks(self) -> ExperimentSpec:
        if (self.evaluator is None) == (self.template is None):
            raise ValueError("give exactly one of 'evaluator' (a built-in name) or 'template'")
        labels = [side.side_label for side in self.sides]
        if len(set(labels)) != len(labels):
            raise ValueError(f"the sides need distinct labels (got {labels}); set 'label'")
        return self


def _span_for(project_id: str, prompt: str, output: str, side: GeneratorSpec, n: int) -> Span:
    """A synthetic LLM span carrying the prompt and answer, for the evaluator to read."""
    now = datetime.now(UTC)
    return Span(
        project_id=project_id,
        trace_id=f"{n:032x}",
        span_id=f"{n:016x}",
        name="experiment",
        start_time=now,
        end_time=now + timedelta(milliseconds=1),
        kind="llm",
        model=side.model,
        input_messages=[{"role": "user", "content": prompt}],
        output_messages=[{"role": "assistant", "content": output}],
    )


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def compare_sides(results: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """Per side: count, mean score, pass rate, costs, latency and errors."""
    table = []
    for position, label in enumerate(labels):
        cells = [item["sides"][position] for item in results]
        values = [c["value"] for c in cells if c.get("value") is not None]
        judged = [c for c in cells if c.get("label") in ("pass", "fail")]
        latencies = [c["latency_ms"] for c in cells if c.get("error") is None]
        gen_costs = [c["cost_usd"] for c in cells if c.get("cost_usd") is not None]
        eval_costs = [c["eval_cost_usd"] for c in cells if c.get("eval_cost_usd") is not None]
        table.append(
            {
                "side": label,
                "count": len(cells),
                "mean_score": sum(values) / len(values) if values else None,
                "pass_rate": sum(c["label"] == "pass" for c in judged) / len(judged)
                if judged
                else None,
                "cost_usd": sum(gen_costs) if gen_costs else None,
                "eval_cost_usd": sum(eval_costs) if eval_costs else None,
                "latency_mean_ms": sum(latencies) / len(latencies) if latencies else None,
                "latency_p95_ms": _p95(latencies),
                "errors": sum(c.get("error") is not None for c in cells),
            }
        )
    return table


def _cell(
    evaluator: Evaluator, side: GeneratorSpec, item: dict[str, Any], project_id: str, n: int
) -> dict[str, Any]:
    prompt = render_prompt(side.prompt_template, item.get("input"))
    generation = call_model(side, prompt)
    cell: dict[str, Any] = {
        "output": generation.output,
        "latency_ms": generation.latency_ms,
        "cost_usd": generation.cost_usd,
        "input_tokens": generation.input_tokens,
        "output_tokens": generation.output_tokens,
        "error": generation.error,
        "value": None,
        "label": None,
        "reasoning": None,
        "eval_cost_usd": None,
    }
    if generation.error is not None:
        return cell
    expected = item.get("expected")
    result = evaluator.evaluate(
        EvalInput(
            span=_span_for(project_id, prompt, generation.output, side, n),
            expected=None if expected is None else str(expected),
        )
    )
    cell.update(
        value=result.value,
        label=result.label,
        reasoning=result.reasoning,
        eval_cost_usd=result.cost_usd,
        flags=list(result.flags),
    )
    return cell


def execute_experiment(
    run: runs_db.RunRecord,
    *,
    engine: Engine,
    factory: EvaluatorFactory,
    clock: Callable[[], datetime],
) -> list[dict[str, Any]]:
    """Run a claimed experiment to the end; returns the per-side comparison."""
    try:
        spec = ExperimentSpec.model_validate(run.spec["experiment"])
        dataset = runs_db.get_dataset(engine, run.project_id, str(run.spec["dataset_id"]))
        evaluator = factory.build(
            evaluator=spec.evaluator, config=spec.config, template=spec.template, judge=spec.judge
        )
        total = len(dataset.items)
        runs_db.update_run_progress(engine, run.id, done=0, total=total)
        results = []
        for index, item in enumerate(dataset.items):
            cells = [_cell(evaluator, side, item, run.project_id, index + 1) for side in spec.sides]
            results.append(
                {
                    "index": index,
                    "input": item.get("input"),
                    "expected": item.get("expected"),
                    "sides": cells,
                }
            )
            runs_db.update_run_progress(engine, run.id, done=index + 1, total=total)
        labels = [side.side_label for side in spec.sides]
        comparison = compare_sides(results, labels)
    except Exception as exc:
        message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        runs_db.finish_run(engine, run.id, status="error", now=clock(), error=message)
        raise
    summary = {"evaluator": evaluator.name, "sides": comparison}
    runs_db.finish_run(engine, run.id, status="done", now=clock(), summary=summary, results=results)
    return comparison
