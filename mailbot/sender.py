"""Sending mail: SMTP for real servers, .eml files for the embedded default.

Both senders have `send(raw, sender, recipients)` and `session()`; the
outbox decides what to do from the exception type:

- `PermanentSendError` (a MessageError): this mail is refused for good
  (5xx for every recipient, a bad address): mark it failed, tell the
  administrators.
- `TemporarySendError` (a TransientError): this mail could not go now
  (4xx, dropped connection): keep it queued and retry with backoff.
- `SenderUnavailableError`, a TemporarySendError: nothing can go now
  (server unreachable, no STARTTLS, certificate or login refused, outbox
  folder unwritable); every other mail would fail the same way, so stop
  the batch and retry on a later tick. A refused login (535) is here, not
  permanent: the mail is fine, the account or password is not, and
  retrying each queued mail would hammer the server with bad logins.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .config import SmtpConfig
from .errors import ConfigError, MailbotError, MessageError, TransientError

logger = logging.getLogger(__name__)

# Answers about authentication (RFC 4954): the account, not the mail, is at fault.
AUTH_CODES = {530, 534, 535, 538}


class SendError(MailbotError):
    """A mail could not be handed over; `code` and `text` hold the server's answer, if any."""

    def __init__(self, message: str, code: int | None = None, text: str = ""):
        super().__init__(message)
        self.code, self.text = code, text


class TemporarySendError(SendError, TransientError):
    """This mail could not go now (4xx, dropped connection): retry later with backoff."""


class SenderUnavailableError(TemporarySendError):
    """Nothing can be sent now (unreachable, TLS or login refused): stop the batch, retry later."""


class PermanentSendError(SendError, MessageError):
    """This mail is refused for good (5xx on every recipient, bad address): give up and tell the administrators."""


class Delivery(Protocol):
    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        """Deliver `raw` (as given; SMTP makes line ends CRLF) to `recipients`, or raise a SendError."""


class Sender(Delivery, Protocol):
    def session(self) -> AbstractContextManager[Delivery]:
        """A sender for a batch of mails that may share one connection."""


def _text(error: bytes | str) -> str:
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)


def _by_code(code: int, text: str, what: str) -> SendError:
    message = f"{what}: {code} {text}"
    if code in AUTH_CODES:
        return SenderUnavailableError(message, code, text)
    if code >= 500:
        return PermanentSendError(message, code, text)
    return TemporarySendError(message, code, text)


def _crlf(raw: bytes) -> bytes:
    """Line ends as SMTP requires (RFC 5321 forbids bare LF; smtplib sends bytes unchanged)."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", raw)


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, except that non-ASCII credentials go as UTF-8 instead of crashing smtplib."""
    if (user + password).isascii():
        client.login(user, password)
        return

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    methods = client.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in methods:  # RFC 4616: UTF-8
        code, text = client.docmd("AUTH", "PLAIN " + b64(b"\0" + user.encode() + b"\0" + password.encode()))
    elif "LOGIN" in methods:
        code, text = client.docmd("AUTH", "LOGIN " + b64(user.encode()))
        if code == 334:
            code, text = client.docmd(b64(password.encode()))
    else:
        raise smtplib.SMTPException("the server offers neither AUTH PLAIN nor LOGIN, needed for a non-ASCII password")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, text)


def _envelope_address(address: str) -> str:
    """`address` fit for MAIL FROM / RCPT TO: IDNA domain; raises PermanentSendError if malformed."""
    if not address or any(c in address for c in "\r\n\t <>,") or address.count("@") != 1:
        raise PermanentSendError(f"not a usable mail address: {address!r}")
    local, domain = address.split("@")
    if not local or not domain:
        raise PermanentSendError(f"not a usable mail address: {address!r}")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as e:
        raise PermanentSendError(f"not a usable mail domain: {address!r}") from e


