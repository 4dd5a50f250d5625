"""Every command documents itself with an example (the CLI is the administrators' manual)."""

import click
import pytest
from click.testing import CliRunner

from mailbot.cli import cli


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


@pytest.mark.parametrize("path, command", list(commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_command_has_help_with_example(path, command):
    assert command.help and "Example:" in command.help, f"mailbot {' '.join(path)} lacks an example"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_group_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("parse", "poll", "run", "status"):
        assert name in result.output
