"""One conversation path for every channel.

A channel parses its input into an `Incoming` and renders the `Outcome`; everything between lives
here once, in this order: commands and typed follow-ups (帮助, /reset, 目录 2, /stats, 更多, 原文,
1/2/3) → the per-user rate limit → the conversation's context → the engine, off the event loop →
the log (the question, or the error) → the context and the follow-up thread kept for next time.

Channels differ only at the edges: HTML and inline buttons on Telegram, 2048 bytes of text on the
WeCom app, a stream on the 智能机器人, plain text on the terminal. The rendered answer is passed in
(`render`), so the log records the length of what the user was actually sent.

A question's row is committed before its reply is returned (`record_committed`), so a replica killed
after replying has lost nothing it acknowledged. When the commit fails, a `must_log` dialogue (WeCom
on PostgreSQL, whose HTTP response is the acknowledgement) raises Unavailable so the channel refuses
with 503 and WeCom retries, on this replica or another; otherwise the user gets the answer anyway (a
single process on SQLite, as before). A channel that deduplicates retries passes `settle`: the reply
is then kept for them in the row's transaction. A channel that may acknowledge a question before its
answer is ready (the WeCom app past its deadline) passes a `Pending`, which commits the row first.
"""
from __future__ import annotations

import asyncio
import enum
import logging
import re
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Hashable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot import texts
from bot.conversation import ContextStore, Conversations, is_reset
from bot.engine import Answer, Engine, Reference
from bot.followups import FollowUp, FollowUps, ThreadStore, parse_followup
from bot.querylog import LogUnavailable
from bot.ratelimit import Limiter, Verdict
from bot.storage import StorageError
from bot.storage.state import Settle

log = logging.getLogger(__name__)

HELP_WORDS = frozenset({"/start", "/help", "帮助", "help"})
STATS_WORDS = frozenset({"/stats"})
TOC_WORDS = frozenset({"/toc", "目录"})
# A TOC word alone or with a page: "目录 2", "目录2", "/toc 2", "目录第2页" (after NFKC: full-width too).
_TOC_WORD = "|".join(map(re.escape, sorted(TOC_WORDS)))
_TOC_REQUEST = re.compile(rf"(?:{_TOC_WORD})\s*(?:第\s*([0-9]+)\s*页|([0-9]+))?")
SHOWN = 3  # references listed with an answer; 更多 lists the next ones


def parse_toc_request(text: str) -> int | None:
    """The table-of-contents page a message asks for (1 when it names none), or None for anything else."""
    match = _TOC_REQUEST.fullmatch(unicodedata.normalize("NFKC", text).strip().lower())
    if match is None:
        return None
    digits = match.group(1) or match.group(2)
    if digits is None:
        return 1
    return int(digits) if len(digits) <= 9 else sys.maxsize  # past any page, without a huge int()


class Step(enum.Enum):
    EMPTY = "empty"          # nothing to ask: the channel says how to ask
    HELP = "help"
    RESET = "reset"          # the context was cleared
    TOC = "toc"              # `page` of the table of contents
    STATS = "stats"          # `stats`, or `notice` when not an admin or the log is unreadable
    FOLLOWUP = "followup"    # `followup`: more references, or a passage, or `notice`
    LIMITED = "limited"      # over the rate limit, first time in the window: say so
    SILENT = "silent"        # over the rate limit again: no reply where the channel allows none
    ANSWER = "answer"        # `answer`, `reply` (rendered), `query_id`
    FAILED = "failed"        # the engine failed: logged with the error, the user gets an apology


class Unavailable(Exception):
    """The message cannot be deduplicated or logged now (the database is out of reach, or a retry's
    first copy is still being answered elsewhere): a channel whose response is the acknowledgement
    refuses it with `status`, and the sender retries. `reason` is one of a few fixed phrases (refusals
    are counted by it), `detail` the error behind it."""

    status = 503

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Incoming:
    """A message as a channel parsed it."""

    platform: str                 # as logged: telegram | wecom | cli
    channel: str                  # context and follow-ups are kept per channel (telegram, wecom, aibot, cli)
    chat_type: str                # private | group
    chat_id: str | int | None
    user_id: str | int | None
    text: str

    @property
    def who(self) -> Hashable:
        """Per user within a chat: in a group two people asking at once never share a context."""
        return (self.channel, self.chat_id, self.user_id)


@dataclass(frozen=True)
class FollowUpReply:
    kind: str                              # "more" | "passage"
    references: tuple[Reference, ...]      # the next references, or the one passage asked for
    first_rank: int = 1                    # 更多 numbers on from the references already shown


Stats = tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]


@dataclass(frozen=True)
class Outcome:
    step: Step
    answer: Answer | None = None
    reply: str = ""                        # the answer as rendered for the channel
    query_id: int | None = None
    page: int = 1
    followup: FollowUpReply | None = None
    stats: Stats | None = None
    notice: str = ""                       # a one-line reply shared by every channel
    settled: bool = False                  # the reply was kept for retries with the logged row


