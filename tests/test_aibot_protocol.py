"""智能机器人 crypto and message objects against an independent implementation of WeCom's scheme."""
from __future__ import annotations

import json

import pytest
from fakes import aibot as wecom
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import ConfigError
from bot.wecom.aibot_crypto import AibotCrypto
from bot.wecom.aibot_protocol import (
    MalformedCallback,
    parse_callback,
    question_of,
    stream_reply,
    strip_mentions,
    text_reply,
)
from bot.wecom.crypto import ForgedSignature, Undecryptable, signature


@pytest.fixture
def crypto() -> AibotCrypto:
    return AibotCrypto(wecom.TOKEN, wecom.AES_KEY)


def test_url_verification_returns_the_plain_echo(crypto: AibotCrypto) -> None:
    q = wecom.verification_query("1616140317555161061")
    echo = crypto.verify_url(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"])
    assert echo == "1616140317555161061"


def test_url_verification_with_a_wrong_signature_is_refused(crypto: AibotCrypto) -> None:
    q = wecom.verification_query("echo")
    with pytest.raises(ForgedSignature):
        crypto.verify_url("0" * 40, q["timestamp"], q["nonce"], q["echostr"])


def test_a_signed_callback_decrypts_to_the_documented_json(crypto: AibotCrypto) -> None:
    message = wecom.text_message("@浙问 浙江有多少款大模型通过备案？")
    query, body = wecom.signed_post(message)
    encrypt = json.loads(body)["encrypt"]
    crypto.check(query["msg_signature"], query["timestamp"], query["nonce"], encrypt)
    assert crypto.decrypt_json(encrypt) == message


@pytest.mark.parametrize("field", ["msg_signature", "timestamp", "nonce"])
def test_tampering_with_any_signed_part_is_forgery(crypto: AibotCrypto, field: str) -> None:
    query, body = wecom.signed_post(wecom.text_message("hello"))
    query[field] = query[field][:-1] + ("0" if query[field][-1] != "0" else "1")
    with pytest.raises(ForgedSignature):
        crypto.check(query["msg_signature"], query["timestamp"], query["nonce"], json.loads(body)["encrypt"])


def test_a_callback_signed_with_another_token_is_forgery(crypto: AibotCrypto) -> None:
    query, body = wecom.signed_post(wecom.text_message("hello"), token="someoneElse")
    with pytest.raises(ForgedSignature):
        crypto.check(query["msg_signature"], query["timestamp"], query["nonce"], json.loads(body)["encrypt"])


def test_non_ascii_signature_is_forgery_not_a_crash(crypto: AibotCrypto) -> None:
    with pytest.raises(ForgedSignature):
        crypto.check("签名", "1", "2", "abc")


@pytest.mark.parametrize("ciphertext", [
    "not base64 at all!", "QUJD", wecom.encrypt("{}", receive_id="wwcorp")])
def test_signed_garbage_is_undecryptable(crypto: AibotCrypto, ciphertext: str) -> None:
    with pytest.raises(Undecryptable):
        crypto.decrypt_json(ciphertext)


def test_signed_plaintext_that_is_not_a_json_object_is_undecryptable(crypto: AibotCrypto) -> None:
    for plaintext in ("<xml/>", "[1, 2]"):
        with pytest.raises(Undecryptable):
            crypto.decrypt_json(wecom.encrypt(plaintext))


def test_reply_envelope_is_what_wecom_checks(crypto: AibotCrypto) -> None:
    reply = stream_reply("s1", "答案：44款。\n来源：今日浙江")
    envelope = crypto.encrypt_json(reply, nonce="n0nce")
    assert wecom.open_reply(json.dumps(envelope).encode(), "n0nce") == reply


def test_a_key_that_is_not_base64_is_a_config_error_naming_the_robot_variable() -> None:
    with pytest.raises(ConfigError, match="^WECOM_AIBOT_AES_KEY: "):
        AibotCrypto("token", "!" * 43)


def test_group_text_callback() -> None:
    cb = parse_callback(wecom.text_message("@浙问 问题", chatid="wrkGROUP", userid="lisi", msgid="m1"))
    assert (cb.msgid, cb.msgtype, cb.group, cb.chat_id, cb.user_id, cb.text) == (
        "m1", "text", True, "wrkGROUP", "lisi", "@浙问 问题")


def test_one_to_one_callback_has_no_chatid_so_the_chat_is_the_user() -> None:
    message = wecom.text_message("问题", group=False, userid="wangwu")
    assert "chatid" not in message
    cb = parse_callback(message)
    assert (cb.group, cb.chat_id, cb.user_id) == (False, "wangwu", "wangwu")


def test_event_and_stream_refresh_callbacks() -> None:
    event = parse_callback(wecom.enter_chat(userid="zhaoliu"))
    assert (event.msgtype, event.event, event.group, event.text) == ("event", "enter_chat", False, "")
    refresh = parse_callback(wecom.stream_refresh("abc123"))
    assert (refresh.msgtype, refresh.stream_id) == ("stream", "abc123")


@pytest.mark.parametrize("payload", [{}, {"msgid": "m", "msgtype": "text"},
                                     {"msgid": "m", "from": {"userid": "u"}},
                                     {"msgid": 5, "msgtype": "text", "from": {"userid": "u"}},
                                     {"msgid": "m", "msgtype": "text", "from": "u"}])
def test_callbacks_missing_required_fields_are_malformed(payload: dict) -> None:
    with pytest.raises(MalformedCallback):
        parse_callback(payload)


@pytest.mark.parametrize(("text", "question"), [
    ("@RobotA hello robot", "hello robot"),
    ("@浙问\u2005浙江有多少款大模型？", "浙江有多少款大模型？"),
    ("  @浙问  @张三 请问备案数量", "请问备案数量"),
    ("@浙问，备案数量是多少", "备案数量是多少"),
    ("@浙问: 备案数量", "备案数量"),
    ("@浙问", ""),
    ("备案数量 @浙问", "备案数量 @浙问"),
    ("邮箱 a@b.com 是谁的", "邮箱 a@b.com 是谁的"),
])
def test_strip_mentions_removes_only_leading_mentions(text: str, question: str) -> None:
    assert strip_mentions(text) == question


@pytest.mark.parametrize(("text", "group", "question"), [
    ("@浙问 /ask 备案数量", True, "备案数量"),
    ("/ask@浙问 备案数量", True, "备案数量"),
    ("/ASK 备案数量", False, "备案数量"),
    ("/ask", False, ""),
    ("/asking 备案数量", False, "/asking 备案数量"),
    ("@浙问 备案数量", False, "@浙问 备案数量"),  # one to one, nobody needs mentioning
])
def test_question_of_drops_mentions_in_groups_and_a_leading_ask(text: str, group: bool,
                                                                question: str) -> None:
    assert question_of(parse_callback(wecom.text_message(text, group=group))) == question


def test_reply_objects_follow_document_101031() -> None:
    assert stream_reply("id1", "内容") == {
        "msgtype": "stream", "stream": {"id": "id1", "finish": True, "content": "内容"}}
    assert text_reply("欢迎") == {"msgtype": "text", "text": {"content": "欢迎"}}


# WeCom's official sample for its callback crypto library (WXBizMsgCrypt Sample, the URL-verification
# request "GET /cgi-bin/wxpush?msg_signature=5c45ff5e…"): an app callback, so its ReceiveId is the corp id.
OFFICIAL = {"token": "QDG6eK", "aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            "corp_id": "wx5823bf96d3bd56c7", "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
            "timestamp": "1409659589", "nonce": "263014780",
            "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO"
                       "+FZXvnaqQ==",
            "echo": "1616140317555161061"}


def test_signature_reproduces_the_official_sample() -> None:
    o = OFFICIAL
    assert signature(o["token"], o["timestamp"], o["nonce"], o["echostr"]) == o["msg_signature"]


def test_the_fake_wecom_decrypts_the_official_sample() -> None:
    o = OFFICIAL
    assert wecom.decrypt(o["echostr"], o["aes_key"], receive_id=o["corp_id"]) == o["echo"]


def test_the_robot_refuses_a_ciphertext_made_for_another_receive_id() -> None:
    o = OFFICIAL
    crypto = AibotCrypto(o["token"], o["aes_key"])
    with pytest.raises(Undecryptable):  # signed correctly, but for an app, not for a robot (ReceiveId "")
        crypto.verify_url(o["msg_signature"], o["timestamp"], o["nonce"], o["echostr"])


_separators = " \t\n\u2005\u3000,，:：@"


@given(name=st.text(min_size=1).filter(lambda s: not any(c in _separators or c.isspace() for c in s)),
       question=st.text(min_size=1).map(str.strip).filter(
           lambda s: s and s[0] not in _separators and not s[0].isspace()),
       gap=st.sampled_from([" ", "\u2005", "\u3000", "，", ": "]))
def test_a_leading_mention_of_any_name_leaves_the_question_intact(name: str, question: str, gap: str) -> None:
    assert strip_mentions(f"@{name}{gap}{question}") == question
