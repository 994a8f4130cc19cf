"""Posted HTML forms of the UI: read the fields once, check CSRF, then authorize.

A browser logged in with a session cookie cannot add an ``X-CSRF-Token``
header to a plain form post, so every UI form carries the token in a hidden
``csrf_token`` field (``base.html`` renders it from the CSRF cookie) and the
handlers go through :func:`authorize_form`.
"""

from __future__ import annotations

from fastapi import Request

from heron.api.context import Action, authorizer
from heron.api.login import csrf_satisfied, read_form
from heron.auth import Principal
from heron.errors import ForbiddenError

__all__ = ["authorize_form"]


async def authorize_form(request: Request, action: Action) -> tuple[Principal, dict[str, str]]:
    """The caller allowed to ``action`` and the form's text fields.

    Raises ``ForbiddenError`` (403) when a session-authenticated post lacks a
    valid CSRF token, and ``AuthError`` when the caller may not ``action``.
    """
    fields = await read_form(request)
    if not csrf_satisfied(request):
        raise ForbiddenError(
            "the form's security token is missing or stale (the page may be older than your "
            "login, or the form came from another site); reload the page and submit it again"
        )
    principal = await authorizer(action)(request)
    return principal, fields
