"""Alembic's entry point, run by ``MetaStore.migrate()`` on the store's own connection.

There is no ``alembic.ini`` and no URL here: the caller hands over an open
connection (already inside a transaction, already holding the migration lock)
in ``config.attributes["connection"]``, so migrations always run against
exactly the database the store opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from heron.errors import StoreError
from heron.store.meta.schema import metadata

VERSION_TABLE = "heron_meta_version"


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise StoreError(
            "metadata migrations run through MetaStore.migrate() (or `heron migrate`), "
            "not the alembic command line: there is no alembic.ini with a URL"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
