"""Per-conversation context for follow-up questions: the last answered turn of each user in each
chat (a group is per user within the chat, so two people asking at once never mix).

In memory, bounded, and short-lived on purpose: a turn expires after TTL_SECONDS and nothing
survives a restart. /reset and 重新开始 clear it.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from retrieval.context import Turn

TTL_SECONDS = 600.0
MAX_CONVERSATIONS = 10_000
RESET_WORDS = frozenset({"/reset", "重新开始", "重新开始吧", "换个话题"})


def is_reset(text: str) -> bool:
    return text.strip().lower().rstrip("。!！") in RESET_WORDS


class Conversations:
    """key (channel, chat, user) -> the last Turn, for TTL_SECONDS; the oldest go first past the bound."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_CONVERSATIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._turns: OrderedDict[Hashable, tuple[float, Turn]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._turns)

    def last(self, key: Hashable) -> Turn | None:
        entry = self._turns.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._turns[key]
            return None
        return entry[1]

    def remember(self, key: Hashable, turn: Turn | None) -> None:
        """Keep an answered turn; a question not answered leaves the last one in place."""
        if turn is None:
            return
        self._turns[key] = (self._clock() + self._ttl, turn)
        self._turns.move_to_end(key)
        while len(self._turns) > self._max:
            self._turns.popitem(last=False)

    def reset(self, key: Hashable) -> None:
        self._turns.pop(key, None)
