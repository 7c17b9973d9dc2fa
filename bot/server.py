"""`zhewen serve`: one ASGI app for WeCom's callbacks, Telegram's webhook and a health check.

Routes: GET/POST /wecom/callback (self-built app), GET/POST /wecom/aibot (智能机器人),
POST /telegram/webhook, GET /healthz. A channel that is not configured answers 503 with the
variables to set, so the server starts with any subset of channels. SIGTERM or Ctrl-C: uvicorn stops
accepting, lets in-flight requests finish, the lifespan stops Telegram and waits for late WeCom
answers, then the query log is flushed and the process exits 0.

Example: zhewen serve --host 127.0.0.1 --port 8080   (behind an HTTPS reverse proxy)
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
from collections.abc import AsyncIterator
from typing import Any

import click
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.dialogue import Unavailable
from bot.http_limits import GRACEFUL_SHUTDOWN_SECONDS, MAX_CONNECTIONS, protocol_class
from bot.querylog import LogUnavailable
from bot.reload import reloading
from bot.resources import Resources, open_resources
from bot.settings import ConfigError, Settings, load_settings
from bot.storage import StorageError
from bot.wecom.aibot import routes as aibot_routes
from bot.wecom.callback import AppEndpoint
from bot.wecom.endpoint import TooLarge, TooSlow, read_body
from bot.wecom.guard import Rejections
from content.store import ContentError

log = logging.getLogger(__name__)

TELEGRAM_MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook's secret_token allows


def check_settings(settings: Settings) -> None:
    """One-line errors at start-up for half-configured channels (a channel left unset is fine)."""
    app = ("wecom_corp_id", "wecom_token", "wecom_aes_key")
    if any(getattr(settings, name) is not None for name in app):
        settings.require(*app)
    if settings.telegram_webhook_url:
        if not settings.telegram_webhook_url.startswith("https://"):
            raise ConfigError("TELEGRAM_WEBHOOK_URL: Telegram only calls https:// URLs")
        settings.require("telegram_bot_token", "telegram_webhook_secret")
        if not WEBHOOK_SECRET.fullmatch(settings.telegram_webhook_secret.get_secret_value()):
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET: Telegram accepts 1-256 characters, only A-Z, a-z, "
                              "0-9, _ and -")


class StartupError(Exception):
    """A configured channel cannot start; the message is one line for the operator."""


class TelegramWebhook:
    """POST /telegram/webhook: only with our secret header; the update is handled before the 200, which
    is what confirms it to Telegram (bot/telegram/delivery.py), so a question is logged first. A question
    the log cannot take on PostgreSQL gets 503 and Telegram delivers it again, as WeCom retries; a
    redelivery of one already handled, on any replica, gets 200 without a second answer or row."""

    def __init__(self, resources: Resources) -> None:
        settings = resources.settings
        self._settings = settings
        self.rejections = Rejections(logger=log)  # one summary line a minute, not one per request
        self.application: Any = None
        if settings.telegram_webhook_url:
            from bot.telegram.app import build_application
            from bot.telegram.delivery import Deliveries

            self.application = build_application(resources)
            self._deliveries = Deliveries(self.application, resources)
            self._secret = settings.telegram_webhook_secret.get_secret_value().encode("utf-8")

    async def connect(self) -> None:
        """getMe before the server listens, so a rejected token or an unreachable API stops start-up."""
        if self.application is None:
            return
        from telegram.error import InvalidToken, NetworkError

        try:
            await self.application.initialize()
        except InvalidToken:
            raise StartupError("TELEGRAM_BOT_TOKEN was rejected by the Telegram Bot API "
                               "(getMe: Unauthorized); copy the token again from @BotFather") from None
        except NetworkError as exc:
            api = self._settings.telegram_api_base_url
            raise StartupError(f"cannot reach the Telegram Bot API at {api}: {exc}") from None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Register the webhook with its secret, run the update queue, stop cleanly."""
        if self.application is None:
            yield
            return
        from telegram.error import TelegramError

        from bot.telegram.app import ALLOWED_UPDATES

        application = self.application
        async with application:  # initialises, unless connect() already did
            await application.post_init(application)
            try:
                await application.bot.set_webhook(
                    self._settings.telegram_webhook_url, allowed_updates=ALLOWED_UPDATES,
                    secret_token=self._settings.telegram_webhook_secret.get_secret_value())
                log.info("telegram webhook registered")
            except TelegramError as exc:  # keep serving WeCom; Telegram stays silent until this is fixed
                log.error("telegram webhook could not be registered: %s", exc)
            await application.start()
            try:
                yield
            finally:
                await application.stop()

    async def handle(self, request: Request) -> Response:
        if self.application is None:
            return PlainTextResponse("Telegram webhook mode is not configured: set TELEGRAM_WEBHOOK_URL, "
                                     "TELEGRAM_WEBHOOK_SECRET and TELEGRAM_BOT_TOKEN", status_code=503)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            self.rejections.note("telegram webhook call without the right secret")
            return PlainTextResponse("forbidden", status_code=403)
        from telegram import Update

        try:
            data = json.loads(await read_body(request, TELEGRAM_MAX_BODY))
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an Update: no integer update_id")
            update = Update.de_json(data, self.application.bot)
        except TooLarge:
            return PlainTextResponse("body too large", status_code=413)
        except TooSlow:
            return PlainTextResponse("request timeout", status_code=408)
        except Exception as exc:  # not JSON, or not an Update
            self.rejections.note(f"telegram webhook body that is not an Update ({type(exc).__name__})")
            return PlainTextResponse("expected a Telegram Update as JSON", status_code=400)
        try:
            await self._deliveries.deliver(update)
        except Unavailable as exc:
            self.rejections.note(f"telegram update refused ({exc.reason})")
            return PlainTextResponse("busy, try again later", status_code=exc.status)
        return Response(status_code=200)


