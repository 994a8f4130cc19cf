"""Who and what a piece of work is about, carried in OTel context onto every span.

``with heron_sdk.context(user_id=..., session_id=..., tags=[...], metadata={...}):``
stores an :class:`Association` in the OpenTelemetry context (a contextvar, so
it follows threads' and asyncio tasks' own contexts). :class:`EnrichingSpanProcessor`
copies it onto every span that starts inside, whichever library made the span,
in both the OpenInference (``user.id``, ``session.id``, ``tag.tags``,
``metadata``) and the OpenLLMetry (``traceloop.association.properties.*``)
spellings, so any reader of either convention finds it.

The same processor applies prompt templates recorded by :mod:`heron_sdk.prompts`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.util.types import AttributeValue

from heron_sdk import prompts
from heron_sdk.serialization import to_json

__all__ = ["Association", "EnrichingSpanProcessor", "context", "current_association"]

_log = logging.getLogger("heron_sdk")

_KEY = otel_context.create_key("heron_sdk.association")
_TRACELOOP = "traceloop.association.properties."


@dataclass(frozen=True, slots=True)
class Association:
    """User, session, tags and metadata in effect; ``attributes`` is what spans receive."""

    user_id: str | None
    session_id: str | None
    tags: tuple[str, ...]
    metadata: Mapping[str, Any]
    attributes: Mapping[str, AttributeValue]

    @classmethod
    def build(
        cls,
        user_id: str | None,
        session_id: str | None,
        tags: tuple[str, ...],
        metadata: Mapping[str, Any],
    ) -> Association:
        """An association with its span attributes computed once, not per span."""
        attrs: dict[str, AttributeValue] = {}
        if user_id is not None:
            attrs["user.id"] = user_id
            attrs[_TRACELOOP + "user_id"] = user_id
        if session_id is not None:
            attrs["session.id"] = session_id
            attrs[_TRACELOOP + "session_id"] = session_id
        if tags:
            attrs["tag.tags"] = list(tags)
        if metadata:
            attrs["metadata"] = to_json(dict(metadata))
            for key, value in metadata.items():
                # Traceloop's properties are flat scalars; richer values live in `metadata`.
                if isinstance(value, (str, bool, int, float)):
                    attrs.setdefault(_TRACELOOP + str(key), value)
        return cls(user_id, session_id, tags, MappingProxyType(dict(metadata)), attrs)


def current_association() -> Association | None:
    """The association in effect in the current context, if any."""
    value = otel_context.get_value(_KEY)
    return value if isinstance(value, Association) else None


@contextmanager
def context(
    user_id: str | None = None,
    session_id: str | None = None,
    tags: Iterable[str] | str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[Association]:
    """Attach user, session, tags and metadata to every span started inside the block.

    Nested blocks merge with the enclosing one: an inner ``user_id`` or
    ``session_id`` replaces the outer, tags accumulate, metadata keys are
    overlaid. Works in sync and async code (the OTel context is a contextvar).

    Example::

        with heron_sdk.context(user_id="u-42", session_id="chat-7", tags=["beta"]):
            client.chat.completions.create(...)
    """
    token = None
    try:
        outer = current_association()
        new_tags = _clean_tags(tags)
        merged_tags = tuple(dict.fromkeys([*(outer.tags if outer else ()), *new_tags]))
        merged_meta = {**(outer.metadata if outer else {}), **_clean_metadata(metadata)}
        assoc = Association.build(
            _clean_id(user_id) if user_id is not None else (outer.user_id if outer else None),
            _clean_id(session_id)
            if session_id is not None
            else (outer.session_id if outer else None),
            merged_tags,
            merged_meta,
        )
        token = otel_context.attach(otel_context.set_value(_KEY, assoc))
    except Exception:
        _log.warning("heron_sdk.context(): could not attach the context", exc_info=True)
        assoc = Association.build(None, None, (), {})
    try:
        yield assoc
    finally:
        if token is not None:
            otel_context.detach(token)


def _clean_id(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _clean_tags(tags: Iterable[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):  # a lone string is one tag, not its characters
        return [tags]
    return [t if isinstance(t, str) else str(t) for t in tags]


def _clean_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        _log.warning(
            "heron_sdk.context(): metadata must be a mapping, not %s; ignored", type(metadata)
        )
        return {}
    return {str(k): v for k, v in metadata.items()}


def is_llm_span(span: Span) -> bool:
    """Whether the span, as it starts, looks like a model call by any convention.

    Instrumentations name their convention's attributes when they start the
    span (OpenLLMetry: ``gen_ai.operation.name``; OpenInference:
    ``openinference.span.kind``; the anthropic SDK: ``gen_ai.provider.name``).
    """
    attrs = span.attributes
    if not attrs:
        return False
    kind = attrs.get("openinference.span.kind")
    if kind is not None:
        return kind == "LLM"
    return any(key.startswith(("gen_ai.", "llm.")) for key in attrs)


class EnrichingSpanProcessor(SpanProcessor):
    """On span start, copy the current association and prompt template onto the span.

    Attributes the span already has win, so an instrumentation's own
    ``user.id`` is never overwritten.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Enrich the starting span; never raises (a broken span is worse than a plain one)."""
        try:
            assoc = otel_context.get_value(_KEY, parent_context)
            if isinstance(assoc, Association) and assoc.attributes:
                _set_missing(span, assoc.attributes)
            template = prompts.template_for(span, parent_context, is_llm_span)
            if template is not None:
                _set_missing(span, template.attributes)
        except Exception:
            _log.debug("heron_sdk: enriching span failed", exc_info=True)

    def on_end(self, span: ReadableSpan) -> None:
        """Nothing to do when a span ends."""

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered."""
        return True


def _set_missing(span: Span, attributes: Mapping[str, AttributeValue]) -> None:
    existing = span.attributes
    if not existing:
        span.set_attributes(attributes)
        return
    # One copy of the keys, not `key in existing` per attribute: OTel's attribute
    # mapping answers a miss by raising KeyError inside, ~1 µs each.
    present = set(existing)
    if present.isdisjoint(attributes):
        span.set_attributes(attributes)
    else:
        span.set_attributes({k: v for k, v in attributes.items() if k not in present})
