"""Long polling that confirms an update (the next getUpdates offset) only once it has been handled.

python-telegram-bot's Updater confirms an update as soon as it has fetched it, before its handler
runs: a bot killed in between loses the question. Here each fetched batch is handled concurrently
(`Deliveries.deliver`: the question's row committed), then the offset moves past the part of the
batch handled in order. An update refused (its question could not be logged, on PostgreSQL; or a
killed process's claim on it has not expired yet) is fetched again after a pause, and the ones after
it, already handled, are then found settled and confirmed without a second answer.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.dialogue import Unavailable
from bot.telegram.app import ALLOWED_UPDATES
from bot.telegram.delivery import Deliveries

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 10                          # Telegram holds getUpdates open this long when idle
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # pauses after failures in a row, the last repeated
_T = TypeVar("_T")


async def poll_updates(application: Application, deliveries: Deliveries, stop: asyncio.Event) -> None:
    """Fetch, handle and confirm until `stop` is set; then confirm what was handled. Network errors and
    refusals back off and retry; a rejected token raises InvalidToken."""
    bot = application.bot
    await bot.delete_webhook()  # getUpdates is refused while a webhook is set
    offset = confirmed = 0
    failures = 0
    while not stop.is_set():
        try:
            updates = await _unless_stopped(stop, bot.get_updates(
                offset=offset, timeout=timedelta(seconds=POLL_TIMEOUT_S), allowed_updates=ALLOWED_UPDATES))
        except InvalidToken:
            raise
        except RetryAfter as exc:
            wait = exc.retry_after
            await _pause(stop, wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
            continue
        except TelegramError as exc:
            failures += 1
            logger.warning("getUpdates failed, retrying: %s", exc)
            await _pause(stop, BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
            continue
        if updates is None:
            break
        confirmed = offset
        handled = await _handle(deliveries, updates)
        if handled:
            offset = handled[-1].update_id + 1
        failures = 0 if len(handled) == len(updates) else failures + 1
        if failures:
            await _pause(stop, BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
    if offset != confirmed:
        await _confirm(application, offset)


async def _handle(deliveries: Deliveries, updates: list[Update]) -> list[Update]:
    """Handle a batch at once; returns the updates that may be confirmed: those up to the first refused."""
    results = await asyncio.gather(*(deliveries.deliver(u) for u in updates), return_exceptions=True)
    handled = []
    for update, result in zip(updates, results, strict=True):
        if isinstance(result, Unavailable):
            logger.warning("update %s not confirmed, it comes again: %s", update.update_id, result)
            break
        if isinstance(result, BaseException):  # handler errors end in the error handler: a bug here
            logger.error("update %s failed before its handler", update.update_id, exc_info=result)
        handled.append(update)
    return handled


async def _confirm(application: Application, offset: int) -> None:
    """One last getUpdates that confirms the updates handled since the last one (as the Updater's
    stop does); whatever it fetches stays unconfirmed and comes again next time."""
    try:
        await application.bot.get_updates(offset=offset, timeout=timedelta(0), limit=1,
                                          allowed_updates=ALLOWED_UPDATES)
    except TelegramError as exc:  # they come again after a restart, and are found settled
        logger.warning("the last updates handled were not confirmed: %s", exc)


async def _unless_stopped(stop: asyncio.Event, call: Awaitable[_T]) -> _T | None:
    """`call`'s result, or None (the call cancelled) once `stop` is set."""
    job = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({job, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not job.done():
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        return None
    return job.result()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
