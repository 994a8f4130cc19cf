"""Canned replies for :mod:`heron.testing.fake_provider`, and how each API spells them.

A :class:`Reply` says *what* the fake model answers (text, a tool call, JSON, a
refusal, an HTTP error, a hang) and *how* (delays, finish reason, usage). The
``anthropic_*`` and ``openai_*`` functions turn it into the exact JSON bodies
and server-sent events of the Anthropic Messages API and the OpenAI Chat
Completions API, so the real client libraries parse them unchanged.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "Reply",
    "ReplyKind",
    "anthropic_body",
    "anthropic_error",
    "anthropic_events",
    "openai_body",
    "openai_chunks",
    "openai_error",
]

ReplyKind = Literal["text", "tool", "json", "refusal", "error", "hang"]

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):012d}"


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer of the fake provider.

    Build them with the class methods (``Reply.text("hi")``, ``Reply.json({...})``,
    ``Reply.error(429, retry_after=1)``...) and adjust with :meth:`with_delay`
    and :meth:`with_usage`.

    ``Reply.json`` answers in the request's natural structured form: a forced
    (or single) tool call when the request offered tools, else the JSON text
    (what ``response_format`` asks for).
    """

    kind: ReplyKind
    content: str = ""
    tool_name: str | None = None
    tool_input: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error_type: str | None = None
    retry_after: float | None = None
    first_byte_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    hang_s: float = 30.0
    finish_reason: str | None = None
    input_tokens: int = 12
    output_tokens: int | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    model: str | None = None

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        """Plain assistant text."""
        return cls(kind="text", content=content, **kw)

    @classmethod
    def json(cls, data: dict[str, Any], **kw: Any) -> Reply:
        """A structured answer: a tool call if the request offered tools, else JSON text."""
        return cls(kind="json", content=json.dumps(data), tool_input=dict(data), **kw)

    @classmethod
    def tool_call(cls, name: str, arguments: dict[str, Any], **kw: Any) -> Reply:
        """A tool call to ``name`` with ``arguments`` (whatever the request offered)."""
        return cls(kind="tool", tool_name=name, tool_input=dict(arguments), **kw)

    @classmethod
    def fenced_json(cls, data: dict[str, Any], **kw: Any) -> Reply:
        """JSON inside a Markdown code fence, as text (a common malformed answer)."""
        return cls(kind="text", content=f"```json\n{json.dumps(data, indent=2)}\n```", **kw)

    @classmethod
    def prose_json(cls, data: dict[str, Any], **kw: Any) -> Reply:
        """JSON with chatty prose before and after it, as text."""
        body = json.dumps(data)
        return cls(
            kind="text",
            content=f"Sure! Here is my evaluation:\n{body}\nLet me know if you need anything else.",
            **kw,
        )

    @classmethod
    def refusal(cls, content: str = "I'm sorry, but I can't help with that.", **kw: Any) -> Reply:
        """A refusal: OpenAI's ``message.refusal``; Anthropic's ``stop_reason: refusal``."""
        return cls(kind="refusal", content=content, **kw)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "fake provider error",
        *,
        retry_after: float | None = None,
        error_type: str | None = None,
        **kw: Any,
    ) -> Reply:
        """An HTTP error with the provider's error body and optional ``retry-after`` header."""
        return cls(
            kind="error",
            status=status,
            content=message,
            retry_after=retry_after,
            error_type=error_type,
            **kw,
        )

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        """Accept the request and send nothing for ``seconds`` (to trigger client timeouts)."""
        return cls(kind="hang", hang_s=seconds)

    def with_delay(self, first_byte_s: float = 0.0, between_chunks_s: float = 0.0) -> Reply:
        """A copy that waits before the first byte and between streamed chunks."""
        return replace(self, first_byte_delay_s=first_byte_s, chunk_delay_s=between_chunks_s)

    def with_usage(
        self,
        input_tokens: int,
        output_tokens: int,
        *,
        cache_read: int = 0,
        cache_write: int = 0,
    ) -> Reply:
        """A copy reporting this usage (Anthropic's ``input_tokens`` excludes cache)."""
        return replace(
            self,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
        )

    def out_tokens(self) -> int:
        """Output tokens to report: as set, else a rough count of the answer's words."""
        if self.output_tokens is not None:
            return self.output_tokens
        words = len(self.content.split()) + len(json.dumps(self.tool_input).split())
        return max(1, words)


