"""Settings: environment over .env over defaults; one-line errors naming the variable."""
from pathlib import Path

import pytest

from bot.settings import VARIABLES, ConfigError, load_settings


def test_defaults_without_environment() -> None:
    s = load_settings({}, env_file=None)
    assert s.db == Path("data/zhewen.sqlite3")
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.rate_limit_per_minute == 20


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ZHEWEN_DB=from-file.sqlite3\nTELEGRAM_BOT_TOKEN=abc\n", encoding="utf-8")
    s = load_settings({"ZHEWEN_DB": "from-env.sqlite3"}, env_file=env)
    assert s.db == Path("from-env.sqlite3")
    assert s.telegram_bot_token is not None and s.telegram_bot_token.get_secret_value() == "abc"
    assert "abc" not in repr(s)


def test_short_aes_key_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^WECOM_AES_KEY: .*43") as info:
        load_settings({"WECOM_AES_KEY": "tooshort"}, env_file=None)
    assert "\n" not in str(info.value)


def test_admins_parsed_per_platform() -> None:
    s = load_settings({"ZHEWEN_ADMINS": "telegram:123, wecom:zhangsan"}, env_file=None)
    assert s.admin_ids("telegram") == {"123"}
    assert s.admin_ids("wecom") == {"zhangsan"}
    with pytest.raises(ConfigError, match="ZHEWEN_ADMINS"):
        load_settings({"ZHEWEN_ADMINS": "irc:bob"}, env_file=None)


def test_require_names_missing_variable() -> None:
    s = load_settings({}, env_file=None)
    with pytest.raises(ConfigError, match="^TELEGRAM_BOT_TOKEN is not set"):
        s.require("telegram_bot_token")


def test_every_variable_of_the_design_doc_is_known() -> None:
    design = {"ZHEWEN_DB", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_WEBHOOK_URL",
              "TELEGRAM_WEBHOOK_SECRET", "WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_TOKEN", "WECOM_AES_KEY",
              "WECOM_SECRET", "WECOM_AIBOT_TOKEN", "WECOM_AIBOT_AES_KEY", "ZHEWEN_ADMINS", "ZHEWEN_LOG_SALT"}
    assert design <= set(VARIABLES)
