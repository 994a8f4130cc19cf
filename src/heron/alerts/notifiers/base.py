"""What every notifier shares: the error it raises and the HTTP post with a status check."""

from __future__ import annotations

import httpx

from heron.errors import HeronError

__all__ = ["NotificationError", "post_json_bytes"]


class NotificationError(HeronError):
    """A receiver did not accept a notification; the outbox retries it."""


def post_json_bytes(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], *, name: str
) -> None:
    """POST ``body`` as JSON; raise NotificationError unless the receiver answers 2xx."""
    try:
        response = client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    except httpx.HTTPError as exc:
        raise NotificationError(
            f"{name}: cannot reach {url}: {type(exc).__name__}: {exc}; "
            "check the URL and that the receiver is up"
        ) from exc
    if not 200 <= response.status_code < 300:
        raise NotificationError(
            f"{name}: {url} answered HTTP {response.status_code}: {response.text[:200]!r}"
        )
