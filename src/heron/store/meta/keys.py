"""API-key secrets: their format, their hash at rest, and the server secret that keys the hash.

A key looks like ``heron_a_<43 url-safe characters>``: a fixed tag, the role's
letter (``i`` ingest, ``r`` read, ``a`` admin) so a human can tell what a
leaked key can do, and 32 bytes (256 bits) from :mod:`secrets`.

At rest only ``HMAC-SHA256(server_secret, key)`` is stored. A plain hash would
do against guessing (the key has 256 bits), but the HMAC also means a stolen
database copy without the server secret cannot even confirm a key found
elsewhere. The server secret comes from ``HERON_SECRET_KEY`` (every process of a
multi-server deployment must share it) or from ``<data_dir>/server.secret``,
created once with mode 0600. The file holds the same text form the variable
takes, so moving from one machine to many is a copy: ``HERON_SECRET_KEY=$(cat
.heron/server.secret)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from heron.errors import ConfigError
from heron.store.meta.records import ROLE_LETTERS, Role

__all__ = [
    "KEY_TAG",
    "MIN_SERVER_SECRET_CHARS",
    "PREFIX_CHARS",
    "SECRET_ENV",
    "SECRET_FILE",
    "generate_key",
    "hash_key",
    "key_prefix",
    "load_server_secret",
    "looks_like_key",
]

KEY_TAG: Final = "heron_"
RANDOM_BYTES: Final = 32
# token_urlsafe(32) is 43 characters: base64 of 32 bytes without padding.
_RANDOM_CHARS: Final = 43
_KEY_CHARS: Final = len(KEY_TAG) + 2 + _RANDOM_CHARS
PREFIX_CHARS: Final = 8
"""Random characters kept for display after the tag (48 of 256 bits: harmless to show)."""
SECRET_ENV: Final = "HERON_SECRET_KEY"  # noqa: S105 - a variable name, not a secret
SECRET_FILE: Final = "server.secret"  # noqa: S105 - a file name, not a secret
MIN_SERVER_SECRET_CHARS: Final = 32
_GENERATE_HINT: Final = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def generate_key(role: Role) -> str:
    """A new plaintext key for ``role``; show it once, store only :func:`hash_key` of it."""
    return f"{KEY_TAG}{ROLE_LETTERS[role]}_{secrets.token_urlsafe(RANDOM_BYTES)}"


def key_prefix(key: str) -> str:
    """The displayable start of a key: tag, role letter and the first random characters."""
    return key[: len(KEY_TAG) + 2 + PREFIX_CHARS]


def looks_like_key(candidate: str) -> bool:
    """Cheap shape check so obvious garbage never reaches the database."""
    return (
        len(candidate) == _KEY_CHARS
        and candidate.startswith(KEY_TAG)
        and candidate[len(KEY_TAG)] in ROLE_LETTERS.values()
        and candidate[len(KEY_TAG) + 1] == "_"
    )


def hash_key(server_secret: bytes, key: str) -> str:
    """HMAC-SHA256 of the key under the server secret, as 64 hex characters."""
    return hmac.new(server_secret, key.encode("utf-8"), hashlib.sha256).hexdigest()


def load_server_secret(data_dir: Path | None, env: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key for API keys: ``$HERON_SECRET_KEY``, else ``<data_dir>/server.secret``.

    The file is created (mode 0600, 256 random bits) on first use. Raises
    :class:`ConfigError` when neither source is available or usable.
    """
    environ = os.environ if env is None else env
    from_env = environ.get(SECRET_ENV, "").strip()
    if from_env:
        if len(from_env) < MIN_SERVER_SECRET_CHARS:
            raise ConfigError(
                f"{SECRET_ENV} is {len(from_env)} characters, fewer than "
                f"{MIN_SERVER_SECRET_CHARS}: too short to protect API keys; "
                f"generate one with {_GENERATE_HINT}"
            )
        return from_env.encode("utf-8")
    if data_dir is None:
        raise ConfigError(
            f"no server secret for hashing API keys: set {SECRET_ENV} (the same value on "
            f"every heron process sharing this metadata database); generate one with "
            f"{_GENERATE_HINT}"
        )
    return _read_or_create(Path(data_dir) / SECRET_FILE)


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the server secret {path}: {exc}; check its owner and permissions "
            f"or set {SECRET_ENV}"
        ) from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the server secret {path} is readable by other users (mode "
            f"{stat.S_IMODE(mode):o}); anyone who reads it can forge-check API keys: "
            f"run chmod 600 {path}"
        )
    if len(text) < MIN_SERVER_SECRET_CHARS:
        raise ConfigError(
            f"the server secret {path} holds {len(text)} characters, fewer than "
            f"{MIN_SERVER_SECRET_CHARS}; it was truncated or hand-edited. Restore it from a "
            "backup (existing API keys only verify against the original), or delete it to "
            "generate a new one and re-create every key"
        )
    return text.encode("utf-8")


def _create(path: Path) -> None:
    """Write the secret to a private temp file, then link it into place.

    ``os.link`` fails if the target exists, so two processes starting at once
    agree on one secret and nobody ever reads a half-written file.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(RANDOM_BYTES) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the server secret {path}: {exc}; make the data directory "
            f"writable or set {SECRET_ENV}"
        ) from exc
