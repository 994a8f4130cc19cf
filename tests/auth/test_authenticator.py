"""Authenticator: who a request is, and what its key's role lets it do."""

from __future__ import annotations

import pytest

from heron.auth import ALLOWED_ACTIONS, Action, Authenticator, Principal
from heron.errors import AuthError, ForbiddenError
from heron.store.meta import ROLES, MetaStore, Role

ACTIONS: tuple[Action, ...] = ("ingest", "read", "admin")
EXPECTED: dict[Role, set[Action]] = {
    "ingest": {"ingest"},
    "read": {"read"},
    "admin": {"ingest", "read", "admin"},
}


@pytest.fixture
def default_id(meta: MetaStore) -> str:
    return meta.ensure_project("default").id


@pytest.fixture
def auth(meta: MetaStore, default_id: str) -> Authenticator:
    return Authenticator(meta, auth_required=True, default_project_id=default_id)


def test_no_key_is_401_with_instructions(auth: Authenticator) -> None:
    for missing in (None, "", "   "):
        with pytest.raises(AuthError, match="Authorization: Bearer") as info:
            auth.authenticate(missing)
        assert not isinstance(info.value, ForbiddenError)
        assert "heron keys create" in str(info.value)


def test_bad_key_is_401_and_not_echoed(auth: Authenticator, meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    _, secret = meta.create_key(project.id, "admin")
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for header in (f"Bearer {wrong}", "Bearer heron_a_short", "Bearer nonsense"):
        with pytest.raises(AuthError, match="not valid") as info:
            auth.authenticate(header)
        assert header.split(" ", 1)[1] not in str(info.value)


def test_wrong_scheme_is_401(auth: Authenticator, meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    _, secret = meta.create_key(project.id, "admin")
    for header in (secret, f"Basic {secret}", "Bearer", "Bearer   "):
        with pytest.raises(AuthError, match="Bearer <key>") as info:
            auth.authenticate(header)
        assert secret not in str(info.value)


def test_valid_key_gives_its_project_role_and_id(auth: Authenticator, meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    for role in ROLES:
        key, secret = meta.create_key(project.id, role)
        for header in (f"Bearer {secret}", f"bearer {secret}", f"  Bearer  {secret} "):
            assert auth.authenticate(header) == Principal(project.id, role, key.id)


def test_revoked_key_is_401(auth: Authenticator, meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    key, secret = meta.create_key(project.id, "ingest")
    assert auth.authenticate(f"Bearer {secret}").key_id == key.id
    meta.revoke_key(key.id, project.id)
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate(f"Bearer {secret}")


def test_other_projects_key_is_403_on_that_project(auth: Authenticator, meta: MetaStore) -> None:
    a = meta.ensure_project("a")
    b = meta.ensure_project("b")
    _, secret = meta.create_key(a.id, "admin")
    principal = auth.authenticate(f"Bearer {secret}")
    assert principal.project_id == a.id
    auth.require(principal, "read", project_id=a.id)
    for action in ACTIONS:
        with pytest.raises(ForbiddenError, match="belongs to project"):
            auth.require(principal, action, project_id=b.id)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_by_action(auth: Authenticator, meta: MetaStore, role: Role, action: Action) -> None:
    project = meta.ensure_project("p")
    _, secret = meta.create_key(project.id, role)
    principal = auth.authenticate(f"Bearer {secret}")
    assert principal.can(action) is (action in EXPECTED[role])
    if action in EXPECTED[role]:
        auth.require(principal, action)
    else:
        with pytest.raises(ForbiddenError, match=f"a '{role}' key cannot {action}"):
            auth.require(principal, action)


def test_role_table_is_the_documented_one() -> None:
    assert {role: set(actions) for role, actions in ALLOWED_ACTIONS.items()} == EXPECTED


def test_auth_off_is_default_project_admin(meta: MetaStore, default_id: str) -> None:
    auth = Authenticator(meta, auth_required=False, default_project_id=default_id)
    for header in (None, "", "Bearer nonsense", "garbage"):
        principal = auth.authenticate(header)
        assert principal == Principal(default_id, "admin", None)
        for action in ACTIONS:
            auth.require(principal, action)


def test_auth_off_still_routes_a_valid_key_to_its_project(meta: MetaStore, default_id: str) -> None:
    auth = Authenticator(meta, auth_required=False, default_project_id=default_id)
    project = meta.ensure_project("other")
    key, secret = meta.create_key(project.id, "ingest")
    principal = auth.authenticate(f"Bearer {secret}")
    assert principal == Principal(project.id, "ingest", key.id)
    with pytest.raises(ForbiddenError):
        auth.require(principal, "read")


def test_missing_server_secret_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    from heron.errors import ConfigError
    from heron.store.meta import open_meta_store

    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    store = open_meta_store("postgresql://heron@127.0.0.1:1/heron")
    try:
        with pytest.raises(ConfigError, match="HERON_SECRET_KEY"):
            Authenticator(store, auth_required=True, default_project_id="x")
        # Without auth nothing needs the secret, so a plain local start still works.
        Authenticator(store, auth_required=False, default_project_id="x")
    finally:
        store.close()