class SmtpSender:
    """Sends over SMTP as `config` says: implicit TLS, STARTTLS (never falling back to clear) or plain on loopback.

    The message goes as given, except that line ends become CRLF. AUTH only
    when `config.user` is set, with the password from `environ[config.password_env]`.
    `ssl_context` replaces the default verifying context (e.g. to trust a private CA).
    """

    def __init__(self, config: SmtpConfig, environ: Mapping[str, str] = os.environ,
                 *, ssl_context: ssl.SSLContext | None = None):
        self.config, self.environ = config, environ
        self.ssl_context = ssl_context

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        with self.session() as session:
            session.send(raw, sender, recipients)

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        """One connection for a batch: `with smtp.session() as s: s.send(...); s.send(...)`."""
        session = SmtpSession(self)
        try:
            yield session
        finally:
            session.close()

    def password(self) -> str:
        try:
            return self.environ[self.config.password_env]
        except KeyError:
            raise ConfigError(
                f"[smtp] password_env: environment variable {self.config.password_env} is not set") from None

    def connect(self) -> smtplib.SMTP:
        """An open, secured and logged-in connection; raises SenderUnavailableError or ConfigError."""
        c = self.config
        password = self.password() if c.user else ""  # a missing secret fails before any network
        where = f"{c.host}:{c.port}"
        try:
            return self._open(password)
        except smtplib.SMTPResponseException as e:
            text = _text(e.smtp_error)
            raise SenderUnavailableError(f"{where} refused the session: {e.smtp_code} {text}", e.smtp_code, text) from e
        except (smtplib.SMTPException, OSError) as e:  # refused, timeout, DNS, TLS handshake, certificate
            raise SenderUnavailableError(f"cannot connect to {where}: {e}") from e

    def _open(self, password: str) -> smtplib.SMTP:
        c = self.config
        if c.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._context())
        else:
            client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            client.ehlo()
            if c.security == "starttls":
                if not client.has_extn("starttls"):
                    raise SenderUnavailableError(
                        f"{c.host}:{c.port} does not offer STARTTLS; refusing to send in clear")
                client.starttls(context=self._context())
                client.ehlo()
            if c.user:
                _login(client, c.user, password)
        except BaseException:
            client.close()
            raise
        return client

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()


class SmtpSession:
    """Sends several mails over one connection, reconnecting after it drops."""

    def __init__(self, owner: SmtpSender):
        self.owner = owner
        self.client: smtplib.SMTP | None = None

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        if not recipients:
            raise PermanentSendError("no recipients")
        mail_from = _envelope_address(sender)
        rcpt_to = [_envelope_address(r) for r in recipients]
        options = ["SMTPUTF8"] if any(not a.isascii() for a in [mail_from, *rcpt_to]) else []
        if self.client is None or self.client.sock is None:  # new, or closed after a 421
            self._drop()
            self.client = self.owner.connect()
        try:
            refused = self.client.sendmail(mail_from, rcpt_to, _crlf(raw), mail_options=options)
        except smtplib.SMTPRecipientsRefused as e:
            answers = {rcpt: (code, _text(text)) for rcpt, (code, text) in e.recipients.items()}
            code, text = min(answers.values())
            detail = "; ".join(f"{rcpt}: {c} {t}" for rcpt, (c, t) in answers.items())
            if all(c >= 500 for c, _ in answers.values()):
                raise PermanentSendError(f"every recipient refused: {detail}", code, text) from e
            raise TemporarySendError(f"every recipient refused for now: {detail}", code, text) from e
        except smtplib.SMTPResponseException as e:  # MAIL FROM or DATA refused
            raise _by_code(e.smtp_code, _text(e.smtp_error), "server refused the mail") from e
        except smtplib.SMTPNotSupportedError as e:
            raise PermanentSendError(f"server cannot take this mail: {e}") from e
        except (smtplib.SMTPException, OSError) as e:  # disconnected, timeout, reset
            self._drop()
            raise TemporarySendError(f"connection to {self.owner.config.host} lost: {e}") from e
        if refused:
            logger.warning("some recipients refused, sent to the others: %s",
                           {rcpt: f"{code} {_text(text)}" for rcpt, (code, text) in refused.items()})

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the mail already went; a failed goodbye changes nothing
        finally:
            self._drop()


class FileSender:
    """Writes each mail as an .eml file instead of sending it (the embedded default has no server).

    The file is the raw message with one header line added in front,
    `X-Envelope-To: a@x.se, b@y.se`, the envelope recipients, so a reader
    sees where it would have gone (Bcc recipients are not in the headers).
    Names are `<UTC time to the microsecond>-<hash>.eml` and sort by time;
    each file appears whole (written under a temporary name, then renamed).
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def session(self) -> AbstractContextManager[FileSender]:
        return nullcontext(self)

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        if not recipients:
            raise PermanentSendError("no recipients")
        for address in (sender, *recipients):
            _envelope_address(address)
        newline = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
        header = f"X-Envelope-To: {', '.join(recipients)}".encode() + newline
        data = header + raw
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.directory / f"{stamp}-{hashlib.sha256(data).hexdigest()[:10]}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
        except OSError as e:
            raise SenderUnavailableError(f"cannot write to {self.directory}: {e}") from e
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise SenderUnavailableError(f"cannot write {target}: {e}") from e
        logger.debug("wrote %s for %s", target, ", ".join(recipients))
