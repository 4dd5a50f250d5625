import stat
import threading

from mailbot.migrations import MIGRATIONS, m011_mask_stored_texts
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


def test_rows_stored_unmasked_by_an_earlier_version_are_masked(tmp_path):
    """m011: an identity number stored before masking existed leaves every column but the raw mail."""
    import sqlite_utils

    from mailbot.migrations import migrate

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    old["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    for migration in MIGRATIONS[:MIGRATIONS.index(m011_mask_stored_texts)]:
        migration(old)
        old["_migrations"].insert({"name": migration.__name__, "applied_at": "2026-01-01T00:00:00+00:00"})
    number = "850709-9805"
    old["messages"].insert({"id": 1, "folder": "INBOX", "uidvalidity": 1, "uid": "1", "internaldate": "x",
                            "outcome": "counted", "subject": f"Lägesbild {number}", "raw": number.encode(),
                            "parsed_json": f'{{"text": "eleven {number}, dnr 2026-1234"}}'})
    old["answers"].insert({"id": 1, "submission_id": 1, "question": 2, "text": f"Eleven {number} hotade."})
    old["signals"].insert({"id": 1, "message_ref": 1, "excerpt": f"{number} sålde narkotika"})
    old.close()

    db = open_db(path)
    assert migrate(db) == [] and db["_migrations"].get("m011_mask_stored_texts")  # applied by open_db
    texts = [db["messages"].get(1)["subject"], db["messages"].get(1)["parsed_json"], db["answers"].get(1)["text"],
             db["signals"].get(1)["excerpt"]]
    assert not any(number in t for t in texts) and all("850709-XXXX" in t for t in texts)
    assert "dnr 2026-1234" in texts[1]  # other numbers stay
    assert db["messages"].get(1)["raw"] == number.encode()  # the original mail, until the retention purge
    db.close()
