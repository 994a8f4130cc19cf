"""``MetaStore``: projects and API keys in SQLite (embedded) or PostgreSQL (at scale).

The same SQLAlchemy Core code runs on both engines; the only engine-specific
lines are connection setup (SQLite pragmas) and the migration lock (a
PostgreSQL advisory lock, so several ``heron serve`` processes starting at once
do not race on the schema).
"""

from __future__ import annotations

import enum
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from heron.errors import ConfigError, NotFoundError, StoreError
from heron.store.meta.engine import create_meta_engine, sqlite_file
from heron.store.meta.keys import (
    generate_key,
    hash_key,
    key_prefix,
    load_server_secret,
    looks_like_key,
)
from heron.store.meta.records import ROLES, ApiKey, Project, Role
from heron.store.meta.schema import api_keys, projects

__all__ = ["LAST_USED_RESOLUTION", "UNSET", "MetaStore", "Unset", "open_meta_store"]

LAST_USED_RESOLUTION: Final = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, so verifying a key on
every request does not turn every request into a database write."""

MIGRATIONS: Final = "heron.store.meta:migrations"
VERSION_TABLE: Final = "heron_meta_version"
# Arbitrary constant identifying heron's migration lock among advisory locks.
_PG_MIGRATION_LOCK: Final = 0x6865726F6E  # "heron"
_MAX_NAME: Final = 200


class Unset(enum.Enum):
    """Marker type for "leave this field as it is" in :meth:`MetaStore.update_project`."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


def open_meta_store(
    url: str,
    *,
    data_dir: Path | None = None,
    server_secret: str | None = None,
) -> MetaStore:
    """Open (but do not migrate) the metadata store at a SQLAlchemy ``url``.

    ``sqlite:///path/meta.db`` is the embedded default; ``postgresql+psycopg://``
    (or plain ``postgresql://``, which means psycopg 3 here) the scale-out one.
    The server secret for key hashes is ``server_secret``, else
    ``$HERON_SECRET_KEY``, else ``<data_dir>/server.secret`` where ``data_dir``
    defaults to the SQLite file's directory; it is resolved on the first key
    operation, so ``migrate()`` never needs it.
    """
    engine = create_meta_engine(url)
    if data_dir is None:
        db_file = sqlite_file(engine.url)
        data_dir = db_file.parent if db_file is not None else None
    return MetaStore(engine, data_dir=data_dir, server_secret=server_secret)


