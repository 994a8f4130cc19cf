"""UI login through the real app: CSRF, cookies, sessions, and their end on revocation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from heron.api.login import login_router, session_principal
from heron.app import create_app
from heron.config import Settings
from heron.security import hash_password
from heron.store.meta import open_meta_store
from heron.store.meta.users import create_user

PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    keys: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base: Path = tmp_path_factory.mktemp("login")
    settings = Settings(
        data_dir=base,
        store_url=(
            f"chdb://{tmp_path_factory.getbasetemp() / 'chdb'}?database=l_{uuid.uuid4().hex[:12]}"
        ),
        auth_required=True,
        grpc_port=0,
        wal_sync=False,
    )
    meta = open_meta_store(settings.resolved_meta_url)
    meta.migrate()
    project = meta.ensure_project("alpha")
    keys = {role: meta.create_key(project.id, role)[1] for role in ("ingest", "read", "admin")}
    create_user(meta, project.id, "alice", hash_password(PASSWORD), "admin")
    meta.close()
    app = create_app(settings)
    if "/login" not in {getattr(r, "path", "") for r in app.routes}:
        app.include_router(login_router())

    @app.api_route("/test-whoami", methods=["GET", "POST"], include_in_schema=False)
    async def whoami(request: Request) -> dict[str, str | None]:
        principal = session_principal(request)
        return {"role": principal.role if principal else None}

    with TestClient(app):
        yield Site(app, settings, keys)


def _client(site: Site, base_url: str = "http://testserver") -> TestClient:
    return TestClient(site.app, base_url=base_url, follow_redirects=False)


def _csrf(client: TestClient) -> str:
    page = client.get("/login?next=/traces")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    assert 'value="/traces"' in page.text
    return match.group(1)


def test_password_login_sets_a_strict_http_only_session(site: Site) -> None:
    client = _client(site)
    token = _csrf(client)
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "alice", "password": PASSWORD, "next": "/traces"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/traces"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("heron_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    assert client.get("/test-whoami").json() == {"role": "admin"}


def test_https_sessions_are_secure(site: Site) -> None:
    client = _client(site, "https://testserver")
    token = _csrf(client)
    response = client.post(
        "/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookies = response.headers.get_list("set-cookie")
    assert all("Secure" in c for c in cookies)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"username": "alice", "password": "wrong password!!"}, 401),
        ({"username": "nobody", "password": PASSWORD}, 401),
        ({"api_key": "heron_r_not-a-real-key"}, 401),
    ],
)
def test_bad_credentials_are_refused(site: Site, fields: dict[str, str], status: int) -> None:
    client = _client(site)
    response = client.post("/login", data={"csrf_token": _csrf(client), **fields})
    assert response.status_code == status
    assert "not valid" in response.text
    assert "heron_session" not in response.headers.get("set-cookie", "")


def test_missing_or_wrong_csrf_is_refused(site: Site) -> None:
    client = _client(site)
    _csrf(client)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post(
        "/login", data={"csrf_token": "forged.token", "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert client.get("/test-whoami").json() == {"role": None}


def test_key_login_ingest_refused_and_revocation_ends_the_session(site: Site) -> None:
    client = _client(site)
    refused = client.post(
        "/login", data={"csrf_token": _csrf(client), "api_key": site.keys["ingest"]}
    )
    assert refused.status_code == 403
    meta = open_meta_store(site.settings.resolved_meta_url)
    try:
        project = meta.get_project_by_name("alpha")
        assert project is not None
        key, secret = meta.create_key(project.id, "read", "browser")
        client.post("/login", data={"csrf_token": _csrf(client), "api_key": secret})
        assert client.get("/test-whoami").json() == {"role": "read"}
        # State-changing requests on a session must echo the CSRF cookie in a header.
        assert client.post("/test-whoami").json() == {"role": None}
        csrf = client.cookies["heron_csrf"]
        assert client.post("/test-whoami", headers={"X-CSRF-Token": csrf}).json() == {
            "role": "read"
        }
        meta.revoke_key(key.id, project.id)
        assert client.get("/test-whoami").json() == {"role": None}
    finally:
        meta.close()


def test_open_redirects_are_refused_and_logout_clears_the_session(site: Site) -> None:
    client = _client(site)
    response = client.post(
        "/login",
        data={
            "csrf_token": _csrf(client),
            "username": "alice",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/dashboard"
    assert client.get("/test-whoami").json() == {"role": "admin"}
    assert client.post("/logout", data={}).status_code == 403  # no CSRF token
    out = client.post("/logout", data={"csrf_token": client.cookies["heron_csrf"]})
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/test-whoami").json() == {"role": None}


def _admin_session(site: Site) -> TestClient:
    client = _client(site)
    client.post(
        "/login", data={"csrf_token": _csrf(client), "username": "alice", "password": PASSWORD}
    )
    assert client.get("/test-whoami").json() == {"role": "admin"}
    return client


def test_ui_forms_accept_the_csrf_token_as_a_form_field(site: Site) -> None:
    client = _admin_session(site)
    token = client.cookies["heron_csrf"]
    made = client.post("/settings/keys", data={"csrf_token": token, "role": "read", "name": "f1"})
    assert made.status_code == 200, made.text
    assert 'id="new-key-secret"' in made.text
    # Every form on the page carries the token for the next post.
    assert made.text.count(f'name="csrf_token" value="{token}"') >= 3
    key_id = re.search(r"/settings/keys/([^/]+)/revoke", made.text)
    assert key_id is not None
    revoked = client.post(f"/settings/keys/{key_id.group(1)}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303


@pytest.mark.parametrize("token", [None, "forged.token", ""])
def test_ui_forms_without_a_valid_token_are_forbidden(site: Site, token: str | None) -> None:
    client = _admin_session(site)
    data = {"role": "admin", "name": "forged"}
    if token is not None:
        data["csrf_token"] = token
    meta = open_meta_store(site.settings.resolved_meta_url)
    try:
        project = meta.get_project_by_name("alpha")
        assert project is not None
        before = len(meta.list_keys(project.id))
        refused = client.post("/settings/keys", data=data)
        assert refused.status_code == 403
        assert "reload the page" in refused.text
        assert len(meta.list_keys(project.id)) == before
        # A JSON body cannot smuggle the token as a "field" either.
        as_json = client.post("/settings/keys", json={**data, "csrf_token": "x"})
        assert as_json.status_code == 403
    finally:
        meta.close()


def test_project_settings_form_and_api_share_validation(site: Site) -> None:
    client = _admin_session(site)
    token = client.cookies["heron_csrf"]
    form = {
        "csrf_token": token,
        "retention_days": "14",
        "apply_to_existing": "on",
        "capture_content": "on",
        "pii_email": "on",
        "patterns": "order = ORD-\\d{4}",
        "deny_attributes": "internal.*",
    }
    saved = client.post("/settings/project", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/settings?saved=")
    shown = client.get(saved.headers["location"])
    assert 'id="flash"' in shown.text
    meta = open_meta_store(site.settings.resolved_meta_url)
    try:
        project = meta.get_project_by_name("alpha")
        assert project is not None
        assert project.retention_days == 14
        assert project.redaction["pii"]["email"] is True
        assert project.redaction["pii"]["phone"] is False
        assert project.redaction["patterns"] == [{"name": "order", "regex": "ORD-\\d{4}"}]
        assert project.redaction["deny_attributes"] == ["internal.*"]
        for bad, words in (("0", "out of range"), ("4000", "out of range"), ("ten", "whole")):
            refused = client.post("/settings/project", data={**form, "retention_days": bad})
            assert refused.status_code == 400
            assert words in refused.text
        refused = client.post("/settings/project", data={**form, "patterns": "no equals sign"})
        assert refused.status_code == 400
        assert "name = regex" in refused.text
        assert meta.get_project(project.id).retention_days == 14
        # The REST API goes through the same function: the same regex check, the same store.
        headers = {"Authorization": f"Bearer {site.keys['admin']}"}
        api = TestClient(site.app)
        bad = api.patch(
            f"/api/v1/projects/{project.id}",
            json={"redaction": {"patterns": [{"name": "x", "regex": "("}]}},
            headers=headers,
        )
        assert bad.status_code == 400
        assert "not a valid regular expression" in bad.json()["detail"]
        ok = api.patch(
            f"/api/v1/projects/{project.id}", json={"retention_days": None}, headers=headers
        )
        assert ok.status_code == 200
        assert ok.json()["retention_days"] is None
        assert meta.get_project(project.id).redaction["deny_attributes"] == ["internal.*"]
    finally:
        meta.close()
