"""Admin REST routes: API keys and project settings (retention, content capture, redaction).

Everything is scoped to the caller's own project. A project id other than the
caller's answers 404 exactly like an id that does not exist, so a key of one
project cannot learn whether another project exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from heron.api.context import AppContext, app_context, authorizer
from heron.auth import Principal
from heron.errors import NotFoundError
from heron.security.policy import policy_for_project
from heron.security.project_settings import (
    MAX_RETENTION_DAYS,
    ProjectSettingsChange,
    update_project_settings,
)
from heron.security.retention import oldest_kept
from heron.store.meta import UNSET, ApiKey, Project, Role
from heron.store.telemetry import ClickHouseTelemetryStore

__all__ = ["admin_router", "change_project_settings"]

Admin = Annotated[Principal, Depends(authorizer("admin"))]
Reader = Annotated[Principal, Depends(authorizer("read"))]

RETENTION_NOTE: Final = (
    "Retention applies to data ingested after a change; with apply_to_existing (the "
    "default) stored rows are re-stamped too, in the background, and rows older than the "
    "new limit disappear at the store's next merge."
)


class KeyIn(BaseModel):
    """A new API key."""

    model_config = ConfigDict(extra="forbid")
    role: Role = Field(description="ingest: write telemetry; read: query; admin: everything.")
    name: str | None = Field(None, max_length=200, description="A label, e.g. 'billing-api'.")


class ProjectPatch(BaseModel):
    """Settings to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    retention_days: int | None = Field(
        None,
        ge=1,
        le=MAX_RETENTION_DAYS,
        description="Days to keep telemetry; null keeps it forever.",
    )
    capture_content: bool | None = Field(
        None, description="false stores counts, tokens and cost but no prompt or completion text."
    )
    redaction: dict[str, Any] | None = Field(
        None,
        description='{"pii": {"email": true, ...} | bool, "patterns": [{"name", "regex"}], '
        '"deny_attributes": ["gen_ai.prompt.*", ...]}',
    )
    apply_to_existing: bool = Field(
        True, description="Also re-stamp already stored rows with the new retention."
    )


def _key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "project_id": key.project_id,
        "role": key.role,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "active": key.active,
    }


def _own_project(request: Request, principal: Principal, project_id: str) -> Project:
    if project_id != principal.project_id:
        # The same error and message as a missing id: existence is not revealed.
        raise NotFoundError(f"project {project_id!r} does not exist")
    try:
        return app_context(request).meta.get_project(project_id)
    except NotFoundError:
        raise NotFoundError(f"project {project_id!r} does not exist") from None


def _project_json(request: Request, project: Project) -> dict[str, Any]:
    ctx = app_context(request)
    oldest: datetime | None = None
    if isinstance(ctx.store, ClickHouseTelemetryStore):
        oldest = oldest_kept(ctx.store, project.id)
    return {
        "id": project.id,
        "name": project.name,
        "created_at": project.created_at.isoformat(),
        "retention_days": project.retention_days,
        "capture_content": project.capture_content,
        "redaction": project.redaction,
        "effective_redaction": policy_for_project(project, ctx.settings).to_json(),
        "oldest_data": oldest.isoformat() if oldest else None,
        "retention_note": RETENTION_NOTE,
    }


def change_project_settings(
    ctx: AppContext, project: Project, change: ProjectSettingsChange
) -> Project:
    """Apply ``change`` (API and Settings form alike) and drop this server's caches of it."""
    return update_project_settings(
        ctx.meta,
        ctx.store,
        ctx.settings,
        project,
        change,
        invalidate=lambda project_id: _invalidate_project_caches(ctx, project_id),
    )


def _invalidate_project_caches(ctx: AppContext, project_id: str) -> None:
    """Drop this server's cached policy and retention so a settings change applies at once."""
    for name in ("policy_cache", "retention_lookup"):
        cache = ctx.extras.get(name)
        if cache is not None:
            cache.invalidate(project_id)
    guard = ctx.extras.get("ingest_guard")
    if guard is not None:
        guard.policies.invalidate(project_id)


def admin_router() -> APIRouter:
    """``/api/v1/keys`` and ``/api/v1/projects/{id}``."""
    router = APIRouter(prefix="/api/v1", tags=["admin"])

    @router.post("/keys", status_code=201, summary="Create an API key (the secret is shown once)")
    def create_key(request: Request, principal: Admin, body: KeyIn) -> dict[str, Any]:
        key, secret = app_context(request).meta.create_key(
            principal.project_id, body.role, body.name
        )
        return {**_key_json(key), "secret": secret}

    @router.get("/keys", summary="The project's API keys (never their secrets)")
    def list_keys(request: Request, principal: Admin) -> dict[str, Any]:
        keys = app_context(request).meta.list_keys(principal.project_id)
        return {"keys": [_key_json(k) for k in keys]}

    @router.delete("/keys/{key_id}", summary="Revoke an API key of the project")
    def revoke_key(request: Request, principal: Admin, key_id: str) -> dict[str, Any]:
        try:
            key = app_context(request).meta.revoke_key(key_id, principal.project_id)
        except NotFoundError:
            raise NotFoundError(f"key {key_id!r} does not exist in this project") from None
        return _key_json(key)

    @router.get("/projects/{project_id}", summary="Project settings and the oldest data kept")
    def get_project(request: Request, principal: Reader, project_id: str) -> dict[str, Any]:
        return _project_json(request, _own_project(request, principal, project_id))

    @router.patch("/projects/{project_id}", summary="Change retention, capture or redaction")
    def patch_project(
        request: Request,
        principal: Admin,
        project_id: str,
        body: Annotated[ProjectPatch, Body()],
    ) -> dict[str, Any]:
        ctx = app_context(request)
        project = _own_project(request, principal, project_id)
        given = body.model_fields_set
        change = ProjectSettingsChange(
            retention_days=body.retention_days if "retention_days" in given else UNSET,
            capture_content=(
                body.capture_content
                if "capture_content" in given and body.capture_content is not None
                else UNSET
            ),
            redaction=body.redaction
            if "redaction" in given and body.redaction is not None
            else UNSET,
            apply_to_existing=body.apply_to_existing,
        )
        return _project_json(request, change_project_settings(ctx, project, change))

    return router
