"""Settings, read once: the environment, then a `.env` file in the working directory, then defaults.

Every variable the product reads is a field here (the deploy files are tested against this list).
Errors name the variable in one line; secrets print as `**********`.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from bot.storage.target import PostgresUrl, parse_target


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


def _optional(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore",
                              arbitrary_types_allowed=True)

    # A path or sqlite:///PATH (the embedded default), or postgresql://… (bot/storage/target.py).
    db: Annotated[Path | PostgresUrl, BeforeValidator(parse_target)] = Field(
        Path("data/zhewen.sqlite3"), alias="ZHEWEN_DB")
    log_salt: SecretStr | None = Field(None, alias="ZHEWEN_LOG_SALT")
    log_raw_ids: bool = Field(False, alias="ZHEWEN_LOG_RAW_IDS")
    admins: str = Field("", alias="ZHEWEN_ADMINS")
    rate_limit_per_minute: int = Field(20, ge=1, le=10_000, alias="ZHEWEN_RATE_LIMIT")
    corpus: Path | None = Field(None, alias="ZHEWEN_CORPUS")

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field("https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")

    wecom_corp_id: str | None = Field(None, alias="WECOM_CORP_ID")
    wecom_agent_id: str | None = Field(None, alias="WECOM_AGENT_ID")
    wecom_token: SecretStr | None = Field(None, alias="WECOM_TOKEN")
    wecom_aes_key: SecretStr | None = Field(None, alias="WECOM_AES_KEY")
    wecom_secret: SecretStr | None = Field(None, alias="WECOM_SECRET")
    wecom_aibot_token: SecretStr | None = Field(None, alias="WECOM_AIBOT_TOKEN")
    wecom_aibot_aes_key: SecretStr | None = Field(None, alias="WECOM_AIBOT_AES_KEY")

    _blank_is_unset = field_validator(
        "log_salt", "corpus", "telegram_bot_token", "telegram_webhook_url", "telegram_webhook_secret",
        "wecom_corp_id", "wecom_agent_id", "wecom_token", "wecom_aes_key", "wecom_secret",
        "wecom_aibot_token", "wecom_aibot_aes_key", mode="before",
    )(_optional)

    @field_validator("wecom_aes_key", "wecom_aibot_aes_key")
    @classmethod
    def _aes_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("an EncodingAESKey must be exactly 43 characters")
        return value

    @field_validator("admins")
    @classmethod
    def _admins_format(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            platform, _, user = item.partition(":")
            if platform not in {"telegram", "wecom"} or not user:
                raise ValueError(f"expected platform:id items such as telegram:123456, got {item!r}")
        return value

    def admin_ids(self, platform: str) -> frozenset[str]:
        """Raw user ids allowed to use admin commands on one platform."""
        items = (part.strip() for part in self.admins.split(","))
        return frozenset(user for p, _, user in (i.partition(":") for i in items if i) if p == platform)

    def require(self, *names: str) -> None:
        """Fail with one line naming the first unset variable among `names` (field names)."""
        for name in names:
            if getattr(self, name) is None:
                alias = type(self).model_fields[name].alias
                raise ConfigError(f"{alias} is not set (environment or .env)")


VARIABLES: tuple[str, ...] = tuple(f.alias for f in Settings.model_fields.values() if f.alias)


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Read settings; `environ` replaces os.environ so tests pass their own environment."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        try:
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
            raise ConfigError(f"{env_file}: cannot be read as UTF-8 ({reason}); save it as UTF-8") from None
    values.update(os.environ if environ is None else environ)
    try:
        return Settings.model_validate({k: v for k, v in values.items() if k in VARIABLES})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "settings"
        alias = Settings.model_fields[field].alias if field in Settings.model_fields else field
        raise ConfigError(f"{alias}: {err['msg'].removeprefix('Value error, ')}") from None
