"""Trace-level context: inheritance from ancestors and duplicate LLM spans.

Spans of one trace arrive in several batches and in any order. An LRU of traces,
bounded by count and by estimated bytes, remembers for every recent span its parent
and what it carried itself (user, session, tags, prompt template; model call facts
for LLM spans), so that:

- a descendant without user/session/tags/template takes the nearest ancestor's
  (the template fields travel together), whether that ancestor came in this batch
  or an earlier one;
- an LLM span nested directly inside another LLM span of the same provider and
  model family, overlapping it in time, is marked ``duplicate_of`` the outer one
  (e.g. the anthropic SDK's own span inside an instrumentation library's span),
  so tokens and cost count once while both stay visible.

Only a span's OWN values are remembered, never inherited ones, so the result of
a batch does not depend on the order of spans inside it. Whatever arrives later
than its descendants is resolved again by the store at read time.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from heron.model import Span

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_TRACES", "TraceContext", "model_family"]

_DATE_SUFFIX = re.compile(r"([-@]\d{8}|-\d{4}-\d{2}-\d{2}|-latest|-v\d+(:\d+)?)$")
_MAX_DEPTH = 10_000
# ~730-790 bytes per remembered span: 100,000 traces of five spans held ~365 MiB.
DEFAULT_MAX_TRACES = 20_000
# Template variables are kept too and can be kilobytes (RAG chunks), so the cache is
# also bounded by an estimate of its size: the fixed part below, plus the template
# text and string variables of each span that has a template.
DEFAULT_MAX_BYTES = 128 * 1024 * 1024
_SPAN_BYTES = 800


def model_family(model: str) -> str:
    """A model name without provider prefix and dated-snapshot suffix, lower-case."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    while True:
        stripped = _DATE_SUFFIX.sub("", name)
        if stripped == name:
            return name
        name = stripped


@functools.lru_cache(maxsize=4096)
def _families(request_model: str | None, response_model: str | None) -> tuple[str, ...]:
    # Cached: a handful of model pairs recur, so every remembered LLM span shares one
    # tuple instead of holding its own (and the regex runs once per pair).
    return tuple(sorted({model_family(m) for m in (request_model, response_model) if m}))


@dataclass(frozen=True, slots=True)
class _LlmCall:
    provider: str | None
    families: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class _Own:
    """What one span carried itself (never what it inherited)."""

    parent: str | None
    user_id: str | None
    session_id: str | None
    tags: tuple[str, ...]
    template: tuple[str | None, str | None, dict[str, Any], str | None] | None
    llm: _LlmCall | None


@dataclass(slots=True)
class _Trace:
    spans: dict[str, _Own]
    size: int = 0  # estimated bytes held, see _size


def _size(own: _Own) -> int:
    if own.template is None:
        return _SPAN_BYTES
    template, _, variables, _ = own.template
    text = len(template) if template else 0
    return (
        _SPAN_BYTES + text + sum(len(v) if isinstance(v, str) else 32 for v in variables.values())
    )


def _own(span: Span) -> _Own:
    has_template = span.prompt_template is not None or span.prompt_template_hash is not None
    llm = None
    if span.is_llm:
        families = _families(span.request_model, span.response_model)
        llm = _LlmCall(span.provider, families, span.start_time, span.end_time)
    return _Own(
        parent=span.parent_span_id,
        user_id=span.user_id,
        session_id=span.session_id,
        tags=tuple(span.tags),
        template=(
            span.prompt_template,
            span.prompt_template_version,
            dict(span.prompt_template_variables),
            span.prompt_template_hash,
        )
        if has_template
        else None,
        llm=llm,
    )


