"""Follow-ups by typing, on every channel: "更多" and "原文"/"1"/"2"/"3" after an answer (WeCom's
passive replies have no buttons; on Telegram the buttons do the same).

Each user has one thread (the last question and the references numbered in the last reply), kept for
a while; a follow-up after it expired is answered with a hint to ask again. `SharedFollowUps` keeps
it in the shared state (passage ids, rebuilt from the engine), so 更多 may reach another replica than
the question; `FollowUps` keeps it in this process's memory, bounded (the terminal chat, tests).
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.engine import Engine, Reference
from bot.expiring import ExpiringMap
from bot.storage.state import State

DEFAULT_TTL = 30 * 60.0  # seconds: long enough to read an answer, short enough to forget
DEFAULT_MAX_USERS = 10_000

# "还有呢"/"还有吗" are not among them: they ask the conversation for more of the same answer
# (retrieval.context), not for more references.
_MORE = frozenset({"更多", "更多出处", "更多结果"})
_PASSAGE = re.compile(r"(?:原文|全文)\s*(?:第?([1-9])条?)?|第?([1-9])条?")
_TRAILING = "。.!！?？ "


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up asks for: the next references, or the full passage of reference `number`."""

    kind: Literal["more", "passage"]
    number: int = 0


def parse_followup(text: str) -> FollowUp | None:
    """The follow-up a message asks for, or None when it is a question (a bare "2025" is a question)."""
    words = unicodedata.normalize("NFKC", text).strip().rstrip(_TRAILING)
    if words in _MORE:
        return FollowUp("more")
    match = _PASSAGE.fullmatch(words)
    if match is None:
        return None
    return FollowUp("passage", int(match.group(1) or match.group(2) or 1))


@dataclass(frozen=True)
class Thread:
    """A user's last question, the references numbered 1.. in the last reply, and how many were shown."""

    question: str
    listed: tuple[Reference, ...]
    shown: int
    query_id: int | None = None   # the logged question, so a follow-up can be recorded against it


class ThreadStore(Protocol):
    async def start(self, user: Hashable, question: str, references: tuple[Reference, ...],
                    query_id: int | None = None) -> Thread: ...
    async def listed_more(self, user: Hashable, thread: Thread, references: list[Reference]) -> Thread: ...
    async def get(self, user: Hashable) -> Thread | None: ...


class SharedFollowUps:
    """Per-user threads in the shared state as JSON: the question, the numbered passages' ids and
    ranks (a few dozen bytes, rebuilt with engine.passage), how many were shown, the logged id."""

    NAMESPACE = "thread"

    def __init__(self, state: State, key: Callable[[str], str], engine: Callable[[], Engine],
                 ttl: float = DEFAULT_TTL) -> None:
        self._state, self._key, self._engine, self._ttl = state, key, engine, ttl

    async def start(self, user: Hashable, question: str, references: tuple[Reference, ...],
                    query_id: int | None = None) -> Thread:
        return await self._put(user, Thread(question, tuple(references), len(references), query_id))

    async def listed_more(self, user: Hashable, thread: Thread, references: list[Reference]) -> Thread:
        return await self._put(user, Thread(thread.question, tuple(references),
                                            thread.shown + len(references), thread.query_id))

    async def get(self, user: Hashable) -> Thread | None:
        """The thread; None when expired, unreadable, or naming a passage the corpus no longer has."""
        value = await self._state.get(self.NAMESPACE, self._key(repr(user)))
        try:
            listed = []
            for passage_id, rank in value["listed"]:
                ref = self._engine().passage(passage_id)
                if ref is None:
                    return None
                listed.append(ref.ranked(rank))
            return Thread(str(value["question"]), tuple(listed), int(value["shown"]), value["query_id"])
        except (TypeError, KeyError, ValueError):  # none, or written by another version
            return None

    async def _put(self, user: Hashable, thread: Thread) -> Thread:
        value = {"question": thread.question, "listed": [[r.passage_id, r.rank] for r in thread.listed],
                 "shown": thread.shown, "query_id": thread.query_id}
        await self._state.put(self.NAMESPACE, self._key(repr(user)), value, self._ttl)
        return thread


class FollowUps:
    """Per-user threads with a TTL, bounded by the number of users (oldest forgotten first)."""

    def __init__(self, ttl: float = DEFAULT_TTL, max_users: int = DEFAULT_MAX_USERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._threads: ExpiringMap[Thread] = ExpiringMap(ttl, max_users, clock)

    def __len__(self) -> int:
        return len(self._threads)

    async def start(self, user: Hashable, question: str, references: tuple[Reference, ...],
                    query_id: int | None = None) -> Thread:
        """After an answer: its references are the numbered ones."""
        return self._threads.put(user, Thread(question, tuple(references), len(references), query_id))

    async def listed_more(self, user: Hashable, thread: Thread, references: list[Reference]) -> Thread:
        """After "更多": the new references are now the numbered ones."""
        return self._threads.put(user, Thread(thread.question, tuple(references),
                                              thread.shown + len(references), thread.query_id))

    async def get(self, user: Hashable) -> Thread | None:
        return self._threads.get(user)
