"""Trace-level inheritance resolved at read time.

User, session, tags and the prompt template found on an ancestor apply to its
descendants that lack them (``span-model.md``). The normalizer resolves what
it can at write time; spans of one trace may arrive in different batches, so
``get_trace`` resolves again over the whole stored trace. The result does not
depend on arrival order: each span takes the nearest ancestor's value.
"""

from __future__ import annotations

from collections.abc import Sequence

from heron.model import Span

__all__ = ["inherit_trace_fields"]

_TEMPLATE_FIELDS = (
    "prompt_template",
    "prompt_template_version",
    "prompt_template_variables",
    "prompt_template_hash",
)


def inherit_trace_fields(spans: Sequence[Span]) -> None:
    """Fill inheritable fields of ``spans`` (one trace) in place from their ancestors."""
    by_id = {span.span_id: span for span in spans}
    resolved: set[str] = set()
    for span in spans:
        # Walk up to the first resolved ancestor (or the root), then fill downwards;
        # iterative because agent traces can nest deeper than Python's recursion limit.
        chain = [span]
        on_chain = {span.span_id}
        while True:
            parent = by_id.get(chain[-1].parent_span_id or "")
            # `on_chain` guards against a malformed trace whose parent links form a cycle.
            if parent is None or parent.span_id in on_chain or chain[-1].span_id in resolved:
                break
            chain.append(parent)
            on_chain.add(parent.span_id)
        for child_index in range(len(chain) - 2, -1, -1):
            _fill(chain[child_index], chain[child_index + 1])
        resolved.update(on_chain)


def _fill(child: Span, parent: Span) -> None:
    if child.user_id is None:
        child.user_id = parent.user_id
    if child.session_id is None:
        child.session_id = parent.session_id
    if not child.tags:
        child.tags = list(parent.tags)
    # The template fields travel together: mixing one template's hash with
    # another's text would misattribute the call.
    if child.prompt_template is None and child.prompt_template_hash is None:
        for name in _TEMPLATE_FIELDS:
            value = getattr(parent, name)
            setattr(child, name, dict(value) if isinstance(value, dict) else value)
