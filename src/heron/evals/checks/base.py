"""Shared shape of the local (model-free) checks.

A check's value is 1.0 when nothing was found (``pass``) and 0.0 when it
found something (``fail``); flags name each finding (``pii:email``) and the
reasoning counts them, never quoting the text found, which may be a secret.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from heron.evals.types import EvalInput, EvalResult

__all__ = ["LocalCheck", "findings_result", "not_applicable"]


class LocalCheck:
    """Base of the model-free checks: stateless, thread-safe, fast."""

    name = "local"
    needs_model = False

    def evaluate(self, item: EvalInput) -> EvalResult:
        """Check one span."""
        raise NotImplementedError


def findings_result(name: str, flags: Iterable[str], what: str) -> EvalResult:
    """``fail`` with counted flags when there are findings, else ``pass``."""
    counts = Counter(flags)
    if not counts:
        return EvalResult(evaluator=name, label="pass", value=1.0, reasoning=f"no {what} found")
    summary = ", ".join(f"{n} x {flag}" for flag, n in sorted(counts.items()))
    return EvalResult(
        evaluator=name,
        label="fail",
        value=0.0,
        reasoning=f"found {what}: {summary}",
        flags=sorted(counts),
    )


def not_applicable(name: str, why: str) -> EvalResult:
    """Nothing to check on this span."""
    return EvalResult(
        evaluator=name,
        label="pass",
        value=1.0,
        reasoning=why,
        flags=["not_applicable"],
        applicable=False,
    )
