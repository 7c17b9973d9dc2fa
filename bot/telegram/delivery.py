"""Each Telegram update handled to the end before Telegram is told it arrived, and handled once.

Telegram forgets an update once it is confirmed: by the next getUpdates offset (long polling) or by
the webhook's 2xx. Confirming only after `deliver` returns means a question's row is committed first
(record_committed), so a process killed in between has lost nothing it confirmed. The price is
redelivery: an update handled but not confirmed (the process killed after the commit, a webhook's
200 lost) comes again, perhaps to another replica. So the update id is claimed in the shared state
like a WeCom MsgId (bot/answered_once.py): the first delivery answers, the question's row and the
claim's settlement commit in one transaction, and a redelivery finds the settlement and is confirmed
without answering or logging again.

python-telegram-bot's `process_update` hands a handler's error to the error handler and takes no
per-call argument, so what a handler needs (the settle) and reports (settled, refused) travel in a
context variable set around the call: blocking handlers are awaited in the caller's own task.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application

from bot.answered_once import Answered, SharedReplies
from bot.dialogue import Settler, Unavailable
from bot.resources import Resources

NAMESPACE = "telegram-update"
UPDATE_TTL_S = 24 * 3600.0   # Telegram keeps an unconfirmed update for 24 hours


@dataclass
class Delivery:
    """One update on its way through the handlers."""

    settle: Settler | None = None        # keeps the settlement with the question's row
    settled: bool = False                # it did (a question logged with its settlement)
    refused: Unavailable | None = None   # the question could not be logged: do not confirm


_current: ContextVar[Delivery | None] = ContextVar("telegram_delivery", default=None)


def current() -> Delivery:
    """The delivery being handled; a bare one when `process_update` is called directly."""
    return _current.get() or Delivery()


class Deliveries:
    """Handles updates for the polling loop and the webhook alike."""

    def __init__(self, application: Application, resources: Resources) -> None:
        self._application = application
        state = resources.shared(acknowledges=True)
        self._shared = (SharedReplies(state, NAMESPACE, resources.log.pseudonym, ttl_s=UPDATE_TTL_S)
                        if state else None)

    async def deliver(self, update: Update) -> None:
        """Handle `update` to the end, once; raises Unavailable when it must not be confirmed yet
        (its question could not be logged, or another delivery of it is still being handled)."""
        if self._shared is None:
            await self._process(update, None)
            return
        await self._shared.once(str(update.update_id), lambda settler: self._process(update, settler))

    async def _process(self, update: Update, settler: Settler | None) -> Answered:
        delivery = Delivery(None if settler is None else lambda _reply: settler(None))
        token = _current.set(delivery)
        try:
            await self._application.process_update(update)
        finally:
            _current.reset(token)
        if delivery.refused is not None:
            raise delivery.refused
        return Answered(None, delivery.settled)
