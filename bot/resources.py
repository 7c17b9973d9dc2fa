"""The heavy resources a running bot needs, opened once and closed once.

Polling (`zhewen telegram`) and the HTTP server (`zhewen serve`) both run inside `open_resources`:
the engine, the query log, and next to it the shared state in the same database (bot/storage/state.py)
that makes several replicas behave as one: retry dedupe, replay nonces, rate limits, conversation
context and follow-up threads. Built by hand without a state (tests), the same stores live in this
process's memory.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.conversation import ContextStore, Conversations, SharedConversations
from bot.dialogue import Dialogue
from bot.engine import Engine
from bot.followups import FollowUps, SharedFollowUps, ThreadStore
from bot.querylog import QueryLog
from bot.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from bot.settings import Settings
from bot.storage.state import Lenient, SharedState, State, open_state
from bot.storage.target import is_postgres


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: Engine
    log: QueryLog
    state: SharedState | None = None   # the shared state; None keeps everything in this process
    conversations: Conversations = field(default_factory=Conversations)  # context without a state

    def must_log(self, acknowledges: bool) -> bool:
        """Whether a channel refuses (503) what it cannot log or deduplicate: when its response is the
        acknowledgement (WeCom: refused, it retries) and replicas share PostgreSQL (the retry may reach
        one that can). One process on SQLite answers anyway, as the log has always done."""
        return acknowledges and is_postgres(self.settings.db)

    def shared(self, acknowledges: bool) -> State | None:
        """The shared state as a channel uses it: raising when `must_log`, else degrading (Lenient)."""
        if self.state is None:
            return None
        return self.state if self.must_log(acknowledges) else Lenient(self.state)

    def dialogue(self, *, acknowledges: bool) -> Dialogue:
        """The conversation path for one channel endpoint. `acknowledges`: the channel's HTTP response
        acknowledges the message (WeCom), rather than its receipt (Telegram)."""
        settings, state, rate = self.settings, self.shared(acknowledges), self.settings.rate_limit_per_minute
        conversations: ContextStore
        limiter: Limiter
        threads: ThreadStore
        if state is None:
            conversations, limiter, threads = self.conversations, RateLimiter(rate), FollowUps()
        else:
            key = self.log.pseudonym
            conversations = SharedConversations(state, key)
            limiter = SharedRateLimiter(state, rate, key)
            threads = SharedFollowUps(state, key, lambda: self.engine)
        return Dialogue(lambda: self.engine, self.log, settings.db, settings.admin_ids, conversations,
                        limiter, threads, must_log=self.must_log(acknowledges))


@asynccontextmanager
async def open_resources(settings: Settings, engine: Engine | None = None) -> AsyncIterator[Resources]:
    """Load the engine, open the log and the shared state beside it; on exit the log's queue is flushed
    to disk. A running bot needs its log: one that cannot be opened and written raises LogUnavailable
(StorageError for the state)."""
    engine = engine or Engine.load(settings.corpus)
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None
    async with QueryLog(settings.db, salt=salt, raw_ids=settings.log_raw_ids, required=True) as log, \
            open_state(settings.db) as state:
        yield Resources(settings=settings, engine=engine, log=log, state=state)
