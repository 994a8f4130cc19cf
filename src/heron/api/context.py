"""What request handlers reach: the running components, and the caller's project."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Request

from heron.query import ProjectQueries

if TYPE_CHECKING:
    from heron.auth import Authenticator, Principal
    from heron.config import Settings
    from heron.model import Score
    from heron.protocols import TelemetryStore
    from heron.store.meta import MetaStore

__all__ = ["AppContext", "app_context", "authorizer", "principal_of", "queries_for"]

Action = Literal["ingest", "read", "admin"]


@dataclass
class AppContext:
    """The components a request can use; built by ``heron.app.create_app``."""

    settings: Settings
    store: TelemetryStore
    meta: MetaStore
    authenticator: Authenticator
    extras: dict[str, Any] = field(default_factory=dict)
    ready_checks: list[Callable[[], None]] = field(default_factory=list)
    score_observers: list[Callable[[Sequence[Score]], None]] = field(default_factory=list)


def app_context(request: Request) -> AppContext:
    """The AppContext stored on the app at start."""
    ctx: AppContext = request.app.state.heron
    return ctx


def principal_of(request: Request) -> Principal:
    """Authenticate the request's bearer key (or the local default when auth is off)."""
    ctx = app_context(request)
    header = request.headers.get("authorization")
    if not header and ctx.authenticator.auth_required:
        # The UI: a signed session cookie from /login stands in for the bearer key.
        from heron.api.login import session_principal

        found = session_principal(request)
        if found is not None:
            return found
    return ctx.authenticator.authenticate(header)


def authorizer(action: Action) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that authenticates and checks the role allows ``action``."""

    async def dependency(request: Request) -> Principal:
        principal = principal_of(request)
        app_context(request).authenticator.require(principal, action)
        return principal

    return dependency


def queries_for(action: Action) -> Callable[[Request], Awaitable[ProjectQueries]]:
    """A dependency giving reads/writes bound to the caller's project."""
    check = authorizer(action)

    async def dependency(request: Request) -> ProjectQueries:
        principal = await check(request)
        return ProjectQueries(app_context(request).store, principal.project_id)

    return dependency
