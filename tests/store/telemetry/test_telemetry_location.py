"""HERON_STORE_URL parsing: chDB directories and ClickHouse server URLs (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.errors import ConfigError
from heron.store.telemetry import DEFAULT_DATABASE, parse_store_url


def test_chdb_url_resolves_the_directory_and_defaults_the_database(tmp_path: Path) -> None:
    loc = parse_store_url(f"chdb://{tmp_path}/telemetry")
    assert loc.kind == "chdb"
    assert loc.path == str((tmp_path / "telemetry").resolve())
    assert loc.database == DEFAULT_DATABASE == "heron"
    assert loc.client_kwargs()["dsn"] == f"chdb://{(tmp_path / 'telemetry').resolve()}"


def test_chdb_url_database_option_and_keyword_override(tmp_path: Path) -> None:
    assert parse_store_url(f"chdb://{tmp_path}?database=tenant_1").database == "tenant_1"
    loc = parse_store_url(f"chdb://{tmp_path}?database=tenant_1", database="other")
    assert loc.database == "other"


def test_http_url_with_credentials_database_and_cluster() -> None:
    loc = parse_store_url("https://ingest:s%40cret@ch.example.com:9443/observability?cluster=prod")
    assert (loc.kind, loc.host, loc.port, loc.secure) == ("http", "ch.example.com", 9443, True)
    assert (loc.username, loc.password) == ("ingest", "s@cret")
    assert (loc.database, loc.cluster) == ("observability", "prod")
    kwargs = loc.client_kwargs()
    assert kwargs["host"] == "ch.example.com"
    assert kwargs["password"] == "s@cret"
    assert kwargs["secure"] is True
    assert "database" not in kwargs  # created by migrate, so never required to exist
    assert "s@cret" not in loc.display
    assert "s%40cret" not in loc.display
    assert loc.display == "https://ch.example.com:9443/observability?cluster=prod"


def test_http_url_defaults() -> None:
    loc = parse_store_url("http://localhost")
    assert (loc.port, loc.secure, loc.database, loc.cluster) == (8123, False, "heron", None)
    assert loc.client_kwargs()["username"] == "default"
    assert parse_store_url("https://h").port == 8443


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgres://h/db", "scheme 'postgres'"),
        ("chdb://", "names no directory"),
        ("chdb:///tmp/x?cluster=c", "chDB is a single embedded engine"),
        ("http://h/bad-name", "'bad-name' is not a valid ClickHouse identifier"),
        ("http://h/db?cluster=a;drop", "cluster name 'a;drop'"),
        ("http://h/db?clustr=a", "unknown option"),
        ("http:///db", "has no host"),
        ("http://u:pw@h:notaport/db", "invalid port"),
    ],
)
def test_bad_urls_name_the_problem(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_store_url(url)
    assert fragment in str(info.value)
    assert "pw@" not in str(info.value)
