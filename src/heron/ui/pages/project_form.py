"""Settings form for the project's retention, content capture and redaction.

``POST /settings/project`` turns the form into a
:class:`~heron.security.project_settings.ProjectSettingsChange` and applies it
with the same function as ``PATCH /api/v1/projects/{id}``. The form always
posts every setting (an unchecked box is simply absent), so it replaces the
redaction settings as a whole: PII kinds explicitly on or off, one custom
pattern per line as ``name = regex``, one denied attribute key per line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from heron.api.admin import change_project_settings
from heron.api.context import app_context
from heron.config import Settings
from heron.errors import ConfigError, HeronError
from heron.security.pii import PII_KINDS
from heron.security.policy import policy_for_project
from heron.security.project_settings import MAX_RETENTION_DAYS, ProjectSettingsChange
from heron.store.meta import Project
from heron.ui.forms import authorize_form
from heron.ui.render import Renderer

__all__ = ["FLASHES", "MAX_RETENTION_DAYS", "ProjectForm", "parse_project_form", "register"]

FLASHES: Final[dict[str, str]] = {
    "project": "Project settings saved.",
    "project-restamp": (
        "Project settings saved. Stored telemetry is being re-stamped with the new retention "
        "in the background; rows past it disappear at the store's next merge."
    ),
}
"""Messages shown after a redirect (``?saved=<key>``): fixed text, nothing from the URL."""


@dataclass(frozen=True, slots=True)
class ProjectForm:
    """What the form's fields show: the stored settings, or what was just submitted."""

    retention_days: str
    capture_content: bool
    apply_to_existing: bool
    pii: dict[str, bool]
    patterns: str
    deny_attributes: str

    @classmethod
    def of_project(cls, project: Project, settings: Settings) -> ProjectForm:
        """The stored settings, with omitted PII kinds shown at their effective value."""
        effective = policy_for_project(project, settings).to_json()
        return cls(
            retention_days=str(project.retention_days or ""),
            capture_content=project.capture_content,
            apply_to_existing=True,
            pii={kind: bool(effective["pii"][kind]) for kind in PII_KINDS},
            patterns="\n".join(f"{p['name']} = {p['regex']}" for p in effective["patterns"]),
            deny_attributes="\n".join(effective["deny_attributes"]),
        )

    @classmethod
    def of_fields(cls, fields: Mapping[str, str]) -> ProjectForm:
        """The submitted values, to show them again next to a validation error."""
        return cls(
            retention_days=fields.get("retention_days", "").strip(),
            capture_content="capture_content" in fields,
            apply_to_existing="apply_to_existing" in fields,
            pii={kind: f"pii_{kind}" in fields for kind in PII_KINDS},
            patterns=fields.get("patterns", ""),
            deny_attributes=fields.get("deny_attributes", ""),
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _patterns(text: str) -> list[dict[str, str]]:
    out = []
    for number, line in enumerate(_lines(text), start=1):
        name, sep, regex = line.partition("=")
        if not sep or not name.strip() or not regex.strip():
            raise ConfigError(
                f"custom pattern line {number} ({line!r}) is not 'name = regex'; write one "
                "pattern per line, e.g. employee_id = EMP-\\d{6}"
            )
        out.append({"name": name.strip(), "regex": regex.strip()})
    return out


def parse_project_form(fields: Mapping[str, str]) -> ProjectSettingsChange:
    """The change the form asks for; ``ConfigError`` names a malformed field.

    Ranges and regular expressions are checked by ``update_project_settings``.
    """
    text = fields.get("retention_days", "").strip()
    retention: int | None = None
    if text:
        try:
            retention = int(text)
        except ValueError:
            raise ConfigError(
                f"retention {text!r} is not a whole number of days; give 1 to "
                f"{MAX_RETENTION_DAYS}, or leave it empty to keep telemetry forever"
            ) from None
    redaction: dict[str, Any] = {
        "pii": {kind: f"pii_{kind}" in fields for kind in PII_KINDS},
        "patterns": _patterns(fields.get("patterns", "")),
        "deny_attributes": _lines(fields.get("deny_attributes", "")),
    }
    return ProjectSettingsChange(
        retention_days=retention,
        capture_content="capture_content" in fields,
        redaction=redaction,
        apply_to_existing="apply_to_existing" in fields,
    )


def register(
    router: APIRouter, renderer: Renderer, settings_page: Callable[..., Awaitable[Response]]
) -> None:
    """Add ``POST /settings/project`` (admin role)."""

    @router.post("/settings/project", include_in_schema=False)
    async def save_project(request: Request) -> Response:
        try:
            principal, fields = await authorize_form(request, "admin")
        except HeronError as exc:
            return renderer.error(request, exc)
        ctx = app_context(request)
        try:
            change = parse_project_form(fields)
            project = await run_in_threadpool(ctx.meta.get_project, principal.project_id)
            updated = await run_in_threadpool(change_project_settings, ctx, project, change)
        except ConfigError as exc:
            # Show the submitted values again with the reason, so nothing typed is lost.
            return await settings_page(
                request,
                status_code=400,
                project_error=str(exc),
                project_form=ProjectForm.of_fields(fields),
            )
        except HeronError as exc:
            return renderer.error(request, exc)
        restamped = change.apply_to_existing and updated.retention_days != project.retention_days
        saved = "project-restamp" if restamped else "project"
        return RedirectResponse(f"/settings?saved={saved}#project-settings", status_code=303)
