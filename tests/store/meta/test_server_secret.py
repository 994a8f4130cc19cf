"""The server secret that keys API-key hashes: env first, else a private file."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from heron.errors import ConfigError
from heron.store.meta import hash_key, load_server_secret, open_meta_store


def test_file_is_created_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_server_secret(data_dir, env={})
    path = data_dir / "server.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 43
    assert load_server_secret(data_dir, env={}) == first
    assert path.read_text().strip().encode() == first
    assert load_server_secret(tmp_path / "elsewhere", env={}) != first


def test_concurrent_creation_agrees_on_one_secret(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(lambda _: load_server_secret(tmp_path, env={}), range(16)))
    assert len(results) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["server.secret"]


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    value = "k" * 40
    assert load_server_secret(tmp_path, env={"HERON_SECRET_KEY": value}) == value.encode()
    assert not (tmp_path / "server.secret").exists()
    assert load_server_secret(None, env={"HERON_SECRET_KEY": value}) == value.encode()


def test_short_environment_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HERON_SECRET_KEY is 5 characters"):
        load_server_secret(tmp_path, env={"HERON_SECRET_KEY": "short"})


def test_no_source_says_how_to_set_one() -> None:
    with pytest.raises(ConfigError, match="set HERON_SECRET_KEY"):
        load_server_secret(None, env={})


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_server_secret(tmp_path, env={})
    path = tmp_path / "server.secret"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_server_secret(tmp_path, env={})


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "server.secret"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"abc\n")
    os.close(fd)
    with pytest.raises(ConfigError, match="truncated"):
        load_server_secret(tmp_path, env={})


def test_file_text_copied_to_the_environment_verifies_the_same_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving from one machine to many: HERON_SECRET_KEY=$(cat .heron/server.secret)."""
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    local = open_meta_store(url)  # secret file beside the SQLite file
    local.migrate()
    project = local.ensure_project("p")
    _, secret = local.create_key(project.id, "admin")
    local.close()
    assert (tmp_path / "server.secret").exists()

    monkeypatch.setenv("HERON_SECRET_KEY", (tmp_path / "server.secret").read_text().strip())
    scaled = open_meta_store(url, data_dir=tmp_path / "unused")
    try:
        assert scaled.verify_key(secret) is not None
    finally:
        scaled.close()
    assert not (tmp_path / "unused").exists()


def test_hash_depends_on_server_secret_and_key() -> None:
    digest = hash_key(b"a" * 32, "heron_a_x")
    assert len(digest) == 64
    assert digest == hash_key(b"a" * 32, "heron_a_x")
    assert digest != hash_key(b"b" * 32, "heron_a_x")
    assert digest != hash_key(b"a" * 32, "heron_a_y")


def test_postgres_store_without_secret_fails_on_first_key_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    # Opening needs no connection; only key operations need the secret.
    store = open_meta_store("postgresql://heron@127.0.0.1:1/heron")
    with pytest.raises(ConfigError, match="HERON_SECRET_KEY"):
        store.check_server_secret()
    store.close()
