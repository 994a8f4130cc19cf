"""OTel GenAI semantic conventions, current and older names (also OpenLLMetry's ``llm.*``).

Current: ``gen_ai.provider.name``, ``gen_ai.usage.input_tokens`` (cache included),
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_write.input_tokens``
(earlier ``cache_creation.input_tokens``), ``gen_ai.input.messages`` JSON parts ...
Older: ``gen_ai.system``, ``gen_ai.usage.prompt_tokens``/``completion_tokens``,
flattened ``gen_ai.prompt.N.*``/``gen_ai.completion.N.*``, per-message events,
``gen_ai.usage.cache_read_input_tokens``, ``llm.request.type``, ``llm.usage.total_tokens``,
``llm.is_streaming``, ``gen_ai.is_streaming``. Where several spellings are present
the newest wins (keys are listed newest first).
"""

from __future__ import annotations

from heron.model import Message, Span
from heron.normalize import messages
from heron.normalize.coerce import as_bool, as_float, as_int, as_str, as_str_list, first
from heron.normalize.conventions.reading import Reading, mentions

__all__ = ["applies", "kind_for", "normalize_operation", "normalize_provider", "read"]

# gen_ai.operation.name values (and older spellings) -> heron operation.
_OPERATIONS = {
    "chat": "chat",
    "text_completion": "text_completion",
    "completion": "text_completion",
    "generate_content": "generate_content",
    "embeddings": "embeddings",
    "embedding": "embeddings",
    "execute_tool": "execute_tool",
    "invoke_agent": "invoke_agent",
    "create_agent": "create_agent",
    "retrieval": "retrieval",
    "rerank": "rerank",
}
_KIND_BY_OPERATION = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "retrieval": "retriever",
    "rerank": "reranker",
}
# Provider spellings seen in the wild -> the lower-case name heron reports.
_PROVIDER_ALIASES = {
    "azure_openai": "azure.ai.openai",
    "az.ai.openai": "azure.ai.openai",
    "mistral_ai": "mistral_ai",
    "vertex_ai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "google.ai.studio": "gcp.gemini",
    "bedrock": "aws.bedrock",
}

_STREAM_KEYS = (
    "gen_ai.request.stream",
    "gen_ai.is_streaming",
    "llm.is_streaming",
    "gen_ai.request.is_stream",
)
_INPUT_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
_CACHE_READ_KEYS = ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")
_CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
)
_OUTPUT_KEYS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
_REASONING_KEYS = ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens")
_TOTAL_KEYS = ("gen_ai.usage.total_tokens", "llm.usage.total_tokens")


def normalize_provider(value: object) -> str | None:
    """Lower-case provider name with a few aliases folded together."""
    text = as_str(value)
    if text is None:
        return None
    lowered = text.strip().lower()
    return _PROVIDER_ALIASES.get(lowered, lowered)


def normalize_operation(value: object) -> str | None:
    """heron's operation name for a ``gen_ai.operation.name`` / ``llm.request.type`` value."""
    text = as_str(value)
    if text is None:
        return None
    lowered = text.strip().lower()
    return _OPERATIONS.get(lowered, lowered)


def kind_for(operation: str | None, reading: Reading) -> str | None:
    """The span kind an operation implies; a model with usage or a provider implies ``llm``."""
    if operation is not None and operation in _KIND_BY_OPERATION:
        return _KIND_BY_OPERATION[operation]
    has_model = reading.request_model is not None or reading.response_model is not None
    has_usage = reading.input_tokens is not None or reading.output_tokens is not None
    if has_model and (has_usage or reading.provider is not None):
        return "llm"
    return None


# Every attribute key ``read`` looks at starts with one of these; every span event it
# reads messages from is named ``gen_ai.*``.
_KEY_PREFIXES = (
    "gen_ai.",
    "llm.request.type",
    "llm.is_streaming",
    "llm.usage.total_tokens",
    "llm.user",
    "error.type",
)
_EVENT_PREFIXES = ("gen_ai.",)


def applies(span: Span) -> bool:
    """False when ``read(span)`` would be empty: none of its keys or events are present."""
    return mentions(span, _KEY_PREFIXES, _EVENT_PREFIXES)


def read(span: Span) -> Reading:
    """Everything the OTel GenAI names (any generation) say about the span."""
    a = span.attributes
    operation = normalize_operation(first(a, "gen_ai.operation.name", "llm.request.type"))
    streaming = next((b for key in _STREAM_KEYS if (b := as_bool(a.get(key))) is not None), None)
    reading = Reading(
        provider=normalize_provider(first(a, "gen_ai.provider.name", "gen_ai.system")),
        operation=operation,
        request_model=as_str(a.get("gen_ai.request.model")),
        response_model=as_str(a.get("gen_ai.response.model")),
        streaming=streaming,
        input_tokens=as_int(first(a, *_INPUT_KEYS)),
        cached_input_tokens=as_int(first(a, *_CACHE_READ_KEYS)),
        cache_write_input_tokens=as_int(first(a, *_CACHE_WRITE_KEYS)),
        output_tokens=as_int(first(a, *_OUTPUT_KEYS)),
        reasoning_tokens=as_int(first(a, *_REASONING_KEYS)),
        total_tokens=as_int(first(a, *_TOTAL_KEYS)),
        user_id=as_str(first(a, "gen_ai.user", "llm.user")),
        session_id=as_str(a.get("gen_ai.conversation.id")),
        error_type=as_str(a.get("error.type")),
    )
    reading.ttft_ms = _ttft_ms(a, streaming)
    if reading.ttft_ms is not None:
        # Only streamed responses have a first chunk; its presence proves streaming.
        reading.streaming = True
    _read_messages(span, reading)
    reading.kind = kind_for(operation, reading)
    return reading


def _ttft_ms(a: dict[str, object], streaming: bool | None) -> float | None:
    seconds = as_float(a.get("gen_ai.response.time_to_first_chunk"))
    if seconds is None and streaming:
        # OpenLIT sets this on non-streamed spans too, where it is the whole latency.
        seconds = as_float(a.get("gen_ai.server.time_to_first_token"))
    return seconds * 1000.0 if seconds is not None and seconds >= 0 else None


def _read_messages(span: Span, reading: Reading) -> None:
    a = span.attributes
    event_in, event_out = messages.from_events(span.events)
    reading.input_messages = (
        messages.from_parts_json(a.get("gen_ai.input.messages"))
        or messages.from_flat(a, "gen_ai.prompt.", "user")
        or _single(a.get("gen_ai.prompt"), "user")
        or event_in
    )
    reading.output_messages = (
        messages.from_parts_json(a.get("gen_ai.output.messages"))
        or messages.from_flat(a, "gen_ai.completion.", "assistant")
        or _single(a.get("gen_ai.completion"), "assistant")
        or event_out
    )
    reading.system_prompt = messages.system_from_instructions(a.get("gen_ai.system_instructions"))
    reading.finish_reasons_raw = (
        as_str_list(a.get("gen_ai.response.finish_reasons"))
        or messages.flat_finish_reasons(a, "gen_ai.completion.")
        or messages.finish_reasons_from_parts_json(a.get("gen_ai.output.messages"))
    )


def _single(value: object, role: str) -> list[Message] | None:
    """OpenLIT's older whole-prompt text attribute as one message."""
    text = as_str(value)
    return [Message(role=role, content=text)] if text is not None else None
