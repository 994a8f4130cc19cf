"""OpenLLMetry / Traceloop SDK keys: ``traceloop.*`` (span kind, workflow, entity input and
output, association properties, managed prompts).

These keys are unambiguous, so they are read on any span that carries them.
"""

from __future__ import annotations

from typing import Any

from heron.model import Span
from heron.normalize.coerce import as_str, loads_json, text_of
from heron.normalize.conventions.reading import Reading, mentions

__all__ = ["applies", "read"]

_KINDS = {"workflow": "chain", "task": "chain", "agent": "agent", "tool": "tool"}
_ASSOCIATION = "traceloop.association.properties."
_TEMPLATE_VARIABLES = "traceloop.prompt.template_variables"
_USER_KEYS = ("user_id", "userId", "user")
_SESSION_KEYS = ("session_id", "sessionId", "conversation_id", "thread_id")


_KEY_PREFIXES = ("traceloop.",)


def applies(span: Span) -> bool:
    """False when ``read(span)`` would be empty: no ``traceloop.*`` key is present."""
    return mentions(span, _KEY_PREFIXES)


def read(span: Span) -> Reading:
    """What the Traceloop keys say about the span."""
    a = span.attributes
    association = {
        key[len(_ASSOCIATION) :]: value for key, value in a.items() if key.startswith(_ASSOCIATION)
    }
    kind_value = as_str(a.get("traceloop.span.kind"))
    return Reading(
        kind=_KINDS.get(kind_value.lower()) if kind_value else None,
        workflow_name=as_str(a.get("traceloop.workflow.name")),
        input_value=text_of(a.get("traceloop.entity.input")),
        output_value=text_of(a.get("traceloop.entity.output")),
        user_id=next((u for k in _USER_KEYS if (u := as_str(association.get(k)))), None),
        session_id=next((s for k in _SESSION_KEYS if (s := as_str(association.get(k)))), None),
        metadata=association or None,
        prompt_template=as_str(a.get("traceloop.prompt.template")),
        prompt_template_version=as_str(a.get("traceloop.prompt.version")),
        prompt_template_variables=_variables(a),
    )


def _variables(a: dict[str, Any]) -> dict[str, Any] | None:
    flattened = {
        key[len(_TEMPLATE_VARIABLES) + 1 :]: value
        for key, value in a.items()
        if key.startswith(_TEMPLATE_VARIABLES + ".")
    }
    if flattened:
        return flattened
    whole = loads_json(a.get(_TEMPLATE_VARIABLES))
    return whole if isinstance(whole, dict) else None
