"""`/wecom/callback`: the WeCom self-built app (自建应用), one-to-one chats with the assistant.

WeCom GETs the URL once to verify it (msg_signature over echostr; we answer the decrypted echostr
only) and POSTs every message and event, signed and encrypted. A text message is answered with an
encrypted passive reply in the same response, well inside WeCom's 5-second window; if the engine
ever takes longer than ANSWER_DEADLINE, we commit the question's row as pending, answer 200 with an
empty body (WeCom then stops waiting) and send the answer through the message API from a worker
thread; the answer completes the pending row (bot.dialogue.Pending), so a process killed in between
has still logged the question it acknowledged, and once.

A retried message (same sender and MsgId) is answered once across replicas (bot/answered_once.py); with
several replicas the in-process Dedupe only keeps concurrent copies on this one off the database.

Formats from developer.work.weixin.qq.com/document/path/…: 96466 接收消息与事件 概述, 96467 消息格式,
96469 被动回复消息格式 (Content at most 2048 bytes), 91144 加解密方案说明.
Nothing is processed or logged before the signature checks; decrypted text is never logged at INFO.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from typing import Any

from starlette.responses import Response
from wechatpy.enterprise import WeChatClient, create_reply, parse_message

from bot import texts
from bot.answered_once import Answered, Settler, SharedReplies
from bot.dialogue import Incoming, Outcome, Pending, Unavailable
from bot.resources import Resources
from bot.wecom.crypto import CallbackCrypto, encrypt_field
from bot.wecom.dedupe import Dedupe
from bot.wecom.endpoint import SignedEndpoint
from bot.wecom.text import Voice, render_answer, render_outcome

log = logging.getLogger(__name__)

ANSWER_DEADLINE = 4.0  # seconds; WeCom gives up after 5
API_TIMEOUT = 10  # seconds for one message API call
WELCOME_EVENTS = frozenset({"enter_agent", "subscribe"})
VOICE = Voice(help=texts.WECOM_WELCOME)

# (user id, text): sends one message through WeCom's message API; blocking, run in a thread.
Sender = Callable[[str, str], None]


def message_api_sender(client: WeChatClient, agent_id: str) -> Sender:
    """Send with wechatpy's (synchronous) client; WeCom refuses callers outside 企业可信IP (60020)."""
    def send(user: str, text: str) -> None:
        client.message.send_text(agent_id, user, text)

    return send


def dedupe_key(message: Any) -> Hashable:
    """Messages by sender and MsgId (a MsgId is unique per sender, not across senders); events
    (which have none) by sender, time and event."""
    if message.type == "event":
        return ("event", message.source, message.time, message.event)
    if not message.id:
        return ("msg", message.source, message.time, message.type)
    return ("msg", message.source, message.id)


