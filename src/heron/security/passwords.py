"""Password hashing for UI users: scrypt with a per-user salt, compared in constant time.

The stored form is ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost
can be raised later without breaking existing hashes (each hash carries its
own parameters). scrypt is memory-hard: ``n=2**14, r=8`` costs 16 MiB and tens
of milliseconds per guess, which makes an offline dictionary attack on a
stolen database slow, while a login stays well under a second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from heron.errors import ConfigError

__all__ = ["MIN_PASSWORD_CHARS", "hash_password", "verify_password"]

MIN_PASSWORD_CHARS: Final = 10
_N: Final = 2**14
_R: Final = 8
_P: Final = 1
_SALT_BYTES: Final = 16
_KEY_BYTES: Final = 32
_MAX_PASSWORD_CHARS: Final = 1024
# A hash to verify against when the user does not exist, so "no such user" and
# "wrong password" take the same time and cannot be told apart.
_DUMMY: Final = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=_KEY_BYTES,
    )


def hash_password(password: str) -> str:
    """The storable hash of ``password``; :class:`ConfigError` if it is too weak."""
    if len(password) < MIN_PASSWORD_CHARS or len(password) > _MAX_PASSWORD_CHARS:
        raise ConfigError(
            f"the password has {len(password)} characters; use {MIN_PASSWORD_CHARS} to "
            f"{_MAX_PASSWORD_CHARS} (a passphrase of a few words is easiest to remember)"
        )
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _N, _R, _P)
    return "$".join(
        (
            "scrypt",
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; pass ``None`` for an unknown user.

    The final comparison is :func:`hmac.compare_digest`, and an unknown user is
    checked against a dummy hash, so timing reveals neither how much matched
    nor whether the user exists.
    """
    target = stored if stored is not None else _DUMMY
    try:
        scheme, n, r, p, salt_b64, hash_b64 = target.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(hash_b64)
        actual = _scrypt(password[:_MAX_PASSWORD_CHARS], salt, int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected) and stored is not None
