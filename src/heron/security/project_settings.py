"""Changing a project's retention, content capture and redaction, in one place.

``PATCH /api/v1/projects/{id}`` and the Settings page form both call
:func:`update_project_settings`, so a value refused by one is refused by the
other with the same message, and both re-stamp stored rows the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from heron.config import Settings
from heron.errors import ConfigError
from heron.protocols import TelemetryStore
from heron.security.policy import policy_for_project
from heron.security.retention import apply_retention
from heron.store.meta import UNSET, MetaStore, Project, Unset
from heron.store.telemetry import ClickHouseTelemetryStore

__all__ = ["MAX_RETENTION_DAYS", "ProjectSettingsChange", "update_project_settings"]

MAX_RETENTION_DAYS: Final = 3650


@dataclass(frozen=True, slots=True)
class ProjectSettingsChange:
    """Settings to change; ``UNSET`` fields stay as they are.

    ``retention_days=None`` keeps telemetry forever. ``apply_to_existing``
    also re-stamps rows already stored with the new retention.
    """

    retention_days: int | Unset | None = UNSET
    capture_content: bool | Unset = UNSET
    redaction: Mapping[str, Any] | Unset = UNSET
    apply_to_existing: bool = True


def _check_retention(days: int | Unset | None) -> None:
    if isinstance(days, Unset) or days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"retention of {days!r} days is out of range; give a whole number from 1 to "
            f"{MAX_RETENTION_DAYS}, or leave it empty (null) to keep telemetry forever"
        )


def update_project_settings(
    meta: MetaStore,
    store: TelemetryStore,
    settings: Settings,
    project: Project,
    change: ProjectSettingsChange,
    *,
    invalidate: Callable[[str], None] | None = None,
) -> Project:
    """Validate and store ``change`` for ``project``; return the updated project.

    A redaction setting is parsed into a policy before anything is stored, so
    a bad regex or an unknown PII kind raises :class:`ConfigError` (400) now
    rather than failing at ingest. When the retention changes and
    ``apply_to_existing`` is set, stored rows are re-stamped in the background
    (ClickHouse stores only). ``invalidate(project_id)`` then drops this
    server's cached policy and retention so the change applies at once.
    """
    _check_retention(change.retention_days)
    if not isinstance(change.redaction, Unset):
        policy_for_project(
            Project(project.id, project.name, project.created_at, redaction=dict(change.redaction)),
            settings,
        )
    updated = meta.update_project(
        project.id,
        retention_days=change.retention_days,
        capture_content=change.capture_content,
        redaction=change.redaction,
    )
    if (
        change.apply_to_existing
        and not isinstance(change.retention_days, Unset)
        and updated.retention_days != project.retention_days
        and isinstance(store, ClickHouseTelemetryStore)
    ):
        apply_retention(store, project.id, updated.retention_days)
    if invalidate is not None:
        invalidate(project.id)
    return updated
