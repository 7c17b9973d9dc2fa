"""WeCom 智能机器人 callbacks built exactly as WeCom's documentation shows them.

An independent implementation of the scheme (document 101033, written from the documentation with
the `cryptography` package, not with the code under test): the JSON bodies of document 100719
(messages) and 101027 (events), encrypted and signed; and the opening of a passive reply (101031).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import time
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "aibotToken2025"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the console generates
RECEIVE_ID = ""  # an enterprise's own robot
_BLOCK = 32  # PKCS#7 to a multiple of 32 bytes, as WeCom pads


def _key(aes_key: str) -> bytes:
    return base64.b64decode(aes_key + "=")


def encrypt(plaintext: str, aes_key: str = AES_KEY, receive_id: str = RECEIVE_ID) -> str:
    """random(16) + msg_len (4 bytes, network order) + msg + ReceiveId, AES-256-CBC, base64."""
    msg = plaintext.encode("utf-8")
    raw = os.urandom(16) + struct.pack(">I", len(msg)) + msg + receive_id.encode("utf-8")
    pad = _BLOCK - len(raw) % _BLOCK
    raw += bytes([pad]) * pad
    key = _key(aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(raw) + encryptor.finalize()).decode("ascii")


def decrypt(ciphertext: str, aes_key: str = AES_KEY, receive_id: str = RECEIVE_ID) -> str:
    """The reverse of `encrypt`; asserts the ReceiveId WeCom expects."""
    key = _key(aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    raw = raw[: -raw[-1]]
    (length,) = struct.unpack(">I", raw[16:20])
    assert raw[20 + length :].decode("utf-8") == receive_id, "unexpected ReceiveId"
    return raw[20 : 20 + length].decode("utf-8")


def sign(timestamp: str, nonce: str, ciphertext: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, ciphertext])).encode("utf-8")).hexdigest()


def verification_query(echo: str, *, token: str = TOKEN, aes_key: str = AES_KEY) -> dict[str, str]:
    """The GET WeCom sends when the admin saves the callback URL."""
    timestamp, nonce = str(int(time.time())), os.urandom(6).hex()
    echostr = encrypt(echo, aes_key)
    return {"msg_signature": sign(timestamp, nonce, echostr, token), "timestamp": timestamp,
            "nonce": nonce, "echostr": echostr}


def signed_post(payload: dict[str, Any], *, token: str = TOKEN, aes_key: str = AES_KEY,
                nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """Query parameters and body of one callback POST: `{"encrypt": "..."}`."""
    timestamp, nonce = str(int(time.time())), nonce or os.urandom(6).hex()
    ciphertext = encrypt(json.dumps(payload, ensure_ascii=False), aes_key)
    query = {"msg_signature": sign(timestamp, nonce, ciphertext, token), "timestamp": timestamp,
             "nonce": nonce}
    return query, json.dumps({"encrypt": ciphertext}).encode("utf-8")


def open_reply(body: bytes, nonce: str, *, token: str = TOKEN, aes_key: str = AES_KEY) -> dict[str, Any]:
    """Check a passive reply as WeCom would (fields, signature, nonce) and return its plaintext JSON."""
    envelope = json.loads(body)
    assert set(envelope) == {"encrypt", "msgsignature", "timestamp", "nonce"}, envelope
    assert envelope["nonce"] == nonce, "the reply must reuse the callback URL's nonce"
    assert isinstance(envelope["timestamp"], int) and abs(envelope["timestamp"] - time.time()) < 60
    expected = sign(str(envelope["timestamp"]), nonce, envelope["encrypt"], token)
    assert envelope["msgsignature"] == expected, "bad msgsignature on the reply"
    return json.loads(decrypt(envelope["encrypt"], aes_key))


def _msgid() -> str:
    return base64.b64encode(os.urandom(21)).decode("ascii")


def _base(msgtype: str, *, group: bool, chatid: str, userid: str, msgid: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"msgid": msgid or _msgid(), "aibotid": "AIBOTID"}
    if group:
        body["chatid"] = chatid
    body.update({"chattype": "group" if group else "single", "from": {"userid": userid},
                 "response_url": "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=CODE",
                 "msgtype": msgtype})
    return body


def text_message(content: str, *, group: bool = True, chatid: str = "wrkSFfCgAAxxxx",
                 userid: str = "zhangsan", msgid: str | None = None) -> dict[str, Any]:
    """Document 100719, 文本消息 (in a group the content starts with the @mention)."""
    body = _base("text", group=group, chatid=chatid, userid=userid, msgid=msgid)
    return {**body, "text": {"content": content}}


def image_message(*, userid: str = "zhangsan") -> dict[str, Any]:
    """图片消息: one-to-one only; the url points at an encrypted file."""
    return {**_base("image", group=False, chatid="", userid=userid, msgid=None),
            "image": {"url": "https://ww-aibot-img-1258476243.cos.ap-guangzhou.myqcloud.com/BHoPdA3/1"}}


def mixed_message(text: str, *, group: bool = True, userid: str = "zhangsan") -> dict[str, Any]:
    """图文混排消息: text and image items."""
    items = [{"msgtype": "text", "text": {"content": text}}, {"msgtype": "image", "image": {"url": "URL"}}]
    return {**_base("mixed", group=group, chatid="wrkSFfCgAAxxxx", userid=userid, msgid=None),
            "mixed": {"msg_item": items}}


def voice_message(transcript: str, *, userid: str = "zhangsan") -> dict[str, Any]:
    """语音消息: one-to-one only; WeCom sends the transcript."""
    body = _base("voice", group=False, chatid="", userid=userid, msgid=None)
    return {**body, "voice": {"content": transcript}}


def file_message(*, userid: str = "zhangsan") -> dict[str, Any]:
    """文件消息: one-to-one only."""
    return {**_base("file", group=False, chatid="", userid=userid, msgid=None), "file": {"url": "URL"}}


def stream_refresh(stream_id: str, *, group: bool = True, userid: str = "zhangsan") -> dict[str, Any]:
    """流式消息刷新: WeCom asks for the latest content of an unfinished stream."""
    body = _base("stream", group=group, chatid="wrkSFfCgAAxxxx", userid=userid, msgid=None)
    del body["response_url"]
    return {**body, "stream": {"id": stream_id}}


def enter_chat(*, userid: str = "zhangsan") -> dict[str, Any]:
    """Document 101027, 进入会话事件: the user opens the one-to-one chat, first time that day."""
    return {"msgid": _msgid(), "create_time": int(time.time()), "aibotid": "AIBOTID",
            "from": {"userid": userid}, "msgtype": "event", "event": {"eventtype": "enter_chat"}}


def feedback_event(*, userid: str = "zhangsan") -> dict[str, Any]:
    """用户反馈事件: only an empty reply is allowed."""
    return {"msgid": _msgid(), "create_time": int(time.time()), "aibotid": "AIBOTID",
            "chatid": "wrkSFfCgAAxxxx", "chattype": "group", "from": {"userid": userid}, "msgtype": "event",
            "event": {"eventtype": "feedback_event", "feedback_event": {"id": "FEEDBACKID", "type": 1}}}
