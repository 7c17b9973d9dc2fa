"""Handlers, one per user action: parse the update, go down the conversation path (bot.dialogue),
render HTML with inline buttons, send.

Shared state sits in `application.bot_data`: the opened Resources and the channel's Dialogue.
"""
from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardMarkup, Message, MessageEntity, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes, filters

from bot import texts
from bot.dialogue import SHOWN, Dialogue, Incoming, Outcome, Step, Unavailable, stats_text
from bot.resources import Resources
from bot.telegram import callbacks, render
from bot.telegram.delivery import current

logger = logging.getLogger(__name__)

RESOURCES = "resources"
DIALOGUE = "dialogue"


def _resources(context: ContextTypes.DEFAULT_TYPE) -> Resources:
    return context.bot_data[RESOURCES]


class AddressedToBot(filters.MessageFilter):
    """A group message that mentions the bot (by @username or text_mention) or replies to it."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        return bool(_mentions(message))


def _mentions(message: Message) -> list[MessageEntity]:
    bot = message.get_bot()
    handle = f"@{bot.username}".lower() if bot.username else None
    found = []
    for entity, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.MENTION and handle and text.lower() == handle:
            found.append(entity)
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            found.append(entity)
    return found


def without_entities(text: str, entities: list[MessageEntity]) -> str:
    """`text` with the given entities cut out (their offsets count UTF-16 code units)."""
    data = text.encode("utf-16-le", "surrogatepass")
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        data = data[: entity.offset * 2] + data[(entity.offset + entity.length) * 2:]
    return data.decode("utf-16-le", "replace")


def _command_argument(message: Message) -> str:
    """What follows `/ask` or `/ask@bot`, newlines kept (context.args would lose them)."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return without_entities(text, [entity])
    return text


def _not_blank(html: str) -> str:
    """Telegram refuses blank text, and PTB 22 with Defaults even sends "" as "[]": never send it."""
    if html.strip():
        return html
    logger.warning("a reply rendered to nothing; sending the apology instead")
    return render.fit([(texts.APOLOGY, "")])


async def _reply(message: Message, html: str, **kwargs: object) -> Message:
    """Replies in the chat; in groups the reply quotes the question so the thread stays readable.

    A question deleted meanwhile still gets its answer, just without the quote.
    """
    quote = message.chat.type != ChatType.PRIVATE
    return await message.reply_text(_not_blank(html), do_quote=quote, allow_sending_without_reply=True,
                                    **kwargs)


async def _converse(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A question or a typed command from a chat, down the shared conversation path."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None:
        return
    dialogue: Dialogue = context.bot_data[DIALOGUE]
    incoming = Incoming("telegram", "telegram", chat.type, chat.id, user.id if user else None, text)
    delivery = current()
    outcome = await dialogue.handle(incoming, render.render_answer, delivery.settle)
    delivery.settled = outcome.settled
    if outcome.step is Step.ANSWER:
        keyboard = None  # buttons read the logged row: none for an answer the log could not take
        if outcome.query_id is not None:
            keyboard = callbacks.answer_keyboard(outcome.query_id, bool(outcome.answer.references), SHOWN)
        await _reply(message, outcome.reply, reply_markup=keyboard)
    elif outcome.step is Step.TOC:
        await _send_toc(message, context, outcome.page - 1)
    elif outcome.step is not Step.SILENT:
        await _reply(message, _html(outcome))


def _html(outcome: Outcome) -> str:
    """Every reply but an answer and the TOC: one block of escaped text."""
    if outcome.step is Step.EMPTY:
        return render.fit([(texts.TG_ASK_USAGE, "")])
    if outcome.step is Step.HELP:
        return render.fit([(texts.TG_HELP, "")])
    if outcome.stats is not None:
        return render.fit([(stats_text(outcome.stats), "")])
    if outcome.followup is not None:
        listed = outcome.followup.references
        if outcome.followup.kind == "more":
            return render.render_more(listed, outcome.followup.first_rank)
        return render.render_passage(listed[0])
    return render.fit([(outcome.notice or texts.APOLOGY, "")])


async def reset_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reset: the next question is not read as a follow-up of the last."""
    await _converse(update, context, "/reset")


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats, for admins only (ZHEWEN_ADMINS)."""
    await _converse(update, context, "/stats")


async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Private chat: every text message is a question."""
    await _converse(update, context, update.effective_message.text or "")


async def group_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group: a message addressed to the bot, the mention removed from the question."""
    message = update.effective_message
    await _converse(update, context, without_entities(message.text or "", _mentions(message)))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = _command_argument(update.effective_message)
    if not text.strip():  # "/ask" alone: how to ask, not the prompt of a private chat
        await _reply(update.effective_message, render.fit([(texts.TG_ASK_USAGE, "")]))
        return
    await _converse(update, context, text)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update.effective_message, render.fit([(texts.TG_START, "")]))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update.effective_message, render.fit([(texts.TG_HELP, "")]))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Private chat: stickers, photos, voice, files get a one-line hint."""
    await _reply(update.effective_message, render.fit([(texts.NOT_TEXT, "")]))


async def toc_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_toc(update.effective_message, context, 0)


async def _send_toc(message: Message, context: ContextTypes.DEFAULT_TYPE, page: int) -> None:
    """A TOC page (from 0; past the end, the last) with its paging buttons."""
    entries = _resources(context).engine.toc()
    total = render.toc_pages(entries)
    page = max(0, min(page, total - 1))
    await _reply(message, render.render_toc(entries, page), reply_markup=callbacks.toc_keyboard(page, total))


async def _acknowledge(update: Update, notice: str | None = None) -> None:
    """answerCallbackQuery; a query Telegram no longer accepts (pressed while the bot was down)
    must not cost the user what the button does."""
    try:
        await update.callback_query.answer(notice)
    except BadRequest as exc:
        logger.info("callback query not acknowledged: %s", exc)


async def toc_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A TOC page button: the same message shows another page."""
    query = update.callback_query
    page = callbacks.decode(query.data).key
    entries = _resources(context).engine.toc()
    total = render.toc_pages(entries)
    if page >= total:
        await _acknowledge(update, texts.TG_STALE_BUTTON)
        return
    await _acknowledge(update)
    try:
        await query.edit_message_text(render.render_toc(entries, page),
                                      reply_markup=callbacks.toc_keyboard(page, total))
    except BadRequest as exc:
        if "message is not modified" not in exc.message.lower():  # a double tap: the same page again
            raise


