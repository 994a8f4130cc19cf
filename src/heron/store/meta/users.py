"""UI users of a project: functions over :class:`MetaStore` (table ``users``, migration 0002).

A user logs in to the web UI with a username and password and acts with a
``read`` or ``admin`` role in exactly one project, like an API key. Usernames
are unique across the server, so the login form needs no project field.
Only an scrypt hash of the password is stored (:mod:`heron.security.passwords`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from heron.errors import ConfigError, NotFoundError, StoreError
from heron.store.meta.schema import users
from heron.store.meta.store import MetaStore

__all__ = [
    "USER_ROLES",
    "User",
    "UserRole",
    "create_user",
    "disable_user",
    "find_user",
    "get_user",
    "list_users",
]

UserRole = Literal["read", "admin"]
USER_ROLES: Final[tuple[UserRole, ...]] = ("read", "admin")
_MAX_USERNAME: Final = 200


@dataclass(frozen=True, slots=True)
class User:
    """A UI user; ``password_hash`` never leaves the server."""

    id: str
    project_id: str
    username: str
    role: UserRole
    created_at: datetime
    disabled_at: datetime | None = None
    password_hash: str = ""

    @property
    def active(self) -> bool:
        """True until the user is disabled."""
        return self.disabled_at is None


def create_user(
    meta: MetaStore,
    project_id: str,
    username: str,
    password_hash: str,
    role: UserRole = "read",
) -> User:
    """Create a user with an already hashed password (``heron.security.passwords``).

    :class:`ConfigError` when the name is taken or a value is invalid.
    """
    name = username.strip()
    if not name or len(name) > _MAX_USERNAME or any(c.isspace() for c in name):
        raise ConfigError(
            f"username {username!r} must be 1 to {_MAX_USERNAME} characters without spaces"
        )
    if role not in USER_ROLES:
        raise ConfigError(
            f"user role {role!r} is not one of {', '.join(USER_ROLES)} (ingest is for API keys)"
        )
    meta.get_project(project_id)  # a clear NotFoundError rather than an FK violation
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "project_id": project_id,
        "username": name,
        "role": role,
        "password_hash": password_hash,
        "created_at": datetime.now(UTC),
        "disabled_at": None,
    }
    try:
        with meta.engine.begin() as conn:
            conn.execute(insert(users).values(values))
    except IntegrityError:
        raise ConfigError(
            f"username {name!r} is already taken; choose another (usernames are unique "
            "across projects)"
        ) from None
    except SQLAlchemyError as exc:
        raise _failure("creating a user", exc) from exc
    return _user(values)


def find_user(meta: MetaStore, username: str) -> User | None:
    """The user called ``username`` (active or not), with its password hash, or ``None``."""
    return _one(meta, users.c.username == username.strip(), "reading a user")


def get_user(meta: MetaStore, user_id: str) -> User:
    """The user with this id; :class:`NotFoundError` if none."""
    found = _one(meta, users.c.id == user_id, "reading a user")
    if found is None:
        raise NotFoundError(f"user {user_id!r} does not exist")
    return found


def list_users(meta: MetaStore, project_id: str) -> list[User]:
    """The project's users by name, without password hashes."""
    try:
        with meta.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(users).where(users.c.project_id == project_id).order_by(users.c.username)
                )
                .mappings()
                .all()
            )
    except SQLAlchemyError as exc:
        raise _failure("listing users", exc) from exc
    return [_user(row, with_hash=False) for row in rows]


def disable_user(meta: MetaStore, user_id: str, project_id: str) -> User:
    """Disable a user of this project (idempotent); their sessions stop working at once."""
    try:
        with meta.engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.project_id == project_id)
                .where(users.c.disabled_at.is_(None))
                .values(disabled_at=datetime.now(UTC))
            )
    except SQLAlchemyError as exc:
        raise _failure("disabling a user", exc) from exc
    found = _one(meta, (users.c.id == user_id) & (users.c.project_id == project_id), "reading")
    if found is None:
        raise NotFoundError(f"user {user_id!r} does not exist in project {project_id!r}")
    return found


def _one(meta: MetaStore, condition: Any, doing: str) -> User | None:
    try:
        with meta.engine.connect() as conn:
            row = conn.execute(select(users).where(condition)).mappings().first()
    except SQLAlchemyError as exc:
        raise _failure(doing, exc) from exc
    return None if row is None else _user(row)


def _failure(doing: str, exc: SQLAlchemyError) -> StoreError:
    hint = "run `heron migrate`" if "users" in str(exc) else "check the metadata database"
    return StoreError(
        f"metadata store failed while {doing}: {exc.__class__.__name__}: "
        f"{str(exc).splitlines()[0]}; {hint}"
    )


def _user(row: Mapping[str, Any] | RowMapping, *, with_hash: bool = True) -> User:
    role = str(row["role"])
    if role not in USER_ROLES:
        raise StoreError(f"user {row['id']!r} has unknown role {role!r}; the database was edited")
    return User(
        id=str(row["id"]),
        project_id=str(row["project_id"]),
        username=str(row["username"]),
        role="admin" if role == "admin" else "read",
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
        password_hash=str(row["password_hash"]) if with_hash else "",
    )
