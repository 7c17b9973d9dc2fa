"""[hardening-2] 2, 3, 5: URL verification is no decryption oracle, replays are refused for the whole
timestamp window whatever came between, and refused requests are logged as summaries, not one line each.
Real wechatpy crypto as WeCom would send it, the real app endpoint, a real SQLite log."""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes import aibot as robot
from fakes import wecom as fake
from test_wecom_callback import FakeEngine, Sent

from bot.querylog import QueryLog
from bot.resources import Resources
from bot.server import create_app
from bot.settings import load_settings
from bot.storage.state import open_state
from bot.wecom.aibot import routes as aibot_routes
from bot.wecom.callback import AppEndpoint
from bot.wecom.endpoint import MAX_CLOCK_SKEW
from bot.wecom.guard import Rejections, ReplayGuard

wecom = fake.FakeWeCom()


@pytest.fixture
async def resources(tmp_path: Path) -> AsyncIterator[Resources]:
    env = fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3"), WECOM_AIBOT_TOKEN=robot.TOKEN,
                   WECOM_AIBOT_AES_KEY=robot.AES_KEY)
    settings = load_settings(env, env_file=None)
    async with QueryLog(settings.db, salt="test-salt") as log, open_state(settings.db) as state:
        yield Resources(settings=settings, engine=FakeEngine(), log=log, state=state)


@pytest.fixture
async def app(resources: Resources) -> AsyncIterator[tuple[httpx.AsyncClient, AppEndpoint]]:
    endpoint = AppEndpoint(resources, send=Sent(), answer_deadline=4.0)
    asgi = create_app(resources, wecom=endpoint)
    asgi.router.routes.extend(aibot_routes(resources))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://wecom.test") as c:
        yield c, endpoint


async def test_url_verification_still_answers_wecoms_echostr(app) -> None:
    client, _ = app
    response = await client.get("/wecom/callback", params=wecom.verification("1616140317555161061"))
    assert response.status_code == 200 and response.text == "1616140317555161061"


async def test_get_never_decrypts_a_captured_message(app) -> None:
    client, _ = app
    query, body = wecom.callback(fake.text_xml("我的身份证号是多少", user="zhangsan"))
    encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    oracle = {**query, "echostr": encrypt}  # the POST's own signature covers this ciphertext
    response = await client.get("/wecom/callback", params=oracle)
    assert response.status_code == 400 and "身份证" not in response.text and "zhangsan" not in response.text
    # The robot's JSON messages, the same way.
    rquery, rbody = robot.signed_post(robot.text_message("@浙问 问题", userid="lisi"))
    rq = {**rquery, "echostr": json.loads(rbody)["encrypt"]}
    answer = await client.get("/wecom/aibot", params=rq)
    assert answer.status_code == 400 and "lisi" not in answer.text


async def test_get_refuses_an_old_timestamp_and_a_seen_nonce(app) -> None:
    client, _ = app
    old = wecom.verification()
    old_ts = int(time.time()) - 2 * 86400
    stale = {**wecom.verification(), "timestamp": str(old_ts)}
    response = await client.get("/wecom/callback", params=stale)
    assert response.status_code == 403
    assert (await client.get("/wecom/callback", params=old)).status_code == 200
    assert (await client.get("/wecom/callback", params=old)).status_code == 403  # same nonce again


async def test_a_replay_is_refused_even_after_many_other_messages(app, resources: Resources) -> None:
    client, endpoint = app
    query, body = wecom.callback(fake.text_xml("浙江有多少款大模型？", user="zhangsan", msg_id=1))
    first = await client.post("/wecom/callback", params=query, content=body)
    assert first.status_code == 200
    for i in range(300):  # many other messages in between (10,000 at the guard's level below)
        q, b = wecom.callback(fake.text_xml(f"问题{i}", user=f"u{i}", msg_id=1000 + i))
        assert (await client.post("/wecom/callback", params=q, content=b)).status_code == 200
    again = await client.post("/wecom/callback", params=query, content=body)
    assert again.status_code == 403 and again.text == "replayed request"
    await resources.log.flush()
    assert endpoint.rejections.total["wecom: replayed callback"] == 1


def test_the_guard_remembers_the_whole_window_and_fails_closed_when_full() -> None:
    now = [1000.0]
    guard = ReplayGuard(window=MAX_CLOCK_SKEW, max_entries=20_000, clock=lambda: now[0])
    assert guard.admit("t", "n0", "s") == "new"
    for i in range(1, 10_001):
        assert guard.admit("t", f"n{i}", "s") == "new"
    now[0] += MAX_CLOCK_SKEW - 1
    assert guard.admit("t", "n0", "s") == "replay"
    now[0] += MAX_CLOCK_SKEW + 2  # past twice the window: forgotten (and its timestamp is stale anyway)
    assert guard.admit("t", "n0", "s") == "new" and len(guard) == 1
    small = ReplayGuard(window=60, max_entries=2, clock=lambda: now[0])
    assert [small.admit("t", n, "s") for n in "abc"] == ["new", "new", "full"]


async def test_deeply_nested_json_in_a_signed_ciphertext_is_a_400(app) -> None:
    client, _ = app
    nested = "[" * 15_000 + "]" * 15_000  # past the recursion limit, under the 64 KiB body limit
    ciphertext = robot.encrypt(nested)
    ts, nonce = str(int(time.time())), "nest1"
    query = {"msg_signature": robot.sign(ts, nonce, ciphertext), "timestamp": ts, "nonce": nonce}
    response = await client.post("/wecom/aibot", params=query, content=json.dumps({"encrypt": ciphertext}))
    assert response.status_code == 400


async def test_2000_forged_requests_make_fewer_than_20_log_lines(app, caplog) -> None:
    client, endpoint = app
    caplog.set_level(logging.INFO)
    query, body = wecom.callback(fake.text_xml("问", user="x"))
    for i in range(2000):
        forged = {**query, "msg_signature": f"{i:040x}"}
        assert (await client.post("/wecom/callback", params=forged, content=body)).status_code == 403
    endpoint.rejections.flush()
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) < 20
    assert endpoint.rejections.total["wecom: callback with a bad signature"] == 2000
    assert any("2000" in r.getMessage() or "1999" in r.getMessage() for r in lines)


def test_rejections_sum_up_per_interval() -> None:
    now = [0.0]
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test.rejections")
    logger.addHandler(Capture())
    logger.propagate = False
    rejections = Rejections(interval=60, clock=lambda: now[0], logger=logger)
    for second in range(180):
        now[0] = float(second)
        rejections.note("bad signature")
        rejections.note("stale timestamp")
    assert len(records) == 2 + 2  # the first of each reason, then one summary a minute
    assert "bad signature 60" in records[2] and "stale timestamp 59" in records[2]
    rejections.flush()  # at shutdown: the last minute too
    assert len(records) == 5 and "stale timestamp 60" in records[4]
