"""Evals: evaluators that score spans, with LLM judges or local checks.

``evaluate(EvalInput) -> EvalResult`` never raises and is thread-safe, so a
scheduler can run evaluators on worker threads; :func:`to_score` turns a
result into a stored :class:`heron.model.Score`.
"""

from heron.evals.judged import HallucinationEvaluator, QualityEvaluator, RelevanceEvaluator
from heron.evals.registry import available, get_evaluator
from heron.evals.template import TemplateEvaluator
from heron.evals.types import EvalInput, EvalLabel, EvalResult, Evaluator, to_score

__all__ = [
    "EvalInput",
    "EvalLabel",
    "EvalResult",
    "Evaluator",
    "HallucinationEvaluator",
    "QualityEvaluator",
    "RelevanceEvaluator",
    "TemplateEvaluator",
    "available",
    "get_evaluator",
    "to_score",
]
