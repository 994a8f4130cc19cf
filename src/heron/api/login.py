"""UI login when auth is on: ``GET/POST /login`` and ``POST /logout``.

A person logs in with an API key (``read`` or ``admin``; ingest keys belong in
apps, not browsers) or with a username and password created by ``heron users
create``. The session is a signed cookie (:mod:`heron.security.sessions`):
HTTP-only, ``SameSite=Strict``, ``Secure`` on https. Every form carries a
double-submit CSRF token. :func:`session_principal` turns the cookie back
into a :class:`~heron.auth.Principal` for ``heron.api.context.principal_of``.
"""

from __future__ import annotations

from typing import Final

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from heron.api.context import app_context
from heron.auth import Principal
from heron.errors import HeronError, NotFoundError
from heron.security.passwords import verify_password
from heron.security.sessions import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    SESSION_TTL_S,
    CredentialKind,
    issue_csrf,
    issue_session,
    read_session,
    verify_csrf,
)
from heron.store.meta import MetaStore
from heron.store.meta.users import find_user, get_user

__all__ = ["csrf_satisfied", "login_router", "read_form", "session_principal"]

log = structlog.get_logger(__name__)

_SESSION_PURPOSE: Final = "ui-session"
_CSRF_PURPOSE: Final = "ui-csrf"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_NEXT: Final = "/dashboard"
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Where read_form leaves the submitted token; request.state lives in the ASGI scope, so
# every Request object of this request (dependencies, endpoint) sees it.
_FORM_CSRF_STATE: Final = "heron_form_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: ``//evil.example`` and ``https://...`` would be open redirects."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return _DEFAULT_NEXT
    return target


