"""`zhewen telegram`: long polling until SIGINT or SIGTERM, then a clean stop with the log flushed.

Example: TELEGRAM_BOT_TOKEN=123456:ABC… zhewen telegram
"""
from __future__ import annotations

import asyncio
import logging
import signal

import click
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.querylog import LogUnavailable
from bot.reload import reloading
from bot.resources import open_resources
from bot.settings import ConfigError, Settings, load_settings
from bot.storage import StorageError
from content.store import ContentError

logger = logging.getLogger(__name__)

POLLING_TASK = "Updater:start_polling:polling_task"  # python-telegram-bot 22's name for its getUpdates loop


async def _until_stopped_or_polling_ends(stop: asyncio.Event) -> None:
    """Wait for SIGINT/SIGTERM, or for the getUpdates loop to end by itself: python-telegram-bot ends it
    only when the token is rejected (revoked in @BotFather), and the process must then exit with that
    error rather than idle without polling."""
    polling = {task for task in asyncio.all_tasks() if task.get_name() == POLLING_TASK}
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({stopping, *polling}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()


def _without_token_traceback(record: logging.LogRecord) -> bool:
    """python-telegram-bot logs a token rejected while polling with its traceback; the process then
    ends with a one-line error, so the record keeps its message only."""
    if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
        record.exc_info = record.exc_text = None
    return True


async def check_token(settings: Settings) -> None:
    """getMe before anything heavy: a rejected token fails in a second, not after loading the corpus."""
    async with Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url):
        pass


async def poll(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Open resources, poll until `stop` is set (SIGINT/SIGTERM set it), stop polling, close the log."""
    from bot.telegram.app import ALLOWED_UPDATES, build_application

    await check_token(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_resources(settings) as resources, reloading(resources.engine):
            application = build_application(resources, polling=True)
            async with application:  # initialize(): getMe, so a rejected token fails here
                await application.post_init(application)
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                await application.start()
                logger.info("polling; stop with Ctrl-C or SIGTERM")
                await _until_stopped_or_polling_ends(stop)
                try:
                    await application.updater.stop()  # re-raises InvalidToken if polling ended on it
                finally:
                    await application.stop()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    logger.info("stopped; query log flushed")


@click.command()
def telegram() -> None:
    """Run the Telegram bot with long polling (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL).

    Example: TELEGRAM_BOT_TOKEN=123456:ABC… zhewen telegram
    """
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the token
    logging.getLogger("telegram.ext").addFilter(_without_token_traceback)
    try:
        settings = load_settings()
        settings.require("telegram_bot_token")
        asyncio.run(poll(settings))
    except (ConfigError, ContentError, LogUnavailable, StorageError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except InvalidToken:
        raise click.ClickException(
            "TELEGRAM_BOT_TOKEN was rejected by the Telegram Bot API (getMe: Unauthorized); "
            "copy the token again from @BotFather") from None
    except NetworkError as exc:
        token = settings.telegram_bot_token.get_secret_value()
        reason = str(exc).replace(token, "**********").splitlines()[0]  # httpx may quote the URL
        raise click.ClickException(
            f"cannot reach the Telegram Bot API at {settings.telegram_api_base_url}: {reason}") from None
