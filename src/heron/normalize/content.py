"""Content capture switched off (``HERON_CAPTURE_CONTENT=false``): keep counts, drop text.

Dropped: input/output messages, system prompt, input/output values, tool-call
arguments (ids and names stay), prompt-template variables (the template text and
hash stay: they are the application's code, not its users' data), and every raw
attribute or span-event attribute that carries prompt or completion content.
"""

from __future__ import annotations

from heron.model import Span, SpanEvent, ToolCall

__all__ = ["ContentDropper", "is_content_key"]

_CONTENT_KEYS = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.tool.args",
        "gen_ai.tool.definitions",
        "input.value",
        "output.value",
        "llm.prompt_template.variables",
        "traceloop.entity.input",
        "traceloop.entity.output",
        "traceloop.prompt.template_variables",
        "llm.invocation_parameters",
        "content",
        "message",
        "tool_calls",
    }
)
_CONTENT_PREFIXES = (
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "llm.input_messages.",
    "llm.output_messages.",
    "llm.prompts.",
    "llm.completions.",
    "traceloop.prompt.template_variables.",
)
_MESSAGE_EVENTS = frozenset(
    {
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.tools.message",
        "gen_ai.choice",
        "gen_ai.content.prompt",
        "gen_ai.content.completion",
        "gen_ai.client.inference.operation.details",
    }
)


def is_content_key(key: str) -> bool:
    """True for an attribute key whose value is prompt or completion content."""
    return key in _CONTENT_KEYS or key.startswith(_CONTENT_PREFIXES)


class ContentDropper:
    """Processor removing prompt/completion content from a span, keeping its counts."""

    def __call__(self, span: Span) -> Span:
        span.input_messages = []
        span.output_messages = []
        span.system_prompt = None
        span.input_value = None
        span.output_value = None
        span.prompt_template_variables = {}
        span.tool_calls = [
            ToolCall(id=call["id"], name=call["name"], arguments="") for call in span.tool_calls
        ]
        span.attributes = {k: v for k, v in span.attributes.items() if not is_content_key(k)}
        span.events = [_without_content(event) for event in span.events]
        return span


def _without_content(event: SpanEvent) -> SpanEvent:
    attributes = event["attributes"]
    if event["name"] in _MESSAGE_EVENTS:
        attributes = {
            k: v
            for k, v in attributes.items()
            if k in ("gen_ai.system", "index", "finish_reason", "role")
        }
    else:
        attributes = {k: v for k, v in attributes.items() if not is_content_key(k)}
    return SpanEvent(name=event["name"], time=event["time"], attributes=attributes)
