"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

It runs in its own thread with its own event loop, so a bot under test talks to it over real
HTTP exactly as to api.telegram.org: in the same process (python-telegram-bot's HTTPXRequest with
`base_url=api.base_url`) or from a subprocess (`TELEGRAM_API_BASE_URL`). It answers the way Telegram
does, including 400 "can't parse entities" for HTML Telegram would refuse, 400 for messages over
4096 characters, 401 for a wrong token, and queued faults (429 with retry_after, 500). Every call is
recorded; tests wait for calls with `wait_for` instead of sleeping.

    with FakeBotAPI() as api:
        api.feed(private_text("浙江有多少款大模型？"))
        [call] = api.wait_for("sendMessage")
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_ID = 123456
BOT_USERNAME = "zhewen_test_bot"
MAX_TEXT = 4096


# --- update builders (the JSON Telegram sends) ---------------------------------------------------

_message_ids = itertools.count(1000)
_callback_ids = itertools.count(1)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    """The entities a Telegram client marks itself: a leading /command and every @username."""
    found = []
    command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in re.finditer(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}", text):
        found.append({"type": "mention", "offset": utf16_len(text[: mention.start()]),
                      "length": utf16_len(mention.group())})
    return found


def user(user_id: int = 42, first_name: str = "张三") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "浙问", "username": BOT_USERNAME}


def private_chat(user_id: int = 42) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "张三"}


def group_chat(chat_id: int = -1001234567890, kind: str = "supergroup") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "浙问测试群"}


def message(text: str | None, chat: dict[str, Any], sender: dict[str, Any], *,
            entities: list[dict[str, Any]] | None = None, reply_to: dict[str, Any] | None = None,
            **extra: Any) -> dict[str, Any]:
    """A message; entities default to what a client marks (commands, @mentions)."""
    msg: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat,
                           "from": sender}
    if text is not None:
        msg["text"] = text
        marked = _entities(text) if entities is None else entities
        if marked:
            msg["entities"] = marked
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    msg.update(extra)
    return msg


def private_text(text: str, user_id: int = 42) -> dict[str, Any]:
    """An update: a private text message."""
    return {"message": message(text, private_chat(user_id), user(user_id))}


def group_text(text: str, user_id: int = 42, chat_id: int = -1001234567890, **kwargs: Any) -> dict[str, Any]:
    """An update: a text message in a supergroup."""
    return {"message": message(text, group_chat(chat_id), user(user_id), **kwargs)}


def sticker(chat: dict[str, Any], user_id: int = 42) -> dict[str, Any]:
    sticker = {"file_id": "CAACAgI", "file_unique_id": "AgAD", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
    return {"message": message(None, chat, user(user_id), sticker=sticker)}


def edited(update: dict[str, Any]) -> dict[str, Any]:
    """The same message as an edit."""
    msg = dict(update["message"], edit_date=int(time.time()))
    return {"edited_message": msg}


def callback(data: str, on_message: dict[str, Any], user_id: int = 42) -> dict[str, Any]:
    """An update: a button pressed under `on_message` (a message the bot sent)."""
    return {"callback_query": {"id": str(next(_callback_ids)), "from": user(user_id),
                               "chat_instance": "-7000", "data": data, "message": on_message}}


# --- Telegram's HTML rules -----------------------------------------------------------------------

class HTMLError(ValueError):
    """Telegram's "can't parse entities" (the message is refused whole)."""


_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
         "tg-emoji", "code", "pre", "blockquote"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]+);")


