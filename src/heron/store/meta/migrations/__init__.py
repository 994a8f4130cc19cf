"""Alembic environment and revisions of the metadata store (see ``../README.md``).

Shipped inside the package so ``MetaStore.migrate()`` works from any install;
Alembic finds it as ``script_location = "heron.store.meta:migrations"``.
"""