class Log(Protocol):
    """What the path needs of the query log (bot.querylog.QueryLog has it)."""

    async def record_committed(self, answer: Answer | None, *, question: str, platform: str, chat_type: str,
                               chat_id: str | int | None, user_id: str | int | None, reply_chars: int = 0,
                               error: str | None = None, settle: Settle | None = None,
                               query_id: int | None = None, completes: bool = False) -> int | None: ...

    def new_id(self) -> int: ...

    def record_followup(self, query_id: int, kind: str, *, user_id: str | int | None = None) -> None: ...

    async def flush(self) -> None: ...


# The reply a retry of this message should get -> the claim's Settle, written with the logged row.
Settler = Callable[[Any], Settle]

PENDING = "pending"  # the error of a row acknowledged before its answer, until the answer completes it


def _unavailable(exc: StorageError | LogUnavailable) -> Unavailable:
    return Unavailable("database unavailable", str(exc).splitlines()[0] if str(exc) else "")


class Pending:
    """A question a channel may acknowledge before it is answered (the WeCom app past its 4 s deadline).
    `acknowledge(reply)` commits the question's row now, unanswered (error PENDING), with `reply` kept
    for retries; the answer, when it comes, completes that same row (same id, an upsert). So a process
    killed in between has logged what it acknowledged, and the answer never adds a second row."""

    def __init__(self) -> None:
        self.acknowledged = False
        self._reply: Any = None
        self._commit: Callable[[Any], Awaitable[int | None]] | None = None

    async def acknowledge(self, reply: Any) -> bool:
        """Commit the row (once the dialogue has reached the engine; before that there is nothing to
        log yet and the dialogue commits it on arrival). True when the row and `reply` are committed;
        raises Unavailable when a `must_log` dialogue could not."""
        self.acknowledged, self._reply = True, reply
        return await self._committed()

    async def _asking(self, commit: Callable[[Any], Awaitable[int | None]]) -> None:
        """The dialogue reached the engine: the row to commit on acknowledgement, at once if already."""
        self._commit = commit
        if self.acknowledged:
            await self._committed()

    async def _committed(self) -> bool:
        if self._commit is None:
            return False
        try:
            return await self._commit(self._reply) is not None
        except (StorageError, LogUnavailable) as exc:
            raise _unavailable(exc) from None


