"""Alembic migrations: applied on open, idempotent, and matching the query schema."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from heron.errors import StoreError
from heron.store.meta import open_meta_store
from heron.store.meta.schema import metadata


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", "heron.store.meta:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_fresh_database_has_no_revision_and_store_calls_fail_helpfully(
    meta_url: str, data_dir: Path
) -> None:
    store = open_meta_store(meta_url, data_dir=data_dir)
    try:
        assert store.schema_revision() is None
        with pytest.raises(StoreError, match="heron migrate"):
            store.ping()
    finally:
        store.close()


def test_migrate_reaches_head_and_is_idempotent(meta_url: str, data_dir: Path) -> None:
    store = open_meta_store(meta_url, data_dir=data_dir)
    try:
        store.migrate()
        assert store.schema_revision() == _head()
        project = store.ensure_project("kept")
        store.migrate()
        store.migrate()
        assert store.schema_revision() == _head()
        assert store.get_project(project.id) == project
        tables = set(inspect(store.engine).get_table_names())
        assert {"projects", "api_keys", "heron_meta_version"} <= tables
    finally:
        store.close()


def test_migrations_match_the_query_schema(meta_url: str, data_dir: Path) -> None:
    """schema.py and the migrations describe the same tables, columns and indexes."""
    store = open_meta_store(meta_url, data_dir=data_dir)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, metadata)
        # The version table is Alembic's own, not part of the query schema.
        diffs = [d for d in diffs if "heron_meta_version" not in repr(d)]
        assert diffs == []
    finally:
        store.close()


def test_revisions_form_one_linear_chain() -> None:
    config = Config()
    config.set_main_option("script_location", "heron.store.meta:migrations")
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].revision == "0001"
    assert revisions[-1].down_revision is None
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision
