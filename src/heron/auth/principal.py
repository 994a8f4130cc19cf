"""Who is calling and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from heron.store.meta.records import Role

__all__ = ["ALLOWED_ACTIONS", "Action", "Principal"]

Action = Literal["ingest", "read", "admin"]
"""What a request does: write telemetry or scores, read data, or manage the project."""

ALLOWED_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    "ingest": frozenset({"ingest"}),
    "read": frozenset({"read"}),
    "admin": frozenset({"ingest", "read", "admin"}),
}
"""Each role's actions. Ingest keys live in apps and read keys in dashboards,
so a leaked one of either can do only its own half."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: one project, one role, and the key (``None`` when auth is off)."""

    project_id: str
    role: Role
    key_id: str | None = None

    def can(self, action: Action) -> bool:
        """True when this principal's role allows ``action`` in its own project."""
        return action in ALLOWED_ACTIONS[self.role]
