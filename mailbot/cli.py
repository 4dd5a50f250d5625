"""The `mailbot` command line: thin commands over the library."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click

from .config import Config, load_config
from .errors import ConfigError

logger = logging.getLogger(__name__)


class TryLater(click.ClickException):
    """A temporary failure: exit status 75 (EX_TEMPFAIL), so a scheduler knows to retry."""

    exit_code = 75


class BadConfig(click.ClickException):
    """The configuration (or a secret it names) is wrong: exit status 78 (EX_CONFIG)."""

    exit_code = 78


class _Commands(click.Group):
    """Turns a ConfigError from any command into one line and exit 78, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            raise BadConfig(f"configuration error: {e}") from e


def _load(config_path: str | None) -> Config:
    if config_path is None and Path("config.toml").is_file():
        config_path = "config.toml"
    return load_config(config_path)


@click.group(cls=_Commands)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML configuration file (default: ./config.toml, else the embedded default).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """mailbot reads the monthly lägesbild reports in the county mailbox.

    Example: mailbot --config config.toml poll
    """
    _configure_logging(verbose)
    ctx.obj = config_path


def _configure_logging(verbose: bool) -> None:
    """One format, times in UTC (every process and library alike); the scheduler's chatter only as warnings."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # imapclient hands imaplib's protocol trace (every byte, mail bodies included) to this
    # logger at DEBUG: never logged. imapclient's own command log (no bodies) stays.
    logging.getLogger("imapclient.imaplib").setLevel(logging.INFO)


def _config(ctx: click.Context) -> Config:
    return _load(ctx.obj)  # a ConfigError becomes one line and exit 78 (_Commands)


def _require_secrets(config: Config) -> None:
    """Stop before connecting when a password variable the config names is unset."""
    from .doctor import missing_secrets

    missing = missing_secrets(config)
    if missing:
        raise BadConfig("; ".join(missing))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def parse(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Parse .eml files and print one JSON object per file; changes nothing.

    Exit status 0 when every file was read; 66 when a file could not be read (it still
    gets its line, with an "error" field).

    Example: mailbot parse inbox/ludvika-okt.eml inbox/mora-okt.eml
    """
    from .context import parse_context
    from .parse_worker import ParseWorker

    config = _config(ctx)
    context = parse_context(config)
    worker = ctx.with_resource(ParseWorker(config.limits.max_seconds))
    unreadable = 0
    for name in files:
        try:
            raw = Path(name).read_bytes()
        except OSError as e:
            unreadable += 1
            click.echo(f"{name}: cannot read: {e.strerror}", err=True)
            record = {"file": name, "error": f"cannot read: {e.strerror}", "message_id": None, "from": None,
                      "kind": "other", "municipality": None, "period": None, "source": None, "answers": [],
                      "signals": [], "problems": [{"code": "unreadable_file", "question": None,
                                                   "message": f"Filen kunde inte läsas: {e.strerror}."}]}
        else:
            record = {"file": name, **worker.parse(raw, context).to_json()}
        click.echo(json.dumps(record, ensure_ascii=False))
    if unreadable:
        ctx.exit(66)  # EX_NOINPUT: a script can tell an unreadable file from a mail with no report


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

    config = _config(ctx)
    _require_secrets(config)
    try:
        report = poll_once(config)
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

    config = _config(ctx)
    _require_secrets(config)
    Daemon(config).run()


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
    unknown = sorted(set(message_ids) - {c.message_ref for c in changes})
    if unknown:
        click.echo(f"no stored mail with id {', '.join(map(str, unknown))} (see `mailbot review list` "
                   "or `mailbot status`)", err=True)
        if not changes:
            ctx.exit(2)
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
    from .store import Store, open_for_reading

    config = _config(ctx)
    today = datetime.now(SWEDEN).date()
    if period is not None:
        _check_period(period)
    db = open_for_reading(config.database)
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
@click.option("--force", is_flag=True, help="With --send: send even though the period's deadline has not passed.")
@click.pass_context
def summary(ctx: click.Context, period: str, send: bool, force: bool) -> None:
    """Print the monthly county summary for a period; with --send, mail it (leadership, administrators, municipalities).

    The summary goes out once per period, so --send refuses before the deadline
    has passed (the daemon sends it the day after) unless --force is given;
    reports that arrive after it went out are listed in the next month's summary.

    Example: mailbot summary --period 2026-10 --send
    """
    from datetime import datetime

    from .deadlines import SWEDEN
    from .store import Store, open_for_reading
    from .summary import build_summary, render_text

    config = _config(ctx)
    _check_period(period)
    today = datetime.now(SWEDEN).date()
    if send and not force:
        from .deadlines import deadline_for, parse_period

        deadline = deadline_for(*parse_period(period), config.deadline)
        if today <= deadline:
            click.echo(f"The deadline for {period} is {deadline.isoformat()}: the summary goes out once, so it is "
                       "not sent before then (the daemon sends it the day after). Use --force to send it now.",
                       err=True)
            ctx.exit(2)
    if send:
        from .app import poller
        from .county import queue_summary

        with poller(config) as p:
            keys = queue_summary(p, config, period, today)
            p.flush_outbox()
        click.echo(f"{len(keys)} mail(s) queued and sent" if keys else "already sent for this period: nothing new")
        return
    db = open_for_reading(config.database)
    try:
        click.echo(render_text(build_summary(Store(db), config, period, today)))
    finally:
        db.close()


