"""The Telegram bot end to end: python-telegram-bot's real HTTP stack against a fake Bot API on 127.0.0.1.

Handlers are driven with `async with app: await app.process_update(update)`; a few tests run real
long polling. The query log is a real SQLite file in tmp_path.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram import Update
from telegram.ext import Application
from test_hardening_telegram import polling_with

from bot import texts
from bot.engine import Answer, Reference, TocEntry
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.settings import load_settings
from bot.telegram import callbacks
from bot.telegram.app import build_application
from bot.telegram.delivery import Deliveries
from bot.telegram.flood import FloodControl

PASSAGE = ("截至2025年7月，浙江共有44款人工智能大模型通过国家网信办备案，数量居全国第四。"
           "全省人工智能核心产业营收持续增长。")


def _ref(rank: int, article: str = "勇立新一代人工智能发展潮头", text: str = PASSAGE) -> Reference:
    return Reference(rank=rank, source="今日浙江 2025年第17期", article=article,
                     section="强创新 › 加强模型和算法创新", page=8, passage_id=f"p{rank}",
                     score=10.0 / rank, text=text)


class FakeEngine:
    """Answers questions about 大模型; five passages so 更多 has something to page through."""

    refs = [_ref(i, article=f"文章{i}" if i > 1 else "勇立新一代人工智能发展潮头") for i in range(1, 8)]

    def ask(self, question: str, last: object = None) -> Answer:
        found = "大模型" in question
        references = tuple(self.refs[:3]) if found else ()
        return Answer(question=question, found=found, answer=PASSAGE.split("。")[0] + "。" if found else "",
                      references=references, reply="答：…" if found else "抱歉，文档中没有找到答案。",
                      latency_ms=0.5, normalized=question)

    def more(self, question: str, skip: int = 3, count: int = 3) -> list[Reference]:
        return self.refs[skip:skip + count] if "大模型" in question else []

    def passage(self, passage_id: str) -> Reference | None:
        return next((r for r in self.refs if r.passage_id == passage_id), None)

    def toc(self) -> list[TocEntry]:
        return [TocEntry(source="今日浙江 2025年第17期" if i < 30 else "浙江日报 2025-05-28", page=i,
                         title=f"文章<{i}>", authors=("马跃明",), column="本期关注") for i in range(1, 41)]


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def _settings(api: FakeBotAPI, db: Path, **extra: str):
    env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "ZHEWEN_DB": str(db),
           "ZHEWEN_ADMINS": "telegram:7", "ZHEWEN_LOG_RAW_IDS": "true", **extra}
    return load_settings(env, env_file=None)


@pytest.fixture
async def app(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Application]:
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        application = build_application(Resources(settings, FakeEngine(), log))
        async with application:
            yield application


async def _process(app: Application, update: dict) -> None:
    await app.process_update(Update.de_json(dict(update, update_id=1), app.bot))


def _texts(api: FakeBotAPI) -> list[str]:
    return [c.params["text"] for c in api.calls_of("sendMessage") if c.status == 200]


def _buttons(api: FakeBotAPI, call: tg.Call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


async def test_private_question_gets_html_answer_sources_and_buttons(app: Application,
                                                                      api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("浙江有多少款大模型通过备案？"))
    [call] = api.calls_of("sendMessage")
    assert call.status == 200
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    text = call.params["text"]
    assert text.startswith("截至2025年7月，浙江共有44款人工智能大模型通过国家网信办备案")
    assert "<b>出处</b>" in text and "》第8页，勇立新一代人工智能发展潮头 › 强创新" in text
    assert set(_buttons(api, call)) == {"原文", "更多", "👍", "👎"}
    assert "reply_parameters" not in call.params  # private chats are not threaded


async def test_not_found_reply_has_feedback_buttons_only(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("今天天气怎么样"))
    [call] = api.calls_of("sendMessage")
    assert "文档中没有找到答案" in call.params["text"]
    assert set(_buttons(api, call)) == {"👍", "👎"}


async def test_group_chatter_is_ignored(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.group_text("大家看看大模型备案的数量"))
    await _process(app, tg.group_text("@someone_else 大模型有多少？"))
    await _process(app, tg.group_text("/ask@other_bot 大模型有多少？"))
    await _process(app, {"message": tg.message(None, tg.group_chat(), tg.user(), sticker={
        "file_id": "x", "file_unique_id": "y", "type": "regular", "width": 1, "height": 1,
        "is_animated": False, "is_video": False})})
    assert api.calls_of("sendMessage") == []


@pytest.mark.parametrize("text", [
    "/ask 浙江有多少款大模型？", f"/ask@{tg.BOT_USERNAME} 浙江有多少款大模型？",
    f"@{tg.BOT_USERNAME} 浙江有多少款大模型？", f"浙江有多少款大模型？@{tg.BOT_USERNAME}"])
async def test_group_questions_addressed_to_the_bot_are_answered_as_replies(
        app: Application, api: FakeBotAPI, text: str) -> None:
    update = tg.group_text(text)
    await _process(app, update)
    [call] = api.calls_of("sendMessage")
    assert call.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert call.params["text"].startswith("截至2025年7月")
    record = await app.bot_data["resources"].log.get(int(_buttons(api, call)["👍"].split(":")[1]))
    assert record["question"] == "浙江有多少款大模型？"
    assert record["chat_type"] == "supergroup" and record["platform"] == "telegram"


async def test_a_deleted_group_question_still_gets_its_answer(app: Application, api: FakeBotAPI) -> None:
    """The fake never saw this message (as if deleted): replying to it needs allow_sending_without_reply."""
    await _process(app, tg.group_text("/ask 大模型有多少？"))
    [call] = api.calls_of("sendMessage")
    assert call.status == 200 and call.params["reply_parameters"]["allow_sending_without_reply"] is True


async def test_text_mention_and_reply_to_the_bot_are_answered(app: Application, api: FakeBotAPI) -> None:
    mention = tg.group_text("浙问 大模型备案多少款", entities=[
        {"type": "text_mention", "offset": 0, "length": 2, "user": tg.bot_user()}])
    bot_message = tg.message("之前的回答", tg.group_chat(), tg.bot_user())
    reply = tg.group_text("那大模型呢？", reply_to=bot_message)
    reply_to_someone = tg.group_text("大模型呢？", reply_to=tg.message("hi", tg.group_chat(), tg.user(99)))
    for update in (mention, reply, reply_to_someone):
        await _process(app, update)
    assert len(api.calls_of("sendMessage")) == 2
    log = app.bot_data["resources"].log
    await log.flush()
    with sqlite3.connect(log.path) as conn:
        questions = [r[0] for r in conn.execute("SELECT question FROM queries ORDER BY id")]
    assert questions == ["大模型备案多少款", "那大模型呢？"]


async def test_ask_without_question_gets_usage(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.group_text("/ask"))
    assert _texts(api) == [texts.TG_ASK_USAGE]


async def test_edited_messages_are_ignored(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.edited(tg.private_text("大模型有多少？")))
    assert api.calls_of("sendMessage") == []


async def test_sticker_in_private_gets_one_line_hint(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.sticker(tg.private_chat()))
    assert _texts(api) == [texts.NOT_TEXT]


async def test_start_help_and_unknown_command(app: Application, api: FakeBotAPI) -> None:
    for text in ("/start", "/help", "/nonsense"):
        await _process(app, tg.private_text(text))
    sent = _texts(api)
    assert sent[0].startswith("您好，我是浙问") and "例如" in sent[0]
    assert sent[1] == sent[2] and sent[1].startswith("使用说明")


async def test_hostile_html_is_escaped_and_accepted(app: Application, api: FakeBotAPI) -> None:
    hostile = '<b>大模型</b> <script>alert(1)</script> & "x" </blockquote><a href="javascript:x">'
    await _process(app, tg.private_text(hostile))
    [call] = api.calls_of("sendMessage")
    assert call.status == 200  # the fake refuses HTML Telegram could not parse
    assert "<script>" not in call.params["text"]


async def test_ten_thousand_characters_are_answered_within_4096(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("大模型" + "<&>" * 3333))
    [call] = api.calls_of("sendMessage")
    assert call.status == 200
    assert tg.utf16_len(tg.parse_html(call.params["text"])) <= 4096


async def test_rate_limit_notice_once_then_silence(api: FakeBotAPI, tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "log.sqlite3", ZHEWEN_RATE_LIMIT="3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        application = build_application(Resources(settings, FakeEngine(), log))
        async with application:
            for _ in range(6):
                await _process(application, tg.private_text("大模型？", user_id=5))
            await _process(application, tg.private_text("大模型？", user_id=6))
    sent = _texts(api)
    assert sent.count(texts.RATE_LIMITED) == 1
    assert len(sent) == 5  # 3 answers, 1 notice, then user 6 answered


async def test_toc_pages_with_buttons(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("/toc"))
    [call] = api.calls_of("sendMessage")
    assert "文章&lt;1&gt;" in call.params["text"] and "1/3" in call.params["text"]
    assert list(_buttons(api, call)) == [texts.TG_TOC_NEXT]
    shown = api.sent_message(call)
    await _process(app, tg.callback(_buttons(api, call)[texts.TG_TOC_NEXT], shown))
    [edit] = api.calls_of("editMessageText")
    assert edit.status == 200 and "2/3" in edit.params["text"] and "文章&lt;16&gt;" in edit.params["text"]
    assert list(_buttons(api, edit)) == [texts.TG_TOC_PREV, texts.TG_TOC_NEXT]
    await _process(app, tg.callback(_buttons(api, edit)[texts.TG_TOC_NEXT], api.sent_message(edit)))
    last = api.calls_of("editMessageText")[-1]
    assert "浙江日报 2025-05-28" in last.params["text"] and list(_buttons(api, last)) == [texts.TG_TOC_PREV]
    assert len(api.calls_of("answerCallbackQuery")) == 2


async def _ask_and_press(app: Application, api: FakeBotAPI, label: str) -> tg.Call:
    await _process(app, tg.private_text("浙江有多少款大模型？"))
    answer = api.calls_of("sendMessage")[-1]
    await _process(app, tg.callback(_buttons(api, answer)[label], api.sent_message(answer)))
    return answer


async def test_source_button_sends_the_whole_passage(app: Application, api: FakeBotAPI) -> None:
    answer = await _ask_and_press(app, api, "原文")
    passage = api.calls_of("sendMessage")[-1]
    assert PASSAGE in passage.params["text"]
    assert passage.params["reply_parameters"]["message_id"] == api.sent_message(answer)["message_id"]
    assert len(api.calls_of("answerCallbackQuery")) == 1


async def test_more_button_pages_through_references(app: Application, api: FakeBotAPI) -> None:
    await _ask_and_press(app, api, "更多")
    more = api.calls_of("sendMessage")[-1]
    assert "4. " in more.params["text"] and "，文章6 › " in more.params["text"]
    await _process(app, tg.callback(_buttons(api, more)["更多"], api.sent_message(more)))
    last = api.calls_of("sendMessage")[-1]
    assert "，文章7 › " in last.params["text"] and _buttons(api, last) == {}
    query_id = callbacks.decode(_buttons(api, more)["更多"]).key
    await _process(app, tg.callback(callbacks.encode(callbacks.MORE, query_id, 9), api.sent_message(last)))
    assert api.calls_of("answerCallbackQuery")[-1].params["text"] == texts.NO_MORE
    # Each press is recorded: 更多 right after an answer is a sign it missed (`zhewen logs suspect`).
    log = app.bot_data["resources"].log
    await log.flush()
    with sqlite3.connect(log.path) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM followups WHERE query_id = ?", (query_id,))]
    assert kinds == ["more"] * 3


async def test_feedback_is_stored_in_the_log(app: Application, api: FakeBotAPI) -> None:
    answer = await _ask_and_press(app, api, "👍")
    await _process(app, tg.callback(_buttons(api, answer)["👎"], api.sent_message(answer), user_id=43))
    assert [c.params["text"] for c in api.calls_of("answerCallbackQuery")] == [texts.TG_FEEDBACK_THANKS] * 2
    log = app.bot_data["resources"].log
    await log.flush()
    with sqlite3.connect(log.path) as conn:
        rows = conn.execute("SELECT user_id, value FROM feedback ORDER BY user_id").fetchall()
    assert rows == [("42", 1), ("43", -1)]


async def test_unknown_and_stale_buttons_get_a_polite_notice(app: Application, api: FakeBotAPI) -> None:
    on = tg.message("旧消息", tg.private_chat(), tg.bot_user())
    for data in ("nonsense", "s:123", "f:1:+5", "t:99"):
        await _process(app, tg.callback(data, on))
    notices = [c.params.get("text") for c in api.calls_of("answerCallbackQuery")]
    assert notices == [texts.TG_STALE_BUTTON] * 4
    assert api.calls_of("sendMessage") == []


async def test_buttons_work_after_a_restart(api: FakeBotAPI, tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        first = build_application(Resources(settings, FakeEngine(), log))
        async with first:
            await _process(first, tg.private_text("浙江有多少款大模型？"))
    answer = api.calls_of("sendMessage")[-1]
    buttons, shown = _buttons(api, answer), api.sent_message(answer)
    async with QueryLog(settings.db, raw_ids=True) as log:
        second = build_application(Resources(settings, FakeEngine(), log))
        async with second:
            for label in ("原文", "更多", "👎"):
                await _process(second, tg.callback(buttons[label], shown))
    sent = _texts(api)
    assert PASSAGE in sent[1] and "，文章4 › " in sent[2]
    assert [c.params.get("text") for c in api.calls_of("answerCallbackQuery")] == [
        None, None, texts.TG_FEEDBACK_THANKS]


async def test_stats_for_admins_only(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("大模型有多少？"))
    await _process(app, tg.private_text("今天天气怎么样"))
    await _process(app, tg.private_text("/stats"))
    await _process(app, tg.private_text("/stats", user_id=7))
    sent = _texts(api)
    assert sent[2] == texts.ADMIN_ONLY
    assert "今天：2 个问题，找到答案 50%" in sent[3] and "今天天气怎么样（1次）" in sent[3]
    assert "反馈 👍 0 / 👎 0" in sent[3]   # the same summary as on WeCom and the terminal


async def test_stats_without_a_readable_log_says_so(api: FakeBotAPI, tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "missing" / "log.sqlite3")
    async with QueryLog(tmp_path / "other.sqlite3", raw_ids=True) as log:
        async with build_application(Resources(settings, FakeEngine(), log)) as application:
            await _process(application, tg.private_text("/stats", user_id=7))
    assert _texts(api) == [texts.STATS_UNAVAILABLE]


async def test_engine_failure_gets_an_apology_not_a_traceback(app: Application, api: FakeBotAPI) -> None:
    def broken(question: str) -> Answer:
        raise RuntimeError("index exploded")
    app.bot_data["resources"].engine.ask = broken
    await _process(app, tg.private_text("大模型？"))
    assert _texts(api) == [texts.APOLOGY]


async def test_429_from_the_bot_api_is_retried(app: Application, api: FakeBotAPI) -> None:
    api.fail("sendMessage", 429, retry_after=1)
    await _process(app, tg.private_text("大模型有多少？"))
    statuses = [c.status for c in api.calls_of("sendMessage")]
    assert statuses == [429, 200]


async def test_commands_registered_at_start_up(app: Application, api: FakeBotAPI) -> None:
    await app.post_init(app)
    everywhere, groups = api.calls_of("setMyCommands")
    assert everywhere.status == groups.status == 200
    assert {c["command"] for c in everywhere.params["commands"]} == {"start", "help", "ask", "toc", "stats",
                                                                       "reset"}
    assert "scope" not in everywhere.params and groups.params["scope"] == {"type": "all_group_chats"}
    assert [c["command"] for c in groups.params["commands"]] == ["help", "ask", "toc"]
    assert app.bot.username == tg.BOT_USERNAME


async def test_long_polling_end_to_end(api: FakeBotAPI, tmp_path: Path) -> None:
    """Real getUpdates polling: a private question, a group mention and chatter, a button."""
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        resources = Resources(settings, FakeEngine(), log)
        application = build_application(resources)
        api.webhook_url = "https://old.example/telegram/webhook"  # polling must clear a webhook
        async with application, polling_with(application, resources):
            api.feed(tg.group_text("闲聊：大模型真厉害"), tg.private_text("大模型有多少？"),
                     tg.group_text(f"@{tg.BOT_USERNAME} 大模型呢？"))
            answers = await api.wait("sendMessage", 2)
            api.feed(tg.callback(_buttons(api, answers[0])["原文"], api.sent_message(answers[0])))
            await api.wait("answerCallbackQuery")
            await api.wait("sendMessage", 3)
    sent = _texts(api)
    assert len(sent) == 3 and PASSAGE in sent[2]
    assert re.search(r"offset", str([c.params for c in api.calls_of("getUpdates")]))


async def test_500_from_the_bot_api_is_retried(app: Application, api: FakeBotAPI) -> None:
    api.fail("sendMessage", 500, times=2)
    await _process(app, tg.private_text("大模型有多少？"))
    assert [c.status for c in api.calls_of("sendMessage")] == [500, 500, 200]
    assert api.calls_of("sendMessage")[-1].params["text"].startswith("截至2025年7月")


async def test_refused_html_is_not_retried_and_gets_an_apology(app: Application, api: FakeBotAPI) -> None:
    """A 400 means the same request would fail again: one apology, no loop."""
    api.fail("sendMessage", 400)
    await _process(app, tg.private_text("大模型？"))
    statuses = [c.status for c in api.calls_of("sendMessage")]
    assert statuses == [400, 200] and _texts(api) == [texts.APOLOGY]


async def test_a_reply_that_renders_to_nothing_is_never_sent(app: Application, api: FakeBotAPI) -> None:
    app.bot_data["resources"].engine.ask = lambda q: Answer(
        question=q, found=False, answer="", references=(), reply="\x00 \u0007", latency_ms=0.1)
    await _process(app, tg.private_text("大模型？"))
    assert [c.status for c in api.calls_of("sendMessage")] == [200] and _texts(api) == [texts.APOLOGY]


async def test_polling_survives_failing_updates_and_bot_api_errors(api: FakeBotAPI, tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "log.sqlite3")
    engine = FakeEngine()
    real_ask = engine.ask

    def ask(question: str, last: object = None) -> Answer:
        if "炸" in question:
            raise RuntimeError("boom")
        return real_ask(question, last)

    engine.ask = ask
    async with QueryLog(settings.db, raw_ids=True) as log:
        resources = Resources(settings, engine, log)
        application = build_application(resources)
        api.fail("getUpdates", 500)
        async with application, polling_with(application, resources):
            api.feed(tg.private_text("炸"), tg.edited(tg.private_text("大模型")))
            await api.wait("sendMessage")
            api.feed(tg.private_text("大模型有多少？", user_id=8))
            await api.wait("sendMessage", 2)
    assert _texts(api)[0] == texts.APOLOGY and _texts(api)[1].startswith("截至2025年7月")
    assert [c.status for c in api.calls_of("getUpdates")][0] == 500
    with sqlite3.connect(settings.db) as conn:
        assert conn.execute("SELECT question, error IS NOT NULL FROM queries ORDER BY id").fetchall() == [
            ("炸", 1), ("大模型有多少？", 0)]


async def test_mention_offsets_count_utf16_units(app: Application, api: FakeBotAPI) -> None:
    """Entity offsets are UTF-16: an emoji before the mention must not shift the cut."""
    await _process(app, tg.group_text(f"😀👍@{tg.BOT_USERNAME} 大模型有多少？"))
    [call] = api.calls_of("sendMessage")
    record = await app.bot_data["resources"].log.get(callbacks.decode(_buttons(api, call)["👍"]).key)
    assert record["question"] == "😀👍 大模型有多少？"


async def test_button_failures_are_apologised_for_once(app: Application, api: FakeBotAPI) -> None:
    def broken(passage_id: str) -> Reference:
        raise RuntimeError("store gone")
    answer = await _ask_and_press(app, api, "👍")
    app.bot_data["resources"].engine.passage = broken
    await _process(app, tg.callback(_buttons(api, answer)["原文"], api.sent_message(answer)))
    assert api.calls_of("answerCallbackQuery")[-1].params["text"] == texts.APOLOGY
    api.fail("sendMessage", 400)  # 更多 answers the button, then its message is refused
    await _process(app, tg.callback(_buttons(api, answer)["更多"], api.sent_message(answer)))
    assert [c.status for c in api.calls_of("answerCallbackQuery")] == [200, 200, 200, 400]
    assert _texts(api)[-1] == texts.APOLOGY


async def test_source_button_when_the_passage_is_gone(app: Application, api: FakeBotAPI) -> None:
    """After a corpus rebuild a logged passage id may no longer exist: a notice, not an error."""
    app.bot_data["resources"].engine.passage = lambda passage_id: None
    await _ask_and_press(app, api, "原文")
    assert api.calls_of("answerCallbackQuery")[-1].params["text"] == texts.TG_PASSAGE_GONE
    assert len(_texts(api)) == 1


async def test_bot_api_failing_past_every_retry_does_not_stop_the_bot(api: FakeBotAPI,
                                                                     tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "log.sqlite3")
    api.fail("sendMessage", 500, times=4 + 4)  # the answer's four attempts, then the apology's
    async with QueryLog(settings.db, raw_ids=True) as log:
        application = build_application(Resources(settings, FakeEngine(), log),
                                        rate_limiter=FloodControl(backoff=(0.01, 0.01, 0.01)))
        async with application:
            await _process(application, tg.private_text("大模型有多少？"))
            await _process(application, tg.private_text("大模型有多少？"))
    assert [c.status for c in api.calls_of("sendMessage")] == [500] * 8 + [200]


async def test_an_update_is_handled_to_the_end_before_deliver_returns(api: FakeBotAPI,
                                                                     tmp_path: Path) -> None:
    """The contract polling and the webhook rely on: when `deliver` returns, the reply is sent and the
    question's row committed (read without flushing the log), so confirming then loses nothing."""
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        resources = Resources(settings, FakeEngine(), log)
        application = build_application(resources)
        assert application.updater is None
        async with application:
            update = Update.de_json(dict(tg.private_text("大模型有多少？"), update_id=7), application.bot)
            await Deliveries(application, resources).deliver(update)
            assert len(api.calls_of("sendMessage")) == 1
            with sqlite3.connect(settings.db) as conn:
                assert conn.execute("SELECT question FROM queries").fetchall() == [("大模型有多少？",)]
    assert api.calls_of("getUpdates") == []