def parse_html(source: str) -> str:
    """The visible text of a Bot API HTML message; raises HTMLError where Telegram would."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            tag = _TAG.match(source, i)
            offset = len(source[:i].encode("utf-8", "surrogatepass"))
            if tag is None:
                raise HTMLError(f"Unclosed start tag at byte offset {offset}")
            closing, name = tag.group(1), tag.group(2).lower()
            if name not in _TAGS:
                raise HTMLError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack:
                    raise HTMLError(f"Unexpected end tag at byte offset {offset}")
                if stack[-1] != name:
                    raise HTMLError(f'Unmatched end tag at byte offset {offset}, '
                                    f'expected "</{stack[-1]}>", found "</{name}>"')
                stack.pop()
            else:
                stack.append(name)
            i = tag.end()
        elif char == "&":
            entity = _ENTITY.match(source, i)
            if entity is None:
                raise HTMLError("Character entity expected at byte offset "
                                f"{len(source[:i].encode('utf-8', 'surrogatepass'))}")
            body = entity.group(1)
            if body.startswith("#x"):
                out.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.append(chr(int(body[1:])))
            elif body in _NAMED:
                out.append(_NAMED[body])
            else:
                raise HTMLError(f'Unsupported HTML entity "&{body};"')
            i = entity.end()
        elif char == ">":
            raise HTMLError("Unexpected end of name token")
        else:
            out.append(char)
            i += 1
    if stack:
        raise HTMLError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


# --- the server ----------------------------------------------------------------------------------

@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _decode_params(content_type: str, body: bytes) -> dict[str, Any]:
    """PTB posts form fields whose non-string values are JSON; other clients post JSON."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8", "surrogatepass"), keep_blank_values=True):
        if value.startswith(("[", "{")):
            try:
                params[key] = json.loads(value)
                continue
            except ValueError:
                pass
        params[key] = value
    return params


