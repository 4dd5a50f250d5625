from pathlib import Path

import pytest

from mailbot.config import load_config
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_embedded_default_knows_dalarna():
    config = load_config()
    names = [m.name for m in config.directory.municipalities]
    assert len(names) == 15 and "Malung-Sälen" in names and "Älvdalen" in names
    assert config.directory.by_address("x@malung-salen.se").name == "Malung-Sälen"
    assert config.imap is None and config.smtp is None
    assert config.deadline.rule == "days_after_month_end" and config.deadline.days == 7


def test_example_config_loads():
    config = load_config(ROOT / "config.example.toml")
    assert config.imap.host and config.smtp.host
    assert len(config.directory.municipalities) == 15


def test_connection_only_file_keeps_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[imap]\nhost = "127.0.0.1"\nport = 1143\nsecurity = "none"\nuser = "u"\n'
                    '[storage]\ndatabase = "db.sqlite"\n')
    config = load_config(path)
    assert config.imap.port == 1143 and config.imap.processed_folder == "Behandlade"
    assert config.database == tmp_path / "db.sqlite"
    assert len(config.directory.municipalities) == 15


def test_folders_and_own_addresses_have_one_home(tmp_path):
    default = load_config()
    assert (default.folders.inbox, default.folders.processed, default.folders.review) == (
        "INBOX", "Behandlade", "Att granska")
    assert default.own_addresses == {"lagesbild-fas.dalarna@lansstyrelsen.se"}
    path = tmp_path / "c.toml"
    path.write_text('[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nuser = "Bot@Lst.example"\n'
                    'processed_folder = "Lägesbild/Klara"\n'
                    '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nfrom = "No-Reply@Lst.example"\n')
    config = load_config(path)
    assert (config.folders.inbox, config.folders.processed, config.folders.review) == (
        "INBOX", "Lägesbild/Klara", "Att granska")
    assert config.own_addresses == {"lagesbild-fas.dalarna@lansstyrelsen.se", "bot@lst.example",
                                    "no-reply@lst.example"}


@pytest.mark.parametrize("text, message", [
    ('[imap]\nhost = "mail.example.se"\nsecurity = "none"\n', "only loopback"),
    ('[imap]\nhost = "x"\nprot = 993\n', "unknown key 'prot' in [imap]"),
    ('[deadline]\nrule = "whenever"\n', "[deadline] rule: must be one of"),
    ('[imapp]\n', "unknown section [imapp]"),
    ('[smtp]\nport = 25\n', "[smtp] host: is required"),
    ('[imap\n', "c.toml"),
])
def test_mistakes_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
