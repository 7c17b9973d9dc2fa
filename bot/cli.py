"""The `zhewen` command line: one click group whose subcommands live in their own modules.

Subcommands are imported only when invoked, so `zhewen ask` never imports Telegram or the web server.
"""
from __future__ import annotations

import importlib
import sys

import click

# name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("bot.cli_ask:ask", "回答一个问题 / answer one question (or a batch)"),
    "chat": ("bot.cli_ask:chat", "终端对话 / terminal chat, exits at end of input"),
    "eval": ("bot.cli_eval:evaluate", "评测问答质量 / score answer quality on a question set"),
    "content": ("bot.cli_content:content", "构建与查看语料 / build and inspect the corpus"),
    "logs": ("bot.cli_logs:logs", "查看提问日志 / review the query log"),
    "db": ("bot.cli_db:db", "创建或升级数据库 / create or upgrade the database"),
    "telegram": ("bot.telegram.run:telegram", "运行 Telegram 机器人（长轮询） / run the Telegram bot"),
    "serve": ("bot.server:serve", "HTTP 服务：企业微信回调与 Telegram webhook / HTTP server"),
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zhewen")
def cli() -> None:
    """浙问 zhewen: cited answers from Chinese policy and news documents."""


def main() -> None:
    """Console entry point: click turns usage errors into one-line messages and exit code 2."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
