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


class TryLater(click.ClickException):
    """A temporary failure: exit status 75 (EX_TEMPFAIL), so a scheduler knows to retry."""

    exit_code = 75


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
    # imapclient hands imaplib's protocol trace (every byte, mail bodies included) to this
    # logger at DEBUG: never logged. imapclient's own command log (no bodies) stays.
    logging.getLogger("imapclient.imaplib").setLevel(logging.INFO)
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
    from .context import parse_context
    from .parse_worker import ParseWorker

    config = _config(ctx)
    context = parse_context(config)
    worker = ctx.with_resource(ParseWorker(config.limits.max_seconds))
    for name in files:
        try:
            raw = Path(name).read_bytes()
        except OSError as e:
            record = {"file": name, "message_id": None, "from": None, "kind": "other",
                      "municipality": None, "period": None, "source": None, "answers": [],
                      "signals": [], "problems": [{"code": "no_report", "question": None,
                                                   "message": f"Filen kunde inte läsas: {e.strerror}."}]}
        else:
            record = {"file": name, **worker.parse(raw, context).to_json()}
        click.echo(json.dumps(record, ensure_ascii=False))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pass's figures as JSON.")
@click.pass_context
def poll(ctx: click.Context, as_json: bool) -> None:
    """Fetch new mail once, process it, send what is due, then exit.

    Exits with 75 (try again later) when the mail server is unavailable or the
    database cannot be written (locked by another process, disk full); the
    mail stays in the inbox for the next poll.

    Example: mailbot --config config.toml poll
    """
    from .app import poll_once
    from .errors import StorageError, TransientError

    try:
        report = poll_once(_config(ctx))
    except StorageError as e:
        raise TryLater(f"database unavailable, poll stopped (unstored mail stays in the inbox): {e}") from e
    except TransientError as e:
        raise TryLater(f"mail server unavailable: {e}") from e
    if as_json:
        click.echo(json.dumps(report.__dict__))
    else:
        click.echo(f"{report.seen} mail(s) read: {report.processed} processed, {report.review} for review, "
                   f"{report.duplicates} duplicate(s), {report.errors} error(s); "
                   f"{report.sent} mail(s) sent, {report.send_failed} failed.")


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: poll on a schedule (and at once via IMAP IDLE) until SIGTERM or Ctrl-C.

    Example: mailbot --config /etc/mailbot/config.toml run
    """
    from .daemon import Daemon

    Daemon(_config(ctx)).run()


@cli.command()
@click.argument("message_ids", nargs=-1, type=int)
@click.pass_context
def reprocess(ctx: click.Context, message_ids: tuple[int, ...]) -> None:
    """Parse stored mail again (all, or the given message ids) after a parser fix; sends nothing.

    Example: mailbot reprocess 12 13
    """
    from .context import parse_context
    from .parse_worker import ParseWorker
    from .reprocess import reprocess as run_reprocess
    from .store import Store, open_db

    config = _config(ctx)
    db = open_db(config.database)
    try:
        with ParseWorker(config.limits.max_seconds) as worker:
            changes = run_reprocess(Store(db), parse_context(config), config, list(message_ids) or None,
                                    parse=worker.parse)
    finally:
        db.close()
    for change in changes:
        marker = "changed" if change.before != change.after else "same"
        click.echo(f"message {change.message_ref}: {change.before} -> {change.after} ({marker})")
    click.echo(f"{len(changes)} message(s) reprocessed.")


@cli.command()
@click.option("--period", help="YYYY-MM (default: the period whose deadline is next or just passed).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, period: str | None, as_json: bool) -> None:
    """Show which municipalities reported for a period: on time, late, missing or pending.

    Example: mailbot status --period 2026-10 --json
    """
    from datetime import datetime

    from .deadlines import SWEDEN
    from .status import default_period, format_table, period_status
    from .store import Store, open_db

    config = _config(ctx)
    today = datetime.now(SWEDEN).date()
    if period is not None:
        _check_period(period)
    db = open_db(config.database)
    try:
        result = period_status(Store(db), config, period or default_period(config, today), today)
    finally:
        db.close()
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else format_table(result))


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Show the whole path with no server: example mails in, one poll, receipts out.

    Example: mailbot demo
    """
    from .demo import run_demo

    click.echo(run_demo(_config(ctx)))


