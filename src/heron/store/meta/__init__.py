"""The metadata store: projects, API keys and (later) rules, jobs and users.

SQLAlchemy Core on SQLite (embedded) or PostgreSQL (at scale), schema managed
by Alembic revisions shipped in :mod:`heron.store.meta.migrations`; see
``README.md`` beside this file for adding a migration.
"""

from __future__ import annotations

from heron.store.meta.keys import generate_key, hash_key, load_server_secret
from heron.store.meta.records import ROLES, ApiKey, Project, Role
from heron.store.meta.store import LAST_USED_RESOLUTION, UNSET, MetaStore, Unset, open_meta_store

__all__ = [
    "LAST_USED_RESOLUTION",
    "ROLES",
    "UNSET",
    "ApiKey",
    "MetaStore",
    "Project",
    "Role",
    "Unset",
    "generate_key",
    "hash_key",
    "load_server_secret",
    "open_meta_store",
]