@dataclass
class Dialogue:
    """The shared steps over one engine, one log and one conversation store; one per channel
    endpoint. The stores are in memory for one process, or in the shared state for replicas
    (bot.resources builds them)."""

    engine: Callable[[], Engine]
    log: Log
    db: Path
    admins: Callable[[str], frozenset[str]]
    conversations: ContextStore = field(default_factory=Conversations)
    limiter: Limiter | None = None
    threads: ThreadStore = field(default_factory=FollowUps)
    must_log: bool = False   # refuse (Unavailable) rather than answer a question the log did not commit

    async def handle(self, msg: Incoming, render: Callable[[Answer], str],
                     settle: Settler | None = None, pending: Pending | None = None) -> Outcome:
        """What to answer `msg` with; raises Unavailable when the shared state or (with `must_log`) the
        log cannot be used."""
        try:
            return await self._handle(msg, render, settle, pending)
        except (StorageError, LogUnavailable) as exc:
            raise _unavailable(exc) from None

    async def _handle(self, msg: Incoming, render: Callable[[Answer], str],
                      settle: Settler | None, pending: Pending | None) -> Outcome:
        text = msg.text.strip()
        if not text:
            return Outcome(Step.EMPTY)
        if is_reset(text):
            await self.conversations.reset(msg.who)
            return Outcome(Step.RESET, notice=texts.CONTEXT_RESET)
        lowered = text.lower()
        if lowered in HELP_WORDS:
            return Outcome(Step.HELP)
        if lowered in STATS_WORDS:
            return await self._stats(msg)
        page = parse_toc_request(text)
        if page is not None:  # like every command: neither rate-limited nor logged as a question
            return Outcome(Step.TOC, page=page)
        followup = parse_followup(text)
        if followup is not None:
            return await self._followup(msg, followup)
        if self.limiter is not None:
            sender = msg.user_id if msg.user_id is not None else msg.chat_id
            verdict = await self.limiter.check((msg.platform, sender))
            if verdict is not Verdict.ALLOW:
                return Outcome(Step.LIMITED if verdict is Verdict.NOTIFY else Step.SILENT,
                               notice=texts.RATE_LIMITED)
        return await self._answer(msg, text, render, settle, pending)

    async def _answer(self, msg: Incoming, question: str, render: Callable[[Answer], str],
                      settle: Settler | None, pending: Pending | None) -> Outcome:
        where: dict[str, Any] = {"platform": msg.platform, "chat_type": msg.chat_type, "chat_id": msg.chat_id,
                                 "user_id": msg.user_id, "question": question}
        if pending is not None:
            where["query_id"] = self.log.new_id()
            await pending._asking(lambda reply: self._commit(None, reply, settle, error=PENDING, **where))
        last = await self.conversations.last(msg.who)
        try:
            answer = await asyncio.to_thread(self.engine().ask, question, last)
            reply = render(answer)
        except Exception as exc:
            log.error("engine failed on a %s question", msg.channel, exc_info=exc)
            query_id = await self._complete(None, texts.APOLOGY, settle, pending, error=type(exc).__name__,
                                            **where)
            return Outcome(Step.FAILED, notice=texts.APOLOGY, query_id=query_id,
                           settled=settle is not None and query_id is not None)
        query_id = await self._complete(answer, reply, settle, pending, reply_chars=len(reply), **where)
        try:  # after the commit the answer stands: a context not kept costs a follow-up, not the reply
            await asyncio.gather(self.conversations.remember(msg.who, answer.turn),
                                 self.threads.start(msg.who, question, answer.references, query_id))
        except StorageError as exc:
            log.warning("%s: the conversation's context was not kept: %s", msg.channel, exc)
        return Outcome(Step.ANSWER, answer=answer, reply=reply, query_id=query_id,
                       settled=settle is not None and query_id is not None)

    async def _complete(self, answer: Answer | None, reply: str, settle: Settler | None,
                        pending: Pending | None, **fields: Any) -> int | None:
        """The answered question's row; once acknowledged early it completes the pending row, whose
        transaction kept the reply for retries already."""
        if pending is not None and pending.acknowledged:
            return await self._commit(answer, reply, None, completes=True, **fields)
        return await self._commit(answer, reply, settle, **fields)

    async def _commit(self, answer: Answer | None, reply: Any, settle: Settler | None,
                      **fields: Any) -> int | None:
        """The question's row, committed (with the reply kept for retries): its id, or None when the
        log could not commit it and the answer goes out anyway."""
        try:
            return await self.log.record_committed(answer, settle=settle(reply) if settle else None, **fields)
        except LogUnavailable:
            if self.must_log:
                raise
            return None

    async def _followup(self, msg: Incoming, followup: FollowUp) -> Outcome:
        """更多 and 原文/1/2/3 typed after an answer, recorded against it for `logs suspect`."""
        thread = await self.threads.get(msg.who)
        if thread is None:
            return Outcome(Step.FOLLOWUP, notice=texts.NO_THREAD)
        if thread.query_id is not None:
            self.log.record_followup(thread.query_id, followup.kind, user_id=msg.user_id)
        if followup.kind == "more":
            more = self.engine().more(thread.question, skip=thread.shown, count=SHOWN)
            if not more:
                return Outcome(Step.FOLLOWUP, notice=texts.NO_MORE)
            await self.threads.listed_more(msg.who, thread, more)
            return Outcome(Step.FOLLOWUP, followup=FollowUpReply("more", tuple(more), thread.shown + 1))
        if not 1 <= followup.number <= len(thread.listed):
            if not thread.listed:
                return Outcome(Step.FOLLOWUP, notice=texts.NO_MORE)
            return Outcome(Step.FOLLOWUP, notice=texts.NO_SUCH_REFERENCE.format(
                number=followup.number, count=len(thread.listed)))
        asked = thread.listed[followup.number - 1]
        return Outcome(Step.FOLLOWUP, followup=FollowUpReply("passage", (asked,)))

    async def _stats(self, msg: Incoming) -> Outcome:
        """/stats for admins (ZHEWEN_ADMINS; everyone on the terminal, whose log is their own file)."""
        if msg.platform != "cli" and str(msg.user_id) not in self.admins(msg.platform):
            return Outcome(Step.STATS, notice=texts.ADMIN_ONLY)
        await self.log.flush()
        try:
            figures = await asyncio.to_thread(read_stats, self.db)
        except Exception as exc:  # review.ReviewError, sqlite3.Error, a server gone: say so, keep serving
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if msg.platform == "cli":  # the terminal's user is its operator: the reason, not the service log
                return Outcome(Step.STATS, notice=texts.CHAT_STATS_UNAVAILABLE.format(reason=reason))
            log.error("%s /stats: the query log cannot be read: %s", msg.channel, reason)
            return Outcome(Step.STATS, notice=texts.STATS_UNAVAILABLE)
        return Outcome(Step.STATS, stats=figures)


def read_stats(db: Path, now: datetime | None = None) -> Stats:
    """Today (UTC), the last 7 days, and the top unanswered questions of the last 7 days."""
    from bot.querylog import review

    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = now - timedelta(days=7)
    with closing(review.open_log(db)) as conn:
        return (review.stats(conn, since=midnight), review.stats(conn, since=week),
                review.unanswered(conn, since=week, limit=10))


def stats_text(figures: Stats) -> str:
    """The admin summary as plain text, the same on every channel."""
    today, week, unanswered = figures
    head = texts.STATS.format(today_total=today["total"], today_rate=f"{today['found_rate']:.0%}",
                              week_total=week["total"], week_rate=f"{week['found_rate']:.0%}",
                              up=week["feedback"]["up"], down=week["feedback"]["down"])
    lines = [f"{i}. {row['question']}（{row['count']}次）" for i, row in enumerate(unanswered, 1)]
    return f"{head}\n" + ("\n".join(lines) or texts.STATS_NONE)
