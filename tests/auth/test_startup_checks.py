"""Deciding whether auth is on, and refusing unsafe binds."""

from __future__ import annotations

import pytest

from heron.auth import check_bind_safety, decide_auth_required
from heron.config import Settings
from heron.errors import ConfigError
from heron.store.meta import MetaStore


@pytest.mark.parametrize(
    ("host", "has_key", "forced", "expected"),
    [
        ("127.0.0.1", False, None, False),
        ("::1", False, None, False),
        ("localhost", False, None, False),
        ("127.0.0.1", True, None, True),
        ("0.0.0.0", False, None, True),
        ("10.1.2.3", True, None, True),
        ("127.0.0.1", False, True, True),
        ("0.0.0.0", True, False, False),
    ],
)
def test_decide_auth_required(
    meta: MetaStore, host: str, has_key: bool, forced: bool | None, expected: bool
) -> None:
    if has_key:
        meta.create_key(meta.ensure_project("p").id, "ingest")
    settings = Settings(host=host, auth_required=forced)
    assert decide_auth_required(settings, meta) is expected


def test_revoked_keys_do_not_count(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, _ = meta.create_key(project.id, "admin")
    meta.revoke_key(key.id, project.id)
    assert decide_auth_required(Settings(host="127.0.0.1"), meta) is False


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_public_bind_without_keys_is_refused_with_instructions(meta: MetaStore, host: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_bind_safety(host, meta)
    message = str(info.value)
    assert "heron keys create --project NAME --role admin" in message
    assert repr(host) in message


def test_public_bind_with_a_key_is_allowed(meta: MetaStore) -> None:
    meta.create_key(meta.ensure_project("p").id, "admin")
    check_bind_safety("0.0.0.0", meta, auth_required=True)
    check_bind_safety("0.0.0.0", meta)


def test_loopback_without_keys_is_allowed(meta: MetaStore) -> None:
    check_bind_safety("127.0.0.1", meta, auth_required=False)
    check_bind_safety("localhost", meta)


def test_explicitly_disabled_auth_on_public_bind_is_allowed(meta: MetaStore) -> None:
    check_bind_safety("0.0.0.0", meta, auth_required=False)


def test_required_auth_with_no_keys_is_refused_even_on_loopback(meta: MetaStore) -> None:
    with pytest.raises(ConfigError, match="heron keys create"):
        check_bind_safety("127.0.0.1", meta, auth_required=True)