class AppEndpoint(SignedEndpoint):
    """Verifies, decrypts, answers and encrypts; one instance per server, its state in its caches."""

    channel = "wecom"
    body_hint = "expected WeCom's XML body with an Encrypt field"
    unconfigured = "WeCom app is not configured: set WECOM_CORP_ID, WECOM_TOKEN and WECOM_AES_KEY"

    def __init__(self, resources: Resources, *, send: Sender | None = None,
                 answer_deadline: float = ANSWER_DEADLINE, clock: Callable[[], float] = time.time) -> None:
        settings = resources.settings
        self._resources = resources
        self._crypto = (
            CallbackCrypto(settings.wecom_token.get_secret_value(), settings.wecom_aes_key.get_secret_value(),
                           settings.wecom_corp_id)
            if settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key else None
        )
        if send is None and settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id:
            client = WeChatClient(settings.wecom_corp_id, settings.wecom_secret.get_secret_value(),
                                  timeout=API_TIMEOUT)
            send = message_api_sender(client, settings.wecom_agent_id)
        self._send = send
        self._deadline = answer_deadline
        self._clock = clock
        state = resources.shared(acknowledges=True)
        self._guard(state)
        self._replies: Dedupe[str | None] = Dedupe()
        self._shared = SharedReplies(state, "wecom-reply", resources.log.pseudonym) if state else None
        self._dialogue = resources.dialogue(acknowledges=True)
        self._late: set[asyncio.Task[None]] = set()

    @property
    def configured(self) -> bool:
        return self._crypto is not None

    async def drain(self) -> None:
        """Wait for answers still being sent through the message API (at shutdown)."""
        if self._late:
            await asyncio.gather(*self._late, return_exceptions=True)

    def _encrypted_field(self, body: bytes) -> str:
        return encrypt_field(body)

    async def _authentic(self, encrypt: str, nonce: str) -> Response:
        try:
            message = parse_message(self._crypto.decrypt(encrypt))
            key = dedupe_key(message)
        except Exception as exc:  # Undecryptable, or whatever expat and wechatpy raise on a broken message
            return self._refuse(f"malformed message ({type(exc).__name__})",
                                "undecryptable or malformed message", 400)
        content = await self._replies.once(key, lambda: self._once(message, repr(key)))
        if content is None:
            return Response(status_code=200)
        xml = create_reply(content, message, render=True)
        return Response(self._crypto.encrypt_reply(xml, nonce), media_type="application/xml")

    async def _once(self, message: Any, key: str) -> str | None:
        """The reply, answered here or, for a copy another replica answers, that replica's."""
        if self._shared is None:
            return (await self._safe_reply(message, None)).reply
        return await self._shared.once(key, lambda settle: self._safe_reply(message, settle))

    async def _safe_reply(self, message: Any, settle: Settler | None) -> Answered:
        try:
            return await self._reply(message, settle)
        except Unavailable:
            raise
        except Exception:
            log.exception("wecom %s callback failed", message.type)
            return Answered(texts.APOLOGY, False)

    async def _reply(self, message: Any, settle: Settler | None) -> Answered:
        """The plain text to answer `message` with (None for no reply), and whether it is settled."""
        log.debug("wecom %s callback", message.type if message.type != "event" else f"event {message.event}")
        if message.type == "event":
            return Answered(texts.WECOM_WELCOME if message.event in WELCOME_EVENTS else None, False)
        if message.type != "text":
            return Answered(texts.NOT_TEXT, False)
        user = str(message.source)
        incoming = Incoming("wecom", "wecom", "private", user, user, message.content or "")
        pending = Pending()
        handled = self._dialogue.handle(incoming, render_answer, settle, pending)
        return await self._within_deadline(user, handled, pending)

    async def _within_deadline(self, user: str, handled: Any, pending: Pending) -> Answered:
        """The reply, or past the deadline None now (the question committed as pending first) and the
        reply later through the message API."""
        job = asyncio.ensure_future(handled)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(job), self._deadline)
            return Answered(self._render(outcome), outcome.settled)
        except TimeoutError:
            log.warning("wecom answer took over %.1f s; sending it through the message API", self._deadline)
        try:
            settled = await pending.acknowledge(None)
        except Unavailable:  # not logged, so not acknowledged: WeCom retries, and this answer is dropped
            job.cancel()
            raise
        task = asyncio.create_task(self._answer_late(user, job))
        self._late.add(task)
        task.add_done_callback(self._late.discard)
        return Answered(None, settled)

    def _render(self, outcome: Outcome) -> str | None:
        return render_outcome(outcome, self._resources.engine.toc, VOICE)

    async def _answer_late(self, user: str, job: asyncio.Future[Outcome]) -> None:
        try:
            content = self._render(await job)
        except Unavailable as exc:  # its 200 went out already: nothing to refuse, the answer is lost
            log.error("a late wecom answer was dropped: %s", exc)
            return
        if content is None:
            return
        if self._send is None:
            log.error("a late wecom answer was dropped: set WECOM_AGENT_ID and WECOM_SECRET")
            return
        try:
            await asyncio.to_thread(self._send, user, content)
        except Exception as exc:  # the network edge: log it and keep serving
            log.error("sending a wecom answer through the message API failed: %s", exc)
