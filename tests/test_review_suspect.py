"""[review] target: from a log of 20 right and 10 wrong answers given by the real engine, `zhewen logs
suspect` ranks at least 8 of the 10 wrong ones in its top 12.

The log is written the way the bots write it (QueryLog.record, record_feedback, record_followup),
from questions with known answers (tests/data/own_round12.jsonl, then earlier rounds if the engine
has improved past ten misses there). Right or wrong is decided now, by the gold answers, so the test
follows the engine as it changes. Readers behave as readers do: some re-ask a missed question in
other words (and get it right), some press 👎 or 更多; and noise: a right answer gets 👎, others get
原文 or 👍, one user asks two different questions back to back.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.engine import Answer, Engine
from bot.querylog import QueryLog, review
from retrieval.evaluate import Item, load_items, norm

DATA = Path(__file__).resolve().parent / "data"
ROUNDS = ["own_round12.jsonl", "own_round11.jsonl", "own_round10.jsonl", "own_round9.jsonl"]
WRONG, RIGHT, TOP = 10, 20, 12

# How a reader who was answered wrongly asks again (written for round 12's misses, and for those
# the engine came to miss later; used only when the engine answers the re-ask right, as a reader who
# then stops asking).
REASKS = {
    "r12-001": "奥特曼LoRA那个案子，二审认定平台构成什么侵权？",
    "r12-004": "省发展改革委打造人工智能高地要强化哪几个方面？",
    "r12-006": "iAorta用了以后急性主动脉综合征漏诊率降到多少？",
    "r12-041": "通用大模型和行业模型有什么问题所以要发展专用模型？",
    "r12-056": "抗战胜利80周年纪念大会一共持续了多长时间？",
    "r12-066": "江山市是第几届全国文明城市？",
}


@dataclass
class Exchange:
    user: str
    question: str
    answer: Answer
    right: bool
    query_id: int = 0


def is_right(item: Item, answer: Answer) -> bool:
    """A found answer holding a gold answer (answer@1 of `zhewen eval`)."""
    return answer.found and any(norm(gold) in norm(answer.answer) for gold in item.answers)


def plan(engine: Engine) -> tuple[list[Exchange], list[Exchange]]:
    """The wrong exchanges (each followed by its user's successful re-ask, when there is one) and
    the right ones, 10 and 20 in all."""
    wrong: list[Exchange] = []
    reasks: list[Exchange] = []
    right_items: list[tuple[Item, Answer]] = []
    for name in ROUNDS:
        for item in load_items(DATA / name):
            answer = engine.ask(item.question)
            if not answer.found:
                continue
            if is_right(item, answer):
                right_items.append((item, answer))
            elif len(wrong) < WRONG:
                user = f"user-{item.id}"
                wrong.append(Exchange(user, item.question, answer, right=False))
                again = REASKS.get(item.id)
                if again and is_right(item, second := engine.ask(again)):
                    reasks.append(Exchange(user, again, second, right=True))
        if len(wrong) == WRONG and len(right_items) >= RIGHT:
            break
    assert len(wrong) == WRONG, "Expected ten wrong answers among the question sets"
    right = reasks + [Exchange(f"user-{item.id}", item.question, answer, right=True)
                      for item, answer in right_items[:RIGHT - len(reasks)]]
    return wrong, right


Log = tuple[Path, list[Exchange], list[Exchange]]  # the file, the wrong exchanges, the right ones


@pytest.fixture(scope="module")
def log(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Log:
    db = tmp_path_factory.mktemp("review") / "zhewen.sqlite3"
    wrong, right = plan(engine)
    reasked = {r.user for r in right if r.user.startswith("user-") and any(w.user == r.user for w in wrong)}
    plain_right = [r for r in right if r.user not in reasked]
    # Noise: one user asks two different right questions back to back.
    plain_right[1].user = plain_right[0].user

    async def write() -> None:
        async with QueryLog(db, salt="test") as querylog:
            def ask(exchange: Exchange) -> None:
                exchange.query_id = querylog.record(
                    exchange.answer, question=exchange.question, platform="telegram", chat_type="private",
                    chat_id=exchange.user, user_id=exchange.user, reply_chars=len(exchange.answer.reply))

            for n, exchange in enumerate(wrong):
                ask(exchange)
                for again in (r for r in right if r.user == exchange.user):
                    ask(again)
                if n < len(plain_right):
                    ask(plain_right[n])
            for exchange in plain_right[len(wrong):]:
                ask(exchange)
            for exchange in (wrong[1], wrong[4], wrong[7], plain_right[3]):   # 👎, one on a right answer
                querylog.record_feedback(exchange.query_id, user_id=exchange.user, value=-1)
            querylog.record_followup(wrong[2].query_id, "more", user_id=wrong[2].user)
            for exchange in (plain_right[5], plain_right[6]):                  # readers open the source
                querylog.record_followup(exchange.query_id, "passage", user_id=exchange.user)
            for exchange in (plain_right[7], plain_right[8]):
                querylog.record_feedback(exchange.query_id, user_id=exchange.user, value=1)

    asyncio.run(write())
    return db, wrong, right


def test_the_log_holds_20_right_and_10_wrong_answers(log: Log) -> None:
    db, wrong, right = log
    rows = review.recent(db, limit=None)
    assert len(rows) == 30 and all(row["found"] for row in rows)
    assert (len(right), len(wrong)) == (20, 10)


def test_reasks_are_linked_and_different_questions_are_not(
        log: tuple[Path, list[Exchange], list[Exchange]]) -> None:
    db, wrong, right = log
    shown = {w.query_id: review.show(db, w.query_id) for w in wrong}
    reasked_users = {r.user for r in right} & {w.user for w in wrong}
    assert reasked_users, "Expected at least one wrong answer re-asked (and then answered right)"
    for w in wrong:
        linked = [r["question"] for r in shown[w.query_id]["rephrased_by"]]
        expected = [r.question for r in right if r.user == w.user]
        assert linked == expected, w.question
    assert not any(review.show(db, r.query_id)["rephrased_by"] for r in right)


def test_suspect_ranks_8_of_the_10_wrong_answers_in_its_top_12(log: Log) -> None:
    db, wrong, _ = log
    wrong_ids = {w.query_id for w in wrong}
    ranked = review.suspect(db, limit=TOP)
    caught = wrong_ids & {item["id"] for item in ranked}
    report = "\n".join(f"{'WRONG' if item['id'] in wrong_ids else 'right'} {item['score']:.2f} "
                       f"{item['question']} — {'; '.join(item['why'])}" for item in ranked)
    assert len(caught) >= 8, f"Expected 8 of 10 wrong answers in the top {TOP}, got {len(caught)}:\n{report}"
    assert all(item["why"] for item in ranked)


def test_the_command_prints_the_same_ranking(log: Log) -> None:
    db, _, _ = log
    result = CliRunner().invoke(cli, ["logs", "suspect", "--json", "--limit", str(TOP), "--db", str(db)])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["id"] for i in items] == [i["id"] for i in review.suspect(db, limit=TOP)]
    assert all({"id", "ts", "question", "answer", "article", "confidence", "why"} <= set(i) for i in items)
    assert all(i["article"] for i in items)
