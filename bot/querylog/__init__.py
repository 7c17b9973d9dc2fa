"""The query log: one SQLite row per question, written off the reply path.

INTERFACE (stable, used by every channel): `QueryLog` (bot/querylog/log.py). Review queries for the
CLI and admin commands: `bot.querylog.review`. Schema and migrations: `bot.querylog.schema`.
"""
from __future__ import annotations

from bot.querylog.log import LogUnavailable, QueryLog

__all__ = ["LogUnavailable", "QueryLog"]
