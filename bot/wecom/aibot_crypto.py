"""The 智能机器人's callback crypto: the app callback's scheme, in JSON envelopes instead of XML.

WeCom document 101033 (智能机器人 › 回调和回复的加解密方案): the same signature and AES as app
callbacks (bot.wecom.crypto), with ReceiveId "" for an enterprise's own robot, a request body
`{"encrypt": ...}` and a passive reply `{"encrypt", "msgsignature", "timestamp", "nonce"}` whose nonce
is the callback URL's nonce and whose timestamp is a number of seconds.
"""
from __future__ import annotations

import json
import time
from typing import Any

from wechatpy.enterprise.crypto import PrpCrypto

from bot.settings import ConfigError
from bot.wecom.crypto import CallbackCrypto, Undecryptable, signature

RECEIVE_ID = ""  # document 101033: "企业内部智能机器人场景中，ReceiveId为\"\""


class AibotCrypto(CallbackCrypto):
    """One robot's Token and EncodingAESKey: check, verify_url and decrypt as for the app, plus JSON."""

    def __init__(self, token: str, encoding_aes_key: str) -> None:
        try:
            super().__init__(token, encoding_aes_key, RECEIVE_ID)
        except ConfigError:
            raise ConfigError(
                "WECOM_AIBOT_AES_KEY: not a valid EncodingAESKey (43 letters and digits)") from None

    def decrypt_json(self, encrypt: str) -> dict[str, Any]:
        """The callback's JSON object; call only after `check`."""
        try:
            payload = json.loads(self.decrypt(encrypt))
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past the stack
            raise Undecryptable("plaintext is not JSON") from None
        if not isinstance(payload, dict):
            raise Undecryptable("plaintext is not a JSON object")
        return payload

    def encrypt_json(self, payload: dict[str, Any], nonce: str,
                     timestamp: int | None = None) -> dict[str, Any]:
        """The passive-reply envelope of document 101033."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        encrypt = PrpCrypto(self._wechat.key).encrypt(plaintext, RECEIVE_ID).decode("ascii")
        return {
            "encrypt": encrypt,
            "msgsignature": signature(self._token, str(timestamp), nonce, encrypt),
            "timestamp": timestamp,
            "nonce": nonce,
        }