@cli.command()
@click.option("--year", type=click.IntRange(2000, 2999), required=True, help="Calendar year, e.g. 2026.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="The .xlsx file to write.")
@click.pass_context
def export(ctx: click.Context, year: int, out: str) -> None:
    """Write the county's Excel compilation for a year: a sheet per question, answers, submissions.

    Example: mailbot export --year 2026 --out lagesbild-2026.xlsx
    """
    from .export import export_year
    from .store import Store, open_for_reading

    config = _config(ctx)
    db = open_for_reading(config.database)
    try:
        path = export_year(Store(db), config, year, Path(out))
    except OSError as e:
        raise click.ClickException(f"cannot write {out}: {e.strerror}") from e
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
    from .app import open_mailbox
    from .purge import purge as run_purge
    from .store import Store, open_db, utcnow

    config = _config(ctx)
    db = open_db(config.database)
    mailbox = open_mailbox(config) if config.retention_mailbox else None
    try:
        report = run_purge(Store(db), days, utcnow(), config, mailbox)
    finally:
        db.close()
        if mailbox is not None:
            mailbox.close()
    click.echo(f"purged: {report.messages} mail(s), {report.answers} answer text(s), "
               f"{report.signals} excerpt(s), {report.outbox} sent mail(s), {report.files} outbox file(s), "
               f"{report.folder_mail} mail(s) in the folders")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for monitoring).")
@click.pass_context
def health(ctx: click.Context, as_json: bool) -> None:
    """Whether the bot is doing its job: the last good pass, the last error, mail queued and held.

    Exit 0 when ok; 1 when the last pass failed or none succeeded within three poll intervals.

    Example: mailbot health --json
    """
    from .health import describe
    from .health import health as check_health
    from .store import Store, open_for_reading, utcnow

    config = _config(ctx)
    db = open_for_reading(config.database)
    try:
        result = check_health(Store(db), config, utcnow())
    finally:
        db.close()
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else describe(result))
    ctx.exit(0 if result["ok"] else 1)


@cli.command()
@click.option("--offline", is_flag=True, help="Do not log in to the mail servers.")
@click.pass_context
def doctor(ctx: click.Context, offline: bool) -> None:
    """Check the configuration: password variables, IMAP and SMTP logins, rules, addresses.

    Exit 0 when nothing is wrong (warnings allowed), 1 when something must be fixed.

    Example: mailbot --config /etc/mailbot/config.toml doctor
    """
    from .doctor import ERROR, check

    findings = check(_config(ctx), connect=not offline)
    for finding in findings:
        click.echo(str(finding))
    ctx.exit(1 if any(f.level == ERROR for f in findings) else 0)


@cli.group(invoke_without_command=True)
@click.option("--listen", default="127.0.0.1:8025", show_default=True, help="HOST:PORT to serve on.")
@click.pass_context
def web(ctx: click.Context, listen: str) -> None:
    """Serve the web desk (log in, the period's overview, the review queue) until SIGTERM or Ctrl-C.

    Example: mailbot web --listen 127.0.0.1:8025
    """
    if ctx.invoked_subcommand is not None:
        return
    from .web import serve

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("use HOST:PORT, e.g. 127.0.0.1:8025", param_hint="--listen")
    config = _config(ctx.find_root())
    click.echo(f"web desk on http://{host}:{port}/ (create accounts with `mailbot web user add`)", err=True)
    serve(config, host.strip("[]"), int(port))


@web.group("user")
def web_user() -> None:
    """Local accounts of the web desk.

    Example: mailbot web user add anna --role admin
    """


GOOD_PASSWORD = 12  # characters; shorter passwords are saved with a warning


