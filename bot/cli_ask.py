"""`zhewen ask` and `zhewen chat`: the answer engine on the terminal.

`ask` imports only the engine (no Telegram, no web server). `chat` works like the bots: it reuses
WeCom's typed follow-ups (更多, 原文, 1/2/3) and paged table of contents, which are plain text
already, and logs each question as platform `cli` unless `--no-log`. Errors are one line, never a
traceback.
"""
from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Coroutine, Iterator
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

from bot import texts
from bot.conversation import is_reset, turn_from_json
from bot.engine import Answer, Engine
from retrieval.context import Turn

if TYPE_CHECKING:
    from bot.querylog import QueryLog
    from bot.settings import Settings

CLI_PLATFORM = "cli"
T = TypeVar("T")
TERMINAL_BYTES = 1_000_000  # the shared renderers trim to a channel's limit; a terminal has none


def _settings() -> Settings:
    """The settings; a bad one becomes a one-line error."""
    from bot.settings import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _load_engine(settings: Settings | None = None) -> Engine:
    """The engine over the configured corpus; a broken corpus or setting becomes a one-line error."""
    from content.store import ContentError

    settings = settings or _settings()
    try:
        return Engine.load(settings.corpus)
    except ContentError as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _dump(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)


def _from_argv(text: str) -> str:
    """A command-line argument as text: bytes that were not UTF-8 (kept by Python as lone surrogates,
    which no output can encode) are replaced, as in --batch."""
    return os.fsencode(text).decode("utf-8", errors="replace")


def _batch_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of a byte stream as text; invalid UTF-8 is replaced, never fatal."""
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _terminal_user() -> str:
    """Who asks at this terminal (stored pseudonymised like every user id), so a re-ask in other
    words is linked as on the bots."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return CLI_PLATFORM


class TerminalLog:
    """The query log for one terminal session, or nothing when logging is off.

    QueryLog's writer runs on a private event loop, and each record is committed before the next
    prompt, so `/stats` and `zhewen logs` see it at once. A log that cannot be opened costs a
    warning on stderr, never the answers.
    """

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._log: QueryLog | None = None
        self._user = _terminal_user()

    def __enter__(self) -> TerminalLog:
        self._loop = asyncio.new_event_loop()  # the conversation path runs on it, logging or not
        if self._settings is None:
            return self
        from bot.querylog import QueryLog

        salt = self._settings.log_salt.get_secret_value() if self._settings.log_salt else None
        log = QueryLog(self._settings.db, salt=salt, raw_ids=self._settings.log_raw_ids)
        self._loop.run_until_complete(log.__aenter__())
        self._log = log if log.writing else None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._loop is None:
            return
        if self._log is not None:
            self._loop.run_until_complete(self._log.__aexit__(kind, exc, tb))
        self._loop.close()

    @property
    def on(self) -> bool:
        return self._log is not None

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        """Run one step of the conversation path, then commit what it logged before the next prompt,
        so `/stats` and `zhewen logs` see it at once."""
        assert self._loop is not None, "use TerminalLog as a context manager"
        result = self._loop.run_until_complete(step)
        if self._log is not None:
            self._loop.run_until_complete(self._log.flush())
        return result

    # The query log's interface (bot.dialogue.Log), as platform cli for the terminal's user.
    def record(self, answer: Answer | None, *, question: str, reply_chars: int = 0,
               error: str | None = None) -> int | None:
        if self._log is None:
            return None
        return self._log.record(answer, question=question, platform=CLI_PLATFORM, chat_type="private",
                                chat_id=None, user_id=self._user, reply_chars=reply_chars, error=error)

    async def record_committed(self, answer: Answer | None, *, question: str, reply_chars: int = 0,
                               error: str | None = None, **where: Any) -> int | None:
        """`record`, committed before the reply is printed; raises LogUnavailable when it was not."""
        if self._log is None:
            return None
        return await self._log.record_committed(answer, question=question, platform=CLI_PLATFORM,
                                                chat_type="private", chat_id=None, user_id=self._user,
                                                reply_chars=reply_chars, error=error)

    def record_followup(self, query_id: int, kind: str, *, user_id: str | int | None = None) -> None:
        if self._log is not None:
            self._log.record_followup(query_id, kind, user_id=self._user)

    async def flush(self) -> None:
        if self._log is not None:
            await self._log.flush()

    def record_answer(self, answer: Answer, reply: str) -> int | None:
        """`zhewen ask --log`: one question, committed at once; its row id, or None when not logging."""
        query_id = self.record(answer, question=answer.question, reply_chars=len(reply))
        if self._log is not None and self._loop is not None:
            self._loop.run_until_complete(self._log.flush())
        return query_id


@click.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer object.")
@click.option("--batch", type=click.File("rb"), default=None,
              help="One question per line of FILE ('-' for stdin): with --json one JSON line each, "
                   "else each reply after its question.")
@click.option("--log", "log", is_flag=True, help="Also record the question(s) in the query log (ZHEWEN_DB).")
@click.option("--context", "context_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read follow-ups (那宁波呢, 它…, 还有呢) against the last answered question kept in FILE "
                   "(JSON, created when missing) and keep the new one there; /reset clears it.")
