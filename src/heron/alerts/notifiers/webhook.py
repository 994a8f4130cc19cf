"""Generic webhook: the alert payload as JSON, signed with HMAC-SHA256.

The receiver verifies ``X-Heron-Signature: sha256=<hex>``, the HMAC of the raw
request body with the shared secret, before trusting the alert (compare with
``hmac.compare_digest``). :func:`signature` computes it the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from heron.alerts.notifiers.base import post_json_bytes
from heron.errors import ConfigError

__all__ = ["SIGNATURE_HEADER", "WebhookNotifier", "encode_payload", "signature"]

SIGNATURE_HEADER = "X-Heron-Signature"


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact, key-sorted UTF-8 JSON."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC of body>``, the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """POSTs each notification to ``url``, signed when a ``secret`` is configured."""

    def __init__(
        self, name: str, url: str, *, secret: str | None = None, timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:  # fmt: skip
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"webhook {name!r}: url {url!r} must start with http:// or https://")
        self.name = name
        self.url = url
        self._secret = secret
        self._client = client or httpx.Client(timeout=timeout_s)

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver once; raise NotificationError on a non-2xx answer or a network error."""
        body = encode_payload(payload)
        headers = {"User-Agent": "heron-alerts"}
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        post_json_bytes(self._client, self.url, body, headers, name=f"webhook {self.name!r}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
