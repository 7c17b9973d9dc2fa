"""`/wecom/aibot`: the WeCom 智能机器人 callback, which brings the assistant into group chats.

A self-built app only hears one-to-one messages; a 智能机器人 is @-mentioned in groups (or asked one
to one) and WeCom POSTs each message here. Formats, from WeCom's developer documentation
(developer.work.weixin.qq.com/document/path/…):
- 101039 概述 and 101033 回调和回复的加解密方案: GET URL verification (msg_signature, timestamp,
  nonce, echostr → the decrypted echostr only, within 1 s); POST body `{"encrypt": …}` signed by
  msg_signature; ReceiveId is "" for an enterprise's own robot; the reply is
  `{"encrypt", "msgsignature", "timestamp", "nonce"}` with the callback URL's nonce, or an empty body.
- 100719 接收消息: msgid (dedupe on it: WeCom may call back twice), chattype single|group, chatid
  (groups only), from.userid, msgtype text|image|mixed|voice|file, and stream refreshes.
- 101027 接收事件: enter_chat when a user opens the one-to-one chat (first time that day).
- 101031 被动回复消息: welcome as a text message (only for enter_chat); answers as a stream message,
  sent complete (finish=true) in the first response, content at most 20480 bytes of UTF-8.
Not used: response_url (101138, active replies), template cards, feedback ids. Nothing is processed
or logged before the signature check; decrypted text is never logged at INFO. A retried msgid is
answered once across replicas, and a stream refresh finds the reply on any of them (bot/answered_once.py).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import texts
from bot.answered_once import Answered, Settler, SharedReplies
from bot.dialogue import Incoming, Step, Unavailable
from bot.engine import Answer
from bot.resources import Resources
from bot.wecom.aibot_crypto import AibotCrypto
from bot.wecom.aibot_protocol import (
    Callback,
    MalformedCallback,
    parse_callback,
    question_of,
    stream_reply,
    text_reply,
)
from bot.wecom.crypto import Undecryptable
from bot.wecom.dedupe import Dedupe
from bot.wecom.endpoint import SignedEndpoint
from bot.wecom.text import Voice, render_answer, render_outcome, trim_utf8

log = logging.getLogger(__name__)

# Stream content may hold 20480 bytes (101031); we keep the app channel's 2048 so both read the same.
MAX_REPLY_BYTES = 2048
ONE_TO_ONE = Voice(help=texts.AIBOT_WELCOME, empty=texts.AIBOT_EMPTY_QUESTION, max_bytes=MAX_REPLY_BYTES)
GROUP = Voice(help=texts.AIBOT_WELCOME, empty=texts.AIBOT_EMPTY_QUESTION,
              toc_reply=texts.AIBOT_GROUP_TOC_REPLY, max_bytes=MAX_REPLY_BYTES)


class AibotEndpoint(SignedEndpoint):
    """Verifies, decrypts, answers and encrypts; one instance per app, state in its caches."""

    channel = "aibot"
    body_hint = "expected a JSON body with an encrypt field"
    unconfigured = "WeCom 智能机器人 is not configured: set WECOM_AIBOT_TOKEN and WECOM_AIBOT_AES_KEY"

    def __init__(self, resources: Resources, *, clock: Callable[[], float] = time.time) -> None:
        settings = resources.settings
        self._resources = resources
        self._crypto = (
            AibotCrypto(settings.wecom_aibot_token.get_secret_value(),
                        settings.wecom_aibot_aes_key.get_secret_value())
            if settings.wecom_aibot_token and settings.wecom_aibot_aes_key else None
        )
        self._clock = clock
        state = resources.shared(acknowledges=True)
        self._guard(state)
        self._replies: Dedupe[dict[str, Any] | None] = Dedupe()
        self._shared = SharedReplies(state, "aibot-reply", resources.log.pseudonym) if state else None
        self._dialogue = resources.dialogue(acknowledges=True)

    def _encrypted_field(self, body: bytes) -> str:
        try:
            encrypt = json.loads(body)["encrypt"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:  # Recursion: "[[[[…" nested
            raise Undecryptable from exc
        if not isinstance(encrypt, str):
            raise Undecryptable
        return encrypt

    async def _authentic(self, encrypt: str, nonce: str) -> Response:
        try:
            callback = parse_callback(self._crypto.decrypt_json(encrypt))
        except (Undecryptable, MalformedCallback) as exc:
            return self._refuse(f"malformed callback ({exc})", "undecryptable or malformed callback", 400)
        key = (callback.user_id, callback.msgid)  # a msgid is unique per sender only
        reply = await self._replies.once(key, lambda: self._once(callback, repr(key)))
        if reply is None:
            return Response(status_code=200)
        return JSONResponse(self._crypto.encrypt_json(reply, nonce))

    async def _once(self, callback: Callback, key: str) -> dict[str, Any] | None:
        """The reply object, answered here or, for a copy another replica answers, that replica's."""
        if self._shared is None:
            return (await self._safe_reply(callback, None)).reply
        return await self._shared.once(key, lambda settle: self._safe_reply(callback, settle))

    async def _safe_reply(self, callback: Callback, settle: Settler | None) -> Answered:
        try:
            return await self._reply(callback, settle)
        except Unavailable:
            raise
        except Exception:
            log.exception("aibot %s callback failed", callback.msgtype)
            return Answered(stream_reply(callback.msgid, texts.APOLOGY), False)

    async def _reply(self, callback: Callback, settle: Settler | None) -> Answered:
        """The plaintext reply object for one callback (None for an empty reply), and whether it is
        settled already."""
        log.info("aibot %s callback (%s chat)", callback.msgtype, "group" if callback.group else "one-to-one")
        if callback.msgtype == "event":
            welcome = text_reply(texts.AIBOT_WELCOME) if callback.event == "enter_chat" else None
            return Answered(welcome, False)
        if callback.msgtype == "stream":
            return Answered(await self._refresh(callback), False)
        if callback.msgtype != "text":
            return Answered(stream_reply(callback.msgid, texts.NOT_TEXT), False)
        text, settled = await self._text(callback, settle)
        return Answered(stream_reply(callback.msgid, text), settled)

    async def _text(self, callback: Callback, settle: Settler | None) -> tuple[str, bool]:
        incoming = Incoming("wecom", "aibot", "group" if callback.group else "private", callback.chat_id,
                            callback.user_id, question_of(callback))
        # The object a retry should get: the same stream, finished, with this text.
        as_stream = (lambda text: settle(stream_reply(callback.msgid, text))) if settle else None
        outcome = await self._dialogue.handle(incoming, lambda answer: self._render(answer, callback.group),
                                              as_stream)
        if outcome.step is Step.SILENT:  # a stream must say something: the notice again
            return texts.RATE_LIMITED, False
        voice = GROUP if callback.group else ONE_TO_ONE
        return render_outcome(outcome, self._resources.engine.toc, voice) or texts.APOLOGY, outcome.settled

    @staticmethod
    def _render(answer: Answer, group: bool) -> str:
        """The app channel's reply; in a group the follow-up hint says to @ the robot again."""
        if group and answer.references:
            return trim_utf8(f"{answer.reply}\n\n{texts.AIBOT_GROUP_FOLLOWUP_HINT}", MAX_REPLY_BYTES)
        return render_answer(answer, MAX_REPLY_BYTES)

    async def _refresh(self, callback: Callback) -> dict[str, Any] | None:
        """A stream refresh (100719): our stream ids are the msgids, so the reply to that message (of
        the same user), in progress here or settled on any replica, is the answer. A refresh naming
        itself would wait for its own reply: it has none."""
        stream_id = callback.stream_id
        expired = stream_reply(stream_id, texts.AIBOT_STREAM_EXPIRED)
        key = (callback.user_id, stream_id)
        if stream_id == callback.msgid:
            return expired
        if key in self._replies or self._shared is None:  # in progress or kept here: wait for it

            async def gone() -> dict[str, Any]:
                return expired

            return await self._replies.once(key, gone)
        found = await self._shared.find(repr(key))
        return found if isinstance(found, dict) else expired


def routes(resources: Resources) -> list[Route]:
    """GET (URL verification) and POST (messages and events) on /wecom/aibot."""
    return [Route("/wecom/aibot", AibotEndpoint(resources).handle, methods=["GET", "POST"])]
