"""Per-conversation context for follow-up questions: the last answered turn of each user in each
chat (a group is per user within the chat, so two people asking at once never mix).

Short-lived on purpose: a turn expires after TTL_SECONDS. `SharedConversations` keeps it in the
shared state, so the next message may reach any replica; `Conversations` keeps it in this process's
memory, bounded (the terminal chat, tests). /reset and 重新开始 clear it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import asdict
from typing import Any, Protocol

from bot.expiring import ExpiringMap
from bot.storage.state import State
from retrieval.context import Turn

TTL_SECONDS = 600.0
MAX_CONVERSATIONS = 10_000
RESET_WORDS = frozenset({"/reset", "重新开始", "重新开始吧", "换个话题"})


def is_reset(text: str) -> bool:
    return text.strip().lower().rstrip("。!！") in RESET_WORDS


def turn_from_json(data: dict[str, Any]) -> Turn:
    """A Turn from its JSON form (dataclasses.asdict; JSON turns tuples into lists); TypeError or
    ValueError when it is not one."""
    return Turn(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class ContextStore(Protocol):
    async def last(self, key: Hashable) -> Turn | None: ...
    async def remember(self, key: Hashable, turn: Turn | None) -> None: ...
    async def reset(self, key: Hashable) -> None: ...


class SharedConversations:
    """key -> the last Turn as JSON in the shared state, for TTL_SECONDS (one statement a call)."""

    NAMESPACE = "context"

    def __init__(self, state: State, key: Callable[[str], str], ttl: float = TTL_SECONDS) -> None:
        self._state, self._key, self._ttl = state, key, ttl

    async def last(self, key: Hashable) -> Turn | None:
        value = await self._state.get(self.NAMESPACE, self._key(repr(key)))
        try:
            return turn_from_json(value) if isinstance(value, dict) else None
        except (TypeError, ValueError):  # written by another version: start afresh
            return None

    async def remember(self, key: Hashable, turn: Turn | None) -> None:
        """Keep an answered turn; a question not answered leaves the last one in place."""
        if turn is not None:
            await self._state.put(self.NAMESPACE, self._key(repr(key)), asdict(turn), self._ttl)

    async def reset(self, key: Hashable) -> None:
        await self._state.delete(self.NAMESPACE, self._key(repr(key)))


class Conversations:
    """key (channel, chat, user) -> the last Turn, for TTL_SECONDS; the oldest go first past the bound."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_CONVERSATIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._turns: ExpiringMap[Turn] = ExpiringMap(ttl, max_entries, clock)

    def __len__(self) -> int:
        return len(self._turns)

    async def last(self, key: Hashable) -> Turn | None:
        return self._turns.get(key)

    async def remember(self, key: Hashable, turn: Turn | None) -> None:
        """Keep an answered turn; a question not answered leaves the last one in place."""
        if turn is not None:
            self._turns.put(key, turn)

    async def reset(self, key: Hashable) -> None:
        self._turns.pop(key)
