"""SmtpSender against a real aiosmtpd server (no mocks), FileSender on disk."""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from mailbot.config import load_config
from mailbot.errors import ConfigError, MessageError, TransientError
from mailbot.sender import (
    FileSender,
    PermanentSendError,
    SenderUnavailableError,
    SmtpSender,
    TemporarySendError,
)
from tests.mailbuilder import build_mail
from tests.smtp_server import SmtpTestServer

FROM = "lagesbild-fas.dalarna@lansstyrelsen.se"


def crlf_mail(subject: str = "SV: Lägesbild oktober Mora") -> bytes:
    """A mail as it goes on the wire (CRLF), so the server must receive exactly these bytes."""
    msg = EmailMessage()
    msg["From"] = FROM
    msg["To"] = "anna.berg@mora.se"
    msg["Subject"] = subject
    msg["Message-ID"] = "<receipt-1@lansstyrelsen.se>"
    msg.set_content("Tack för lägesbilden.\n.\nEn rad med bara en punkt ovan.\n")
    return msg.as_bytes(policy=policy.SMTP)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


# -- delivery ---------------------------------------------------------------------


def test_delivers_exact_bytes_to_envelope_recipients(smtp_server):
    raw = crlf_mail()
    SmtpSender(smtp_server.config()).send(raw, FROM, ["anna.berg@mora.se", "chef@mora.se"])
    [got] = smtp_server.wait_for(1)
    assert got.raw == raw  # dot-stuffing undone, nothing added
    assert (got.sender, got.recipients) == (FROM, ["anna.berg@mora.se", "chef@mora.se"])
    assert got.message["Message-ID"] == "<receipt-1@lansstyrelsen.se>"
    assert got.message["Subject"] == "SV: Lägesbild oktober Mora"


def test_lf_message_goes_with_crlf_line_ends(smtp_server):
    raw = build_mail(subject="Kvitto")  # LF line ends, as bytes(EmailMessage) gives them
    SmtpSender(smtp_server.config()).send(raw, FROM, ["anna@mora.se"])
    [got] = smtp_server.wait_for(1)
    assert got.raw == raw.replace(b"\n", b"\r\n")  # bare LF is forbidden on the wire


def test_session_reuses_one_connection(smtp_server):
    with SmtpSender(smtp_server.config()).session() as session:
        session.send(crlf_mail("ett"), FROM, ["a@mora.se"])
        client = session.client
        session.send(crlf_mail("två"), FROM, ["b@mora.se"])
        assert session.client is client
    assert session.client is None
    assert [m.message["Subject"] for m in smtp_server.wait_for(2)] == ["ett", "två"]


def test_session_goes_on_after_a_refused_mail(smtp_server):
    smtp_server.fail_with(550, "Nej", on="DATA")
    with SmtpSender(smtp_server.config()).session() as session:
        with pytest.raises(PermanentSendError):
            session.send(crlf_mail("ett"), FROM, ["a@mora.se"])
        session.send(crlf_mail("två"), FROM, ["b@mora.se"])
    assert [m.message["Subject"] for m in smtp_server.messages] == ["två"]


def test_swedish_domain_is_sent_as_idna(smtp_server):
    SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, ["kansli@malmö.se"])
    assert smtp_server.wait_for(1)[0].recipients == ["kansli@xn--malm-8qa.se"]


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
@pytest.mark.parametrize("code, error, kind", [
    (451, TemporarySendError, TransientError),
    (550, PermanentSendError, MessageError),
])
def test_refusal_maps_to_retry_or_give_up(smtp_server, stage, code, error, kind):
    smtp_server.fail_with(code, "Mailbox unavailable", on=stage)
    with pytest.raises(error) as info:
        SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, ["anna@mora.se"])
    assert isinstance(info.value, kind)
    assert info.value.code == code and "Mailbox unavailable" in info.value.text
    assert smtp_server.messages == []


