"""Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat accept this shape)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from heron.alerts.notifiers.base import post_json_bytes
from heron.errors import ConfigError

__all__ = ["SlackNotifier", "slack_message"]

_ICONS = {
    "firing": ":rotating_light:",
    "repeat": ":rotating_light:",
    "resolved": ":white_check_mark:",
    "no_data": ":grey_question:",
}


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for an alert payload; ``text`` is the fallback."""
    rule = payload["rule"]
    icon = _ICONS.get(str(payload.get("kind")), ":bell:")
    value = payload.get("value")
    shown = "no data" if value is None else f"{value:.4g} {rule['unit']}"
    fields = [
        f"*Project*\n{payload['project_id']}",
        f"*Severity*\n{rule['severity']}",
        f"*Value*\n{shown}",
        f"*Condition*\n{rule['metric']} {rule['comparison']} {rule['threshold']:g} {rule['unit']}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{rule['name']}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {payload['message']}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"heron · rule `{rule['id']}` · {payload['at']}"},
        ]},
    ]  # fmt: skip
    return {"text": f"{icon} {payload['message']}", "blocks": blocks}


class SlackNotifier:
    """Posts notifications to a Slack-compatible incoming webhook URL."""

    def __init__(
        self, name: str, url: str, *, timeout_s: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"slack {name!r}: url {url!r} must start with http:// or https://")
        self.name = name
        self.url = url
        self._client = client or httpx.Client(timeout=timeout_s)

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver once; raise NotificationError when the webhook refuses it."""
        body = json.dumps(slack_message(payload), ensure_ascii=False).encode()
        post_json_bytes(self._client, self.url, body, {}, name=f"slack {self.name!r}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
