import stat
import threading

from mailbot.migrations import MIGRATIONS
from mailbot.store import open_db


def test_migrations_create_the_schema_once(tmp_path):
    path = tmp_path / "m.db"
    db = open_db(path)
    assert [r["name"] for r in db["_migrations"].rows] == [m.__name__ for m in MIGRATIONS]
    assert set(db["messages"].columns_dict) >= {
        "folder", "uidvalidity", "uid", "message_id", "sha256", "internaldate", "raw", "outcome", "target_folder"}
    assert set(db["submissions"].columns_dict) >= {"municipality", "period", "received_at", "on_time", "is_current", "superseded_by"}
    assert set(db["outbox"].columns_dict) >= {"dedupe_key", "message_id", "raw", "status", "attempts", "next_attempt_at",
                                                 "claim", "claimed_at", "recipient"}
    assert set(db["answers"].columns_dict) >= {"submission_id", "question", "score", "color", "text"}
    assert set(db["messages"].columns_dict) >= {"review_state", "reviewed_at", "reviewed_by", "review_note"}
    assert set(db["passes"].columns_dict) >= {"at", "ok", "error", "seen"}
    assert set(db["addresses"].columns_dict) == {"address", "municipality", "added_at", "added_by"}
    assert set(db["failures"].columns_dict) >= {"folder", "uidvalidity", "uid", "count", "last_error"}
    assert ["created_at", "kind"] in [index.columns for index in db["outbox"].indexes]
    assert set(db["rule_versions"].columns_dict) == {"id", "directory", "file", "before", "after", "action", "by", "at"}
    db.close()
    db = open_db(path)  # a second open applies nothing again
    assert db["_migrations"].count == len(MIGRATIONS)


def test_database_file_is_private(tmp_path):
    path = tmp_path / "sub" / "m.db"
    open_db(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    """The daemon's first poll and county job open a fresh database together (threads, like the daemon's)."""
    failures = []

    def opener(path):
        try:
            open_db(path).close()
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            failures.append(repr(e))

    for round_ in range(30):
        path = tmp_path / f"r{round_}.db"
        threads = [threading.Thread(target=opener, args=(path,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
