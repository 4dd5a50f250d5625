"""A real SMTP server in the test process: aiosmtpd's Controller on 127.0.0.1.

The fixtures live in tests/conftest.py (pytest finds them without imports):

    def test_something(smtp_server):
        SmtpSender(smtp_server.config()).send(raw, "a@x.se", ["b@y.se"])
        [mail] = smtp_server.wait_for(1)
        assert mail.recipients == ["b@y.se"]

Variants: `smtp_auth_server` (AUTH required, user USER / password PASSWORD,
plain on loopback), `smtp_tls_server` (offers and requires STARTTLS with a
self-signed certificate; `server.client_context()` trusts it),
`smtps_server` (implicit TLS). The TLS ones need `cryptography` (without
it they skip, and fail under CI=true).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mailbot.config import SmtpConfig

HOST = "127.0.0.1"
USER = "mailbot@lansstyrelsen.se"
PASSWORD = "hemligt-lösen"
SENDER = "lagesbild-fas.dalarna@lansstyrelsen.se"


@dataclass
class Captured:
    """One mail the server accepted."""

    sender: str  # envelope MAIL FROM
    recipients: list[str]  # envelope RCPT TO, as accepted
    raw: bytes
    message: EmailMessage = field(repr=False)


@dataclass
class _Failure:
    stage: str
    code: int
    text: str
    times: int | None  # None: until cleared


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class SmtpTestServer:
    """The server, its captured mail and the switches tests flip."""

    def __init__(self, *, user: str | None = None, password: str | None = None, auth_exclude: tuple[str, ...] = (),
                 tls: TlsFiles | None = None, require_starttls: bool = False, implicit_tls: bool = False):
        self.host, self.port = HOST, free_port()
        self.messages: list[Captured] = []
        self.user, self.password, self.auth_exclude = user, password, auth_exclude
        self.tls, self.require_starttls, self.implicit_tls = tls, require_starttls, implicit_tls
        self.logins: list[tuple[str, bool]] = []  # (user, succeeded) per AUTH attempt
        self._failures: list[_Failure] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # -- control -------------------------------------------------------------

    def start(self) -> None:
        """Listen (again) on the same port."""
        if self._controller is not None:
            return
        kwargs: dict = {"enable_SMTPUTF8": True}
        if self.tls and self.implicit_tls:
            kwargs["ssl_context"] = self.tls.server_context()
        elif self.tls:
            kwargs.update(tls_context=self.tls.server_context(), require_starttls=self.require_starttls)
        if self.user is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.tls is not None, auth_exclude_mechanism=self.auth_exclude)
        self._controller = _Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: clients now get 'connection refused'."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_with(self, code: int, text: str = "", times: int | None = 1, on: str = "DATA") -> None:
        """Answer the next `times` DATA (or RCPT, MAIL) commands with `code text`.

        times=None: every one until clear_failures(). With on="RCPT" each
        recipient counts once, so times=1 refuses only the first recipient.
        """
        on = on.upper()
        if on not in ("MAIL", "RCPT", "DATA"):
            raise ValueError(f"on must be MAIL, RCPT or DATA, not {on!r}")
        text = text or ("Try again later" if code < 500 else "Rejected")
        with self._changed:
            self._failures.append(_Failure(on, code, text, times))

    def clear_failures(self) -> None:
        with self._changed:
            self._failures.clear()

    def wait_for(self, count: int, timeout: float = 5) -> list[Captured]:
        """The captured mail once at least `count` have arrived; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mails within {timeout}s, got {len(self.messages)}")
                self._changed.wait(left)
            return list(self.messages)

    def config(self, **changes) -> SmtpConfig:
        """An SmtpConfig pointing at this server; `changes` override fields (e.g. security="starttls")."""
        security = "ssl" if self.implicit_tls else "starttls" if self.tls else "none"
        base = SmtpConfig(host=self.host, port=self.port, security=security, user=self.user or "",
                          password_env="MAILBOT_SMTP_PASSWORD", sender=SENDER, timeout=5.0)
        return replace(base, **changes)

    def toml(self) -> str:
        """An [smtp] section for a config file pointing at this server (plain or STARTTLS only)."""
        c = self.config()
        return (f'[smtp]\nhost = "{c.host}"\nport = {c.port}\nsecurity = "{c.security}"\n'
                f'user = "{c.user}"\npassword_env = "{c.password_env}"\nfrom = "{c.sender}"\ntimeout = {c.timeout}\n')

    def environ(self) -> dict[str, str]:
        """An environment holding this server's password under the config's password_env."""
        return {"MAILBOT_SMTP_PASSWORD": self.password or ""}

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's self-signed certificate."""
        assert self.tls is not None, "not a TLS server"
        return ssl.create_default_context(cafile=str(self.tls.cert))

    # -- called from the server thread -----------------------------------------

    def _failure(self, stage: str) -> _Failure | None:
        with self._changed:
            for failure in self._failures:
                if failure.stage == stage:
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            self._failures.remove(failure)
                    return failure
        return None

    def _capture(self, sender: str, recipients: list[str], raw: bytes) -> None:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self._changed:
            self.messages.append(Captured(sender, list(recipients), raw, message))
            self._changed.notify_all()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user and auth_data.password.decode() == self.password)
        with self._changed:
            self.logins.append((auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword)
                                else "", ok))
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    def factory(self):
        with warnings.catch_warnings():  # "AUTH without TLS": on purpose, loopback only
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


class _Handler:
    def __init__(self, server: SmtpTestServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if failure := self.server._failure("MAIL"):
            return f"{failure.code} {failure.text}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if failure := self.server._failure("RCPT"):
            return f"{failure.code} {failure.text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if failure := self.server._failure("DATA"):
            return f"{failure.code} {failure.text}"
        self.server._capture(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        return "250 Message accepted for delivery"


# -- TLS ------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_self_signed(directory: Path) -> TlsFiles:
    """A certificate for 127.0.0.1 and localhost; needs the `cryptography` package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailbot test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return files


@functools.cache
def tls_files() -> TlsFiles:
    """One self-signed certificate per test run."""
    directory = Path(tempfile.mkdtemp(prefix="mailbot-smtp-tls-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return make_self_signed(directory)
