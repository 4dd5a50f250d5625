"""MaildirMailbox: the embedded default's mailbox, the same behaviours as ImapMailbox."""

from __future__ import annotations

import mailbox
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailbot.maildir_mailbox import UIDVALIDITY, MaildirMailbox
from tests.mailbuilder import build_mail

CET = timezone(timedelta(hours=1))
TIMES = [datetime(2026, 11, 3, 9, 12, 5, tzinfo=CET), datetime(2026, 11, 7, 23, 59, 59, tzinfo=CET),
         datetime(2026, 11, 8, 0, 0, 1, tzinfo=UTC)]


def mails(n: int) -> list[bytes]:
    return [build_mail(subject=f"Lägesbild oktober {i}", body=f"Rapport nummer {i}.\n") for i in range(n)]


@pytest.fixture
def box(tmp_path):
    with MaildirMailbox(tmp_path / "var" / "maildir") as box:  # the parent need not exist
        yield box


def folder_contents(box: MaildirMailbox, folder: str) -> list[bytes]:
    sub = box.box.get_folder(folder)
    return sorted(sub.get_bytes(key) for key in sub.iterkeys())


def test_waiting_lists_appended_mail_oldest_first(box):
    sent = mails(3)
    keys = [box.append("INBOX", raw, when) for raw, when in zip(sent, [TIMES[2], TIMES[0], TIMES[1]], strict=True)]
    uidvalidity, uids = box.waiting()
    assert uidvalidity == UIDVALIDITY == 1
    assert uids == [keys[1], keys[2], keys[0]]


def test_fetch_gives_exact_bytes_and_the_appended_internaldate(box):
    sent = [raw.replace(b"\n", b"\r\n") for raw in mails(2)] + [b"Subject: broken\n\n\xff\xfe not utf-8\n"]
    for raw, when in zip(sent, TIMES, strict=True):
        box.append("INBOX", raw, when)
    for uid, raw, when in zip(box.waiting()[1], sent, TIMES, strict=True):
        mail = box.fetch(uid)
        assert mail.raw == raw
        assert mail.internaldate == when and mail.internaldate.utcoffset() is not None
        assert (mail.folder, mail.uidvalidity, mail.uid) == ("INBOX", 1, uid)


def test_fetch_does_not_mark_the_message_seen(box):
    key = box.append("INBOX", mails(1)[0])
    box.fetch(key)
    assert "S" not in box.box.get_message(key).get_flags()


def test_move_creates_folders_keeps_the_time_and_empties_the_inbox(box):
    sent = mails(3)
    keys = [box.append("INBOX", raw, when) for raw, when in zip(sent, TIMES, strict=True)]
    box.move(keys[0], "Behandlade")
    box.move(keys[1], "Att granska")
    box.move(keys[2], "Behandlade")
    assert box.waiting()[1] == []
    assert folder_contents(box, "Behandlade") == sorted([sent[0], sent[2]])
    assert folder_contents(box, "Att granska") == [sent[1]]
    granska = box.box.get_folder("Att granska")
    [key] = granska.keys()
    assert granska.get_message(key).get_date() == TIMES[1].timestamp()


def test_nested_folder_is_a_maildirplusplus_subfolder(box):
    key = box.append("INBOX", mails(1)[0])
    box.move(key, "Lägesbild/Behandlade")
    assert (box.path / ".Lägesbild.Behandlade" / "new").is_dir()
    assert len(folder_contents(box, "Lägesbild.Behandlade")) == 1


def test_vanished_key_is_none_and_a_no_op(box):
    key = box.append("INBOX", mails(1)[0])
    box.move(key, "Behandlade")
    box.move(key, "Behandlade")
    assert box.fetch(key) is None
    assert box.fetch("no-such-key") is None
    box.move("no-such-key", "Behandlade")
    assert len(folder_contents(box, "Behandlade")) == 1


def test_message_removed_by_another_instance_meanwhile(box):
    key = box.append("INBOX", mails(1)[0])
    assert box.waiting()[1] == [key]
    other = MaildirMailbox(box.path)
    other.move(key, "Manuellt")
    assert box.fetch(key) is None
    box.move(key, "Behandlade")
    assert box.waiting()[1] == []
    assert folder_contents(box, "Manuellt") and not (box.path / ".Behandlade").exists()


def test_trashed_messages_are_not_waiting(box):
    first, second = (box.append("INBOX", raw) for raw in mails(2))
    message = box.box.get_message(first)
    message.add_flag("T")  # Maildir's \Deleted
    box.box[first] = message
    assert box.waiting()[1] == [second]


def test_uidvalidity_and_keys_are_stable_across_instances(box):
    key = box.append("INBOX", mails(1)[0], TIMES[0])
    box.close()
    again = MaildirMailbox(box.path)
    assert again.waiting() == (1, [key])
    assert again.fetch(key).internaldate == TIMES[0]


def test_naive_internaldate_is_local_time(box):
    naive = datetime(2026, 11, 3, 9, 12, 5)
    key = box.append("INBOX", mails(1)[0], naive)
    assert box.fetch(key).internaldate == naive.astimezone()


def test_wait_for_new_sleeps_and_reports_nothing(box):
    started = time.monotonic()
    assert box.wait_for_new(0.2) is False
    assert time.monotonic() - started >= 0.2


def test_stdlib_sees_a_plain_maildir(box):
    box.append("INBOX", mails(1)[0])
    assert len(mailbox.Maildir(box.path, create=False)) == 1
