"""Signing and AES for the WeCom 智能机器人 callback, whose envelopes are JSON instead of XML.

WeCom document 101033 (智能机器人 › 回调和回复的加解密方案): the same scheme as app callbacks
(AES-256-CBC, IV = first 16 bytes of the key, PKCS#7 to 32 bytes, random16 + msg_len + msg + ReceiveId;
msg_signature = sha1 of the sorted token, timestamp, nonce and ciphertext), with ReceiveId "" for an
enterprise's own robot, a request body `{"encrypt": ...}` and a reply
`{"encrypt", "msgsignature", "timestamp", "nonce"}` whose nonce is the callback URL's nonce.
wechatpy's PrpCrypto does the AES; the signature is checked here because wechatpy compares with `!=`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from wechatpy.enterprise.crypto import PrpCrypto

RECEIVE_ID = ""  # document 101033: "企业内部智能机器人场景中，ReceiveId为\"\""


class ForgedSignature(Exception):
    """msg_signature does not match: the request did not come from WeCom (HTTP 403)."""


class Undecryptable(Exception):
    """Signed, but the ciphertext or the JSON inside it is malformed (HTTP 400)."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """msg_signature as WeCom computes it: sha1 over the four strings sorted and concatenated."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode("utf-8")).hexdigest()


class AibotCrypto:
    """One robot's Token and EncodingAESKey; every method checks or makes the signature."""

    def __init__(self, token: str, encoding_aes_key: str) -> None:
        self._token = token
        self._prp = PrpCrypto(_aes_key(encoding_aes_key))

    def _check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypt).encode("ascii")
        if not hmac.compare_digest(expected, msg_signature.encode("utf-8")):
            raise ForgedSignature

    def _decrypt(self, encrypt: str) -> str:
        try:
            return self._prp.decrypt(encrypt, RECEIVE_ID)
        except Exception as exc:  # wechatpy raises whatever base64/AES/struct/unicode raise
            raise Undecryptable(type(exc).__name__) from None

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): the decrypted echostr, to be answered as is."""
        self._check(msg_signature, timestamp, nonce, echostr)
        return self._decrypt(echostr)

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ForgedSignature unless the signature covers this ciphertext."""
        self._check(msg_signature, timestamp, nonce, encrypt)

    def decrypt_json(self, encrypt: str) -> dict[str, Any]:
        """The callback's JSON object; call only after `check`."""
        try:
            payload = json.loads(self._decrypt(encrypt))
        except ValueError:
            raise Undecryptable("plaintext is not JSON") from None
        if not isinstance(payload, dict):
            raise Undecryptable("plaintext is not a JSON object")
        return payload

    def encrypt_json(self, payload: dict[str, Any], nonce: str,
                     timestamp: int | None = None) -> dict[str, Any]:
        """The passive-reply envelope of document 101033 (timestamp in seconds, as a number)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        encrypt = self._prp.encrypt(plaintext, RECEIVE_ID).decode("ascii")
        return {
            "encrypt": encrypt,
            "msgsignature": signature(self._token, str(timestamp), nonce, encrypt),
            "timestamp": timestamp,
            "nonce": nonce,
        }


def _aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("an EncodingAESKey must decode to 32 bytes")
    return key