def healthz(resources: Resources):
    """The corpus serving and the log's state: 503 while questions cannot be logged, so a monitor
    sees a full disk or a read-only log instead of an "ok" that loses every question."""
    async def handle(request: Request) -> Response:
        loaded, log_ = resources.engine.loaded, resources.log
        writing = log_.writing
        return JSONResponse({
            "status": "ok" if writing else "log not writing",
            "corpus": {"content_hash": loaded.content_hash, "passages": loaded.passages},
            "log": {"writing": writing, "dropped": log_.failures, "error": log_.last_error},
        }, status_code=200 if writing else 503)
    return handle


def create_app(resources: Resources, *, wecom: AppEndpoint | None = None) -> Starlette:
    """The ASGI app over already opened resources; its lifespan runs Telegram and drains WeCom."""
    wecom = wecom or AppEndpoint(resources)
    telegram = TelegramWebhook(resources)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with telegram.running():
            robot = bool(resources.settings.wecom_aibot_token and resources.settings.wecom_aibot_aes_key)
            log.info("serving; channels: wecom app %s, wecom 智能机器人 %s, telegram webhook %s",
                     "on" if wecom.configured else "off", "on" if robot else "off",
                     "on" if telegram.application else "off")
            yield
        await wecom.drain()

    routes = [
        Route("/healthz", healthz(resources), methods=["GET"]),
        Route("/wecom/callback", wecom.handle, methods=["GET", "POST"]),
        Route("/telegram/webhook", telegram.handle, methods=["POST"]),
        *aibot_routes(resources),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.telegram = telegram
    return app


async def run(settings: Settings, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; returns after the log is flushed."""
    async with open_resources(settings) as resources, reloading(resources.engine):
        app = create_app(resources)
        await app.state.telegram.connect()
        config = uvicorn.Config(app, host=host, port=port, lifespan="on", log_config=None,
                                access_log=False, http=protocol_class(), limit_concurrency=MAX_CONNECTIONS,
                                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
        server = uvicorn.Server(config)
        # uvicorn stops gracefully on SIGTERM/SIGINT, then restores the handlers it found and re-raises
        # the signal; these no-op handlers are what it finds, so we still flush the log and exit 0.
        previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind, after logging why
            raise StartupError(f"cannot listen on {host}:{port} (see the log above)") from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not server.started:
            raise StartupError("the server did not start (see the log above)")
    log.info("stopped; query log flushed")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port")
def serve(host: str, port: int) -> None:
    """HTTP server: WeCom callbacks (/wecom/callback, /wecom/aibot), Telegram webhook, /healthz.

    Example: zhewen serve --host 127.0.0.1 --port 8080
    """
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Bot API URLs carry the token
    try:
        settings = load_settings()
        check_settings(settings)
        asyncio.run(run(settings, host, port))
    except (ConfigError, ContentError, StartupError, LogUnavailable, StorageError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except OSError as exc:  # a file or directory the server needs is out of reach
        raise click.ClickException(str(exc)) from None