class FakeBotAPI:
    """The server; use as a context manager (starts a thread, binds 127.0.0.1 on a free port)."""

    def __init__(self, token: str = TOKEN, *, max_poll_wait: float = 1.0) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.calls: list[Call] = []
        self._ok: Counter[str] = Counter()
        self._changed = threading.Condition()
        self._faults: dict[str, list[tuple[int, int | None]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._sent_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._answered_queries: set[str] = set()
        self._seen: set[tuple[int, int]] = set()  # (chat id, message id) of fed messages
        self.webhook_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Condition | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self.port = 0

    # -- lifecycle

    def __enter__(self) -> FakeBotAPI:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-bot-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Bot API did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    @property
    def base_url(self) -> str:
        """For python-telegram-bot's `base_url` / TELEGRAM_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    def _serve(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._new_update = asyncio.Condition()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await self._stopping.wait()
            async with self._new_update:
                self._new_update.notify_all()
            server.close()

    # -- what tests do

    def feed(self, *updates: dict[str, Any]) -> list[int]:
        """Queue updates for getUpdates; returns their update_ids."""
        stamped = [dict(update, update_id=next(self._update_ids)) for update in updates]
        for update in stamped:
            for kind in ("message", "edited_message"):
                if kind in update:
                    chat = update[kind]["chat"]
                    self._chats[chat["id"]] = chat
                    self._seen.add((chat["id"], update[kind]["message_id"]))

        async def push() -> None:
            async with self._new_update:
                self._updates.extend(stamped)
                self._new_update.notify_all()

        asyncio.run_coroutine_threadsafe(push(), self._loop).result(10)
        return [u["update_id"] for u in stamped]

    def fail(self, method: str, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` fail: 400, 429 (with retry_after) or 5xx."""
        with self._changed:
            self._faults.setdefault(method, []).extend([(status, retry_after)] * times)

    def calls_of(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                 where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Blocks until `count` successful calls of `method` (matching `where`) were answered."""
        def matching() -> list[Call]:
            return [c for c in self.calls
                    if c.method == method and c.status == 200 and (where is None or where(c))]

        def enough() -> bool:  # a counter, not a scan, on every call: load tests make thousands
            return self._ok[method] >= count and (where is None or len(matching()) >= count)

        with self._changed:
            if not self._changed.wait_for(enough, timeout):
                raise TimeoutError(f"expected {count} {method} call(s), got {len(matching())}: "
                                   f"{[(c.method, c.status) for c in self.calls][-10:]}")
            return matching()

    async def wait(self, method: str, count: int = 1, timeout: float = 10.0,
                   where: Callable[[Call], bool] | None = None) -> list[Call]:
        """`wait_for` for async tests, without blocking their event loop."""
        return await asyncio.to_thread(self.wait_for, method, count, timeout, where)

    def confirmed(self) -> int:
        """The highest update_id the bot has confirmed (0 for none): Telegram forgets every update below
        the offset of a getUpdates it answered."""
        offsets = [int(c.params.get("offset", 0) or 0) for c in self.calls_of("getUpdates")
                   if c.status == 200]
        return max([0, *(offset - 1 for offset in offsets)])

    def sent_message(self, call: Call) -> dict[str, Any]:
        """The Message the fake returned for a sendMessage/editMessageText call (with reply_markup)."""
        return self._messages[(int(call.params["chat_id"]), call.params["_message_id"])]

    # -- HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                _, path, _ = lines[0].split(" ", 2)
                fields = (h.partition(":") for h in lines[1:] if h)
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload = await self._dispatch(unquote(path), headers.get("content-type", ""), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                             f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                             "Connection: keep-alive\r\n\r\n".encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?", 1)[0])
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        try:
            params = _decode_params(content_type, body)
        except ValueError:
            params = {}
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            self._take_fault(method)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
            status, payload = 200, {"ok": True, "result": result}
        except ApiError as err:
            status = err.status
            payload = {"ok": False, "error_code": err.status, "description": err.description}
            if err.parameters:
                payload["parameters"] = err.parameters
        self._record(Call(method, params, status))
        return status, payload

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            if call.status == 200:
                self._ok[call.method] += 1
            self._changed.notify_all()

    def _take_fault(self, method: str) -> None:
        with self._changed:
            queued = self._faults.get(method)
            if not queued:
                return
            status, retry_after = queued.pop(0)
        if status == 429:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        if status == 400:
            raise _bad("can't parse entities: injected by the test")
        raise ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")

    # -- methods

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(bot_user(), can_join_groups=True, can_read_all_group_messages=False,
                    supports_inline_queries=False)

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset", 0) or 0)
        limit = int(params.get("limit", 100) or 100)
        wait = min(float(params.get("timeout", 0) or 0), self.max_poll_wait)
        async with self._new_update:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait > 0 and not self._stopping.is_set():
                try:
                    await asyncio.wait_for(self._new_update.wait(), wait)
                except TimeoutError:
                    pass
            return self._updates[:limit]

    def _check_text(self, params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        if params.get("parse_mode", "").upper() == "HTML":
            try:
                text = parse_html(text)
            except HTMLError as err:
                raise _bad(f"can't parse entities: {err}") from None
        if not text.strip():
            raise _bad("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise _bad("message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64 or not button.get("text"):
                    raise _bad("BUTTON_DATA_INVALID")
        return text

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise _bad("chat not found") from None
        return self._chats.get(chat_id) or {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}

    def _check_reply(self, chat: dict[str, Any], params: dict[str, Any]) -> None:
        reply = params.get("reply_parameters")
        if not reply:
            return
        key = (chat["id"], int(reply.get("message_id", 0)))
        known = key in self._seen or key in self._messages
        if not known and not reply.get("allow_sending_without_reply"):
            raise _bad("message to be replied not found")

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text = self._check_text(params)
        self._check_reply(chat, params)
        sent = {"message_id": next(self._sent_ids), "date": int(time.time()), "chat": chat,
                "from": bot_user(), "text": text}
        if params.get("reply_markup"):
            sent["reply_markup"] = params["reply_markup"]
        params["_message_id"] = sent["message_id"]
        self._messages[(chat["id"], sent["message_id"])] = sent
        return sent

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id", 0)))
        if key not in self._messages:
            raise _bad("message to edit not found")
        text = self._check_text(params)
        old = self._messages[key]
        if old["text"] == text and old.get("reply_markup") == params.get("reply_markup"):
            raise _bad("message is not modified: specified new message content and reply markup are exactly "
                       "the same as a current content and reply markup of the message")
        edited_message = dict(old, text=text, edit_date=int(time.time()))
        edited_message.pop("reply_markup", None)
        if params.get("reply_markup"):
            edited_message["reply_markup"] = params["reply_markup"]
        params["_message_id"] = key[1]
        self._messages[key] = edited_message
        return edited_message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id", 0)))
        if key not in self._messages:
            raise _bad("message to edit not found")
        updated = dict(self._messages[key])
        updated.pop("reply_markup", None)
        if params.get("reply_markup"):
            updated["reply_markup"] = params["reply_markup"]
        self._messages[key] = updated
        return updated

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if not query_id or query_id in self._answered_queries:  # a query is answered once
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._answered_queries.add(query_id)
        if len(str(params.get("text", ""))) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True
