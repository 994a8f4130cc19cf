"""Built-in evaluators by name: ``get_evaluator("pii")``, ``get_evaluator("quality", judge=j)``.

LLM evaluators need a ``judge`` (a :class:`StructuredJudge`, see
:func:`heron.evals.judges.create_judge`); local checks take none. Remaining
keyword arguments go to the evaluator's constructor (``threshold=``...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heron.errors import ConfigError
from heron.evals.checks import (
    InjectionCheck,
    JsonOutputCheck,
    LanguageMismatchCheck,
    PiiCheck,
    RefusalCheck,
    TruncationCheck,
)
from heron.evals.judged import HallucinationEvaluator, QualityEvaluator, RelevanceEvaluator
from heron.evals.judges.base import StructuredJudge
from heron.evals.template import TemplateEvaluator
from heron.evals.types import Evaluator

__all__ = ["JUDGED", "LOCAL", "available", "get_evaluator"]

LOCAL: dict[str, Callable[..., Evaluator]] = {
    "pii": PiiCheck,
    "prompt_injection": InjectionCheck,
    "json_validity": JsonOutputCheck,
    "refusal": RefusalCheck,
    "empty_or_truncated": TruncationCheck,
    "language_mismatch": LanguageMismatchCheck,
}
"""Model-free checks."""

JUDGED: dict[str, Callable[..., Evaluator]] = {
    "quality": QualityEvaluator,
    "hallucination": HallucinationEvaluator,
    "relevance": RelevanceEvaluator,
    "template": TemplateEvaluator,
}
"""LLM-as-judge evaluators (need ``judge=``)."""


def available() -> list[str]:
    """Names of every built-in evaluator."""
    return sorted([*LOCAL, *JUDGED])


def get_evaluator(name: str, *, judge: StructuredJudge | None = None, **config: Any) -> Evaluator:
    """Build the built-in evaluator ``name`` with ``config``; ConfigError when misused."""
    try:
        if name in LOCAL:
            if judge is not None:
                raise ConfigError(f"evaluator {name!r} is a local check and takes no judge")
            return LOCAL[name](**config)
        if name in JUDGED:
            if judge is None:
                raise ConfigError(
                    f"evaluator {name!r} is an LLM judge evaluator: pass judge=create_judge(...) "
                    "(configure a judge provider, model and API key)"
                )
            return JUDGED[name](judge, **config)
    except TypeError as exc:
        raise ConfigError(f"bad configuration for evaluator {name!r}: {exc}") from exc
    raise ConfigError(f"unknown evaluator {name!r}; built-ins are: {', '.join(available())}")