def session_principal(request: Request) -> Principal | None:
    """The principal of the request's session cookie, or ``None`` (no, bad or expired session).

    The credential behind the session is re-checked, so a revoked key or a
    disabled user loses access on the next request. A state-changing request
    (not GET/HEAD/OPTIONS) must also echo the CSRF cookie, in ``X-CSRF-Token``
    or, for an HTML form read with :func:`read_form`, in its ``csrf_token`` field.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    meta = app_context(request).meta
    claims = read_session(meta.derive_key(_SESSION_PURPOSE), token)
    if claims is None:
        return None
    if request.method not in _SAFE_METHODS and not _csrf_matches(request):
        return None
    try:
        if claims.kind == "key":
            key = meta.get_key(claims.credential_id)
            if not key.active or key.project_id != claims.project_id:
                return None
            return Principal(key.project_id, key.role, key.id)
        user = get_user(meta, claims.credential_id)
    except NotFoundError:
        return None
    if not user.active or user.project_id != claims.project_id:
        return None
    return Principal(user.project_id, user.role, f"user:{user.id}")


def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    field = getattr(request.state, _FORM_CSRF_STATE, None)
    return field if isinstance(field, str) else None


def _csrf_matches(request: Request) -> bool:
    return verify_csrf(
        app_context(request).meta.derive_key(_CSRF_PURPOSE),
        request.cookies.get(CSRF_COOKIE),
        _submitted_csrf(request),
    )


async def read_form(request: Request) -> dict[str, str]:
    """The text fields of a posted HTML form (empty for other bodies).

    Starlette caches the parsed form on the request, so reading it here and
    again in the endpoint consumes the body once. The form's ``csrf_token``
    field is remembered for :func:`session_principal`: call this before
    authorizing a form post, since browsers cannot add an ``X-CSRF-Token``
    header to a plain form submission.
    """
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in _FORM_TYPES:
        return {}
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    setattr(request.state, _FORM_CSRF_STATE, fields.get(CSRF_FIELD))
    return fields


def csrf_satisfied(request: Request) -> bool:
    """False only for a state-changing request riding a session cookie without the token.

    Bearer-key requests and servers without auth carry no ambient credential a
    cross-site page could abuse, so they need no token.
    """
    if request.method in _SAFE_METHODS or request.headers.get("authorization"):
        return True
    if not app_context(request).authenticator.auth_required:
        return True
    if not request.cookies.get(SESSION_COOKIE):
        return True
    return _csrf_matches(request)


def login_router() -> APIRouter:
    """``/login`` and ``/logout`` (not part of the REST API's OpenAPI document)."""
    # Imported here: heron.ui's form handlers import this module's CSRF helpers.
    from heron.ui.render import make_environment

    router = APIRouter(tags=["ui"], include_in_schema=False)
    env = make_environment()

    def page(
        request: Request, csrf: str, *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        ctx = app_context(request)
        body = env.get_template("login.html").render(
            path=request.url.path,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf,
            error=error,
            next=_safe_next(request.query_params.get("next")),
            auth_required=ctx.authenticator.auth_required,
            logged_in=session_principal(request) is not None,
        )
        response = HTMLResponse(body, status_code=status)
        _set_cookie(request, response, CSRF_COOKIE, csrf, SESSION_TTL_S)
        return response

    def csrf_of(request: Request) -> str:
        key = app_context(request).meta.derive_key(_CSRF_PURPOSE)
        cookie = request.cookies.get(CSRF_COOKIE)
        if cookie is not None and verify_csrf(key, cookie, cookie):
            return cookie
        return issue_csrf(key)

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return page(request, csrf_of(request))

    @router.post("/login")
    async def login(request: Request) -> Response:
        ctx = app_context(request)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        csrf_key = ctx.meta.derive_key(_CSRF_PURPOSE)
        if not verify_csrf(csrf_key, request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
            return page(
                request,
                issue_csrf(csrf_key),
                error="The form expired or came from another site; please log in again.",
                status=403,
            )
        try:
            found = await run_in_threadpool(_check_credentials, ctx.meta, fields)
        except HeronError as exc:
            return page(request, csrf_of(request), error=str(exc), status=503)
        if isinstance(found, str):
            log.info("login_failed", reason=found)
            status = 403 if found == "ingest_key" else 401
            message = (
                "Ingest keys can only send telemetry; log in with a read or admin key."
                if found == "ingest_key"
                else "Those credentials are not valid."
            )
            return page(request, csrf_of(request), error=message, status=status)
        _, credential_id, principal = found
        kind: CredentialKind = "key" if found[0] == "key" else "user"
        token = issue_session(
            ctx.meta.derive_key(_SESSION_PURPOSE),
            kind,
            credential_id,
            principal.project_id,
            principal.role,
        )
        response = RedirectResponse(_safe_next(fields.get("next")), status_code=303)
        _set_cookie(request, response, SESSION_COOKIE, token, SESSION_TTL_S)
        # A fresh CSRF token per session: one seen before login is worthless after it.
        _set_cookie(request, response, CSRF_COOKIE, issue_csrf(csrf_key), SESSION_TTL_S)
        log.info("login", project_id=principal.project_id, role=principal.role, via=kind)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await read_form(request)
        key = app_context(request).meta.derive_key(_CSRF_PURPOSE)
        if not _csrf_matches(request):
            return page(request, issue_csrf(key), error="The logout form expired.", status=403)
        response = RedirectResponse("/login", status_code=303)
        secure = request.url.scheme == "https"
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="strict"
        )
        return response

    return router


def _check_credentials(meta: MetaStore, fields: dict[str, str]) -> tuple[str, str, Principal] | str:
    """``(kind, credential id, principal)`` for valid credentials, else a failure reason."""
    api_key = fields.get("api_key", "").strip()
    if api_key:
        key = meta.verify_key(api_key)
        if key is None:
            return "bad_key"
        if key.role == "ingest":
            return "ingest_key"
        return "key", key.id, Principal(key.project_id, key.role, key.id)
    username = fields.get("username", "").strip()
    password = fields.get("password", "")
    if not username or not password:
        return "missing_fields"
    user = find_user(meta, username)
    # verify_password(..., None) burns the same time as a real check: no user enumeration.
    stored = user.password_hash if user is not None and user.active else None
    if not verify_password(password, stored) or user is None:
        return "bad_password"
    return "user", user.id, Principal(user.project_id, user.role, f"user:{user.id}")


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
