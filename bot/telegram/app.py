"""The Telegram Application: every handler registered in one visible block.

`build_application(resources)` serves both `zhewen telegram` (long polling, bot/telegram/polling.py)
and the webhook mode of `zhewen serve`. Neither uses python-telegram-bot's Updater or update queue:
both hand each update to `Deliveries.deliver` (bot/telegram/delivery.py) and confirm it to Telegram
only once handled. Either way, call `await application.post_init(application)` once after
`application.initialize()`, as `run_polling` would, to register the commands.
"""
from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeAllGroupChats, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot import texts
from bot.resources import Resources
from bot.telegram import callbacks, handlers
from bot.telegram.flood import FloodControl

logger = logging.getLogger(__name__)

# Edited messages, channel posts and the rest are never asked for, so never delivered.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
GROUP_COMMANDS = ("ask", "toc", "help")  # the group menu offers only what a group needs
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


async def post_init(application: Application) -> None:
    """Registers the commands with their Chinese descriptions; getMe already ran in initialize()."""
    bot = application.bot
    logger.info("Telegram bot @%s (id %s) ready", bot.username, bot.id)
    commands = [BotCommand(name, text) for name, text in texts.TG_COMMANDS.items()]
    try:
        await bot.set_my_commands(commands)
        await bot.set_my_commands([c for c in commands if c.command in GROUP_COMMANDS],
                                  scope=BotCommandScopeAllGroupChats())
    except TelegramError as exc:
        logger.warning("set_my_commands failed, commands stay as they were: %s", exc)


def build_application(resources: Resources, *, rate_limiter: BaseRateLimiter | None = None) -> Application:
    """The bot with every handler; `rate_limiter` defaults to FloodControl (Bot API limits, retries)."""
    settings = resources.settings
    settings.require("telegram_bot_token")
    application = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .defaults(DEFAULTS)
        .rate_limiter(rate_limiter or FloodControl())
        .concurrent_updates(64)
        .post_init(post_init)
        .updater(None)
        .build()
    )
    application.bot_data[handlers.RESOURCES] = resources
    # An update is confirmed to Telegram once handled: on PostgreSQL a question the log cannot take
    # is refused (Telegram delivers it again), as WeCom's are.
    application.bot_data[handlers.DIALOGUE] = resources.dialogue(acknowledges=True)

    new = filters.UpdateType.MESSAGE  # edited messages are not questions
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    application.add_handlers([
        CommandHandler("start", handlers.start, filters=new),
        CommandHandler("help", handlers.help_command, filters=new),
        CommandHandler("ask", handlers.ask_command, filters=new),
        CommandHandler("toc", handlers.toc_command, filters=new),
        CommandHandler("stats", handlers.stats_command, filters=new),
        CommandHandler("reset", handlers.reset_command, filters=new),
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, handlers.private_question),
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND & handlers.AddressedToBot(),
                       handlers.group_question),
        MessageHandler(new & private & filters.COMMAND, handlers.help_command),
        MessageHandler(new & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text),
        CallbackQueryHandler(handlers.show_source, pattern=callbacks.is_action(callbacks.SOURCE)),
        CallbackQueryHandler(handlers.show_more, pattern=callbacks.is_action(callbacks.MORE)),
        CallbackQueryHandler(handlers.feedback, pattern=callbacks.is_action(callbacks.FEEDBACK)),
        CallbackQueryHandler(handlers.toc_page, pattern=callbacks.is_action(callbacks.TOC)),
        CallbackQueryHandler(handlers.stale_button),
    ])
    application.add_error_handler(handlers.on_error)
    return application
