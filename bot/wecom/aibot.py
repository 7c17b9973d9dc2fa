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
"""
from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import texts
from bot.resources import Resources
from bot.wecom.aibot_crypto import AibotCrypto
from bot.wecom.aibot_protocol import (
    Callback,
    MalformedCallback,
    parse_callback,
    stream_reply,
    strip_mentions,
    text_reply,
)
from bot.wecom.crypto import ForgedSignature, Undecryptable
from bot.wecom.dedupe import Dedupe
from bot.wecom.text import render_plain

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Stream content may hold 20480 bytes (101031); we keep the app channel's 2048 so both read the same.
MAX_REPLY_BYTES = 2048


class TooLarge(Exception):
    """The body is over MAX_BODY (HTTP 413)."""


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes whether or not Content-Length says so."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class AibotEndpoint:
    """Verifies, decrypts, answers and encrypts; one instance per app, state in its caches."""

    def __init__(self, resources: Resources) -> None:
        settings = resources.settings
        self._resources = resources
        self._crypto = (
            AibotCrypto(settings.wecom_aibot_token.get_secret_value(),
                        settings.wecom_aibot_aes_key.get_secret_value())
            if settings.wecom_aibot_token and settings.wecom_aibot_aes_key else None
        )
        self._replies: Dedupe[dict[str, Any] | None] = Dedupe()

    async def handle(self, request: Request) -> Response:
        if self._crypto is None:
            return PlainTextResponse("WeCom 智能机器人 is not configured: set WECOM_AIBOT_TOKEN and "
                                     "WECOM_AIBOT_AES_KEY", status_code=503)
        params = request.query_params
        signed = [params.get(name) for name in ("msg_signature", "timestamp", "nonce")]
        if not all(signed):
            return PlainTextResponse("missing msg_signature, timestamp or nonce", status_code=403)
        msg_signature, timestamp, nonce = signed
        if request.method == "GET":
            return self._verify_url(msg_signature, timestamp, nonce, params.get("echostr", ""))
        return await self._callback(request, msg_signature, timestamp, nonce)

    def _verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
        try:
            echo = self._crypto.verify_url(msg_signature, timestamp, nonce, echostr)
        except ForgedSignature:
            return PlainTextResponse("forbidden", status_code=403)
        except Undecryptable:
            return PlainTextResponse("bad echostr", status_code=400)
        return Response(echo.encode("utf-8"), media_type="text/plain")

    async def _callback(self, request: Request, msg_signature: str, timestamp: str, nonce: str) -> Response:
        try:
            body = await _read_body(request, MAX_BODY)
        except TooLarge:
            return PlainTextResponse("body too large", status_code=413)
        try:
            encrypt = json.loads(body)["encrypt"]
            if not isinstance(encrypt, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("expected a JSON body with an encrypt field", status_code=400)
        try:
            self._crypto.check(msg_signature, timestamp, nonce, encrypt)
        except ForgedSignature:
            log.warning("aibot callback with a bad signature refused")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            callback = parse_callback(self._crypto.decrypt_json(encrypt))
        except (Undecryptable, MalformedCallback) as exc:
            log.warning("aibot callback refused: %s", exc)
            return PlainTextResponse("undecryptable or malformed callback", status_code=400)
        reply = await self._replies.once(callback.msgid, lambda: self._reply(callback))
        if reply is None:
            return Response(status_code=200)
        return JSONResponse(self._crypto.encrypt_json(reply, nonce))

    async def _reply(self, callback: Callback) -> dict[str, Any] | None:
        log.info("aibot %s callback (%s chat)", callback.msgtype, "group" if callback.group else "one-to-one")
        if callback.msgtype == "event":
            return text_reply(texts.AIBOT_WELCOME) if callback.event == "enter_chat" else None
        if callback.msgtype == "stream":
            return await self._refresh(callback.stream_id)
        if callback.msgtype != "text":
            return stream_reply(callback.msgid, texts.NOT_TEXT)
        question = strip_mentions(callback.text) if callback.group else callback.text.strip()
        if not question:
            return stream_reply(callback.msgid, texts.AIBOT_EMPTY_QUESTION)
        return stream_reply(callback.msgid, self._answer(callback, question))

    def _answer(self, callback: Callback, question: str) -> str:
        logbook = self._resources.log
        where = {"platform": "wecom", "chat_type": "group" if callback.group else "private",
                 "chat_id": callback.chat_id, "user_id": callback.user_id}
        try:
            answer = self._resources.engine.ask(question)
        except Exception as exc:
            log.exception("engine failed on an aibot question")
            logbook.record(None, question=question, error=type(exc).__name__, **where)
            return texts.APOLOGY
        content = render_plain(answer, MAX_REPLY_BYTES)
        logbook.record(answer, question=question, reply_chars=len(content), **where)
        return content

    async def _refresh(self, stream_id: str) -> dict[str, Any] | None:
        """A stream refresh (100719): our stream ids are the msgids, so the cached reply is the answer."""
        async def expired() -> dict[str, Any]:
            return stream_reply(stream_id, texts.AIBOT_STREAM_EXPIRED)

        return await self._replies.once(stream_id, expired)


def routes(resources: Resources) -> list[Route]:
    """GET (URL verification) and POST (messages and events) on /wecom/aibot."""
    return [Route("/wecom/aibot", AibotEndpoint(resources).handle, methods=["GET", "POST"])]
