"""Chat messages from any convention, as ``{role, content, tool_calls?, tool_call_id?}``.

Parsers (used by the convention mappers):

- :func:`from_parts_json` -- OTel GenAI ``gen_ai.input.messages`` / ``gen_ai.output.messages``:
  JSON arrays of ``{role, parts: [{type: text|tool_call|tool_call_response|...}]}``;
- :func:`system_from_instructions` -- ``gen_ai.system_instructions`` (JSON parts or text);
- :func:`from_flat` -- older flattened ``gen_ai.prompt.N.{role,content,tool_calls.M.*}``;
- :func:`from_openinference` -- ``llm.input_messages.N.message.{role,content,contents,tool_calls}``;
- :func:`from_events` -- per-message span events (``gen_ai.user.message``, ``gen_ai.choice``, ...).

Every parser tolerates nulls, unknown keys and bad JSON (it returns what it could
read, or None). :class:`MessageDerivations` is the processor that fills the fields
derived from messages: system prompt, requested tool calls, input/output value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from heron.model import Message, Span, SpanEvent, ToolCall
from heron.normalize.coerce import as_str, loads_json, text_of

__all__ = [
    "MessageDerivations",
    "arguments_text",
    "content_text",
    "finish_reasons_from_parts_json",
    "flat_finish_reasons",
    "from_events",
    "from_flat",
    "from_openinference",
    "from_parts_json",
    "indexed",
    "system_from_instructions",
]

_SYSTEM_ROLES = ("system", "developer")
_INDEX = re.compile(r"^(\d+)\.(.+)$")


def indexed(attrs: Mapping[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    """Group flattened ``<prefix>N.<rest>`` attributes by N (ascending) into ``{rest: value}``."""
    groups: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        match = _INDEX.match(key[len(prefix) :])
        if match is None:
            continue
        groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return dict(sorted(groups.items()))


def arguments_text(value: Any) -> str:
    """Tool-call arguments as the JSON text the model produced (objects serialized)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return text_of(value) or ""


def content_text(value: Any) -> str | None:
    """The text of a message content: a string, or the text blocks of a block list."""
    if value is None:
        return None
    if isinstance(value, str):
        parsed = loads_json(value) if value.lstrip().startswith("[") else None
        if (
            isinstance(parsed, list)
            and parsed
            and all(isinstance(block, dict) and "type" in block for block in parsed)
        ):
            # Some libraries store Anthropic-style content blocks as JSON text.
            return _blocks_text(parsed)
        return value
    if isinstance(value, list):
        return _blocks_text(value)
    if isinstance(value, dict):
        return as_str(value.get("text")) or as_str(value.get("content")) or text_of(value)
    return text_of(value)


def _blocks_text(blocks: Sequence[Any]) -> str | None:
    texts = []
    for block in blocks:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") in (
            None,
            "text",
            "input_text",
            "output_text",
        ):
            text = block.get("text", block.get("content"))
            if isinstance(text, str):
                texts.append(text)
    return "\n".join(texts) if texts else None


def _message(
    role: str,
    content: str | None,
    tool_calls: list[ToolCall] | None = None,
    tool_call_id: str | None = None,
) -> Message:
    message = Message(role=role, content=content)
    if tool_calls:
        message["tool_calls"] = tool_calls
    if tool_call_id:
        message["tool_call_id"] = tool_call_id
    return message


def _tool_call(call_id: Any, name: Any, arguments: Any) -> ToolCall:
    return ToolCall(
        id=as_str(call_id), name=as_str(name) or "", arguments=arguments_text(arguments)
    )


# --- OTel GenAI JSON parts -------------------------------------------------------------


def from_parts_json(value: Any) -> list[Message] | None:
    """Messages from ``gen_ai.{input,output}.messages`` JSON; None when absent or unreadable."""
    items = loads_json(value)
    if not isinstance(items, list):
        return None
    messages: list[Message] = []
    for item in items:
        if isinstance(item, dict):
            messages.extend(_from_parts_message(item))
    return messages


def _from_parts_message(item: Mapping[str, Any]) -> list[Message]:
    role = as_str(item.get("role")) or "user"
    parts = item.get("parts")
    if not isinstance(parts, list):
        # A few emitters put plain ``content`` where the spec has parts.
        return [_message(role, content_text(item.get("content")))]
    texts: list[str] = []
    calls: list[ToolCall] = []
    responses: list[Message] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("content", part.get("text"))
            if isinstance(text, str):
                texts.append(text)
        elif kind == "tool_call":
            calls.append(_tool_call(part.get("id"), part.get("name"), part.get("arguments")))
        elif kind == "tool_call_response":
            response = part.get("response", part.get("result", part.get("content")))
            responses.append(
                _message("tool", content_text(response), tool_call_id=as_str(part.get("id")))
            )
    messages: list[Message] = []
    if texts or calls or not responses:
        messages.append(_message(role, "\n".join(texts) if texts else None, calls))
    # A tool result travels inside a user turn (Anthropic) or as a role=tool turn
    # (OpenAI); both become role=tool messages so the UI shows them one way.
    messages.extend(responses)
    return messages


def finish_reasons_from_parts_json(value: Any) -> list[str] | None:
    """``finish_reason`` of each output message in ``gen_ai.output.messages``, if any."""
    items = loads_json(value)
    if not isinstance(items, list):
        return None
    reasons = [
        reason
        for item in items
        if isinstance(item, dict) and (reason := as_str(item.get("finish_reason"))) is not None
    ]
    return reasons or None