def _forced_tool(body: dict[str, Any], api: str) -> str | None:
    """The tool the request forces or offers alone, else None."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if api == "anthropic":
        if isinstance(choice, dict) and choice.get("type") == "tool":
            return str(choice.get("name"))
        names = [t.get("name") for t in tools if isinstance(t, dict)]
    else:
        if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
            return str(choice["function"].get("name"))
        names = [
            t.get("function", {}).get("name")
            for t in tools
            if isinstance(t, dict) and isinstance(t.get("function"), dict)
        ]
    return str(names[0]) if len(names) == 1 else None


def _resolve(reply: Reply, body: dict[str, Any], api: str) -> tuple[str | None, dict[str, Any]]:
    """Return (tool name or None, tool input) for a reply against a request."""
    if reply.kind == "tool":
        return reply.tool_name, reply.tool_input
    if reply.kind == "json":
        name = _forced_tool(body, api)
        if name is not None:
            return name, reply.tool_input
    return None, {}


def _model(reply: Reply, body: dict[str, Any]) -> str:
    return reply.model or str(body.get("model") or "fake-model")


# --- Anthropic Messages API ------------------------------------------------------------


def _anthropic_stop(reply: Reply, tool: str | None) -> str:
    if reply.finish_reason:
        return reply.finish_reason
    if reply.kind == "refusal":
        return "refusal"
    return "tool_use" if tool else "end_turn"


def _anthropic_usage(reply: Reply, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": reply.cache_write_tokens,
        "cache_read_input_tokens": reply.cache_read_tokens,
    }


def anthropic_body(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    """The non-streamed ``POST /v1/messages`` response for ``reply``."""
    tool, tool_input = _resolve(reply, body, "anthropic")
    content: list[dict[str, Any]] = []
    if tool:
        content.append(
            {"type": "tool_use", "id": _next_id("toolu_"), "name": tool, "input": tool_input}
        )
    else:
        content.append({"type": "text", "text": reply.content})
    return {
        "id": _next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": _model(reply, body),
        "content": content,
        "stop_reason": _anthropic_stop(reply, tool),
        "stop_sequence": None,
        "usage": _anthropic_usage(reply, reply.out_tokens()),
    }


def _pieces(text: str, size: int = 8) -> list[str]:
    """Split text into small chunks so streams have several deltas."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def anthropic_events(reply: Reply, body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ``(event, data)`` pairs of a streamed ``POST /v1/messages``."""
    full = anthropic_body(reply, body)
    start = dict(full, content=[], stop_reason=None)
    start["usage"] = _anthropic_usage(reply, 1)
    yield "message_start", {"type": "message_start", "message": start}
    block = full["content"][0]
    if block["type"] == "tool_use":
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": dict(block, input={}),
            },
        )
        for piece in _pieces(json.dumps(block["input"])):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
    else:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield "ping", {"type": "ping"}
        for piece in _pieces(block["text"]):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": full["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": full["usage"]["output_tokens"]},
        },
    )
    yield "message_stop", {"type": "message_stop"}


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def anthropic_error(reply: Reply) -> dict[str, Any]:
    """The Anthropic error body for an error reply."""
    kind = reply.error_type or _ANTHROPIC_ERROR_TYPES.get(reply.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": reply.content}}


# --- OpenAI Chat Completions API -------------------------------------------------------


def _openai_finish(reply: Reply, tool: str | None) -> str:
    if reply.finish_reason:
        return reply.finish_reason
    return "tool_calls" if tool else "stop"


def _openai_usage(reply: Reply) -> dict[str, Any]:
    # OpenAI's prompt_tokens includes cached tokens (unlike Anthropic's input_tokens).
    prompt = reply.input_tokens + reply.cache_read_tokens + reply.cache_write_tokens
    completion = reply.out_tokens()
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def openai_body(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    """The non-streamed ``POST /v1/chat/completions`` response for ``reply``."""
    tool, tool_input = _resolve(reply, body, "openai")
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if tool:
        message["tool_calls"] = [
            {
                "id": _next_id("call_"),
                "type": "function",
                "function": {"name": tool, "arguments": json.dumps(tool_input)},
            }
        ]
    elif reply.kind == "refusal":
        message["refusal"] = reply.content
    else:
        message["content"] = reply.content
    return {
        "id": _next_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": _model(reply, body),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _openai_finish(reply, tool),
                "logprobs": None,
            }
        ],
        "usage": _openai_usage(reply),
    }


def openai_chunks(reply: Reply, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``data:`` chunks of a streamed ``POST /v1/chat/completions`` (without ``[DONE]``)."""
    full = openai_body(reply, body)
    base = {k: full[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return base | {"choices": [choice]}

    message = full["choices"][0]["message"]
    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        first = {"index": 0, "id": call["id"], "type": "function"}
        yield chunk({"tool_calls": [first | {"function": {"name": call["function"]["name"]}}]})
        for piece in _pieces(call["function"]["arguments"]):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    elif message.get("refusal"):
        for piece in _pieces(message["refusal"]):
            yield chunk({"refusal": piece})
    else:
        for piece in _pieces(message["content"] or ""):
            yield chunk({"content": piece})
    yield chunk({}, full["choices"][0]["finish_reason"])
    options = body.get("stream_options") or {}
    if isinstance(options, dict) and options.get("include_usage"):
        yield base | {"choices": [], "usage": full["usage"]}


_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def openai_error(reply: Reply) -> dict[str, Any]:
    """The OpenAI error body for an error reply."""
    kind = reply.error_type or _OPENAI_ERROR_TYPES.get(reply.status, "server_error")
    return {"error": {"message": reply.content, "type": kind, "param": None, "code": None}}
