"""The Jinja2 environment of the pages and the one place that turns a page into a response.

Autoescaping is on for every template: prompts and completions are user
content and routinely contain HTML. Nothing user-supplied is ever marked safe;
only ``heron.ui.charts`` returns ``Markup``, built with every text escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool

from heron import __version__
from heron.api.context import queries_for
from heron.api.errors import status_for
from heron.errors import AuthError, HeronError
from heron.query import ProjectQueries
from heron.security.sessions import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from heron.ui.format import FILTERS

__all__ = ["NAV", "TEMPLATES_DIR", "Renderer", "make_environment"]

log = structlog.get_logger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
# (path, label) of the main navigation, in order.
NAV: tuple[tuple[str, str], ...] = (
    ("/dashboard", "Dashboard"),
    ("/traces", "Traces"),
    ("/sessions", "Sessions"),
    ("/users", "Users"),
    ("/prompts", "Prompts"),
    ("/evals", "Evals"),
    ("/alerts", "Alerts"),
    ("/settings", "Settings"),
)


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The pages' environment: autoescape everywhere, strict undefined, heron's filters."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    # Pages rendered outside a request (tests, previews) get an empty token and no session.
    env.globals.update(
        nav=NAV, version=__version__, csrf_field=CSRF_FIELD, csrf_token="", signed_in=False
    )
    return env


PageBuilder = Callable[[ProjectQueries], Response]


class Renderer:
    """Renders templates into responses and runs page builders with the caller's project."""

    def __init__(self, env: Environment | None = None) -> None:
        self.env = env or make_environment()

    def html(self, template: str, context: Mapping[str, Any]) -> str:
        """The rendered template as a string (tests render model objects through this)."""
        return self.env.get_template(template).render(**context)

    def page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        """A full page; ``path`` marks the current navigation entry.

        Every POST form echoes the CSRF cookie in its hidden ``csrf_token``
        field (double submit); a cross-site page cannot read the cookie.
        """
        request_context = {
            "path": request.url.path,
            "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
            "signed_in": bool(request.cookies.get(SESSION_COOKIE)),
        }
        body = self.html(template, {**request_context, **context})
        return HTMLResponse(body, status_code=status_code)

    def error(self, request: Request, exc: HeronError) -> HTMLResponse:
        """The error page for a heron error, with the status the REST API would use."""
        code = status_for(exc)
        if code >= 500:
            log.error("page_failed", path=request.url.path, error=str(exc))
            message = "The store is unavailable; see the server log." if code == 503 else str(exc)
        else:
            message = str(exc)
        return self.page(
            request,
            "error.html",
            status_code=code,
            code=code,
            message=message,
            auth=isinstance(exc, AuthError),
        )

    async def serve(self, request: Request, build: PageBuilder) -> Response:
        """Authorize a read, then build the page off the event loop (store calls block)."""
        try:
            queries = await queries_for("read")(request)
            return await run_in_threadpool(build, queries)
        except HeronError as exc:
            return self.error(request, exc)
