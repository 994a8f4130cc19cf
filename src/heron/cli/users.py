"""``heron users create | list | disable``: people who log in to the web UI with a password.

The password is read from a prompt (typed twice, never echoed) or, for
scripts, from the environment variable ``HERON_USER_PASSWORD``; it is never a
command-line argument, which would leave it in the shell history and in
``ps`` output. Only an scrypt hash is stored.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import click

from heron.config import Settings
from heron.errors import HeronError
from heron.security.passwords import hash_password
from heron.store.meta import MetaStore, open_meta_store
from heron.store.meta.users import (
    USER_ROLES,
    UserRole,
    create_user,
    disable_user,
    find_user,
    list_users,
)

__all__ = ["users_group"]

PASSWORD_ENV = "HERON_USER_PASSWORD"  # noqa: S105 - a variable name, not a secret


@contextlib.contextmanager
def _meta_store() -> Iterator[MetaStore]:
    try:
        settings = Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        meta = open_meta_store(settings.resolved_meta_url, data_dir=settings.data_dir)
    except (HeronError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        meta.migrate()
        yield meta
    except HeronError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        meta.close()


@click.group(name="users")
def users_group() -> None:
    """Create, list and disable UI users (password login when auth is on)."""


@users_group.command("create")
@click.option("--project", "project_name", required=True, help="Project name (created if new).")
@click.option("--username", required=True, help="Login name, unique on this server.")
@click.option(
    "--role",
    type=click.Choice(USER_ROLES),
    default="read",
    show_default=True,
    help="read: see everything in the project; admin: also manage keys and settings.",
)
def create(project_name: str, username: str, role: str) -> None:
    """Create a user; the password is prompted for (or read from HERON_USER_PASSWORD)."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        hashed = hash_password(password)
    except HeronError as exc:
        raise click.ClickException(str(exc)) from exc
    with _meta_store() as meta:
        project = meta.ensure_project(project_name)
        user = create_user(meta, project.id, username, hashed, _role(role))
    click.echo(
        f"created {user.role} user {user.username!r} in project {project.name!r}; "
        "they can log in at /login"
    )


@users_group.command("list")
@click.option("--project", "project_name", required=True, help="Project name.")
def list_command(project_name: str) -> None:
    """List a project's users."""
    with _meta_store() as meta:
        project = meta.get_project_by_name(project_name)
        if project is None:
            raise click.ClickException(f"no project named {project_name!r}")
        found = list_users(meta, project.id)
    if not found:
        click.echo("no users yet; create one with: heron users create --project NAME --username U")
    for user in found:
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}  {user.role}  {state}  {user.id}")


@users_group.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user; their sessions end on their next request."""
    with _meta_store() as meta:
        user = find_user(meta, username)
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        disable_user(meta, user.id, user.project_id)
    click.echo(f"disabled user {username!r}")


def _role(value: str) -> UserRole:
    if value == "admin":
        return "admin"
    if value == "read":
        return "read"
    raise click.BadParameter(f"role must be one of {', '.join(USER_ROLES)}")
