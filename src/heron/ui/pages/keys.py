"""Settings forms: create and revoke the project's API keys from the browser.

The forms call the same meta-store functions as ``/api/v1/keys`` with the same
validation (:class:`heron.api.admin.KeyIn`), under the ``admin`` role. With
auth on, a logged-in browser's posts must carry the form's CSRF token
(:func:`heron.ui.forms.authorize_form`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from heron.api.admin import KeyIn
from heron.api.context import app_context
from heron.errors import HeronError, NotFoundError, QueryError
from heron.ui.forms import authorize_form
from heron.ui.render import Renderer

__all__ = ["register"]


def register(
    router: APIRouter, renderer: Renderer, settings_page: Callable[..., Awaitable[Response]]
) -> None:
    """Add ``POST /settings/keys`` and ``POST /settings/keys/{key_id}/revoke``."""

    @router.post("/settings/keys", include_in_schema=False)
    async def create_key(request: Request) -> Response:
        try:
            principal, fields = await authorize_form(request, "admin")
            try:
                body = KeyIn(role=fields.get("role", ""), name=fields.get("name") or None)
            except ValidationError as exc:
                reason = "; ".join(e["msg"] for e in exc.errors())
                raise QueryError(
                    f"cannot create the key: {reason}; pick a role and retry"
                ) from None
            meta = app_context(request).meta
            key, secret = await run_in_threadpool(
                meta.create_key, principal.project_id, body.role, body.name
            )
            # The secret exists only in this response: render it instead of redirecting.
            return await settings_page(request, new_key=key, new_secret=secret)
        except HeronError as exc:
            return renderer.error(request, exc)

    @router.post("/settings/keys/{key_id}/revoke", include_in_schema=False)
    async def revoke_key(request: Request, key_id: str) -> Response:
        try:
            principal, _ = await authorize_form(request, "admin")
            meta = app_context(request).meta
            try:
                await run_in_threadpool(meta.revoke_key, key_id, principal.project_id)
            except NotFoundError:
                raise NotFoundError(f"key {key_id!r} does not exist in this project") from None
        except HeronError as exc:
            return renderer.error(request, exc)
        return RedirectResponse("/settings", status_code=303)
