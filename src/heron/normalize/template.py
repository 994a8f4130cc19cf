"""Prompt-template identity: a stable hash of the template text before substitution.

The hash is the first 16 hex characters of SHA-256 over the template text after
Unicode NFC normalization and line-ending normalization (CRLF and CR -> LF), so the
same template gives the same hash in every process and every heron version.
"""

from __future__ import annotations

import hashlib
import unicodedata

from heron.model import Span

__all__ = ["TemplateHasher", "template_hash"]


def template_hash(template: str) -> str:
    """Stable identity of a prompt template (16 lowercase hex characters)."""
    text = unicodedata.normalize("NFC", template).replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class TemplateHasher:
    """Processor setting ``prompt_template_hash`` for spans that carry a template."""

    def __call__(self, span: Span) -> Span:
        if span.prompt_template is not None:
            span.prompt_template_hash = template_hash(span.prompt_template)
        return span
