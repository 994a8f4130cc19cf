"""Generic fallbacks any span may carry: ``user.id``, ``enduser.id``, ``session.id`` on the
span or on its resource (``deployment.environment`` is read with the resource in ``convert``).
"""

from __future__ import annotations

from heron.model import Span
from heron.normalize.coerce import as_str, as_str_list, first
from heron.normalize.conventions.reading import Reading

__all__ = ["read"]

_USER_KEYS = ("user.id", "enduser.id")
_SESSION_KEYS = ("session.id",)


def read(span: Span) -> Reading:
    """User and session from generic keys: the span's own first, then the resource's."""
    a, r = span.attributes, span.resource_attributes
    return Reading(
        user_id=as_str(first(a, *_USER_KEYS)) or as_str(first(r, *_USER_KEYS)),
        session_id=as_str(first(a, *_SESSION_KEYS)) or as_str(first(r, *_SESSION_KEYS)),
        tags=as_str_list(a.get("tag.tags")),
    )