async def test_toc_double_tap_is_harmless(app: Application, api: FakeBotAPI) -> None:
    await _process(app, tg.private_text("/toc"))
    [call] = api.calls_of("sendMessage")
    press = tg.callback(_buttons(api, call)[texts.TG_TOC_NEXT], api.sent_message(call))
    await _process(app, press)
    await _process(app, dict(press, callback_query=dict(press["callback_query"], id="second-tap")))
    assert [c.status for c in api.calls_of("editMessageText")] == [200, 400]  # "message is not modified"
    assert len(api.calls_of("sendMessage")) == 1  # no apology


async def test_a_button_telegram_no_longer_acknowledges_still_works(app: Application,
                                                                    api: FakeBotAPI) -> None:
    """Buttons pressed while the bot was down arrive late; answerCallbackQuery then fails."""
    answer = await _ask_and_press(app, api, "原文")
    press = tg.callback(_buttons(api, answer)["原文"], api.sent_message(answer))
    api.fail("answerCallbackQuery", 400)
    await _process(app, press)
    assert [c.status for c in api.calls_of("answerCallbackQuery")] == [200, 400]
    assert _texts(api)[1] == _texts(api)[2] and PASSAGE in _texts(api)[2]


async def test_follow_ups_and_toc_pages_can_be_typed_as_on_wecom(app: Application, api: FakeBotAPI) -> None:
    # one conversation path: 更多, 原文/2 and 目录 2 typed in a chat do what they do on WeCom
    await _process(app, tg.private_text("更多"))
    await _process(app, tg.private_text("浙江有多少款大模型通过备案？"))
    await _process(app, tg.private_text("2"))
    await _process(app, tg.private_text("更多"))
    await _process(app, tg.private_text("目录 2"))
    sent = _texts(api)
    assert sent[0] == texts.NO_THREAD
    assert "文章2" in sent[2] and PASSAGE[:10] in sent[2]           # the second reference in full
    assert "4." in sent[3] and "文章4" in sent[3]                     # 更多 numbers on after the three shown
    assert "文章&lt;16&gt;" in sent[4] and "文章&lt;1&gt;" not in sent[4]  # page 2 of the escaped TOC
    log = app.bot_data["resources"].log
    await log.flush()
    with sqlite3.connect(log.path) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM followups ORDER BY rowid")]
    assert kinds == ["passage", "more"]   # recorded against the answer, for logs suspect
