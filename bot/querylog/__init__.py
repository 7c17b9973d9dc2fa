"""The query log: one row per question, written off the reply path, in a SQLite file or PostgreSQL.

INTERFACE (stable, used by every channel): `QueryLog` (bot/querylog/log.py), with `committed` /
`record_committed` for a reply that must wait until its row is stored. Review queries for the
CLI and admin commands: `bot.querylog.review`. Schema and migrations (both backends):
`bot.querylog.schema`; copying a SQLite log into PostgreSQL: `bot.querylog.transfer`.
`QueryLog` is imported on first use, so reading the log (`zhewen logs`) never loads the engine.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.querylog.log import LogUnavailable, QueryLog

__all__ = ["LogUnavailable", "QueryLog"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot.querylog import log

        return getattr(log, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
