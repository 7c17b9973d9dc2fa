"""Inline buttons: callback_data codecs (at most 64 bytes, carrying the query-log row id) and keyboards.

State lives in the query log, not in memory, so the buttons under an answer keep working after a
restart: the data names the logged question, and the log knows its question and passages.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts

SOURCE, MORE, FEEDBACK, TOC = "s", "m", "f", "t"
_PATTERN = re.compile(r"(?P<action>[smft]):(?P<first>\d{1,19})(?::(?P<second>[+-]?\d{1,6}))?")
MAX_BYTES = 64


@dataclass(frozen=True)
class Callback:
    action: str
    key: int        # query-log row id, or the TOC page
    arg: int = 0    # references already shown (更多), +1/-1 (feedback)


def encode(action: str, key: int, arg: int | None = None) -> str:
    if arg is None:
        data = f"{action}:{key}"
    elif action == FEEDBACK:
        data = f"{action}:{key}:{arg:+d}"
    else:
        data = f"{action}:{key}:{arg}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback_data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback | None:
    """The button's meaning, or None for data this bot never sent."""
    match = _PATTERN.fullmatch(data or "")
    if match is None:
        return None
    action, second = match["action"], match["second"]
    if action in (MORE, FEEDBACK) and second is None:
        return None
    if action == FEEDBACK and second not in ("+1", "-1"):
        return None
    return Callback(action, int(match["first"]), int(second or 0))


def is_action(action: str) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: data this bot sent for `action`."""
    def match(data: object) -> bool:
        button = decode(data) if isinstance(data, str) else None
        return button is not None and button.action == action
    return match


def answer_keyboard(query_id: int, has_references: bool, shown: int) -> InlineKeyboardMarkup:
    rows = []
    if has_references:
        rows.append([InlineKeyboardButton(texts.TG_BUTTON_SOURCE, callback_data=encode(SOURCE, query_id)),
                     InlineKeyboardButton(texts.TG_BUTTON_MORE, callback_data=encode(MORE, query_id, shown))])
    rows.append([InlineKeyboardButton(texts.TG_BUTTON_UP, callback_data=encode(FEEDBACK, query_id, 1)),
                 InlineKeyboardButton(texts.TG_BUTTON_DOWN, callback_data=encode(FEEDBACK, query_id, -1))])
    return InlineKeyboardMarkup(rows)


def more_keyboard(query_id: int, shown: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.TG_BUTTON_MORE, callback_data=encode(MORE, query_id, shown))]])


def toc_keyboard(page: int, total: int) -> InlineKeyboardMarkup | None:
    """Previous/next buttons, or None when the table of contents fits one page."""
    if total <= 1:
        return None
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(texts.TG_TOC_PREV, callback_data=encode(TOC, page - 1)))
    if page < total - 1:
        row.append(InlineKeyboardButton(texts.TG_TOC_NEXT, callback_data=encode(TOC, page + 1)))
    return InlineKeyboardMarkup([row])
