"""Session and CSRF tokens, password hashes, and the users table."""

from __future__ import annotations

import hmac
from typing import Any

import pytest

from heron.errors import ConfigError
from heron.security import hash_password, verify_password
from heron.security import passwords as passwords_module
from heron.security import sessions as sessions_module
from heron.security.sessions import issue_csrf, issue_session, read_session, verify_csrf
from heron.store.meta import MetaStore
from heron.store.meta.users import create_user, disable_user, find_user, get_user, list_users

KEY = b"k" * 32


def test_session_round_trip_expiry_and_tampering() -> None:
    token = issue_session(KEY, "user", "u1", "p1", "read", ttl_s=60, now=1000)
    claims = read_session(KEY, token, now=1059)
    assert claims is not None
    assert (claims.kind, claims.credential_id, claims.project_id, claims.role) == (
        "user",
        "u1",
        "p1",
        "read",
    )
    assert read_session(KEY, token, now=1060) is None  # expired
    assert read_session(b"x" * 32, token, now=1000) is None  # another server secret
    payload, signature = token.split(".")
    forged = issue_session(KEY, "user", "u1", "p1", "admin", now=1000).split(".")[0]
    assert read_session(KEY, f"{forged}.{signature}", now=1000) is None
    assert read_session(KEY, payload, now=1000) is None
    assert read_session(KEY, None) is None


def test_csrf_double_submit() -> None:
    token = issue_csrf(KEY)
    assert verify_csrf(KEY, token, token)
    assert not verify_csrf(KEY, token, issue_csrf(KEY))
    assert not verify_csrf(KEY, token, None)
    # A cookie planted by an attacker (unsigned, or signed with another key) is refused.
    value = token.split(".")[0]
    assert not verify_csrf(KEY, f"{value}.AAAA", f"{value}.AAAA")
    assert not verify_csrf(b"y" * 32, token, token)


def _spy_compare_digest(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[int]:
    calls: list[int] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(module.hmac, "compare_digest", spy)
    return calls


def test_secret_comparisons_are_timing_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = hash_password("correct horse battery")
    password_calls = _spy_compare_digest(monkeypatch, passwords_module)
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("correct horse batterx", hashed)
    assert len(password_calls) == 2
    token = issue_session(KEY, "key", "k1", "p1", "admin")
    session_calls = _spy_compare_digest(monkeypatch, sessions_module)
    assert read_session(KEY, token) is not None
    assert verify_csrf(KEY, issue_csrf(KEY), "x") is False
    assert len(session_calls) >= 3


def test_passwords_hash_with_salt_and_refuse_short_ones() -> None:
    first, second = hash_password("a long passphrase"), hash_password("a long passphrase")
    assert first != second  # per-user salt
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("a long passphrase", second)
    assert not verify_password("a long passphrase", None)  # unknown user: same work, False
    assert not verify_password("a long passphrase", "bcrypt$whatever")
    with pytest.raises(ConfigError, match="characters"):
        hash_password("short")


def test_users_are_stored_hashed_unique_and_can_be_disabled(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    user = create_user(meta, project.id, "alice", hash_password("a long passphrase"), "admin")
    found = find_user(meta, "alice")
    assert found is not None
    assert found.id == user.id
    assert found.role == "admin"
    assert verify_password("a long passphrase", found.password_hash)
    assert "passphrase" not in found.password_hash
    assert [u.username for u in list_users(meta, project.id)] == ["alice"]
    assert list_users(meta, project.id)[0].password_hash == ""
    with pytest.raises(ConfigError, match="taken"):
        create_user(meta, project.id, "alice", hash_password("another passphrase"))
    with pytest.raises(ConfigError, match="role"):
        create_user(meta, project.id, "bob", "x", "ingest")  # type: ignore[arg-type]
    disable_user(meta, user.id, project.id)
    assert not get_user(meta, user.id).active
    assert meta.schema_revision() is not None
    assert meta.schema_revision() >= "0002"  # revisions are numbered; users came in 0002
