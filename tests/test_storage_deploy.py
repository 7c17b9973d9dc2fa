"""[scale-out] deploy/compose.replicas.yaml agrees with the code: two `zhewen serve` replicas on one
PostgreSQL URL, the schema upgraded before they start, Caddy balancing exactly those replicas."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from test_deploy import parse_cli

from bot.settings import VARIABLES, load_settings
from bot.storage.target import PostgresUrl

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def replicas() -> dict:
    return yaml.safe_load((DEPLOY / "compose.replicas.yaml").read_text(encoding="utf-8"))


def test_two_serve_replicas_share_one_postgres_url() -> None:
    services = replicas()["services"]
    serving = {name: s for name, s in services.items() if s.get("command", [None])[0] == "serve"}
    assert len(serving) == 2
    urls = {s["environment"]["ZHEWEN_DB"] for s in serving.values()}
    assert len(urls) == 1
    url = urls.pop().replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw")
    settings = load_settings({"ZHEWEN_DB": url}, env_file=None)
    assert isinstance(settings.db, PostgresUrl) and "@postgres:5432/zhewen" in url
    for service in serving.values():
        assert service["env_file"] == ".env" and set(service["environment"]) <= set(VARIABLES)
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_zhewen_command_exists_and_the_schema_is_upgraded_first() -> None:
    services = replicas()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in services.values():
        if service.get("image") == "zhewen:latest":
            parse_cli(service["command"])


def test_the_proxy_balances_the_replicas_on_the_public_paths_only() -> None:
    text = (DEPLOY / "Caddyfile.replicas").read_text(encoding="utf-8")
    serving = [name for name, s in replicas()["services"].items() if s.get("command", [None])[0] == "serve"]
    upstreams = re.search(r"reverse_proxy ([^{\n]+)", text)
    assert upstreams is not None and upstreams.group(1).split() == [f"{name}:8080" for name in serving]
    assert "health_uri /healthz" in text
    for path in ("/wecom/callback", "/wecom/aibot", "/telegram/webhook", "/healthz"):
        assert path in text
    mounted = replicas()["services"]["proxy"]["volumes"][0]
    assert mounted.startswith("./deploy/Caddyfile.replicas:")


def test_the_image_can_reach_postgres() -> None:
    assert 'pip install ".[postgres]"' in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