class TraceContext:
    """Resolves inheritance and duplicates over batches, remembering recent traces.

    Bounded by trace count and by estimated bytes (template variables can be large);
    the least recently seen traces go first, but never during a batch's own
    resolution, so spans of one batch always see each other.
    """

    def __init__(
        self,
        max_traces: int = DEFAULT_MAX_TRACES,
        max_spans_per_trace: int = 10_000,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._max_traces = max(1, max_traces)
        self._max_spans = max(1, max_spans_per_trace)
        self._max_bytes = max(1, max_bytes)
        self._traces: OrderedDict[tuple[str, str], _Trace] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._traces)

    @property
    def max_traces(self) -> int:
        """The most traces remembered."""
        return self._max_traces

    @property
    def max_bytes(self) -> int:
        """The bound on ``estimated_bytes`` (the newest trace is kept even above it)."""
        return self._max_bytes

    @property
    def estimated_bytes(self) -> int:
        """The estimate the byte bound applies to."""
        return self._bytes

    def resolve(self, spans: Sequence[Span]) -> None:
        """Fill inherited fields and ``duplicate_of`` on ``spans`` in place."""
        with self._lock:
            own = [(span, _own(span)) for span in spans]
            for span, snapshot in own:
                self._remember(span, snapshot)
            for span, snapshot in own:
                trace = self._traces.get((span.project_id, span.trace_id))
                known = trace.spans if trace is not None else {}
                self._inherit(span, snapshot, known)
                self._mark_duplicate(span, snapshot, known)
            self._evict()

    def _remember(self, span: Span, snapshot: _Own) -> None:
        key = (span.project_id, span.trace_id)
        trace = self._traces.get(key)
        if trace is None:
            trace = self._traces[key] = _Trace({})
        else:
            self._traces.move_to_end(key)
        previous = trace.spans.get(span.span_id)
        if previous is None and len(trace.spans) >= self._max_spans:
            return
        trace.spans[span.span_id] = snapshot
        change = _size(snapshot) - (_size(previous) if previous is not None else 0)
        trace.size += change
        self._bytes += change

    def _evict(self) -> None:
        # The newest trace stays even if it alone is over the byte bound
        # (max_spans_per_trace bounds it).
        traces = self._traces
        while len(traces) > self._max_traces or (self._bytes > self._max_bytes and len(traces) > 1):
            _, oldest = traces.popitem(last=False)
            self._bytes -= oldest.size

    @staticmethod
    def _ancestors(snapshot: _Own, known: dict[str, _Own]) -> Iterator[_Own]:
        seen: set[str] = set()
        parent = snapshot.parent
        while parent and parent not in seen and len(seen) < _MAX_DEPTH:
            seen.add(parent)
            ancestor = known.get(parent)
            if ancestor is None:
                return
            yield ancestor
            parent = ancestor.parent

    def _inherit(self, span: Span, snapshot: _Own, known: dict[str, _Own]) -> None:
        for ancestor in self._ancestors(snapshot, known):
            if span.user_id is None and ancestor.user_id is not None:
                span.user_id = ancestor.user_id
            if span.session_id is None and ancestor.session_id is not None:
                span.session_id = ancestor.session_id
            if not span.tags and ancestor.tags:
                span.tags = list(ancestor.tags)
            if (
                span.prompt_template is None
                and span.prompt_template_hash is None
                and ancestor.template is not None
            ):
                template, version, variables, digest = ancestor.template
                span.prompt_template = template
                span.prompt_template_version = version
                span.prompt_template_variables = dict(variables)
                span.prompt_template_hash = digest

    @staticmethod
    def _mark_duplicate(span: Span, snapshot: _Own, known: dict[str, _Own]) -> None:
        inner = snapshot.llm
        if inner is None or snapshot.parent is None:
            return
        parent = known.get(snapshot.parent)
        outer = parent.llm if parent is not None else None
        if outer is None:
            return
        if inner.provider and outer.provider and inner.provider != outer.provider:
            return
        same_family = any(
            a == b or a.startswith(b) or b.startswith(a)
            for a in inner.families
            for b in outer.families
        )
        overlaps = inner.start <= outer.end and outer.start <= inner.end
        if same_family and overlaps:
            span.duplicate_of = snapshot.parent
