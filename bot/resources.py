"""The heavy resources a running bot needs, opened once and closed once.

Polling (`zhewen telegram`) and the HTTP server (`zhewen serve`) both run inside `open_resources`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.conversation import Conversations
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.settings import Settings


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: Engine
    log: QueryLog
    conversations: Conversations = field(default_factory=Conversations)  # follow-up context, all channels


@asynccontextmanager
async def open_resources(settings: Settings, engine: Engine | None = None) -> AsyncIterator[Resources]:
    """Load the engine and open the log; on exit the log's queue is flushed to disk. A running bot
    needs its log: one that cannot be opened and written raises LogUnavailable."""
    engine = engine or Engine.load(settings.corpus)
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None
    async with QueryLog(settings.db, salt=salt, raw_ids=settings.log_raw_ids, required=True) as log:
        yield Resources(settings=settings, engine=engine, log=log)