def ask(question: str | None, as_json: bool, batch: BinaryIO | None, log: bool,
        context_file: Path | None) -> None:
    """Answer one question from the documents, with its source.

    \b
    Example:
      zhewen ask "浙江有多少款大模型通过备案？"
      printf '问题一\\n问题二\\n' | zhewen ask --json --batch -
      zhewen ask --context turn.json "温州人工智能局是哪天挂牌的"; zhewen ask --context turn.json "那宁波呢"
    """
    if batch is not None and question is not None:
        raise click.UsageError("give either a QUESTION or --batch, not both")
    if batch is None and question is None:
        raise click.UsageError("missing QUESTION (or --batch FILE)")
    settings = _settings()
    engine = _load_engine(settings)
    questions = _batch_lines(batch) if batch is not None else iter([_from_argv(question or "")])
    last = read_turn(context_file) if context_file is not None else None
    with TerminalLog(settings if log else None) as logged:
        for n, line in enumerate(questions):
            if context_file is not None and is_reset(line.strip()):
                last = None
                write_turn(context_file, None)
                click.echo(texts.CONTEXT_RESET)
                continue
            answer = engine.ask(line, last)
            if context_file is not None and answer.turn is not None:
                last = answer.turn
                write_turn(context_file, last)
            if as_json:
                click.echo(_dump(answer))
            elif batch is not None:
                click.echo(("\n" if n else "") + question_echo(line))
                click.echo(answer.reply)
            else:
                click.echo(answer.reply)
            logged.record_answer(answer, answer.reply)


def read_turn(path: Path) -> Turn | None:
    """The last turn kept by `--context FILE`: none when the file is missing or empty."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the context file {path}: {exc}") from None
    if not text or text == "null":
        return None
    try:
        return turn_from_json(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
        raise click.ClickException(f"the context file {path} is not one written by zhewen ask --context: "
                                   f"{str(exc).splitlines()[0]}") from None


def write_turn(path: Path, turn: Turn | None) -> None:
    try:
        kept = json.dumps(asdict(turn) if turn else None, ensure_ascii=False)
        path.write_text(kept + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write the context file {path}: {exc}") from None


def question_echo(line: str) -> str:
    """"问：…" before an answer in a transcript, on one line (control characters shown as spaces)."""
    from bot import texts
    from bot.querylog.render import one_line

    return texts.CHAT_QUESTION_ECHO.format(question=one_line(line))


class Chat:
    """One terminal conversation on the bots' conversation path (bot.dialogue): the same commands,
    follow-ups (更多, 原文, 1/2/3) and context; questions are logged, commands and follow-ups not, but
    更多/原文 are recorded against the answer they follow. /stats reads the local log file."""

    WHO = "terminal"

    def __init__(self, engine: Engine, log: TerminalLog, db: Path) -> None:
        from bot import texts
        from bot.dialogue import Dialogue
        from bot.wecom.text import Voice

        self._engine, self._log = engine, log
        self._dialogue = Dialogue(lambda: engine, log, db, lambda platform: frozenset())
        self._voice = Voice(help=texts.CHAT_HELP, toc_reply=texts.CHAT_TOC_REPLY, max_bytes=TERMINAL_BYTES)

    def reply(self, line: str) -> str:
        from bot.dialogue import Incoming
        from bot.wecom.text import render_answer, render_outcome

        incoming = Incoming(CLI_PLATFORM, CLI_PLATFORM, "private", None, self.WHO, line)
        outcome = self._log.run(self._dialogue.handle(incoming, lambda a: render_answer(a, TERMINAL_BYTES)))
        return render_outcome(outcome, self._engine.toc, self._voice) or ""


@click.command()
@click.option("--no-log", "no_log", is_flag=True, help="Do not record the questions in the query log.")
def chat(no_log: bool) -> None:
    """Terminal chat, like the bots: one question per line until end of input (Ctrl-D).

    /toc (paged: 目录 2), 更多, 原文 or 1/2/3 after an answer, /help, and /stats from the local
    query log. Questions are logged to ZHEWEN_DB as platform cli unless --no-log. When input is
    not a terminal, each question is echoed as "问：…" before its answer.

    \b
    Example:
      echo "宇树科技的机器人为什么便宜？" | zhewen chat
      zhewen chat --no-log
    """
    from bot import texts

    settings = _settings()
    engine = _load_engine(settings)
    interactive = sys.stdin.isatty()
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = _batch_lines(stream) if stream is not None else (line.rstrip("\n") for line in sys.stdin)
    with TerminalLog(None if no_log else settings) as log:
        if interactive:
            click.echo(f"{texts.CHAT_WELCOME}{texts.CHAT_HINT}")
            if log.on:
                click.echo(texts.CHAT_LOGGING.format(db=settings.db))
        conversation = Chat(engine, log, settings.db)
        while True:
            if interactive:
                click.echo("> ", nl=False)
            try:
                line = next(lines)
            except (StopIteration, KeyboardInterrupt):
                break
            if not line.strip():
                continue
            if not interactive:
                click.echo(question_echo(line))
            click.echo(conversation.reply(line))
            click.echo()
    if interactive:
        click.echo(texts.CHAT_GOODBYE)
