"""Projects: create once, look up, list, update; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from heron.errors import ConfigError, NotFoundError
from heron.store.meta import MetaStore, Project


def test_ensure_project_creates_once(meta: MetaStore) -> None:
    before = datetime.now(UTC)
    first = meta.ensure_project("checkout")
    again = meta.ensure_project("checkout")
    assert again == first
    assert first.name == "checkout"
    assert before - timedelta(seconds=1) <= first.created_at <= datetime.now(UTC)
    assert first.created_at.tzinfo is not None
    assert first.retention_days is None
    assert first.capture_content is True
    assert first.redaction == {}
    assert meta.list_projects() == [first]


def test_project_names_are_trimmed_and_must_not_be_blank(meta: MetaStore) -> None:
    assert meta.ensure_project("  spaced  ").name == "spaced"
    with pytest.raises(ConfigError, match="1 to 200 characters"):
        meta.ensure_project("   ")
    with pytest.raises(ConfigError):
        meta.ensure_project("x" * 201)


def test_get_project_and_by_name(meta: MetaStore) -> None:
    project = meta.ensure_project("search")
    assert meta.get_project(project.id) == project
    assert meta.get_project_by_name("search") == project
    assert meta.get_project_by_name("absent") is None
    with pytest.raises(NotFoundError, match="does not exist"):
        meta.get_project("no-such-id")


def test_list_projects_is_sorted_by_name(meta: MetaStore) -> None:
    for name in ("zeta", "alpha", "mid"):
        meta.ensure_project(name)
    assert [p.name for p in meta.list_projects()] == ["alpha", "mid", "zeta"]
    assert len({p.id for p in meta.list_projects()}) == 3


def test_update_project_changes_only_given_fields(meta: MetaStore) -> None:
    project = meta.ensure_project("chat")
    redaction = {"patterns": ["email", "card"], "replacement": "[redacted]"}
    updated = meta.update_project(project.id, retention_days=30, redaction=redaction)
    assert updated.retention_days == 30
    assert updated.redaction == redaction
    assert updated.capture_content is True
    assert updated.name == "chat"
    assert meta.get_project(project.id) == updated

    off = meta.update_project(project.id, capture_content=False, name="chat-v2")
    assert (off.capture_content, off.name, off.retention_days) == (False, "chat-v2", 30)
    assert off.redaction == redaction

    forever = meta.update_project(project.id, retention_days=None)
    assert forever.retention_days is None
    assert meta.get_project_by_name("chat-v2") == forever


def test_update_project_without_changes_returns_it(meta: MetaStore) -> None:
    project = meta.ensure_project("same")
    assert meta.update_project(project.id) == project


@pytest.mark.parametrize("bad", [0, -5, True, 1.5])
def test_update_project_rejects_bad_retention(meta: MetaStore, bad: object) -> None:
    project = meta.ensure_project("ret")
    with pytest.raises(ConfigError, match="retention_days"):
        meta.update_project(project.id, retention_days=bad)  # type: ignore[arg-type]
    assert meta.get_project(project.id).retention_days is None


def test_update_project_rejects_taken_name_and_unknown_id(meta: MetaStore) -> None:
    meta.ensure_project("taken")
    other = meta.ensure_project("other")
    with pytest.raises(ConfigError, match="taken"):
        meta.update_project(other.id, name="taken")
    assert meta.get_project(other.id).name == "other"
    with pytest.raises(NotFoundError):
        meta.update_project("missing", retention_days=7)


def test_projects_are_hashable_values(meta: MetaStore) -> None:
    project = meta.ensure_project("hash")
    assert isinstance(project, Project)
    assert {project, meta.get_project(project.id)} == {project}
    with pytest.raises(AttributeError):
        project.name = "changed"  # type: ignore[misc]


def test_ping_and_close(meta: MetaStore) -> None:
    meta.ping()
    meta.close()
    # A closed store reopens its pool on demand: close() only releases connections.
    meta.ping()
