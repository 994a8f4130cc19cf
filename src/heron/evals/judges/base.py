"""What every judge returns, and the parts the providers share (cost, JSON recovery).

:class:`StructuredJudge` is the richer sibling of :class:`heron.protocols.Judge`:
it returns the raw :class:`JudgeReply` (text, structured data, usage, cost) so
an evaluator can record tokens and cost and explain a failure. Every judge
here implements both: ``judge()`` is ``complete()`` plus parsing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from heron.errors import JudgeError

__all__ = [
    "JudgeReply",
    "StructuredJudge",
    "estimate_cost",
    "extract_json_object",
    "structured_answer",
]

TOOL_NAME = "submit_evaluation"
"""Name of the forced tool / json_schema that carries the judge's answer."""


@dataclass(frozen=True, slots=True)
class JudgeReply:
    """One judge answer as the provider gave it.

    ``data`` is the structured answer when the provider delivered one (tool
    input, or a JSON body under ``response_format``); ``text`` is any text the
    model wrote. ``input_tokens`` includes cache reads and writes (span-model rule).
    """

    judge: str
    model: str
    text: str = ""
    data: dict[str, Any] | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    cost_usd: float | None = None


@runtime_checkable
class StructuredJudge(Protocol):
    """A model asked for a JSON object matching ``schema``; returns the raw reply."""

    name: str
    model: str

    def complete(self, system: str, prompt: str, schema: dict[str, Any]) -> JudgeReply:
        """Call the model once (the client retries); raise JudgeError on HTTP errors/timeouts."""
        ...

    def judge(self, system: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
        """``complete`` then :func:`structured_answer` (the :class:`heron.protocols.Judge` API)."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...


def estimate_cost(
    provider: str,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
) -> float | None:
    """Cost in USD from ``genai-prices`` (offline data), or None for an unknown model."""
    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )
    try:
        price = calc_price(usage, model_ref=model, provider_id=provider)
    except LookupError:
        try:  # an OpenAI-compatible gateway may serve another provider's model
            price = calc_price(usage, model_ref=model)
        except LookupError:
            return None
    total = price.total_price
    return float(total) if isinstance(total, Decimal | int | float) else None


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``: whole, inside a code fence, or amid prose.

    Tries, in order: the whole text, each fenced block, then every ``{`` as a
    start for ``JSONDecoder.raw_decode`` (which stops at the object's end, so
    trailing prose is fine). Returns None when no object is found.
    """
    candidates = [text.strip()] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def structured_answer(reply: JudgeReply) -> dict[str, Any]:
    """The structured answer of ``reply``, recovered from text when needed.

    Raises :class:`JudgeError` with reason ``refusal`` or ``unparseable``.
    """
    if reply.data is not None:
        return reply.data
    if reply.refusal is not None:
        raise JudgeError(
            f"judge {reply.judge} ({reply.model}) refused to evaluate: {reply.refusal[:200]}",
            reason="refusal",
        )
    found = extract_json_object(reply.text)
    if found is None:
        snippet = reply.text.strip().replace("\n", " ")[:160]
        reason = "truncated" if reply.finish_reason in ("length", "max_tokens") else "unparseable"
        raise JudgeError(
            f"judge {reply.judge} ({reply.model}) answered without a JSON object "
            f"(finish reason {reply.finish_reason!r}): {snippet!r}",
            reason=reason,
        )
    return found
