"""Each message answered once across replicas, however often and wherever its sender sends it again:
a WeCom callback retried (keyed by MsgId, bot/wecom) or a Telegram update redelivered (keyed by
update_id, bot/telegram/delivery.py). Shared by the channels, so no channel imports another.

WeCom retries a callback that got no answer within 5 s (up to three times), and behind a load
balancer a retry may reach another replica than the first copy. The first replica to `claim` the
message's key answers it; the reply is then settled under the same key (bot/storage/state.py: kept,
and the claim held, for REPLY_TTL_S): for a question in the transaction of its logged row (the
dialogue passes `settle` to the log), for anything else (events, commands, the rate-limit notice)
right after. A copy that loses the claim waits up to WAIT_S for that reply and answers it without
asking the engine or logging again.

Until settled the claim is a lease of LEASE_S: a replica killed mid-answer leaves no reply, and since
the reply and the row commit together, no row either; once the lease runs out, the next copy wins the
claim and answers. A copy that finds neither a reply nor a free claim raises Unavailable (503), and
WeCom tries again. The in-process Dedupe in front of this keeps concurrent copies on one replica off
the database.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from bot.dialogue import Unavailable
from bot.storage import StorageError
from bot.storage.state import Json, Settle, State

log = logging.getLogger(__name__)

# Twice WeCom's 5 s: far longer than an answer takes (milliseconds; past the app's 4 s deadline it
# settles at once), short enough that WeCom's later retries take over from a replica that died.
LEASE_S = 10.0
REPLY_TTL_S = 600.0   # as the in-process Dedupe: WeCom's retries come within seconds
WAIT_S = 3.0          # a copy waits this long for the first copy's reply, inside WeCom's 5 s


class Answered(NamedTuple):
    reply: Json          # what the endpoint sends (JSON: text, an object, or None for an empty response)
    settled: bool        # already kept for retries, with the logged row


# The endpoint's reply -> the claim's Settle (passed down to the dialogue, which logs it with the row).
Settler = Callable[[Json], Settle]


class SharedReplies:
    """Claims and settled replies in one namespace of the shared state (one per WeCom route, one
    for Telegram updates)."""

    def __init__(self, state: State, namespace: str, key: Callable[[str], str],
                 ttl_s: float = REPLY_TTL_S) -> None:
        self._state, self._namespace, self._key, self._ttl_s = state, namespace, key, ttl_s

    async def once(self, key: str, answer: Callable[[Settler], Awaitable[Answered]]) -> Json:
        """The reply to the message `key`: answered here when this replica wins the claim, else the
        first copy's. Raises Unavailable when it can be neither (or the database is out of reach)."""
        stored = self._key(key)
        try:
            if await self._state.claim(self._namespace, stored, LEASE_S):
                return await self._answer(stored, answer)
            value = await self._state.get(self._namespace, stored, wait_s=WAIT_S)
            if isinstance(value, dict):
                return value.get("reply")
            if await self._state.claim(self._namespace, stored, LEASE_S):  # the first copy's lease ran out
                return await self._answer(stored, answer)
        except StorageError as exc:
            raise Unavailable("database unavailable", str(exc)) from None
        raise Unavailable("the first copy of this message is still being answered")

    async def find(self, key: str) -> Json:
        """The settled reply to `key`, or None (a 智能机器人 stream refresh)."""
        try:
            value = await self._state.get(self._namespace, self._key(key))
        except StorageError as exc:
            raise Unavailable("database unavailable", str(exc)) from None
        return value.get("reply") if isinstance(value, dict) else None

    async def _answer(self, stored: str, answer: Callable[[Settler], Awaitable[Answered]]) -> Json:
        def settler(reply: Json) -> Settle:
            return Settle(self._namespace, stored, {"reply": reply}, self._ttl_s)

        try:
            answered = await answer(settler)
        except BaseException:
            try:  # let the next copy answer at once rather than after the lease
                await self._state.release(self._namespace, stored)
            except StorageError as exc:
                log.warning("a claim could not be released (it expires in %.0f s): %s", LEASE_S, exc)
            raise
        if not answered.settled:
            await self._state.settle(settler(answered.reply))
        return answered.reply
