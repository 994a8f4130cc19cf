"""Empty or truncated output: nothing said, or cut off by the token limit.

An output with tool calls and no text is not empty (the model acted); an
output that stopped for ``length`` (OpenAI) / ``max_tokens`` (Anthropic) is
truncated whatever it says.
"""

from __future__ import annotations

from heron.evals.checks.base import LocalCheck
from heron.evals.context import output_text
from heron.evals.types import EvalInput, EvalResult

__all__ = ["TruncationCheck"]


class TruncationCheck(LocalCheck):
    """Flags ``output:empty`` and ``output:truncated`` on LLM spans."""

    def __init__(self) -> None:
        self.name = "empty_or_truncated"

    def evaluate(self, item: EvalInput) -> EvalResult:
        """``fail`` on an empty or length-truncated answer."""
        span = item.span
        flags = []
        if "length" in span.finish_reasons or any(
            raw in ("length", "max_tokens", "MAX_TOKENS") for raw in span.finish_reasons_raw
        ):
            flags.append("output:truncated")
        has_tools = bool(span.tool_calls) or any(m.get("tool_calls") for m in span.output_messages)
        if not output_text(span).strip() and not has_tools and span.status != "error":
            flags.append("output:empty")
        if flags:
            return EvalResult(
                evaluator=self.name,
                label="fail",
                value=0.0,
                reasoning="output is " + " and ".join(f.split(":")[1] for f in flags),
                flags=flags,
            )
        return EvalResult(evaluator=self.name, label="pass", value=1.0, reasoning="output complete")
