"""Rephrases: the same user asking again, in other words, within two minutes of an answer.

A user who re-asks a question they were just answered did not get what they wanted, so the first
answer is suspect (the strongest sign `zhewen logs suspect` has). Two questions are the same
question in other words when most of the content characters of the shorter one (Chinese
characters and Latin words, without question words and particles) are in the other; an identical
normalised question is a repeat (a double send), not a rephrase. On the question sets in
tests/data, the 0.5 threshold finds 91% of the pairs asking for the same gold answer and flags
0.5% of pairs from different articles (9% of different questions about the same article).

Pure functions plus `RecentAsks`, the writer's memory of each user's last question: the link is
made when the row is written (`queries.rephrase_of`), so reading the log never compares questions.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

REPHRASE_WINDOW_S = 120.0
MIN_OVERLAP = 0.5
MIN_SHARED = 2
MAX_USERS = 10_000  # users remembered by one writer; the oldest are forgotten first

# Characters that say how something is asked, not what: they do not make two questions the same.
_FUNCTION_CHARS = frozenset("的了吗呢吧啊呀哦嘛么是在和与及或把被对这那哪几怎如何什请问"
                            "个些们我你他她它啥谁呗嗯")
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")


def content_tokens(text: str) -> frozenset[str]:
    """Chinese characters and lower-case Latin words or numbers, without function characters."""
    return frozenset(t for t in _TOKEN.findall(text.lower()) if t not in _FUNCTION_CHARS)


def is_rephrase(earlier: str, later: str) -> bool:
    """`later` asks `earlier`'s question in other words (both normalised questions)."""
    if not earlier or not later or earlier.strip() == later.strip():
        return False
    first, second = content_tokens(earlier), content_tokens(later)
    if not first or not second:
        return False
    shared = len(first & second)
    return shared >= MIN_SHARED and shared / min(len(first), len(second)) >= MIN_OVERLAP


@dataclass(frozen=True)
class Ask:
    query_id: int
    at: float          # seconds (Unix time)
    normalized: str


class RecentAsks:
    """Each user's last question, bounded in users: who was just answered, and what they asked."""

    def __init__(self, window_s: float = REPHRASE_WINDOW_S, max_users: int = MAX_USERS) -> None:
        self._window = window_s
        self._max = max_users
        self._last: OrderedDict[Hashable, Ask] = OrderedDict()

    def rephrased(self, user: Hashable, ask: Ask) -> int | None:
        """Remember `ask` as the user's last question; returns the id of the question it rephrases."""
        previous = self._last.get(user)
        self._last[user] = ask
        self._last.move_to_end(user)
        while len(self._last) > self._max:
            self._last.popitem(last=False)
        if previous is None or not 0 <= ask.at - previous.at <= self._window:
            return None
        return previous.query_id if is_rephrase(previous.normalized, ask.normalized) else None