class MetaStore:
    """Projects and API keys; build it with :func:`open_meta_store`."""

    def __init__(
        self,
        engine: Engine,
        *,
        data_dir: Path | None = None,
        server_secret: str | None = None,
    ) -> None:
        self._engine = engine
        self._data_dir = data_dir
        self._server_secret: bytes | None = server_secret.encode("utf-8") if server_secret else None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for later features' tables in the same database."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    # -- lifecycle -------------------------------------------------------------

    def migrate(self) -> None:
        """Apply every pending Alembic revision; a no-op when already at head."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise self._failure("migrating", exc) from exc

    def schema_revision(self) -> str | None:
        """The applied Alembic revision, ``None`` before the first migration."""
        with self._connect("reading the schema revision") as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the database answers and is migrated."""
        with self._connect("pinging") as conn:
            conn.execute(select(func.count()).select_from(projects))

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    # -- projects --------------------------------------------------------------

    def ensure_project(self, name: str) -> Project:
        """The project called ``name``, created with default settings if missing."""
        name = _check_name(name)
        existing = self.get_project_by_name(name)
        if existing is not None:
            return existing
        values: dict[str, Any] = {
            "id": _new_id(),
            "name": name,
            "created_at": _now(),
            "retention_days": None,
            "capture_content": True,
            "redaction": {},
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(projects).values(values))
        except IntegrityError:
            # Another process created it between our read and write: use theirs.
            raced = self.get_project_by_name(name)
            if raced is None:
                raise StoreError(
                    f"creating project {name!r} hit a constraint but no such project exists; "
                    "check the metadata database for manual edits"
                ) from None
            return raced
        except SQLAlchemyError as exc:
            raise self._failure("creating a project", exc) from exc
        return _project(values)

    def get_project(self, project_id: str) -> Project:
        """The project with this id; :class:`NotFoundError` if there is none."""
        with self._connect("reading a project") as conn:
            row = conn.execute(select(projects).where(projects.c.id == project_id)).mappings()
            found = row.first()
        if found is None:
            raise NotFoundError(
                f"project {project_id!r} does not exist; `heron keys list` shows project ids"
            )
        return _project(found)

    def get_project_by_name(self, name: str) -> Project | None:
        """The project called ``name``, or ``None``."""
        with self._connect("reading a project") as conn:
            found = conn.execute(select(projects).where(projects.c.name == name)).mappings().first()
        return None if found is None else _project(found)

    def list_projects(self) -> list[Project]:
        """Every project, by name."""
        with self._connect("listing projects") as conn:
            rows = conn.execute(select(projects).order_by(projects.c.name)).mappings().all()
        return [_project(row) for row in rows]

    def update_project(
        self,
        project_id: str,
        *,
        name: str | Unset = UNSET,
        retention_days: int | Unset | None = UNSET,
        capture_content: bool | Unset = UNSET,
        redaction: Mapping[str, Any] | Unset = UNSET,
    ) -> Project:
        """Change the given settings (others stay as they are) and return the project."""
        values: dict[str, Any] = {}
        if not isinstance(name, Unset):
            values["name"] = _check_name(name)
        if not isinstance(retention_days, Unset):
            if retention_days is not None and (
                isinstance(retention_days, bool)
                or not isinstance(retention_days, int)
                or retention_days < 1
            ):
                raise ConfigError(
                    f"retention_days={retention_days!r} must be a whole number of days >= 1, "
                    "or null to keep telemetry forever"
                )
            values["retention_days"] = retention_days
        if not isinstance(capture_content, Unset):
            values["capture_content"] = bool(capture_content)
        if not isinstance(redaction, Unset):
            if not isinstance(redaction, Mapping):
                raise ConfigError(f"redaction settings must be a mapping, got {redaction!r}")
            values["redaction"] = dict(redaction)
        if values:
            try:
                with self._engine.begin() as conn:
                    result = conn.execute(
                        update(projects).where(projects.c.id == project_id).values(values)
                    )
            except IntegrityError as exc:
                raise ConfigError(
                    f"project name {values.get('name')!r} is taken by another project; "
                    "choose a different name"
                ) from exc
            except SQLAlchemyError as exc:
                raise self._failure("updating a project", exc) from exc
            if result.rowcount == 0:
                raise NotFoundError(f"project {project_id!r} does not exist")
        return self.get_project(project_id)

    # -- API keys --------------------------------------------------------------

    def create_key(
        self, project_id: str, role: Role, name: str | None = None
    ) -> tuple[ApiKey, str]:
        """A new key for the project; the plaintext is returned here and never again."""
        if role not in ROLES:
            raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if name is not None and len(name) > _MAX_NAME:
            raise ConfigError(f"key name is {len(name)} characters; keep it under {_MAX_NAME}")
        self.get_project(project_id)  # a clear NotFoundError rather than an FK violation
        secret = generate_key(role)
        values: dict[str, Any] = {
            "id": _new_id(),
            "project_id": project_id,
            "role": role,
            "name": name,
            "prefix": key_prefix(secret),
            "secret_hash": hash_key(self._secret(), secret),
            "created_at": _now(),
            "last_used_at": None,
            "revoked_at": None,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(api_keys).values(values))
        except SQLAlchemyError as exc:
            raise self._failure("creating a key", exc) from exc
        return _api_key(values), secret

    def verify_key(self, secret: str) -> ApiKey | None:
        """The active key whose plaintext is ``secret``, or ``None``.

        The lookup is by the HMAC's unique index; the stored hash is then
        compared with :func:`hmac.compare_digest` so the final check takes the
        same time however many characters match.
        """
        if not looks_like_key(secret):
            return None
        digest = hash_key(self._secret(), secret)
        with self._connect("verifying a key") as conn:
            row = (
                conn.execute(select(api_keys).where(api_keys.c.secret_hash == digest))
                .mappings()
                .first()
            )
        if row is None or not hmac.compare_digest(str(row["secret_hash"]), digest):
            return None
        key = _api_key(row)
        if not key.active:
            return None
        return self._touch(key)

    def _touch(self, key: ApiKey) -> ApiKey:
        now = _now()
        if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
            return key
        # The condition repeats the check in SQL so concurrent verifications
        # of one key write once per minute, not once per process.
        stale = now - LAST_USED_RESOLUTION
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    update(api_keys)
                    .where(api_keys.c.id == key.id)
                    .where(api_keys.c.last_used_at.is_(None) | (api_keys.c.last_used_at < stale))
                    .values(last_used_at=now)
                )
        except SQLAlchemyError as exc:
            raise self._failure("recording key use", exc) from exc
        return ApiKey(
            id=key.id,
            project_id=key.project_id,
            role=key.role,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=now,
            revoked_at=key.revoked_at,
        )

    def revoke_key(self, key_id: str, project_id: str) -> ApiKey:
        """Revoke a key of this project (idempotent); :class:`NotFoundError` otherwise."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    update(api_keys)
                    .where(api_keys.c.id == key_id)
                    .where(api_keys.c.project_id == project_id)
                    .where(api_keys.c.revoked_at.is_(None))
                    .values(revoked_at=_now())
                )
                row = (
                    conn.execute(
                        select(api_keys)
                        .where(api_keys.c.id == key_id)
                        .where(api_keys.c.project_id == project_id)
                    )
                    .mappings()
                    .first()
                )
        except SQLAlchemyError as exc:
            raise self._failure("revoking a key", exc) from exc
        if row is None:
            raise NotFoundError(
                f"key {key_id!r} does not exist in project {project_id!r}; "
                "`heron keys list` shows key ids"
            )
        return _api_key(row)

    def get_key(self, key_id: str) -> ApiKey:
        """The key with this id in any project; :class:`NotFoundError` if none."""
        with self._connect("reading a key") as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"key {key_id!r} does not exist; `heron keys list` shows key ids")
        return _api_key(row)

    def list_keys(self, project_id: str | None = None) -> list[ApiKey]:
        """The keys of one project (all when ``None``), revoked ones too, oldest first."""
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if project_id is not None:
            query = query.where(api_keys.c.project_id == project_id)
        with self._connect("listing keys") as conn:
            rows = conn.execute(query).mappings().all()
        return [_api_key(row) for row in rows]

    def has_active_keys(self) -> bool:
        """True when at least one unrevoked key exists in any project."""
        with self._connect("counting keys") as conn:
            found = conn.execute(
                select(api_keys.c.id).where(api_keys.c.revoked_at.is_(None)).limit(1)
            ).first()
        return found is not None

    def derive_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` derived from the server secret (HMAC-SHA256), e.g. to sign
        UI sessions; every process sharing the secret derives the same key, and the
        secret itself never leaves this object."""
        return hmac.new(self._secret(), f"heron-derive:{purpose}".encode(), "sha256").digest()

    def check_server_secret(self) -> None:
        """Resolve the server secret now, so a missing one fails at start, not per request."""
        self._secret()

    # -- helpers ---------------------------------------------------------------

    def _secret(self) -> bytes:
        if self._server_secret is None:
            self._server_secret = load_server_secret(self._data_dir)
        return self._server_secret

    def _connect(self, doing: str) -> _Connected:
        return _Connected(self, doing)

    def _failure(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        where = self._engine.url.render_as_string(hide_password=True)
        hint = (
            "run `heron migrate`"
            if "no such table" in str(exc) or "does not exist" in str(exc)
            else "check that the database is reachable and writable"
        )
        return StoreError(
            f"metadata store {where} failed while {doing}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}; {hint}"
        )


class _Connected:
    """``with store._connect("doing x") as conn``: a read connection with error mapping."""

    def __init__(self, store: MetaStore, doing: str) -> None:
        self._store = store
        self._doing = doing
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self._conn = self._store.engine.connect()
        except SQLAlchemyError as exc:
            raise self._store._failure(self._doing, exc) from exc
        return self._conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._conn is not None:
            self._conn.close()
        if isinstance(exc, SQLAlchemyError):
            raise self._store._failure(self._doing, exc) from exc


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > _MAX_NAME:
        raise ConfigError(
            f"project name {name!r} must be 1 to {_MAX_NAME} characters (not only spaces)"
        )
    return cleaned


def _project(row: Mapping[str, Any] | RowMapping) -> Project:
    return Project(
        id=str(row["id"]),
        name=str(row["name"]),
        created_at=row["created_at"],
        retention_days=row["retention_days"],
        capture_content=bool(row["capture_content"]),
        redaction=dict(row["redaction"] or {}),
    )


def _api_key(row: Mapping[str, Any] | RowMapping) -> ApiKey:
    role = str(row["role"])
    if role not in ROLES:
        raise StoreError(f"key {row['id']!r} has unknown role {role!r}; the database was edited")
    return ApiKey(
        id=str(row["id"]),
        project_id=str(row["project_id"]),
        role=role,  # narrowed to Role by the check above
        name=row["name"],
        prefix=str(row["prefix"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )
