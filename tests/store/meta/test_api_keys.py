"""API keys: format, hashing at rest, verification, revocation; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hmac
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, update

from heron.errors import ConfigError, NotFoundError
from heron.store.meta import ROLES, MetaStore, Role, hash_key, open_meta_store
from heron.store.meta.keys import load_server_secret
from heron.store.meta.schema import api_keys

URLSAFE = set(string.ascii_letters + string.digits + "-_")
LETTER = {"ingest": "i", "read": "r", "admin": "a"}


def _all_stored_values(meta: MetaStore) -> list[str]:
    """Every value in every table of the database, as text."""
    reflected = MetaData()
    reflected.reflect(meta.engine)
    values: list[str] = []
    with meta.engine.connect() as conn:
        for table in reflected.sorted_tables:
            for row in conn.execute(select(table)):
                values.extend(str(v) for v in row)
    return values


@pytest.mark.parametrize("role", ROLES)
def test_key_format_and_entropy(meta: MetaStore, role: Role) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, role, name="svc")
    tag = f"heron_{LETTER[role]}_"
    assert secret.startswith(tag)
    random_part = secret[len(tag) :]
    assert set(random_part) <= URLSAFE
    # 32 random bytes from `secrets`, url-safe base64 without padding.
    assert len(base64.urlsafe_b64decode(random_part + "=")) == 32
    assert key.prefix == secret[: len(tag) + 8]
    assert (key.project_id, key.role, key.name) == (project.id, role, "svc")
    assert key.active
    assert key.last_used_at is None
    assert key.revoked_at is None


def test_secrets_are_unique(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    secrets = {meta.create_key(project.id, "ingest")[1] for _ in range(50)}
    assert len(secrets) == 50
    # Even the 8 displayed random characters differ (a 1 in 2^48 chance each if not random).
    assert len({s[8:16] for s in secrets}) == 50


def test_database_never_contains_the_secret(meta: MetaStore, data_dir: Path) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "admin", name="root")
    assert meta.verify_key(secret) == meta.get_key(key.id)
    random_part = secret[8:]
    stored = _all_stored_values(meta)
    assert stored, "the dump found nothing: the check would be vacuous"
    assert not [v for v in stored if random_part[8:] in v]
    server_secret = load_server_secret(data_dir, env={})
    assert hash_key(server_secret, secret) in stored
    if meta.dialect == "sqlite":
        for path in data_dir.glob("meta.db*"):
            assert random_part[8:].encode() not in path.read_bytes()


def test_verify_returns_the_key_and_rejects_everything_else(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "read")
    found = meta.verify_key(secret)
    assert found is not None
    assert (found.id, found.project_id, found.role) == (key.id, project.id, "read")
    for wrong in ("", "heron", secret[:-1], secret + "x", secret.upper(), "Bearer " + secret):
        assert meta.verify_key(wrong) is None


def test_wrong_keys_with_the_same_prefix_fail(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "admin")
    for position in (len(secret) - 1, 20, 16):
        swapped = "A" if secret[position] != "A" else "B"
        wrong = secret[:position] + swapped + secret[position + 1 :]
        assert wrong.startswith(key.prefix)
        assert meta.verify_key(wrong) is None
    # Same random part under another role letter is another key.
    assert meta.verify_key(secret.replace("heron_a_", "heron_i_", 1)) is None
    assert meta.verify_key(secret) is not None


def test_verification_compares_hashes_in_constant_time(
    meta: MetaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = meta.ensure_project("p")
    _, secret = meta.create_key(project.id, "ingest")
    calls: list[tuple[Any, Any]] = []
    real: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert meta.verify_key(secret) is not None
    assert len(calls) == 1
    stored, computed = calls[0]
    assert stored == computed
    assert len(stored) == 64  # HMAC-SHA256 in hex, never the secret itself
    assert secret not in (stored, computed)


def test_a_different_server_secret_verifies_nothing(meta: MetaStore, meta_url: str) -> None:
    project = meta.ensure_project("p")
    _, secret = meta.create_key(project.id, "admin")
    other = open_meta_store(meta_url, server_secret="y" * 43)
    try:
        assert other.verify_key(secret) is None
    finally:
        other.close()


def test_verify_after_revoke_fails(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "ingest")
    revoked = meta.revoke_key(key.id, project.id)
    assert revoked.revoked_at is not None
    assert not revoked.active
    assert meta.verify_key(secret) is None
    # Revoking again keeps the first revocation time.
    assert meta.revoke_key(key.id, project.id).revoked_at == revoked.revoked_at


def test_revoke_needs_the_keys_own_project(meta: MetaStore) -> None:
    a = meta.ensure_project("a")
    b = meta.ensure_project("b")
    key, secret = meta.create_key(a.id, "admin")
    with pytest.raises(NotFoundError, match="does not exist in project"):
        meta.revoke_key(key.id, b.id)
    assert meta.verify_key(secret) is not None
    with pytest.raises(NotFoundError):
        meta.revoke_key("nope", a.id)


def test_list_keys_per_project_and_all(meta: MetaStore) -> None:
    a = meta.ensure_project("a")
    b = meta.ensure_project("b")
    a1, _ = meta.create_key(a.id, "ingest", "first")
    b1, _ = meta.create_key(b.id, "read")
    a2, _ = meta.create_key(a.id, "admin", "second")
    meta.revoke_key(a1.id, a.id)
    listed = meta.list_keys(a.id)
    assert [k.id for k in listed] == [a1.id, a2.id]
    assert listed[0].revoked_at is not None
    assert listed[1].revoked_at is None
    assert [k.id for k in meta.list_keys(b.id)] == [b1.id]
    assert {k.id for k in meta.list_keys()} == {a1.id, a2.id, b1.id}


def test_has_active_keys(meta: MetaStore) -> None:
    assert meta.has_active_keys() is False
    project = meta.ensure_project("p")
    assert meta.has_active_keys() is False
    key, _ = meta.create_key(project.id, "read")
    assert meta.has_active_keys() is True
    meta.revoke_key(key.id, project.id)
    assert meta.has_active_keys() is False


def test_create_key_checks_project_role_and_name(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    with pytest.raises(NotFoundError):
        meta.create_key("missing", "admin")
    with pytest.raises(ConfigError, match="role 'owner'"):
        meta.create_key(project.id, "owner")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="key name"):
        meta.create_key(project.id, "admin", "n" * 201)
    assert meta.list_keys() == []


def test_last_used_is_written_at_most_once_a_minute(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "ingest")
    first = meta.verify_key(secret)
    assert first is not None
    assert first.last_used_at is not None
    assert meta.get_key(key.id).last_used_at == first.last_used_at
    second = meta.verify_key(secret)
    assert second is not None
    assert meta.get_key(key.id).last_used_at == first.last_used_at

    # Age the stored timestamp past the resolution: the next use writes again.
    aged = datetime.now(UTC) - timedelta(minutes=2)
    with meta.engine.begin() as conn:
        conn.execute(update(api_keys).where(api_keys.c.id == key.id).values(last_used_at=aged))
    third = meta.verify_key(secret)
    assert third is not None
    assert third.last_used_at is not None
    assert third.last_used_at > aged + timedelta(minutes=1)
    assert meta.get_key(key.id).last_used_at == third.last_used_at


def test_get_key(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, _ = meta.create_key(project.id, "read", "dash")
    assert meta.get_key(key.id) == key
    with pytest.raises(NotFoundError, match="heron keys list"):
        meta.get_key("missing")
