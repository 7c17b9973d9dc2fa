"""What every WeCom callback route shares: 503 until configured, the signed query string, URL verification.

The app (`/wecom/callback`, XML) and the 智能机器人 (`/wecom/aibot`, JSON) differ only in their bodies,
so each subclass supplies `_callback`; nothing reaches it without msg_signature, timestamp and nonce.

A replay is refused on any replica: each accepted (timestamp, nonce, signature) is claimed in the
shared state as well as remembered in this process (which still holds when a lenient state cannot
be written). A message that cannot be deduplicated or logged now (bot.dialogue.Unavailable) is
refused with 503 here, in one place, and WeCom retries it.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.dialogue import Unavailable
from bot.http_limits import BODY_SECONDS
from bot.storage import StorageError
from bot.storage.state import State
from bot.wecom.crypto import CallbackCrypto, ForgedSignature, Undecryptable
from bot.wecom.guard import Rejections, ReplayGuard

MAX_BODY = 64 * 1024  # bytes: WeCom's callbacks are a few KiB; anything larger is not WeCom
# Seconds a signed timestamp may differ from our clock: WeCom retries within seconds, and every
# accepted (timestamp, nonce, signature) is remembered this long (guard.ReplayGuard).
MAX_CLOCK_SKEW = 300
# What a URL-verification echostr decrypts to: WeCom's random token, never a message (XML, JSON).
_ECHOSTR = re.compile(r"[A-Za-z0-9_\-]{1,128}")

log = logging.getLogger(__name__)


class TooLarge(Exception):
    """The request body is over the limit."""


class TooSlow(Exception):
    """The request body did not arrive within BODY_SECONDS."""


async def read_body(request: Request, limit: int = MAX_BODY, seconds: float = BODY_SECONDS) -> bytes:
    """The body, refusing more than `limit` bytes whether or not Content-Length says so, and a
    client that takes longer than `seconds` to send it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                chunks.append(chunk)
    except TimeoutError:
        raise TooSlow from None
    return b"".join(chunks)


class SignedEndpoint:
    channel = "wecom"              # names the route in warnings
    unconfigured = "WeCom callback is not configured"
    body_hint = "expected WeCom's callback body"   # the 400 for a body without its encrypted field

    _crypto: CallbackCrypto | None
    _clock: Callable[[], float]
    _replays: ReplayGuard
    _nonces: State | None
    rejections: Rejections

    def _guard(self, state: State | None) -> None:
        """Set up the replay memory (this process's, and the shared state's when there is one) and the
        refusal counter (called by each route's __init__)."""
        self._replays = ReplayGuard(MAX_CLOCK_SKEW)
        self._nonces = state
        self.rejections = Rejections()

    def _refuse(self, reason: str, text: str, status: int) -> Response:
        self.rejections.note(f"{self.channel}: {reason}")
        return PlainTextResponse(text, status_code=status)

    async def handle(self, request: Request) -> Response:
        if self._crypto is None:
            return PlainTextResponse(self.unconfigured, status_code=503)
        params = request.query_params
        signed = [params.get(name) for name in ("msg_signature", "timestamp", "nonce")]
        if not all(signed):
            return PlainTextResponse("missing msg_signature, timestamp or nonce", status_code=403)
        msg_signature, timestamp, nonce = signed
        try:
            if request.method == "GET":
                return await self._verify_url(msg_signature, timestamp, nonce, params.get("echostr", ""))
            return await self._callback(request, msg_signature, timestamp, nonce)
        except Unavailable as exc:
            if exc.detail:
                log.warning("%s: refused with %d: %s", self.channel, exc.status, exc)
            return self._refuse(exc.reason, "busy, try again later", exc.status)

    async def _verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
        """Decrypt WeCom's echostr, and nothing else: a GET is no oracle for captured messages
        (their ciphertext signed as an echostr), old or replayed."""
        assert self._crypto is not None
        refused = await self._refuse_unauthentic(msg_signature, timestamp, nonce, echostr, "URL verification")
        if refused is not None:
            return refused
        try:
            echo = self._crypto.decrypt(echostr)
        except Undecryptable:
            return self._refuse("undecryptable echostr", "bad echostr", 400)
        if not _ECHOSTR.fullmatch(echo):
            return self._refuse("echostr that is not one", "bad echostr", 400)
        return Response(echo.encode("utf-8"), media_type="text/plain")

    async def _refuse_unauthentic(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str,
                                  what: str = "callback") -> Response | None:
        """403 for a forged signature, a stale timestamp or a replay; None when the request is WeCom's."""
        assert self._crypto is not None
        try:
            self._crypto.check(msg_signature, timestamp, nonce, encrypt)
        except ForgedSignature:
            return self._refuse(f"{what} with a bad signature", "forbidden", 403)
        if not timestamp.isdigit() or abs(self._clock() - int(timestamp)) > MAX_CLOCK_SKEW:
            return self._refuse(f"{what} with a stale timestamp", "stale timestamp", 403)
        seen = self._replays.admit(timestamp, nonce, msg_signature)
        if seen == "replay":
            return self._refuse(f"replayed {what}", "replayed request", 403)
        if seen == "full":
            return self._refuse("replay memory full", "busy, try again later", 503)
        if self._nonces is not None and not await self._seen_first(timestamp, nonce, msg_signature):
            return self._refuse(f"replayed {what} (first seen by another replica)", "replayed request", 403)
        return None

    async def _seen_first(self, timestamp: str, nonce: str, signature: str) -> bool:
        """Claimed for as long as ReplayGuard remembers: True where no replica saw it before."""
        assert self._nonces is not None
        try:
            return await self._nonces.claim(f"replay-{self.channel}", f"{timestamp}:{nonce}:{signature}",
                                            2 * MAX_CLOCK_SKEW)
        except StorageError as exc:
            raise Unavailable("database unavailable", str(exc)) from None

    async def _callback(self, request: Request, msg_signature: str, timestamp: str, nonce: str) -> Response:
        try:
            body = await read_body(request)
        except TooLarge:
            return PlainTextResponse("body too large", status_code=413)
        except TooSlow:
            return self._refuse("body sent too slowly", "request timeout", 408)
        try:
            encrypt = self._encrypted_field(body)
        except Undecryptable:
            return PlainTextResponse(self.body_hint, status_code=400)
        refused = await self._refuse_unauthentic(msg_signature, timestamp, nonce, encrypt)
        if refused is not None:
            return refused
        return await self._authentic(encrypt, nonce)

    def _encrypted_field(self, body: bytes) -> str:
        """The ciphertext the signature covers; raises Undecryptable when the body has none."""
        raise NotImplementedError

    async def _authentic(self, encrypt: str, nonce: str) -> Response:
        """Decrypt, answer and encrypt a callback whose signature and timestamp checked out."""
        raise NotImplementedError