async def _logged(update: Update,
                  context: ContextTypes.DEFAULT_TYPE) -> tuple[callbacks.Callback, dict | None]:
    """The button and its logged question; None (after a polite notice) when the row is gone."""
    button = callbacks.decode(update.callback_query.data)
    record = await _resources(context).log.get(button.key)
    if record is None:
        await _acknowledge(update, texts.TG_STALE_BUTTON)
    return button, record


async def _send_below(update: Update, context: ContextTypes.DEFAULT_TYPE, html: str,
                      **kwargs: object) -> None:
    """Sends a follow-up as a reply to the message that carried the button."""
    chat: Chat | None = update.effective_chat
    if chat is None:
        return
    origin = update.callback_query.message
    reply = ReplyParameters(origin.message_id, allow_sending_without_reply=True) if origin else None
    await context.bot.send_message(chat.id, _not_blank(html), reply_parameters=reply, **kwargs)


def _record_followup(update: Update, context: ContextTypes.DEFAULT_TYPE, query_id: int, kind: str) -> None:
    """A follow-up pressed right after an answer is a sign it missed (`zhewen logs suspect`)."""
    user = update.effective_user
    _resources(context).log.record_followup(query_id, kind, user_id=user.id if user else None)


async def show_source(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """原文: the whole passage of the answer's first reference."""
    button, record = await _logged(update, context)
    if record is None:
        return
    _record_followup(update, context, button.key, "passage")
    ids = record.get("passage_ids") or []
    ref = _resources(context).engine.passage(ids[0]) if ids else None
    if ref is None:
        await _acknowledge(update, texts.TG_PASSAGE_GONE)
        return
    await _acknowledge(update)
    await _send_below(update, context, render.render_passage(ref))


async def show_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """更多: the next references for the logged question, with a further 更多 while there are some."""
    button, record = await _logged(update, context)
    if record is None:
        return
    _record_followup(update, context, button.key, "more")
    shown = button.arg
    refs = _resources(context).engine.more(record["question"], skip=shown, count=SHOWN)
    if not refs:
        await _acknowledge(update, texts.NO_MORE)
        await _retire_button(update)
        return
    await _acknowledge(update)
    keyboard = callbacks.more_keyboard(button.key, shown + len(refs)) if len(refs) == SHOWN else None
    await _send_below(update, context, render.render_more(refs, shown + 1), reply_markup=keyboard)
    await _retire_button(update)


async def _retire_button(update: Update) -> None:
    """Takes the pressed button off its message: a used 更多 pressed again would repeat the list it
    already showed (the next one is on the new message). Best effort: an old message may refuse."""
    query = update.callback_query
    markup = getattr(query.message, "reply_markup", None)
    if markup is None:
        return
    rows = [[b for b in row if b.callback_data != query.data] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError as exc:
        logger.info("used button not removed: %s", exc)


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎: stored in the log against the question."""
    button, record = await _logged(update, context)
    if record is None:
        return
    query = update.callback_query
    _resources(context).log.record_feedback(button.key, user_id=query.from_user.id, value=button.arg)
    await _acknowledge(update, texts.TG_FEEDBACK_THANKS)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any button this bot does not recognise (an old version, forged data): a polite notice."""
    await _acknowledge(update, texts.TG_STALE_BUTTON)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the exception with its traceback; the user gets a short apology, never the traceback."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, Unavailable):  # not logged: no reply, and Telegram delivers it again
        logger.warning("update %s refused: %s", update_id, context.error)
        current().refused = context.error
        return
    logger.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(texts.APOLOGY)
                return
            except TelegramError:
                pass  # already answered before the failure: apologise in the chat instead
        if update.effective_message is not None:
            await _reply(update.effective_message, render.fit([(texts.APOLOGY, "")]))
    except TelegramError as exc:
        logger.warning("could not send the apology for update %s: %s", update_id, exc)
