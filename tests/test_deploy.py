"""The deploy files agree with the code: no Docker engine runs here, so check what can be checked."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from bot.cli import cli
from bot.settings import VARIABLES, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def parse_cli(args: list[str]) -> click.Command:
    """Resolve `zhewen ARGS` to its command and parse its options; raises on anything unknown."""
    cmd: click.Command = cli
    args = list(args)
    while isinstance(cmd, click.Group):
        assert args, "a group needs a subcommand"
        name = args.pop(0)
        sub = cmd.get_command(click.Context(cmd), name)
        assert sub is not None, f"Expected `zhewen … {name}` to exist"
        cmd = sub
    cmd.make_context(cmd.name or "zhewen", args)
    return cmd


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def env_example_names() -> list[str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    settings = [line for line in lines if "=" in line and not line.lstrip().startswith("#")]
    return [line.split("=", 1)[0].strip() for line in settings]


def test_compose_has_both_services_one_named_volume_and_env_file() -> None:
    doc = compose()
    assert set(doc["services"]) == {"telegram", "serve"}
    assert list(doc["volumes"]) == ["zhewen-data"]
    for service in doc["services"].values():
        assert service["env_file"] == ".env"
        assert any(v.startswith("zhewen-data:") for v in service["volumes"])


def test_every_variable_in_compose_and_env_example_is_a_setting_and_the_reverse() -> None:
    names = env_example_names()
    assert len(names) == len(set(names)), "a variable is named twice in .env.example"
    assert set(names) == set(VARIABLES)
    for service in compose()["services"].values():
        assert set(service.get("environment", {})) <= set(VARIABLES)


def test_env_example_as_is_loads() -> None:
    load_settings({}, env_file=ROOT / ".env.example")


def dockerfile_commands() -> list[list[str]]:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    found = [shlex.split(cmd) for cmd in re.findall(r"\bzhewen ([a-z][^&\n>\\]*)", text)]
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    found.append(yaml.safe_load(cmd.group(1)))
    return found


def unit_commands() -> list[list[str]]:
    out = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        match = re.search(r"^ExecStart=\S*/zhewen (.*)$", unit.read_text(encoding="utf-8"), re.M)
        assert match is not None, unit.name
        out.append(shlex.split(match.group(1)))
    return out


@pytest.mark.parametrize(
    "args",
    dockerfile_commands() + unit_commands() + [s["command"] for s in compose()["services"].values()],
    ids=lambda a: " ".join(a),
)
def test_deploy_commands_exist_in_the_cli(args: list[str]) -> None:
    parse_cli(args)


def test_dockerfile_is_slim_non_root_with_healthcheck_and_entrypoint() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("FROM python:3.11-slim") == 1
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["zhewen"]' in text
    assert "zhewen content build" in text


def test_reverse_proxy_forwards_only_public_paths() -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    for path in ("/wecom/callback", "/wecom/aibot", "/telegram/webhook", "/healthz"):
        assert path in text
    assert "reverse_proxy 127.0.0.1:8080" in text
