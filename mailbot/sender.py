"""Sending mail: SMTP for real servers, .eml files for the embedded default.

Both have one method, `send(raw, sender, recipients)`; the outbox decides
what a failure means from the exception type.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from .config import SmtpConfig
from .errors import ConfigError, MessageError, TransientError

logger = logging.getLogger(__name__)


class TemporarySendError(TransientError):
    """The server is down or answered 4xx: retry later."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class PermanentSendError(MessageError):
    """The server refused the mail for good (5xx): give up and tell the administrators."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class Sender(Protocol):
    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        """Deliver `raw` to `recipients`, or raise TemporarySendError / PermanentSendError."""


class SmtpSender:
    def __init__(self, config: SmtpConfig, environ: Mapping[str, str] = os.environ):
        self.config, self.environ = config, environ

    def _password(self) -> str:
        try:
            return self.environ[self.config.password_env]
        except KeyError:
            raise ConfigError(f"[smtp] password_env: environment variable {self.config.password_env} is not set") from None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        if c.security == "ssl":
            client = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            if c.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    client.close()
                    raise PermanentSendError(f"{c.host} does not offer STARTTLS; refusing to send in clear")
                client.starttls(context=context)
                client.ehlo()
        if c.user:
            client.login(c.user, self._password())
        return client

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        try:
            client = self._connect()
            try:
                refused = client.sendmail(sender, recipients, raw)
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
        except smtplib.SMTPRecipientsRefused as e:
            codes = {code for code, _ in e.recipients.values()}
            if all(code >= 500 for code in codes):
                raise PermanentSendError(f"all recipients refused: {e.recipients}", min(codes)) from e
            raise TemporarySendError(f"recipients refused for now: {e.recipients}", min(codes)) from e
        except smtplib.SMTPAuthenticationError as e:
            raise PermanentSendError(f"SMTP login refused: {e.smtp_code} {e.smtp_error!r}", e.smtp_code) from e
        except smtplib.SMTPResponseException as e:
            error = f"{e.smtp_code} {e.smtp_error.decode(errors='replace') if isinstance(e.smtp_error, bytes) else e.smtp_error}"
            if e.smtp_code >= 500:
                raise PermanentSendError(error, e.smtp_code) from e
            raise TemporarySendError(error, e.smtp_code) from e
        except (smtplib.SMTPException, ConnectionError, socket.timeout, OSError) as e:
            raise TemporarySendError(f"cannot reach {self.config.host}:{self.config.port}: {e}") from e
        if refused:
            logger.warning("some recipients refused: %s", refused)


class FileSender:
    """Writes each mail as an .eml file (the embedded default has no SMTP server).

    The envelope recipients are added as an `X-Envelope-To:` header in front
    of the message, so a reader sees where it would have gone.
    """

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{hashlib.sha256(raw).hexdigest()[:8]}.eml"
        data = f"X-Envelope-To: {', '.join(recipients)}\r\n".encode() + raw
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.directory / name)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise TemporarySendError(f"cannot write {self.directory / name}: {e}") from e
