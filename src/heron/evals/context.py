"""Read what an evaluator needs out of spans: the input, the output, documents, tool results.

Normalization already mapped every convention onto ``input_messages`` /
``output_messages`` / ``input_value`` / ``output_value``; retrieved documents
are still raw attributes (OpenInference ``retrieval.documents.N.document.*``)
or the retriever span's output, so they are read here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from heron.model import Span

__all__ = [
    "MAX_CONTEXT_CHARS",
    "clip",
    "input_text",
    "output_text",
    "retrieved_documents",
    "tool_results",
    "user_text",
]

MAX_CONTEXT_CHARS = 24_000
"""Cap on the context put in a judge prompt (documents beyond it are cut)."""

_DOC_KEY = re.compile(r"^retrieval\.documents\.(\d+)\.document\.content$")


def user_text(span: Span) -> str:
    """What the user said: the last user message, else ``input_value``."""
    for message in reversed(span.input_messages):
        if message.get("role") == "user" and message.get("content"):
            return str(message["content"])
    return span.input_value or ""


def input_text(span: Span) -> str:
    """The whole input as one text: every non-system message, else ``input_value``."""
    parts = [
        f"{m.get('role')}: {m.get('content')}"
        for m in span.input_messages
        if m.get("role") != "system" and m.get("content")
    ]
    if len(parts) == 1:
        return user_text(span)
    return "\n".join(parts) if parts else (span.input_value or "")


def output_text(span: Span) -> str:
    """The answer: assistant output messages joined, else ``output_value``."""
    parts = [str(m["content"]) for m in span.output_messages if m.get("content")]
    return "\n".join(parts) if parts else (span.output_value or "")


def _documents_from_value(value: Any) -> list[str]:
    """Documents from a JSON list/dict of documents or plain text."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "[{":
            try:
                return _documents_from_value(json.loads(stripped))
            except json.JSONDecodeError:
                pass
        return [stripped] if stripped else []
    if isinstance(value, dict):
        for key in ("documents", "docs", "results"):
            if key in value:
                return _documents_from_value(value[key])
        for key in ("content", "page_content", "text", "document.content"):
            if isinstance(value.get(key), str):
                return [value[key]]
        document = value.get("document")
        if isinstance(document, dict):
            return _documents_from_value(document)
        return []
    if isinstance(value, list):
        return [doc for item in value for doc in _documents_from_value(item)]
    return []


def _span_documents(span: Span) -> list[str]:
    indexed = []
    for key, value in span.attributes.items():
        found = _DOC_KEY.match(key)
        if found and isinstance(value, str):
            indexed.append((int(found.group(1)), value))
    if indexed:
        return [text for _, text in sorted(indexed)]
    for key in ("retrieval.documents", "documents"):
        if key in span.attributes:
            return _documents_from_value(span.attributes[key])
    return _documents_from_value(span.output_value) if span.output_value else []


def retrieved_documents(span: Span, trace: list[Span]) -> list[str]:
    """Documents retrieved in ``trace`` before ``span`` ended (retriever/reranker spans).

    A reranker's output supersedes what it reranked only in ranking, not in
    content, so both are read and duplicates removed in first-seen order.
    """
    seen: set[str] = set()
    documents: list[str] = []
    for other in sorted(trace, key=lambda s: s.start_time):
        if other.kind not in ("retriever", "reranker") or other.span_id == span.span_id:
            continue
        if other.start_time > span.end_time:
            continue
        for doc in _span_documents(other):
            if doc not in seen:
                seen.add(doc)
                documents.append(doc)
    return documents


def tool_results(span: Span, trace: list[Span]) -> list[str]:
    """Tool outputs the model saw: tool messages of its input and earlier tool spans."""
    results = [
        str(m["content"])
        for m in span.input_messages
        if m.get("role") == "tool" and m.get("content")
    ]
    for other in trace:
        if other.kind == "tool" and other.output_value and other.start_time <= span.start_time:
            results.append(f"{other.name}: {other.output_value}")
    return results


def clip(text: str, limit: int = MAX_CONTEXT_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters, saying so."""
    return text if len(text) <= limit else text[:limit] + "\n[... cut ...]"
