"""The self-built app's callback crypto: WeCom's scheme, with wechatpy doing the AES.

WeCom signs every callback with msg_signature = sha1(sorted(token, timestamp, nonce, encrypt)) and
encrypts the XML with the EncodingAESKey, the corp id appended as ReceiveId (developer documentation
加解密方案说明, developer.work.weixin.qq.com/document/path/91144). wechatpy compares signatures with
`!=`; we check them ourselves in constant time before handing anything to it.
"""
from __future__ import annotations

import binascii
import hashlib
import hmac
import xml.etree.ElementTree as ET

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.settings import ConfigError


class ForgedSignature(Exception):
    """msg_signature does not match: the request was not signed with our token."""


class Undecryptable(Exception):
    """Signed, but the body or ciphertext is not what WeCom sends."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode("utf-8")).hexdigest()


def encrypt_field(body: bytes) -> str:
    """The <Encrypt> text of a callback body (XML: ToUserName, Encrypt, AgentID). WeCom sends UTF-8;
    any other encoding (UTF-16 would hide a <!DOCTYPE from the check below) is refused."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or b"\x00" in body:
        raise Undecryptable("not UTF-8 XML")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise Undecryptable("XML with a DTD")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise Undecryptable(f"invalid XML: {exc}") from None
    encrypt = root.findtext("Encrypt")
    if root.tag != "xml" or not encrypt:
        raise Undecryptable("no <Encrypt> in the body")
    return encrypt


class CallbackCrypto:
    """Checks, decrypts and encrypts for one app (token, EncodingAESKey, corp id)."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        try:
            self._wechat = WeChatCrypto(token, encoding_aes_key, corp_id)
        except (AssertionError, binascii.Error, ValueError):
            raise ConfigError("WECOM_AES_KEY: not a valid EncodingAESKey (43 letters and digits)") from None
        self._token = token
        self._corp_id = corp_id

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.encode("utf-8", "replace")):
            raise ForgedSignature

    def decrypt(self, encrypt: str) -> str:
        """The plaintext of a signed ciphertext; anything malformed (or for another corp) is refused."""
        try:
            return PrpCrypto(self._wechat.key).decrypt(encrypt, self._corp_id)
        except Exception as exc:  # wechatpy raises whatever base64, AES, struct or decoding raise
            raise Undecryptable(type(exc).__name__) from None

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification: the decrypted echostr, to be answered as it is."""
        self.check(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        """A passive reply: <xml> with Encrypt, MsgSignature, TimeStamp and the callback's Nonce."""
        return self._wechat.encrypt_message(xml, nonce, timestamp)