@cli.command()
@click.option("--period", required=True, help="YYYY-MM")
@click.option("--send", is_flag=True, help="Queue and send the summary and feedback mails (once per period).")
@click.pass_context
def summary(ctx: click.Context, period: str, send: bool) -> None:
    """Print the monthly county summary for a period; with --send, mail it (leadership, administrators, municipalities).

    Example: mailbot summary --period 2026-10 --send
    """
    from datetime import datetime

    from .deadlines import SWEDEN
    from .store import Store, open_db
    from .summary import build_summary, render_text

    config = _config(ctx)
    _check_period(period)
    today = datetime.now(SWEDEN).date()
    if send:
        from .app import poller
        from .county import queue_summary

        with poller(config) as p:
            keys = queue_summary(p, config, period, today)
            p.flush_outbox()
        click.echo(f"{len(keys)} mail(s) queued and sent" if keys else "already sent for this period: nothing new")
        return
    db = open_db(config.database)
    try:
        click.echo(render_text(build_summary(Store(db), config, period, today)))
    finally:
        db.close()


@cli.command()
@click.option("--year", type=int, required=True, help="Calendar year, e.g. 2026.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="The .xlsx file to write.")
@click.pass_context
def export(ctx: click.Context, year: int, out: str) -> None:
    """Write the county's Excel compilation for a year: a sheet per question, answers, submissions.

    Example: mailbot export --year 2026 --out lagesbild-2026.xlsx
    """
    from .export import export_year
    from .store import Store, open_db

    config = _config(ctx)
    db = open_db(config.database)
    try:
        path = export_year(Store(db), config, year, Path(out))
    finally:
        db.close()
    click.echo(f"wrote {path}")


@cli.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, help="Retention period in days.")
@click.pass_context
def purge(ctx: click.Context, days: int) -> None:
    """Remove raw mails, answer texts and sent mail bodies older than DAYS; keep the ratings (GDPR).

    Example: mailbot purge --older-than 730
    """
    from .purge import purge as run_purge
    from .store import Store, open_db, utcnow

    config = _config(ctx)
    db = open_db(config.database)
    try:
        report = run_purge(Store(db), days, utcnow())
    finally:
        db.close()
    click.echo(f"purged: {report.messages} mail(s), {report.answers} answer text(s), "
               f"{report.signals} excerpt(s), {report.outbox} sent mail(s)")


def _check_period(period: str) -> None:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise click.BadParameter("use YYYY-MM, e.g. 2026-10", param_hint="--period")


@cli.group()
def rules() -> None:
    """Check and try the routing rules in rules/ (or [rules] directory).

    Example: mailbot rules check
    """


@rules.command("check")
@click.pass_context
def rules_check(ctx: click.Context) -> None:
    """Validate every rule file; print mistakes as file:line: what is wrong.

    Example: mailbot --config config.toml rules check
    """
    from rules.loader import check_rules, load_rules

    config = _config(ctx.find_root())
    errors = check_rules(config.rules_dir)
    if errors:
        for error in errors:
            click.echo(error)
        raise SystemExit(1)
    loaded = load_rules(config.rules_dir)
    click.echo(f"OK: {len(loaded.rules)} regler, {len(loaded.units)} enheter.")


@rules.command("test")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--text", help="Free text to try instead of a mail.")
@click.pass_context
def rules_test(ctx: click.Context, file: str | None, text: str | None) -> None:
    """Show which rules fire on a mail (or --text), on which words, and what negation suppressed.

    Example: mailbot rules test --text "Vi har sett droghandel men ingen prostitution."
    """
    from parsers.report import parse_message
    from rules.loader import load_rules
    from rules.matcher import explain, render_explanations

    from .context import parse_context

    if (file is None) == (text is None):
        raise click.UsageError("give either FILE or --text")
    config = _config(ctx.find_root())
    loaded = load_rules(config.rules_dir)
    if text is not None:
        source = text
    else:
        parsed = parse_message(Path(file).read_bytes(), parse_context(config, loaded))
        if not parsed.answers:
            raise click.ClickException(f"no report found in {file} ({parsed.kind})")
        source = parsed.answers
    click.echo(render_explanations(explain(source, loaded), loaded))


def main() -> None:
    cli(prog_name="mailbot")