@web_user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "reader"]), required=True,
              help="admin: everything; reader: the overview.")
@click.pass_context
def web_user_add(ctx: click.Context, name: str, role: str) -> None:
    """Create (or reset) a local account; the password is read from standard input, one line.

    Example: echo 'ett långt lösenord' | mailbot web user add anna --role admin
    """
    from .web import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.BadParameter("no password: give it as one line on standard input")
    add_user(_config(ctx.find_root()), name, role, password)
    click.echo(f"account {name} ({role}) saved")
    if len(password) < GOOD_PASSWORD:  # the county's own policy decides; the desk only says so
        click.echo(f"warning: the password has fewer than {GOOD_PASSWORD} characters; a longer one is safer", err=True)


@cli.group()
def review() -> None:
    """Held mail ("Att granska"): list it, accept it as a municipality's report, or reject it.

    Example: mailbot review list
    """


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.pass_context
def review_list(ctx: click.Context, as_json: bool) -> None:
    """The held mails, oldest first, with what the bot understood and why they wait.

    Example: mailbot review list --json
    """
    from .review import held
    from .store import Store, open_for_reading

    config = _config(ctx.find_root())
    db = open_for_reading(config.database)
    try:
        rows = held(Store(db))
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['id']}: {r['received'][:16].replace('T', ' ')} from {r['sender'] or '?'}: "
                   f"{r['subject'] or '(no subject)'} [{r['kind']} {r['municipality'] or '-'} {r['period'] or '-'}] "
                   f"{', '.join(r['problems'])}")
    click.echo(f"{len(rows)} held mail(s).")


@review.command("accept")
@click.argument("message_id", type=int)
@click.option("--municipality", help="Count it for this municipality (default: what was parsed).")
@click.option("--period", help="Count it for this month, YYYY-MM (default: what was parsed).")
@click.option("--register", is_flag=True, help="Also make the sender's address the municipality's for good.")
@click.pass_context
def review_accept(ctx: click.Context, message_id: int, municipality: str | None, period: str | None,
                  register: bool) -> None:
    """Count held mail ID as a municipality's report: receipt, forwards, moved to the processed folder.

    Example: mailbot review accept 17 --municipality Mora --register
    """
    from .app import poller
    from .parse_worker import ParseWorker
    from .review import ReviewError, accept
    from .store import utcnow

    config = _config(ctx.find_root())
    if period is not None:
        _check_period(period)
    name = _municipality(config, municipality, "--municipality") if municipality else None
    with ParseWorker(config.limits.max_seconds) as worker, poller(config, worker=worker) as p:
        try:
            done = accept(p, message_id, utcnow(), municipality=name, period=period, register=register)
        except ReviewError as e:
            click.echo(str(e), err=True)
            ctx.exit(2)
    click.echo(f"mail {done.message_ref} counted for {done.municipality} {done.period}"
               f"{'; receipt sent' if done.receipt else ''}{f'; {done.forwards} forward(s)' if done.forwards else ''}"
               f"{'' if done.moved else '; not found in the review folder (moved by hand?)'}"
               f"{'; the sender is registered' if register else ''}")