def test_temporary_refusal_then_success(smtp_server):
    smtp_server.fail_with(451, "Greylisted", times=1)
    sender = SmtpSender(smtp_server.config())
    with pytest.raises(TemporarySendError):
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert len(smtp_server.wait_for(1)) == 1


def test_one_refused_recipient_is_a_warning_not_an_error(smtp_server, caplog):
    smtp_server.fail_with(550, "No such user", times=1, on="RCPT")
    with caplog.at_level(logging.WARNING, logger="mailbot.sender"):
        SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, ["fel@mora.se", "anna@mora.se"])
    assert smtp_server.wait_for(1)[0].recipients == ["anna@mora.se"]
    assert "fel@mora.se" in caplog.text and "550" in caplog.text


def test_all_recipients_refused_for_good_is_permanent(smtp_server):
    smtp_server.fail_with(550, "No such user", times=None, on="RCPT")
    with pytest.raises(PermanentSendError) as info:
        SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, ["a@mora.se", "b@mora.se"])
    assert info.value.code == 550 and "a@mora.se" in str(info.value) and "b@mora.se" in str(info.value)


def test_recipients_refused_partly_for_now_is_temporary(smtp_server):
    smtp_server.fail_with(550, "No such user", times=1, on="RCPT")
    smtp_server.fail_with(452, "Too many recipients", times=1, on="RCPT")
    with pytest.raises(TemporarySendError):
        SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, ["a@mora.se", "b@mora.se"])


@pytest.mark.parametrize("recipients", [[], ["ingen-snabel-a"], ["a@mora.se\r\nRCPT TO:<x@y.se>"]])
def test_bad_addresses_are_permanent_and_never_reach_the_server(smtp_server, recipients):
    with pytest.raises(PermanentSendError):
        SmtpSender(smtp_server.config()).send(crlf_mail(), FROM, recipients)
    assert smtp_server.messages == []


# -- server unavailable ------------------------------------------------------------


def test_server_down_is_temporary_and_back_up_works(smtp_server):
    sender = SmtpSender(smtp_server.config())
    smtp_server.stop()
    with pytest.raises(SenderUnavailableError) as info:
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert isinstance(info.value, TemporarySendError) and isinstance(info.value, TransientError)
    smtp_server.start()
    sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert len(smtp_server.wait_for(1)) == 1


def test_starttls_required_but_not_offered_sends_nothing(smtp_server):
    with pytest.raises(SenderUnavailableError, match="STARTTLS"):
        SmtpSender(smtp_server.config(security="starttls")).send(crlf_mail(), FROM, ["anna@mora.se"])
    assert smtp_server.messages == []


# -- AUTH -----------------------------------------------------------------------


def test_auth_with_the_right_password(smtp_auth_server):
    server = smtp_auth_server
    SmtpSender(server.config(), environ=server.environ()).send(crlf_mail(), FROM, ["anna@mora.se"])
    assert len(server.wait_for(1)) == 1
    assert server.logins[-1] == (server.user, True)


@pytest.mark.parametrize("password", ["ascii-only", "hemligt-lösen"])
@pytest.mark.parametrize("exclude", [(), ("PLAIN",)])  # PLAIN, or LOGIN as Microsoft 365 offers
def test_auth_mechanisms_and_non_ascii_passwords(password, exclude):
    server = SmtpTestServer(user="kansli@lansstyrelsen.se", password=password, auth_exclude=exclude)
    server.start()
    try:
        SmtpSender(server.config(), environ=server.environ()).send(crlf_mail(), FROM, ["anna@mora.se"])
        assert len(server.wait_for(1)) == 1
        with pytest.raises(SenderUnavailableError):
            SmtpSender(server.config(), environ={"MAILBOT_SMTP_PASSWORD": password + "ö"}).send(
                crlf_mail(), FROM, ["anna@mora.se"])
    finally:
        server.stop()


