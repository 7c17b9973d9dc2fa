"""WeCom self-built app callbacks built exactly as WeCom sends them, with wechatpy's crypto.

A callback is a POST to the URL set in 接收消息 with `msg_signature`, `timestamp` and `nonce` in the
query and `<xml><ToUserName/><Encrypt/><AgentID/></xml>` as the body; the encrypted plaintext is the
message XML (developer.work.weixin.qq.com/document/path/96466 接收消息与事件, 96467 消息格式,
91144 加解密方案说明).
"""
from __future__ import annotations

import itertools
import json
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.wecom.crypto import signature

CORP_ID = "ww5e1f0a2b3c4d5e6f"
AGENT_ID = "1000002"
TOKEN = "zhewenAppToken"
AES_KEY = "Zw8bXq4Lm2Rt6Yp0Uk3Hs7Jd1Fg5Nc9Vb2Mx4Qz6Aeg"  # 43 characters, as the console generates

_msg_ids = itertools.count(7_300_000_000_000_000_000)


def env(**extra: str) -> dict[str, str]:
    """The WECOM_* settings of this fake app."""
    return {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": AGENT_ID, "WECOM_TOKEN": TOKEN,
            "WECOM_AES_KEY": AES_KEY, "WECOM_SECRET": "app-secret", **extra}


def _cdata(value: str) -> str:
    """A CDATA section; "]]>" inside the value is split across two sections, as XML writers do."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_xml(content: str, *, user: str = "zhangsan", msg_id: int | None = None,
             create_time: int | None = None) -> str:
    msg_id = next(_msg_ids) if msg_id is None else msg_id
    return (f"<xml><ToUserName>{_cdata(CORP_ID)}</ToUserName><FromUserName>{_cdata(user)}</FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
            f"<Content>{_cdata(content)}</Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")


def media_xml(kind: str, *, user: str = "zhangsan", msg_id: int | None = None) -> str:
    """An image, voice, video, location or file message (only the fields we read, plus one of each kind's)."""
    msg_id = next(_msg_ids) if msg_id is None else msg_id
    extra = {"image": f"<PicUrl>{_cdata('https://example.invalid/p.jpg')}</PicUrl><MediaId>{_cdata('m1')}</MediaId>",
             "voice": f"<MediaId>{_cdata('m1')}</MediaId><Format>{_cdata('amr')}</Format>",
             "video": f"<MediaId>{_cdata('m1')}</MediaId><ThumbMediaId>{_cdata('t1')}</ThumbMediaId>",
             "location": "<Location_X>30.27</Location_X><Location_Y>120.15</Location_Y><Scale>15</Scale>"
                         f"<Label>{_cdata('杭州')}</Label>",
             "file": f"<MediaId>{_cdata('m1')}</MediaId><FileName>{_cdata('a.pdf')}</FileName>"}[kind]
    return (f"<xml><ToUserName>{_cdata(CORP_ID)}</ToUserName><FromUserName>{_cdata(user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{_cdata(kind)}</MsgType>{extra}"
            f"<MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")


def event_xml(event: str, *, user: str = "zhangsan", create_time: int | None = None) -> str:
    return (f"<xml><ToUserName>{_cdata(CORP_ID)}</ToUserName><FromUserName>{_cdata(user)}</FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{_cdata('event')}</MsgType>"
            f"<Event>{_cdata(event)}</Event><EventKey>{_cdata('')}</EventKey>"
            f"<AgentID>{AGENT_ID}</AgentID></xml>")


@dataclass(frozen=True)
class Reply:
    """A decrypted passive reply."""

    to_user: str
    from_user: str
    msg_type: str
    content: str


class FakeWeCom:
    """Plays WeCom's side: signs and encrypts callbacks, checks and decrypts our replies."""

    def __init__(self, token: str = TOKEN, aes_key: str = AES_KEY, corp_id: str = CORP_ID) -> None:
        self.token, self.corp_id = token, corp_id
        self._key = WeChatCrypto(token, aes_key, corp_id).key

    def _encrypt(self, plaintext: str) -> str:
        return PrpCrypto(self._key).encrypt(plaintext, self.corp_id).decode("ascii")

    def _signed(self, encrypt: str, timestamp: int | None = None) -> dict[str, str]:
        ts, nonce = str(timestamp or int(time.time())), os.urandom(5).hex()
        return {"msg_signature": signature(self.token, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}

    def verification(self, echo: str = "1616140317555161061") -> dict[str, str]:
        """The GET query WeCom sends when the admin saves the callback URL."""
        echostr = self._encrypt(echo)
        return {**self._signed(echostr), "echostr": echostr}

    def callback(self, message_xml: str, *, timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        """The query and body of a POST carrying `message_xml`."""
        encrypt = self._encrypt(message_xml)
        body = (f"<xml><ToUserName>{_cdata(self.corp_id)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt>"
                f"<AgentID>{_cdata(AGENT_ID)}</AgentID></xml>")
        return self._signed(encrypt, timestamp), body.encode("utf-8")

    def read_reply(self, body: str, nonce: str) -> Reply:
        """Check a passive reply as WeCom does (signature, our nonce) and decrypt it."""
        root = ET.fromstring(body)
        encrypt, ts = root.findtext("Encrypt"), root.findtext("TimeStamp")
        assert root.findtext("Nonce") == nonce, "the reply must echo the callback's nonce"
        expected = signature(self.token, ts, nonce, encrypt)
        assert root.findtext("MsgSignature") == expected, "bad reply signature"
        inner = ET.fromstring(PrpCrypto(self._key).decrypt(encrypt, self.corp_id))
        return Reply(to_user=inner.findtext("ToUserName"), from_user=inner.findtext("FromUserName"),
                     msg_type=inner.findtext("MsgType"), content=inner.findtext("Content") or "")


class FakeMessageAPI(requests.adapters.BaseAdapter):
    """WeCom's server API (qyapi.weixin.qq.com) at the transport of wechatpy's `requests` session:
    gettoken and message/send, recording what was sent; `errcode` makes every send fail like WeCom
    does (60020: the caller's IP is not in 企业可信IP)."""

    def __init__(self, errcode: int = 0) -> None:
        super().__init__()
        self.errcode = errcode
        self.sent: list[dict] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        path = urlsplit(request.url).path
        if path.endswith("/gettoken"):
            body = {"errcode": 0, "errmsg": "ok", "access_token": "fake-access-token", "expires_in": 7200}
        elif path.endswith("/message/send"):
            self.sent.append(json.loads(request.body))
            body = ({"errcode": 0, "errmsg": "ok"} if not self.errcode
                    else {"errcode": self.errcode, "errmsg": "not allow to access from your ip"})
        else:
            body = {"errcode": 404, "errmsg": f"unexpected {path}"}
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content = json.dumps(body).encode("utf-8")
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass
