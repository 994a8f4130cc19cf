"""The metadata store's records: frozen values handed to callers, never live rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, get_args

__all__ = ["ROLES", "ROLE_LETTERS", "ApiKey", "Project", "Role"]

Role = Literal["ingest", "read", "admin"]
"""What a key may do: ``ingest`` writes only, ``read`` reads only, ``admin`` everything."""

ROLES: Final[tuple[Role, ...]] = get_args(Role)

ROLE_LETTERS: Final[dict[Role, str]] = {"ingest": "i", "read": "r", "admin": "a"}
"""The letter in ``heron_<letter>_...`` that lets a human tell a key's role at a glance."""


@dataclass(frozen=True, slots=True)
class Project:
    """A tenant: every span, score and key belongs to exactly one project."""

    id: str
    name: str
    created_at: datetime
    retention_days: int | None = None
    """Days telemetry is kept; ``None`` keeps it forever."""
    capture_content: bool = True
    """Store prompts and completions; ``False`` keeps counts, tokens and cost only."""
    redaction: dict[str, Any] = field(default_factory=dict, hash=False)
    """Redaction settings read by the normalize pipeline (opaque to the store)."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's public description; the secret itself is never part of it."""

    id: str
    project_id: str
    role: Role
    name: str | None
    prefix: str
    """The key's first characters (``heron_a_AbCdEfGh``), enough to recognise it in a list."""
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None
