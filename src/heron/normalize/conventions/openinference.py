"""OpenInference (Arize Phoenix) conventions: ``openinference.span.kind``, ``llm.*``,
``input.value``/``output.value``, ``user.id``/``session.id``/``tag.tags``/``metadata``,
``llm.prompt_template.*`` and ``llm.cost.*``.

``llm.token_count.prompt`` already includes cache reads and writes, which are
reported apart as ``llm.token_count.prompt_details.{cache_read,cache_write}``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from heron.model import Span
from heron.normalize import messages
from heron.normalize.coerce import as_bool, as_float, as_int, as_str, as_str_list, first, loads_json
from heron.normalize.conventions.genai import normalize_provider
from heron.normalize.conventions.reading import Reading, mentions

__all__ = ["applies", "read"]

_KINDS = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "CHAIN": "chain",
    "TOOL": "tool",
    "AGENT": "agent",
    "RETRIEVER": "retriever",
    "RERANKER": "reranker",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
}
_OPERATIONS = {"llm": "chat", "embedding": "embeddings", "tool": "execute_tool"}
FIRST_TOKEN_EVENT = "First Token Stream Event"  # noqa: S105 - an event name, not a secret


# Every attribute key ``read`` looks at starts with one of these.
_KEY_PREFIXES = (
    "openinference.",
    "llm.",
    "input.value",
    "output.value",
    "user.id",
    "session.id",
    "tag.tags",
    "metadata",
)
_EVENT_PREFIXES = (FIRST_TOKEN_EVENT,)


def applies(span: Span) -> bool:
    """False when ``read(span)`` would be empty: none of its keys or events are present."""
    return mentions(span, _KEY_PREFIXES, _EVENT_PREFIXES)


def read(span: Span) -> Reading:
    """What the OpenInference keys say about the span."""
    a = span.attributes
    kind_value = as_str(a.get("openinference.span.kind"))
    kind = _KINDS.get(kind_value.upper()) if kind_value else None
    reading = Reading(
        kind=kind,
        operation=_operation(kind, a),
        user_id=as_str(a.get("user.id")),
        session_id=as_str(a.get("session.id")),
        tags=as_str_list(a.get("tag.tags")),
        metadata=_metadata(a.get("metadata")),
        input_value=as_str(a.get("input.value")),
        output_value=as_str(a.get("output.value")),
    )
    if any(event["name"] == FIRST_TOKEN_EVENT for event in span.events):
        reading.streaming = True
    # Chains, tools and retrievers carry no llm.* key: skip the twenty lookups and
    # two message scans below, which are most of this reader's time.
    if any(key.startswith("llm.") for key in a):
        _read_llm(a, reading)
    return reading


def _read_llm(a: dict[str, Any], reading: Reading) -> None:
    """The ``llm.*`` keys: model, parameters, tokens, messages, template and cost."""
    params = loads_json(a.get("llm.invocation_parameters"))
    params = params if isinstance(params, dict) else {}
    request_model = as_str(first(a, "llm.request.model_name")) or as_str(params.get("model"))
    model_name = as_str(a.get("llm.model_name"))
    response_model = as_str(a.get("llm.response.model_name"))
    if response_model is None and model_name is not None and model_name != request_model:
        # llm.model_name is the response's model when the library saw a response,
        # the requested one otherwise (errors): only a different name is a response.
        response_model = model_name
    if request_model is None:
        request_model = model_name
    if reading.streaming is None:
        reading.streaming = as_bool(params.get("stream"))
    reading.provider = normalize_provider(first(a, "llm.provider", "llm.system"))
    reading.request_model = request_model
    reading.response_model = response_model
    reading.input_tokens = as_int(a.get("llm.token_count.prompt"))
    reading.cached_input_tokens = as_int(a.get("llm.token_count.prompt_details.cache_read"))
    reading.cache_write_input_tokens = as_int(a.get("llm.token_count.prompt_details.cache_write"))
    reading.output_tokens = as_int(a.get("llm.token_count.completion"))
    reading.reasoning_tokens = as_int(a.get("llm.token_count.completion_details.reasoning"))
    reading.total_tokens = as_int(a.get("llm.token_count.total"))
    reading.finish_reasons_raw = as_str_list(a.get("llm.finish_reason"))
    reading.input_messages = messages.from_openinference(a, "llm.input_messages.")
    reading.output_messages = messages.from_openinference(a, "llm.output_messages.")
    reading.prompt_template = as_str(a.get("llm.prompt_template.template"))
    reading.prompt_template_version = as_str(a.get("llm.prompt_template.version"))
    reading.prompt_template_variables = _variables(a.get("llm.prompt_template.variables"))
    reading.cost_usd, reading.cost_note = _reported_cost(a)


def _operation(kind: str | None, a: dict[str, Any]) -> str | None:
    if kind == "llm" and any(key.startswith("llm.prompts.") for key in a):
        return "text_completion"
    return _OPERATIONS.get(kind) if kind else None


def _metadata(value: Any) -> dict[str, Any] | None:
    parsed = loads_json(value)
    if isinstance(parsed, dict):
        return parsed
    return {"metadata": value} if value is not None else None


def _variables(value: Any) -> dict[str, Any] | None:
    parsed = loads_json(value)
    return parsed if isinstance(parsed, dict) else None


def _reported_cost(a: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    total = as_float(a.get("llm.cost.total"))
    if total is not None:
        return _decimal(total), "cost as reported by OpenInference (llm.cost.total)"
    parts = [
        value
        for key in ("llm.cost.prompt", "llm.cost.completion")
        if (value := as_float(a.get(key))) is not None
    ]
    if parts:
        return (
            _decimal(sum(parts)),
            "cost as reported by OpenInference (llm.cost.prompt + llm.cost.completion)",
        )
    return None, None


def _decimal(value: float) -> Decimal | None:
    try:
        return Decimal(str(value)) if value >= 0 else None
    except InvalidOperation:
        return None
