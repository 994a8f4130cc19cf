"""Scrub likely personal data and secrets from text previews before they leave the app.

A best-effort filter for log previews, not a guarantee: it catches email
addresses, card-like digit runs and API keys with well-known shapes.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "preview", "redact"]

REDACTED = "[REDACTED]"

_PATTERNS = (
    # email addresses
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # card-like numbers: 13..19 digits, optionally grouped by spaces or dashes
    re.compile(r"\b\d(?:[ -]?\d){12,18}\b"),
    # provider keys with known prefixes (OpenAI/Anthropic sk-, GitHub, Slack, AWS, Google)
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),
    # bearer tokens and key=value secrets
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"(?i)\b(?:api[_-]?key|secret|token|password)\s*[:=]\s*['\"]?[^\s'\",;]{8,}"),
)

_SCAN_LIMIT = 4000  # redact a bounded prefix; the preview keeps far less of it anyway


def redact(text: str) -> str:
    """``text`` with every match of the patterns above replaced by ``[REDACTED]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def preview(text: object, limit: int = 500) -> str:
    """A redacted preview of at most ``limit`` characters (plus a truncation mark).

    Redaction runs before truncation so that a cut never leaves half a secret
    unrecognized in the kept part.
    """
    raw = text if isinstance(text, str) else str(text)
    cleaned = redact(raw[:_SCAN_LIMIT])
    if len(cleaned) > limit or len(raw) > _SCAN_LIMIT:
        return cleaned[:limit] + "…"
    return cleaned
