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


async def check_token(settings: Settings) -> None:
    """getMe before anything heavy: a rejected token fails in a second, not after loading the corpus."""
    async with Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url):
        pass


async def poll(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Open resources, poll until `stop` is set (SIGINT/SIGTERM set it), confirm what was handled,
    close the log. A token rejected while polling (revoked in @BotFather) raises InvalidToken."""
    from bot.telegram.app import build_application
    from bot.telegram.delivery import Deliveries
    from bot.telegram.polling import poll_updates

    await check_token(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_resources(settings) as resources, reloading(resources.engine):
            application = build_application(resources)
            async with application:  # initialize(): getMe, so a rejected token fails here
                await application.post_init(application)
                await application.start()
                logger.info("polling; stop with Ctrl-C or SIGTERM")
                try:
                    await poll_updates(application, Deliveries(application, resources), stop)
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
