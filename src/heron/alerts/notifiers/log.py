"""Log notifier: every notification as one structured log line (always configured)."""

from __future__ import annotations

from typing import Any

import structlog

__all__ = ["LogNotifier"]


class LogNotifier:
    """Writes notifications to the ``heron.alerts`` logger; never fails."""

    def __init__(self, name: str = "log") -> None:
        self.name = name
        self._log = structlog.get_logger("heron.alerts")

    def send(self, payload: dict[str, Any]) -> None:
        """Log the payload at warning level (info for resolutions)."""
        method = self._log.info if payload.get("kind") == "resolved" else self._log.warning
        method(
            "alert", kind=payload.get("kind"), project_id=payload.get("project_id"),
            rule_id=payload.get("rule", {}).get("id"), value=payload.get("value"),
            message=payload.get("message"), dedup_key=payload.get("dedup_key"),
        )  # fmt: skip
