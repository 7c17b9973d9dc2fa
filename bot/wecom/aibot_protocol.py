"""The 智能机器人 callback and reply objects, as pure functions over decrypted JSON.

Formats from WeCom's documentation: 100719 (接收消息: msgid, aibotid, chatid only in groups,
chattype single|group, from.userid, msgtype text|image|mixed|voice|file, and the stream refresh
`{"msgtype": "stream", "stream": {"id"}}`), 101027 (接收事件: msgtype "event",
event.eventtype "enter_chat" …), 101031 (被动回复消息: welcome `{"msgtype": "text", "text":
{"content"}}`, answers `{"msgtype": "stream", "stream": {"id", "finish", "content"}}` with content at
most 20480 bytes of UTF-8).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A mention is "@" and a name up to whitespace (WeCom puts a space, often U+2005, after it) or a comma/colon.
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[^\s,，:：]*[\s,，:：]*)+")
# "/ask", as on Telegram (DESIGN: a group question is "/ask …" or a mention); "/ask@name" too.
_ASK = re.compile(r"^/ask(?![A-Za-z0-9_])(?:@\S+)?\s*", re.IGNORECASE)


class MalformedCallback(ValueError):
    """The decrypted JSON lacks a field every callback has (HTTP 400)."""


@dataclass(frozen=True)
class Callback:
    """What the handler needs from one decrypted callback."""

    msgid: str
    msgtype: str            # text, image, mixed, voice, file, stream, event, …
    group: bool             # chattype == "group"
    chat_id: str            # chatid in a group; the user's id in a one-to-one chat (no chatid there)
    user_id: str            # from.userid
    text: str = ""          # text.content of a text message, as sent (mention included)
    event: str = ""         # event.eventtype of an event
    stream_id: str = ""     # stream.id of a stream refresh


def _field(obj: Any, *path: str) -> str:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, str) else ""


def parse_callback(payload: dict[str, Any]) -> Callback:
    """Read a decrypted callback; MalformedCallback when msgid, msgtype or from.userid is missing."""
    msgid, msgtype = _field(payload, "msgid"), _field(payload, "msgtype")
    user_id = _field(payload, "from", "userid")
    if not (msgid and msgtype and user_id):
        raise MalformedCallback("callback without msgid, msgtype or from.userid")
    group = _field(payload, "chattype") == "group"
    return Callback(
        msgid=msgid,
        msgtype=msgtype,
        group=group,
        chat_id=(_field(payload, "chatid") or user_id) if group else user_id,
        user_id=user_id,
        text=_field(payload, "text", "content") if msgtype == "text" else "",
        event=_field(payload, "event", "eventtype") if msgtype == "event" else "",
        stream_id=_field(payload, "stream", "id") if msgtype == "stream" else "",
    )


def strip_mentions(text: str) -> str:
    """The question without the leading "@机器人名" (and any other @mentions before it)."""
    return _LEADING_MENTIONS.sub("", text, count=1).strip()


def question_of(callback: Callback) -> str:
    """What the user asks: the text without leading @mentions (in a group) and without a leading /ask."""
    text = strip_mentions(callback.text) if callback.group else callback.text.strip()
    return _ASK.sub("", text, count=1).strip()


def stream_reply(stream_id: str, content: str) -> dict[str, Any]:
    """A complete stream message: the whole answer in the first reply, so WeCom polls no further."""
    return {"msgtype": "stream", "stream": {"id": stream_id, "finish": True, "content": content}}


def text_reply(content: str) -> dict[str, Any]:
    """A text message: WeCom accepts it only in reply to enter_chat (document 101031)."""
    return {"msgtype": "text", "text": {"content": content}}
