"""The Settings forms in real Chromium against a real ``heron serve`` with auth on.

A key exists, so every page needs a login; the browser logs in with an admin
key, and its form posts must carry the CSRF token (a plain form cannot send
the ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from heron.testing.server import HeronServer

from .conftest import PageErrors, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]
Tab = tuple[Any, PageErrors]


def _create_key(data_dir: Path, role: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    env["HERON_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "heron.cli.main", "keys", "create", "--project", "default",
         "--role", role, "--name", f"seed-{role}"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip()


class AuthServer:
    def __init__(self, server: HeronServer, admin_key: str) -> None:
        self.server = server
        self.url = server.url
        self.headers = {"Authorization": f"Bearer {admin_key}"}
        self.admin_key = admin_key

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = httpx.request(method, self.url + path, headers=self.headers, timeout=30, **kwargs)
        assert resp.status_code < 300, resp.text
        return resp.json()

    def project_id(self) -> str:
        keys = self.api("GET", "/api/v1/keys")["keys"]
        return str(keys[0]["project_id"])


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    data_dir = tmp_path_factory.mktemp("heron-ui-auth") / "data"
    admin_key = _create_key(data_dir, "admin")
    env = {"HERON_FLUSH_INTERVAL_S": "0.1", "HERON_DATA_DIR": str(data_dir)}
    server = HeronServer(data_dir, env=env)
    server.start()
    try:
        yield AuthServer(server, admin_key)
    finally:
        server.stop()


def _login(tab: Any, site: AuthServer) -> None:
    tab.goto(site.url + "/login?next=/settings")
    tab.fill("#api_key", site.admin_key)
    tab.click(".login-form button[type=submit]")
    tab.wait_for_url(site.url + "/settings")


def test_pages_need_a_login(auth_server: AuthServer, page: Tab) -> None:
    tab, _ = page
    resp = tab.goto(auth_server.url + "/settings")
    assert resp is not None
    assert resp.status == 401
    assert tab.locator("a[href^='/login']").count() >= 1


def test_create_and_revoke_a_key_through_the_forms(auth_server: AuthServer, page: Tab) -> None:
    tab, errors = page
    _login(tab, auth_server)
    tab.fill("#key-name", "browser-made")
    tab.select_option("#key-role", "read")
    tab.click("#create-key button[type=submit]")
    secret = tab.locator("#new-key-secret").inner_text().strip()
    made = [
        k for k in auth_server.api("GET", "/api/v1/keys")["keys"] if k["name"] == "browser-made"
    ]
    assert [(k["role"], k["active"]) for k in made] == [("read", True)]
    assert secret.startswith(made[0]["prefix"])
    # The new key really works, as a bearer key of the same project.
    who = httpx.get(
        auth_server.url + "/api/v1/traces",
        headers={"Authorization": f"Bearer {secret}"},
        params={"since": "1h"},
        timeout=30,
    )
    assert who.status_code == 200, who.text
    screenshot(tab, "auth-settings-key-created")
    tab.locator("tr", has_text="browser-made").locator("button.revoke").click()
    tab.wait_for_url(auth_server.url + "/settings")
    keys = auth_server.api("GET", "/api/v1/keys")["keys"]
    assert [k["active"] for k in keys if k["name"] == "browser-made"] == [False]
    assert errors.messages == []


def test_a_post_without_the_csrf_token_is_refused(auth_server: AuthServer, page: Tab) -> None:
    tab, _ = page
    _login(tab, auth_server)
    before = len(auth_server.api("GET", "/api/v1/keys")["keys"])
    # The browser context's own request client: it sends the session cookie like a
    # cross-site form would, but it cannot know the token.
    for form in ({"role": "admin", "name": "forged"}, {"role": "admin", "csrf_token": "x.y"}):
        resp = tab.context.request.post(auth_server.url + "/settings/keys", form=form)
        assert resp.status == 403, resp.text()
        assert "reload the page" in resp.text()
    resp = tab.context.request.post(
        auth_server.url + "/settings/project", form={"retention_days": "1"}
    )
    assert resp.status == 403
    assert len(auth_server.api("GET", "/api/v1/keys")["keys"]) == before
    project = auth_server.api("GET", f"/api/v1/projects/{auth_server.project_id()}")
    assert project["retention_days"] != 1


def test_project_settings_form_saves_and_validates(auth_server: AuthServer, page: Tab) -> None:
    tab, errors = page
    _login(tab, auth_server)
    before = auth_server.api("GET", f"/api/v1/projects/{auth_server.project_id()}")
    tab.fill("#retention-days", "21")
    tab.uncheck("#pii-email")
    tab.fill("#patterns", "ticket = TCK-\\d{5}")
    tab.fill("#deny-attributes", "internal.note\ngen_ai.system_instructions")
    tab.click("#project-form button[type=submit]")
    tab.locator("#flash").wait_for()
    assert "saved" in tab.locator("#flash").inner_text()
    assert urlsplit(tab.url).path == "/settings"
    project = auth_server.api("GET", f"/api/v1/projects/{auth_server.project_id()}")
    assert project["retention_days"] == 21
    effective = project["effective_redaction"]
    # Only the unchecked kind changed: the form showed every kind at its effective value.
    assert effective["pii"] == {**before["effective_redaction"]["pii"], "email": False}
    assert effective["patterns"] == [{"name": "ticket", "regex": "TCK-\\d{5}"}]
    assert effective["deny_attributes"] == ["internal.note", "gen_ai.system_instructions"]
    # The form shows what is stored.
    assert tab.input_value("#retention-days") == "21"
    assert not tab.is_checked("#pii-email")
    assert tab.locator("#current-retention").inner_text() == "21 days"
    screenshot(tab, "auth-settings-project-saved")

    tab.fill("#patterns", "broken = (unclosed")
    tab.click("#project-form button[type=submit]")
    alert = tab.locator("#project-error")
    alert.wait_for()
    assert "not a valid regular expression" in alert.inner_text()
    assert tab.input_value("#patterns") == "broken = (unclosed"  # nothing typed is lost
    again = auth_server.api("GET", f"/api/v1/projects/{auth_server.project_id()}")
    assert again["effective_redaction"]["patterns"] == effective["patterns"]
    # Chromium logs the refused form's 400 document; nothing else may appear.
    assert [m for m in errors.messages if "status of 400" not in m] == []


def test_logging_out_ends_the_session(auth_server: AuthServer, page: Tab) -> None:
    tab, errors = page
    _login(tab, auth_server)
    tab.click("header form.logout button")
    tab.wait_for_url(auth_server.url + "/login")
    resp = tab.goto(auth_server.url + "/settings")
    assert resp is not None
    assert resp.status == 401
    assert tab.locator("a[href^='/login']").count() >= 1
    # Chromium logs the 401 document itself; nothing else may appear.
    assert [m for m in errors.messages if "status of 401" not in m] == []
