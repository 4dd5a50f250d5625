"""The exception tree, split by what the caller does about it."""


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """The configuration is wrong: stop at start-up and say where."""


class TransientError(MailbotError):
    """A server or network hiccup: retry on the next tick."""


class MessageError(MailbotError):
    """One message cannot be handled: mark it and move on."""


class StorageError(TransientError):
    """The database cannot be written now (locked by another process, disk full): stop the pass, retry later."""
