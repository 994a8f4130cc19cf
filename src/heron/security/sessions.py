"""Signed UI session tokens and CSRF tokens (no server-side session table).

A session token is ``<payload>.<signature>``: the payload (base64url JSON) names
the credential the user logged in with (an API key id or a user id), its
project and role, and an expiry; the signature is HMAC-SHA256 under a key
derived from the server secret (``MetaStore.derive_key``), so every server
sharing the secret accepts it and nobody can forge or extend one. The
credential is re-checked on every request, so revoking the key or disabling the
user ends the session at once; logging out deletes the cookie.

CSRF tokens are double-submit: a random value, signed the same way, sent as a
cookie and echoed in each form (or an ``X-CSRF-Token`` header). A cross-site
page can make the browser send the cookie but cannot read it to echo it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SESSION_TTL_S",
    "CredentialKind",
    "SessionClaims",
    "issue_csrf",
    "issue_session",
    "read_session",
    "verify_csrf",
]

SESSION_COOKIE: Final = "heron_session"
CSRF_COOKIE: Final = "heron_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
SESSION_TTL_S: Final = 12 * 3600

CredentialKind = Literal["key", "user"]


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a valid session token says."""

    kind: CredentialKind
    credential_id: str
    project_id: str
    role: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}:{payload}".encode(), hashlib.sha256).digest())


def issue_session(
    key: bytes,
    kind: CredentialKind,
    credential_id: str,
    project_id: str,
    role: str,
    *,
    ttl_s: int = SESSION_TTL_S,
    now: float | None = None,
) -> str:
    """A signed session token valid for ``ttl_s`` seconds."""
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {
        "k": kind,
        "c": credential_id,
        "p": project_id,
        "r": role,
        "x": issued + ttl_s,
        "n": secrets.token_hex(8),
    }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, 'session', payload)}"


def read_session(
    key: bytes, token: str | None, *, now: float | None = None
) -> SessionClaims | None:
    """The claims of a genuine, unexpired token; ``None`` for anything else."""
    if not token or token.count(".") != 1 or len(token) > 2048:
        return None
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(key, "session", payload)):
        return None
    try:
        body = json.loads(_unb64(payload))
        claims = SessionClaims(
            kind=body["k"],
            credential_id=str(body["c"]),
            project_id=str(body["p"]),
            role=str(body["r"]),
            expires_at=int(body["x"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if claims.kind not in ("key", "user"):
        return None
    if claims.expires_at <= (time.time() if now is None else now):
        return None
    return claims


def issue_csrf(key: bytes) -> str:
    """A new signed CSRF token for the cookie and the forms."""
    value = secrets.token_urlsafe(24)
    return f"{value}.{_sign(key, 'csrf', value)}"


def verify_csrf(key: bytes, cookie: str | None, submitted: str | None) -> bool:
    """True when the cookie is a genuine CSRF token and the form/header echoes it."""
    if not cookie or not submitted or cookie.count(".") != 1:
        return False
    value, signature = cookie.split(".")
    genuine = hmac.compare_digest(signature, _sign(key, "csrf", value))
    return hmac.compare_digest(cookie, submitted) and genuine
