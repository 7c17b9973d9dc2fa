"""[hardening-2] 6: the smaller defects, each with a test that failed before its fix."""
from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes import wecom as fake
from starlette.applications import Starlette
from test_aibot import ask, mention, robot_settings, stream_content

from bot import texts
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources, open_resources
from bot.wecom.aibot import routes
from bot.wecom.crypto import Undecryptable, encrypt_field


def test_a_utf16_body_cannot_hide_a_doctype() -> None:
    _, body = fake.FakeWeCom().callback(fake.text_xml("问"))
    evil = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
            + body.decode()[5:]).encode("utf-16")
    with pytest.raises(Undecryptable):
        encrypt_field(evil)
    with pytest.raises(Undecryptable):
        encrypt_field(body.decode().encode("utf-16-le"))  # no BOM: NUL bytes give it away
    assert encrypt_field(body)  # WeCom's own UTF-8 still reads


@pytest.fixture
async def limited(engine: Engine, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    settings = robot_settings(tmp_path, ZHEWEN_RATE_LIMIT="3")
    async with open_resources(settings, engine=engine) as resources:
        app = Starlette(routes=routes(resources))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client, resources


async def test_the_robot_has_the_same_per_user_rate_limit_as_the_app(limited) -> None:
    client, resources = limited
    contents = []
    for _ in range(5):
        message = mention("浙江有多少款大模型通过备案？")
        contents.append(stream_content(await ask(client, message), message["msgid"]))
    assert contents[3] == contents[4] == texts.RATE_LIMITED
    assert all("44" in c for c in contents[:3])
    await resources.log.flush()


async def test_the_log_directory_is_created_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "new" / "data" / "log.sqlite3"
    async with QueryLog(db, required=True):
        pass
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
