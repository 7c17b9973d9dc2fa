"""`zhewen db`: the database's schema (SQLite file or PostgreSQL), outside a running bot.

A running bot upgrades on start-up; `zhewen db upgrade` does it ahead of a deploy, so replicas
starting together find the tables ready. Bad URLs and unreachable servers are one `Error: …` line.
"""
from __future__ import annotations

import click

from bot.cli_logs import OneLineGroup, configured_db, db_option
from bot.storage import StorageError
from bot.storage.target import Target


@click.group(cls=OneLineGroup)
def db() -> None:
    """Create or upgrade the database of the query log and the shared state.

    \b
    Example:
      zhewen db upgrade
      zhewen db upgrade --db postgresql://zhewen@127.0.0.1/zhewen
    """


@db.command()
@db_option
def upgrade(db: Target | None) -> None:
    """Apply the schema migrations the database lacks (creating it when needed) and list them.

    \b
    Example:
      ZHEWEN_DB=postgresql://zhewen@db/zhewen zhewen db upgrade
    """
    from bot.querylog import schema

    target = configured_db(db)
    try:
        applied = schema.upgrade(target)
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"{target}: {len(applied)} migration(s) applied, schema at {schema.MIGRATIONS[-1].name}.")