def system_from_instructions(value: Any) -> str | None:
    """The system prompt from ``gen_ai.system_instructions`` (JSON parts, or plain text)."""
    parsed = loads_json(value)
    if isinstance(parsed, list):
        texts = [
            text
            for part in parsed
            if isinstance(part, dict | str)
            and (text := (part if isinstance(part, str) else part.get("content", part.get("text"))))
            and isinstance(text, str)
        ]
        return "\n".join(texts) if texts else None
    if isinstance(parsed, dict):
        return content_text(parsed)
    return as_str(value)


# --- older flattened gen_ai.prompt.N.* ---------------------------------------------------


def from_flat(attrs: Mapping[str, Any], prefix: str, default_role: str) -> list[Message] | None:
    """Messages from ``<prefix>N.{role,content,tool_calls.M.{id,name,arguments},tool_call_id}``."""
    groups = indexed(attrs, prefix)
    if not groups:
        return None
    messages: list[Message] = []
    for fields in groups.values():
        calls = [
            _tool_call(call.get("id"), call.get("name"), call.get("arguments"))
            for call in indexed(fields, "tool_calls.").values()
        ]
        messages.append(
            _message(
                as_str(fields.get("role")) or default_role,
                content_text(fields.get("content")),
                calls,
                as_str(fields.get("tool_call_id")),
            )
        )
    return messages


def flat_finish_reasons(attrs: Mapping[str, Any], prefix: str) -> list[str] | None:
    """``<prefix>N.finish_reason`` values, in index order."""
    reasons = [
        reason
        for fields in indexed(attrs, prefix).values()
        if (reason := as_str(fields.get("finish_reason"))) is not None
    ]
    return reasons or None


# --- OpenInference llm.*_messages.N.message.* ---------------------------------------------


def from_openinference(attrs: Mapping[str, Any], prefix: str) -> list[Message] | None:
    """Messages from OpenInference ``<prefix>N.message.*`` flattened attributes."""
    groups = indexed(attrs, prefix)
    if not groups:
        return None
    messages: list[Message] = []
    for fields in groups.values():
        inner = {k[len("message.") :]: v for k, v in fields.items() if k.startswith("message.")}
        content = content_text(inner.get("content"))
        if content is None:
            texts = [
                text
                for block in indexed(inner, "contents.").values()
                if block.get("message_content.type", "text") == "text"
                and (text := as_str(block.get("message_content.text"))) is not None
            ]
            content = "\n".join(texts) if texts else None
        calls = [
            _tool_call(
                call.get("tool_call.id"),
                call.get("tool_call.function.name"),
                call.get("tool_call.function.arguments"),
            )
            for call in indexed(inner, "tool_calls.").values()
        ]
        messages.append(
            _message(
                as_str(inner.get("role")) or "user",
                content,
                calls,
                as_str(inner.get("tool_call_id")),
            )
        )
    return messages


# --- per-message span events ---------------------------------------------------------------

_INPUT_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.tools.message": "tool",
}


def from_events(events: Sequence[SpanEvent]) -> tuple[list[Message] | None, list[Message] | None]:
    """(input, output) messages from per-message span events; None where there were none."""
    inputs: list[Message] = []
    outputs: list[Message] = []
    for event in events:
        attrs = event.get("attributes") or {}
        name = event.get("name")
        if name in _INPUT_EVENTS:
            inputs.append(_event_message(attrs, _INPUT_EVENTS[name]))
        elif name == "gen_ai.choice":
            body = loads_json(attrs.get("message"))
            source = body if isinstance(body, dict) else attrs
            outputs.append(_event_message(source, "assistant"))
        elif name == "gen_ai.content.prompt":
            # OpenLIT's older events: the whole prompt as one text attribute.
            text = as_str(attrs.get("gen_ai.prompt"))
            if text is not None:
                inputs.append(_message("user", text))
        elif name == "gen_ai.content.completion":
            text = as_str(attrs.get("gen_ai.completion"))
            if text is not None:
                outputs.append(_message("assistant", text))
    return (inputs or None, outputs or None)


def _event_message(attrs: Mapping[str, Any], default_role: str) -> Message:
    raw_calls = loads_json(attrs.get("tool_calls"))
    calls: list[ToolCall] = []
    if isinstance(raw_calls, list):
        for call in raw_calls:
            if isinstance(call, dict):
                function = call.get("function")
                if not isinstance(function, dict):
                    function = call
                calls.append(
                    _tool_call(call.get("id"), function.get("name"), function.get("arguments"))
                )
    return _message(
        as_str(attrs.get("role")) or default_role,
        content_text(attrs.get("content")),
        calls,
        as_str(attrs.get("id")) if default_role == "tool" else None,
    )


# --- derived fields --------------------------------------------------------------------------


class MessageDerivations:
    """Fills system prompt, requested tool calls and input/output values from the messages."""

    def __call__(self, span: Span) -> Span:
        if span.system_prompt is None:
            span.system_prompt = next(
                (
                    m["content"]
                    for m in span.input_messages
                    if m["role"] in _SYSTEM_ROLES and m["content"]
                ),
                None,
            )
        if not span.tool_calls:
            span.tool_calls = [
                call for m in span.output_messages for call in m.get("tool_calls", [])
            ]
        if span.input_value is None:
            turns = [m for m in span.input_messages if m["role"] not in _SYSTEM_ROLES]
            if turns:
                span.input_value = turns[-1]["content"]
        if span.output_value is None and span.output_messages:
            first_out = span.output_messages[0]
            span.output_value = first_out["content"]
            if span.output_value is None and first_out.get("tool_calls"):
                span.output_value = json.dumps(first_out["tool_calls"], ensure_ascii=False)
        return span
