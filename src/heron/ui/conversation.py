"""A span's messages as a conversation: the chat bubbles of the span panel."""

from __future__ import annotations

from dataclasses import dataclass, field

from heron.model import Message, Span, ToolCall

__all__ = ["Bubble", "conversation"]


@dataclass(frozen=True, slots=True)
class Bubble:
    """One message: ``role`` is system, user, assistant, tool, input or output."""

    role: str
    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    direction: str = "in"


def _bubble(message: Message, direction: str) -> Bubble:
    return Bubble(
        role=(message.get("role") or "unknown").lower(),
        content=message.get("content"),
        tool_calls=list(message.get("tool_calls") or []),
        tool_call_id=message.get("tool_call_id"),
        direction=direction,
    )


def conversation(span: Span) -> list[Bubble]:
    """System prompt, input messages, then output messages; plain input/output otherwise.

    The model's requested tool calls are attached to the last assistant bubble
    when no output message already carries them, so they are never lost.
    """
    bubbles: list[Bubble] = []
    has_system = any((m.get("role") or "").lower() == "system" for m in span.input_messages)
    if span.system_prompt and not has_system:
        bubbles.append(Bubble(role="system", content=span.system_prompt))
    bubbles.extend(_bubble(m, "in") for m in span.input_messages)
    outputs = [_bubble(m, "out") for m in span.output_messages]
    shown_calls = any(b.tool_calls for b in outputs)
    if span.tool_calls and not shown_calls:
        outputs.append(
            Bubble(
                role="assistant", content=None, tool_calls=list(span.tool_calls), direction="out"
            )
        )
    bubbles.extend(outputs)
    if not span.input_messages and span.input_value:
        bubbles.insert(0, Bubble(role="input", content=span.input_value))
    if not span.output_messages and span.output_value:
        bubbles.append(Bubble(role="output", content=span.output_value, direction="out"))
    return bubbles
