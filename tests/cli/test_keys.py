"""`heron keys create | list | revoke` against a real metadata store in a temp data dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from heron.cli.keys import keys_group
from heron.store.meta import open_meta_store

SECRET = re.compile(r"^heron_[ira]_[A-Za-z0-9_-]{43}$", re.MULTILINE)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    for name in ("HERON_META_URL", "HERON_SECRET_KEY", "HERON_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HERON_DATA_DIR", str(path))
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(keys_group, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_secret_once_and_it_verifies(data_dir: Path) -> None:
    code, out, err = _run("create", "--project", "shop", "--role", "admin", "--name", "ops")
    assert code == 0, err
    secret = out.strip()
    assert SECRET.fullmatch(secret)
    assert secret.startswith("heron_a_")
    assert "will not be shown again" in err
    assert secret not in err

    store = open_meta_store(f"sqlite:///{data_dir / 'meta.db'}")
    try:
        key = store.verify_key(secret)
        assert key is not None
        assert key.role == "admin"
        assert key.name == "ops"
        assert store.get_project(key.project_id).name == "shop"
    finally:
        store.close()
    assert (data_dir / "server.secret").exists()

    code, out, err = _run("list")
    assert code == 0
    assert secret not in out
    assert secret[:16] in out


def test_default_role_is_ingest_and_project_is_reused(data_dir: Path) -> None:
    _, first, _ = _run("create", "--project", "shop")
    _, second, _ = _run("create", "--project", "shop")
    assert first.startswith("heron_i_")
    assert second.startswith("heron_i_")
    store = open_meta_store(f"sqlite:///{data_dir / 'meta.db'}")
    try:
        assert [p.name for p in store.list_projects()] == ["shop"]
        assert len(store.list_keys()) == 2
    finally:
        store.close()


def test_list_shows_a_table_filtered_by_project(data_dir: Path) -> None:
    _run("create", "--project", "a", "--role", "read", "--name", "dash")
    _run("create", "--project", "b", "--role", "ingest")
    code, out, _ = _run("list")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == [
        "id",
        "project",
        "role",
        "name",
        "prefix",
        "created",
        "last",
        "used",
        "revoked",
    ]
    assert len(lines) == 3
    code, out, _ = _run("list", "--project", "a")
    rows = out.strip().splitlines()[1:]
    assert len(rows) == 1
    assert rows[0].split()[1:4] == ["a", "read", "dash"]
    code, _, err = _run("list", "--project", "zzz")
    assert code != 0
    assert "no project named 'zzz'" in err


def test_list_with_no_keys_says_how_to_create_one(data_dir: Path) -> None:
    code, out, _ = _run("list")
    assert code == 0
    assert "heron keys create --project NAME --role admin" in out


def test_revoke_by_id(data_dir: Path) -> None:
    _, secret, _ = _run("create", "--project", "shop", "--role", "read")
    store = open_meta_store(f"sqlite:///{data_dir / 'meta.db'}")
    try:
        (key,) = store.list_keys()
        code, out, err = _run("revoke", key.id)
        assert code == 0, err
        assert f"revoked key {key.id}" in out
        assert store.verify_key(secret.strip()) is None
        assert store.has_active_keys() is False
    finally:
        store.close()
    _, listed, _ = _run("list")
    # The revoked column (last) now holds a time instead of "-".
    assert re.search(r"\d{4}-\d{2}-\d{2} \S+Z\s*$", listed.strip().splitlines()[1])


def test_revoke_unknown_id_fails_helpfully(data_dir: Path) -> None:
    code, _, err = _run("revoke", "nope")
    assert code == 1
    assert "heron keys list" in err


def test_bad_role_is_refused(data_dir: Path) -> None:
    code, _, err = _run("create", "--project", "p", "--role", "owner")
    assert code == 2
    assert "owner" in err
