"""`zhewen ask` and `zhewen chat`: the answer engine on the terminal.

Imports only the engine (no Telegram, no web server). Errors are one line, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys
from typing import BinaryIO

import click

from bot.engine import Answer, Engine


def _load_engine() -> Engine:
    """The engine over the configured corpus; a broken corpus or setting becomes a one-line error."""
    from bot.settings import ConfigError, load_settings
    from content.store import ContentError

    try:
        settings = load_settings()
        return Engine.load(settings.corpus)
    except (ContentError, ConfigError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _dump(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)


def _from_argv(text: str) -> str:
    """A command-line argument as text: bytes that were not UTF-8 (kept by Python as lone surrogates,
    which no output can encode) are replaced, as in --batch."""
    return os.fsencode(text).decode("utf-8", errors="replace")


def _batch_lines(stream: BinaryIO):
    """Lines of a byte stream as text; invalid UTF-8 is replaced, never fatal."""
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _log_answer(answer: Answer) -> None:
    """Record one CLI question in the query log (imported only when --log is given)."""
    import asyncio

    from bot.querylog import QueryLog
    from bot.settings import load_settings

    settings = load_settings()
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None

    async def write() -> None:
        async with QueryLog(settings.db, salt=salt, raw_ids=settings.log_raw_ids) as log:
            log.record(answer, question=answer.question, platform="cli", chat_type="private",
                       chat_id=None, user_id=None, reply_chars=len(answer.reply))

    asyncio.run(write())


@click.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer object.")
@click.option("--batch", type=click.File("rb"), default=None,
              help="With --json: one question per line of FILE ('-' for stdin), one JSON line each.")
@click.option("--log", "log", is_flag=True, help="Also record the question in the query log (ZHEWEN_DB).")
def ask(question: str | None, as_json: bool, batch: BinaryIO | None, log: bool) -> None:
    """Answer one question from the documents, with its source.

    Example: zhewen ask "浙江有多少款大模型通过备案？"
    """
    if batch is not None and not as_json:
        raise click.UsageError("--batch needs --json")
    if batch is not None and question is not None:
        raise click.UsageError("give either a QUESTION or --batch, not both")
    if batch is None and question is None:
        raise click.UsageError("missing QUESTION (or --json --batch FILE)")
    engine = _load_engine()
    if batch is not None:
        for line in _batch_lines(batch):
            answer = engine.ask(line)
            click.echo(_dump(answer))
            if log:
                _log_answer(answer)
        return
    answer = engine.ask(_from_argv(question))
    click.echo(_dump(answer) if as_json else answer.reply)
    if log:
        _log_answer(answer)


@click.command()
def chat() -> None:
    """Terminal chat: one question per line until end of input (Ctrl-D).

    Example: echo "宇树科技的机器人为什么便宜？" | zhewen chat
    """
    from bot import texts

    engine = _load_engine()
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(texts.CHAT_WELCOME)
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = _batch_lines(stream) if stream is not None else (line.rstrip("\n") for line in sys.stdin)
    while True:
        if interactive:
            click.echo("> ", nl=False)
        try:
            line = next(lines)
        except (StopIteration, KeyboardInterrupt):
            break
        if not line.strip():
            continue
        click.echo(engine.ask(line).reply)
        click.echo()
    if interactive:
        click.echo(texts.CHAT_GOODBYE)