@review.command("reject")
@click.argument("message_id", type=int)
@click.option("--note", help="Why (kept with the mail).")
@click.pass_context
def review_reject(ctx: click.Context, message_id: int, note: str | None) -> None:
    """Close held mail ID without counting it; it goes to the processed folder, nothing is sent.

    Example: mailbot review reject 17 --note "Reklam"
    """
    from .app import poller
    from .review import ReviewError, reject
    from .store import utcnow

    config = _config(ctx.find_root())
    with poller(config) as p:
        try:
            moved = reject(p, message_id, utcnow(), note=note)
        except ReviewError as e:
            click.echo(str(e), err=True)
            ctx.exit(2)
    click.echo(f"mail {message_id} rejected{'' if moved else '; not found in the review folder (moved by hand?)'}")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def municipalities(ctx: click.Context, as_json: bool) -> None:
    """List the municipalities with their domains and addresses (configured, registered, latest senders).

    Example: mailbot municipalities --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from .registry import municipalities_table
    from .store import Store, open_for_reading

    config = _config(ctx.find_root())
    db = open_for_reading(config.database)
    try:
        table = municipalities_table(config, Store(db))
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(table, ensure_ascii=False))
        return
    for row in table:
        click.echo(f"{row['name']}: domains {', '.join(row['domains']) or '-'}; "
                   f"addresses {', '.join(row['addresses']) or '-'}; "
                   f"registered {', '.join(row['registered']) or '-'}; "
                   f"latest senders {', '.join(row['latest_senders']) or '-'}")


@municipalities.command("register")
@click.argument("name")
@click.argument("address")
@click.pass_context
def municipalities_register(ctx: click.Context, name: str, address: str) -> None:
    """Make ADDRESS count as municipality NAME's for good (stored in the database).

    Example: mailbot municipalities register Mora anna.berg@gmail.com
    """
    from .store import Store, open_db, utcnow

    config = _config(ctx.find_root())
    municipality = _municipality(config, name)
    if "@" not in address or any(c.isspace() for c in address):
        raise click.BadParameter(f"not a mail address: {address!r}", param_hint="ADDRESS")
    db = open_db(config.database)
    try:
        Store(db).register_address(address, municipality, utcnow().isoformat(), "cli")
    finally:
        db.close()
    click.echo(f"{address.lower()} now counts for {municipality}")


@municipalities.command("unregister")
@click.argument("address")
@click.pass_context
def municipalities_unregister(ctx: click.Context, address: str) -> None:
    """Stop counting a registered ADDRESS for its municipality (configured addresses stay in the config).

    Example: mailbot municipalities unregister anna.berg@gmail.com
    """
    from .store import Store, open_db

    config = _config(ctx.find_root())
    db = open_db(config.database)
    try:
        removed = Store(db).unregister_address(address)
    finally:
        db.close()
    if not removed:
        click.echo(f"{address} is not a registered address (see `mailbot municipalities`)", err=True)
        ctx.exit(2)
    click.echo(f"{address.lower()} no longer registered")


def _municipality(config: Config, name: str, hint: str = "NAME") -> str:
    """The canonical name of municipality `name` (any case, with or without å/ä/ö), or a usage error."""
    from parsers.directory import fold

    for m in config.directory.municipalities:
        if fold(m.name) == fold(name.strip()):
            return m.name
    names = ", ".join(m.name for m in config.directory.municipalities)
    raise click.BadParameter(f"no municipality {name!r}; one of: {names}", param_hint=hint)


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
@click.option("--history", is_flag=True, help="Run the rules over the stored reports; compare with what was forwarded.")
@click.option("--period", "periods", multiple=True,
              help="With --history: YYYY-MM (repeatable; default: the last 6 months).")
@click.pass_context
def rules_test(ctx: click.Context, file: str | None, text: str | None, history: bool, periods: tuple[str, ...]) -> None:
    """Show which rules fire on a mail (or --text), on which words, and what negation suppressed.

    With --history: what the rules as they are now would forward over the stored
    reports, beside what was forwarded, so a change is seen before it goes live.

    Example: mailbot rules test --text "Vi har sett droghandel men ingen prostitution."
    Example: mailbot rules test --history --period 2026-09 --period 2026-10
    """
    from parsers.model import Answer
    from parsers.report import parse_message
    from rules.loader import load_rules
    from rules.matcher import explain, render_explanations
    from rules.model import RulesError

    from .context import parse_context

    if (file is not None) + (text is not None) + history != 1:
        raise click.UsageError("give one of FILE, --text or --history")
    if periods and not history:
        raise click.UsageError("--period goes with --history")
    config = _config(ctx.find_root())
    try:
        loaded = load_rules(config.rules_dir)
    except RulesError as e:
        raise click.ClickException("invalid routing rules (see `mailbot rules check`):\n" + "\n".join(e.errors)) from e
    if history:
        click.echo(_rules_history(config, loaded, list(periods)))
        return
    if file is None:
        source: str | list[Answer] = text or ""
    else:
        parsed = parse_message(Path(file).read_bytes(), parse_context(config, loaded))
        if not parsed.answers:
            raise click.ClickException(f"no report found in {file} ({parsed.kind})")
        source = parsed.answers
    click.echo(render_explanations(explain(source, loaded), loaded))


def _rules_history(config: Config, loaded, periods: list[str]) -> str:
    from datetime import datetime

    from .deadlines import SWEDEN, format_period, parse_period, previous_month
    from .rules_history import compare, render
    from .status import default_period
    from .store import Store, open_for_reading

    for period in periods:
        _check_period(period)
    if not periods:
        year, month = parse_period(default_period(config, datetime.now(SWEDEN).date()))
        for _ in range(6):
            periods.append(format_period(year, month))
            year, month = previous_month(year, month)
    db = open_for_reading(config.database)
    try:
        return render(compare(Store(db), loaded, sorted(periods)), loaded)
    finally:
        db.close()


def main() -> None:
    cli(prog_name="mailbot")
