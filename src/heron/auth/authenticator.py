"""API-key authentication and role checks, for HTTP and gRPC alike.

Both transports hand over the ``authorization`` value (the HTTP header, or the
gRPC metadata entry of the same name) as ``Bearer <key>``.
"""

from __future__ import annotations

from typing import Final

import structlog

from heron.auth.principal import ALLOWED_ACTIONS, Action, Principal
from heron.config import Settings, is_loopback
from heron.errors import AuthError, ConfigError, ForbiddenError
from heron.store.meta import MetaStore

__all__ = ["Authenticator", "check_bind_safety", "decide_auth_required"]

log = structlog.get_logger(__name__)

_HOW_TO_SEND: Final = (
    "send a key as the header `Authorization: Bearer heron_...` (OTel exporters: "
    "OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer heron_...'; gRPC: the same "
    "`authorization` metadata); an admin creates one with "
    "`heron keys create --project NAME --role ingest|read|admin`"
)
_HOW_TO_CREATE: Final = "heron keys create --project NAME --role admin"


class Authenticator:
    """Turns an ``authorization`` value into a :class:`Principal` and checks roles.

    With ``auth_required=False`` (loopback without keys) every caller is the
    admin of the default project, unless it presents a valid key, which then
    routes the call to that key's project.
    """

    def __init__(self, meta: MetaStore, *, auth_required: bool, default_project_id: str) -> None:
        self._meta = meta
        self.auth_required = auth_required
        self.default_project_id = default_project_id
        if auth_required:
            # Fail at start, not on the first request, when no server secret is available.
            meta.check_server_secret()

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind ``authorization``; :class:`AuthError` (401) if it is not valid."""
        if not self.auth_required:
            if authorization:
                key = self._meta.verify_key(_bearer_token(authorization) or "")
                if key is not None:
                    return Principal(key.project_id, key.role, key.id)
            return Principal(self.default_project_id, "admin", None)
        if not authorization or not authorization.strip():
            raise AuthError(f"this heron requires an API key and none was sent; {_HOW_TO_SEND}")
        token = _bearer_token(authorization)
        if token is None:
            raise AuthError(
                "the authorization value is not of the form `Bearer <key>` "
                f"(scheme {authorization.strip().split(' ', 1)[0][:16]!r}); {_HOW_TO_SEND}"
            )
        key = self._meta.verify_key(token)
        if key is None:
            # Never echo the token: it may be a real secret meant for another service.
            log.info("auth_rejected", reason="unknown_or_revoked_key")
            raise AuthError(
                "the API key is not valid: it is mistyped, revoked, or from another heron "
                f"(`heron keys list` shows active keys by prefix); {_HOW_TO_SEND}"
            )
        return Principal(key.project_id, key.role, key.id)

    def require(
        self, principal: Principal, action: Action, *, project_id: str | None = None
    ) -> None:
        """Raise :class:`ForbiddenError` (403) unless ``principal`` may do ``action``.

        Pass ``project_id`` when the request names a project explicitly, so a
        key of project A is refused on project B even when its role fits.
        """
        if project_id is not None and project_id != principal.project_id:
            raise ForbiddenError(
                f"this key belongs to project {principal.project_id!r}, not {project_id!r}; "
                "use a key of the project you are addressing"
            )
        if not principal.can(action):
            allowed = sorted(r for r, acts in ALLOWED_ACTIONS.items() if action in acts)
            raise ForbiddenError(
                f"a {principal.role!r} key cannot {action}; this needs a key with role "
                f"{' or '.join(repr(r) for r in allowed)} in the same project "
                f"(`heron keys create --project NAME --role {allowed[0]}`)"
            )


def _bearer_token(authorization: str) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def decide_auth_required(settings: Settings, meta: MetaStore) -> bool:
    """``settings.auth_required`` if set; else on when any key exists or the host is public."""
    if settings.auth_required is not None:
        return settings.auth_required
    return not is_loopback(settings.host) or meta.has_active_keys()


def check_bind_safety(host: str, meta: MetaStore, *, auth_required: bool | None = None) -> None:
    """Refuse to start when nobody could, or anybody could, reach the data.

    * a non-loopback ``host`` with no active key: :class:`ConfigError` saying
      how to create one, unless auth was explicitly switched off
      (``auth_required=False``, e.g. behind a private container network),
      which is logged as a warning;
    * auth required with no active key at all: every call would get 401.
    """
    has_keys = meta.has_active_keys()
    public = not is_loopback(host)
    if public and auth_required is False:
        log.warning(
            "auth_disabled_on_public_address",
            host=host,
            hint="anyone who can reach this address can read and write every project",
        )
        return
    if has_keys:
        return
    if public:
        raise ConfigError(
            f"refusing to listen on {host!r} (not loopback) without any API key: anyone who "
            f"can reach it could read your prompts. Create a key first with "
            f"`{_HOW_TO_CREATE}`, or bind to 127.0.0.1"
        )
    if auth_required:
        raise ConfigError(
            "HERON_AUTH_REQUIRED is on but no API key exists, so every request would be "
            f"refused; create one with `{_HOW_TO_CREATE}`, or unset HERON_AUTH_REQUIRED"
        )
