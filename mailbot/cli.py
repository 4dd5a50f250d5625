"""The `mailbot` command line: thin commands over the library."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .config import Config, load_config
from .errors import ConfigError

logger = logging.getLogger(__name__)


def _load(config_path: str | None) -> Config:
    if config_path is None and Path("config.toml").is_file():
        config_path = "config.toml"
    return load_config(config_path)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML configuration file (default: ./config.toml, else the embedded default).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """mailbot reads the monthly lägesbild reports in the county mailbox.

    Example: mailbot --config config.toml poll
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = config_path


def _config(ctx: click.Context) -> Config:
    try:
        return _load(ctx.obj)
    except ConfigError as e:
        raise click.ClickException(f"configuration error: {e}") from e


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def parse(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Parse .eml files and print one JSON object per file; changes nothing.

    Example: mailbot parse inbox/ludvika-okt.eml inbox/mora-okt.eml
    """
    from parsers.report import parse_message

    from .context import parse_context

    context = parse_context(_config(ctx))
    for name in files:
        try:
            raw = Path(name).read_bytes()
        except OSError as e:
            record = {"file": name, "message_id": None, "from": None, "kind": "other",
                      "municipality": None, "period": None, "source": None, "answers": [],
                      "signals": [], "problems": [{"code": "no_report", "question": None,
                                                   "message": f"Filen kunde inte läsas: {e.strerror}."}]}
        else:
            record = {"file": name, **parse_message(raw, context).to_json()}
        click.echo(json.dumps(record, ensure_ascii=False))


def main() -> None:
    cli(prog_name="mailbot")
