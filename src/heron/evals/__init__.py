"""Evals: evaluators that score spans, with LLM judges or local checks.

``evaluate(EvalInput) -> EvalResult`` never raises and is thread-safe, so a
scheduler can run evaluators on worker threads; :func:`to_score` turns a
result into a stored :class:`heron.model.Score`. Online evaluation: rules
(:class:`EvalRule`), the span observer that enqueues jobs (:class:`EvalObserver`),
the job runner (:class:`JobRunner`) and the background service
(:class:`EvalService`); see ``README.md`` beside this file.
"""

from heron.evals.jobs import JobRunner, RetryPolicy, score_id_for
from heron.evals.judged import HallucinationEvaluator, QualityEvaluator, RelevanceEvaluator
from heron.evals.observer import EvalObserver
from heron.evals.registry import available, get_evaluator
from heron.evals.rules import EvalRule
from heron.evals.service import EvalService, build_eval_service
from heron.evals.template import TemplateEvaluator
from heron.evals.types import EvalInput, EvalLabel, EvalResult, Evaluator, to_score

__all__ = [
    "EvalInput",
    "EvalLabel",
    "EvalObserver",
    "EvalResult",
    "EvalRule",
    "EvalService",
    "Evaluator",
    "HallucinationEvaluator",
    "JobRunner",
    "QualityEvaluator",
    "RelevanceEvaluator",
    "RetryPolicy",
    "TemplateEvaluator",
    "available",
    "build_eval_service",
    "get_evaluator",
    "score_id_for",
    "to_score",
]
