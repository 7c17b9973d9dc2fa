"""The app callback crypto, pinned to WeCom's official example and to our fake WeCom."""
from __future__ import annotations

import pytest
from fakes import wecom as fake

from bot.settings import ConfigError
from bot.wecom.crypto import CallbackCrypto, ForgedSignature, Undecryptable, encrypt_field, signature

# WeCom's official example for the callback crypto (developer documentation 加解密方案说明,
# developer.work.weixin.qq.com/document/path/91144, and the Sample shipped with its WXBizMsgCrypt
# libraries): token QDG6eK, EncodingAESKey jWmYm7…, corp id wx5823bf96d3bd56c7, and a text message
# "hello" POSTed with the signature, timestamp and nonce below.
OFFICIAL_TOKEN = "QDG6eK"
OFFICIAL_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OFFICIAL_CORP_ID = "wx5823bf96d3bd56c7"
OFFICIAL_SIGNATURE, OFFICIAL_TIMESTAMP, OFFICIAL_NONCE = (
    "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149")
OFFICIAL_BODY = (
    b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    b"RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    b"sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJY"
    b"uR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUc"
    b"allcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA"
    b"5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>"
    b"<AgentID><![CDATA[218]]></AgentID></xml>")


def official() -> CallbackCrypto:
    return CallbackCrypto(OFFICIAL_TOKEN, OFFICIAL_AES_KEY, OFFICIAL_CORP_ID)


def test_the_official_example_decrypts_to_hello():
    from wechatpy.enterprise import parse_message

    crypto = official()
    encrypt = encrypt_field(OFFICIAL_BODY)
    crypto.check(OFFICIAL_SIGNATURE, OFFICIAL_TIMESTAMP, OFFICIAL_NONCE, encrypt)
    message = parse_message(crypto.decrypt(encrypt))
    assert (message.type, message.content, message.source) == ("text", "hello", "mycreate")
    assert message.agent == 218
    assert message.id == 4561255354251345929


def test_the_official_example_with_one_changed_signature_digit_is_forged():
    forged = OFFICIAL_SIGNATURE[:-1] + "7"
    with pytest.raises(ForgedSignature):
        official().check(forged, OFFICIAL_TIMESTAMP, OFFICIAL_NONCE, encrypt_field(OFFICIAL_BODY))


def test_a_reply_round_trips_through_the_official_keys():
    crypto = official()
    plain = "<xml><Content><![CDATA[你好]]></Content></xml>"
    reply = crypto.encrypt_reply(plain, OFFICIAL_NONCE, "1409659814")
    encrypt = encrypt_field(reply.encode())
    expected = signature(OFFICIAL_TOKEN, "1409659814", OFFICIAL_NONCE, encrypt)
    assert f"<MsgSignature><![CDATA[{expected}]]>" in reply
    assert crypto.decrypt(encrypt) == "<xml><Content><![CDATA[你好]]></Content></xml>"


def test_url_verification_returns_the_plain_echo():
    query = fake.FakeWeCom().verification("1616140317555161061")
    crypto = CallbackCrypto(fake.TOKEN, fake.AES_KEY, fake.CORP_ID)
    echo = crypto.verify_url(query["msg_signature"], query["timestamp"], query["nonce"], query["echostr"])
    assert echo == "1616140317555161061"


def test_a_message_for_another_corp_is_undecryptable():
    other = fake.FakeWeCom(corp_id="wwsomeoneelse")
    query, body = other.callback(fake.text_xml("你好"))
    crypto = CallbackCrypto(fake.TOKEN, fake.AES_KEY, fake.CORP_ID)
    encrypt = encrypt_field(body)
    crypto.check(query["msg_signature"], query["timestamp"], query["nonce"], encrypt)
    with pytest.raises(Undecryptable):
        crypto.decrypt(encrypt)


@pytest.mark.parametrize("ciphertext", ["", "not base64!!", "AAAA", "QUJD" * 10])
def test_garbage_ciphertext_is_undecryptable(ciphertext):
    with pytest.raises(Undecryptable):
        CallbackCrypto(fake.TOKEN, fake.AES_KEY, fake.CORP_ID).decrypt(ciphertext)


@pytest.mark.parametrize("body", [b"", b"hello", b"<xml></xml>", b"<other><Encrypt>x</Encrypt></other>",
                                  b'<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>'])
def test_bodies_without_an_encrypt_field_are_refused(body):
    with pytest.raises(Undecryptable):
        encrypt_field(body)


def test_a_key_that_is_not_base64_is_a_config_error():
    with pytest.raises(ConfigError, match="WECOM_AES_KEY"):
        CallbackCrypto("t", "!" * 43, "corp")