def test_wrong_password_stops_the_batch_but_keeps_the_mail(smtp_auth_server):
    """535 is the account's fault, not the mail's: temporary (keep it queued), and the batch stops."""
    sender = SmtpSender(smtp_auth_server.config(), environ={"MAILBOT_SMTP_PASSWORD": "fel"})
    with pytest.raises(SenderUnavailableError) as info:
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert info.value.code == 535
    assert smtp_auth_server.messages == []


def test_missing_password_variable_is_a_config_error(smtp_auth_server):
    sender = SmtpSender(smtp_auth_server.config(password_env="MAILBOT_NO_SUCH_VAR"), environ={})
    with pytest.raises(ConfigError, match="MAILBOT_NO_SUCH_VAR"):
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert smtp_auth_server.logins == []


def test_no_auth_configured_against_an_auth_server_is_unavailable(smtp_auth_server):
    with pytest.raises(SenderUnavailableError) as info:
        SmtpSender(smtp_auth_server.config(user="")).send(crlf_mail(), FROM, ["anna@mora.se"])
    assert info.value.code == 530


# -- TLS ------------------------------------------------------------------------


def test_starttls_with_auth(smtp_tls_server):
    server = smtp_tls_server
    sender = SmtpSender(server.config(), environ=server.environ(), ssl_context=server.client_context())
    sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert server.wait_for(1)[0].raw == crlf_mail()


def test_starttls_refuses_an_untrusted_certificate(smtp_tls_server):
    sender = SmtpSender(smtp_tls_server.config(), environ=smtp_tls_server.environ())  # default CA store
    with pytest.raises(SenderUnavailableError, match="certificate"):
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    assert smtp_tls_server.messages == [] and smtp_tls_server.logins == []


def test_implicit_tls(smtps_server):
    SmtpSender(smtps_server.config(), ssl_context=smtps_server.client_context()).send(
        crlf_mail(), FROM, ["anna@mora.se"])
    assert len(smtps_server.wait_for(1)) == 1


def test_fixture_config_loads_from_toml(smtp_server, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(smtp_server.toml())
    assert load_config(path).smtp == smtp_server.config()


def test_fixture_can_restart_on_the_same_port():
    server = SmtpTestServer()
    server.start()
    port = server.port
    server.stop()
    server.start()
    try:
        assert server.port == port
        SmtpSender(server.config()).send(crlf_mail(), FROM, ["anna@mora.se"])
        assert len(server.wait_for(1, timeout=2)) == 1
    finally:
        server.stop()


# -- FileSender ------------------------------------------------------------------


def test_file_sender_writes_one_eml_per_mail(tmp_path):
    outbox = tmp_path / "outbox"
    sender = FileSender(outbox)
    first, second = build_mail(subject="Kvitto 1"), build_mail(subject="Kvitto 2")
    sender.send(first, FROM, ["anna@mora.se"])
    sender.send(second, FROM, ["per@mora.se", "chef@mora.se"])
    files = sorted(outbox.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temporary files left behind
    assert files[0].read_bytes() == b"X-Envelope-To: anna@mora.se\n" + first
    again = parse(files[1].read_bytes())
    assert again["X-Envelope-To"] == "per@mora.se, chef@mora.se"
    del again["X-Envelope-To"]
    assert again.as_bytes() == parse(second).as_bytes()


def test_file_sender_keeps_crlf_line_ends(tmp_path):
    with FileSender(tmp_path).session() as sender:
        sender.send(crlf_mail(), FROM, ["anna@mora.se"])
    [path] = tmp_path.glob("*.eml")
    assert path.read_bytes() == b"X-Envelope-To: anna@mora.se\r\n" + crlf_mail()


def test_file_sender_unwritable_directory_is_unavailable(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(SenderUnavailableError):
        FileSender(blocker / "outbox").send(crlf_mail(), FROM, ["anna@mora.se"])
