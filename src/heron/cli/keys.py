"""``heron keys create | list | revoke``: manage API keys in the metadata store.

These commands open the same metadata store as ``heron serve`` (from the
``HERON_*`` settings), apply pending migrations, and may run while the server
is up: a new key works on its next request, a revoked key fails on its next.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime

import click

from heron.config import Settings
from heron.errors import HeronError
from heron.store.meta import ROLES, MetaStore, Role, open_meta_store

__all__ = ["keys_group"]


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


@click.group(name="keys")
def keys_group() -> None:
    """Create, list and revoke API keys (stored hashed; a secret is shown only once)."""


@keys_group.command("create")
@click.option("--project", "project_name", required=True, help="Project name (created if new).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="ingest",
    show_default=True,
    help="ingest: send telemetry and scores only; read: query only; admin: everything.",
)
@click.option("--name", default=None, help="A label to recognise the key by, e.g. 'billing-api'.")
def create(project_name: str, role: str, name: str | None) -> None:
    """Create a key and print its secret (the only time it is shown)."""
    with _meta_store() as meta:
        project = meta.ensure_project(project_name)
        key, secret = meta.create_key(project.id, _role(role), name)
    click.echo(
        f"created {key.role} key {key.id} for project {project.name!r} ({project.id})",
        err=True,
    )
    click.echo(secret)
    click.echo(
        "store this secret now: it will not be shown again (only its hash is kept). "
        "Send it as 'Authorization: Bearer <secret>'.",
        err=True,
    )


@keys_group.command("list")
@click.option("--project", "project_name", default=None, help="Only this project's keys.")
def list_keys(project_name: str | None) -> None:
    """List keys (never their secrets), revoked ones included."""
    with _meta_store() as meta:
        names = {p.id: p.name for p in meta.list_projects()}
        project_id = None
        if project_name is not None:
            project = meta.get_project_by_name(project_name)
            if project is None:
                raise click.ClickException(
                    f"no project named {project_name!r}; projects: "
                    f"{', '.join(sorted(names.values())) or '(none yet)'}"
                )
            project_id = project.id
        keys = meta.list_keys(project_id)
    if not keys:
        click.echo("no keys yet; create one with: heron keys create --project NAME --role admin")
        return
    header = ("id", "project", "role", "name", "prefix", "created", "last used", "revoked")
    rows = [
        (
            k.id,
            names.get(k.project_id, k.project_id),
            k.role,
            k.name or "-",
            k.prefix + "...",
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.revoked_at),
        )
        for k in keys
    ]
    click.echo(_table(header, rows))


@keys_group.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key by id (see `heron keys list`); its next request is refused."""
    with _meta_store() as meta:
        key = meta.get_key(key_id)
        revoked = meta.revoke_key(key.id, key.project_id)
    click.echo(f"revoked key {revoked.id} ({revoked.prefix}...) at {_when(revoked.revoked_at)}")


def _role(value: str) -> Role:
    if value not in ROLES:  # click.Choice already refused it; this narrows the type
        raise click.BadParameter(f"role must be one of {', '.join(ROLES)}")
    return value


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)
