"""The `zhewen` entry point: subcommands listed, unknown ones refused in one line."""
from click.testing import CliRunner

from bot.cli import SUBCOMMANDS, cli


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in result.output


def test_unknown_subcommand_is_a_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["nonsense"])
    assert result.exit_code == 2
    assert "No such command" in result.output
    assert "Traceback" not in result.output
