"""Bot API flood control: Telegram's send limits, 429 retry_after, and retries of server errors.

AIORateLimiter keeps sends within Telegram's limits (30 a second, 20 a minute per group) and waits
out a 429's retry_after. A 5xx answer or a refused connection means the message was not sent, so it
is retried too, with backoff; a timeout is not (the message may have gone out: no duplicates).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

RETRIES_AFTER_429 = 3
BACKOFF_S = (0.5, 1.0, 2.0)


class FloodControl(AIORateLimiter):
    def __init__(self, backoff: tuple[float, ...] = BACKOFF_S) -> None:
        super().__init__(max_retries=RETRIES_AFTER_429)
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for delay in self._backoff:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (BadRequest, TimedOut):
                raise
            except NetworkError as exc:
                logger.warning("Bot API %s failed (%s); retrying in %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
