"""Parsing in a child process, so that one message cannot hang or kill the bot.

The readers run native code (PDFium, lxml) on files from strangers. A file
that makes them loop or crash must cost one message, not the daemon: each
mail is parsed in a long-lived child process, and the parent waits at most
`[limits] max_seconds`. A child that overruns is killed (and a new one
started for the next mail); a child that dies is replaced. Either way the
mail gets a record with a Swedish problem and goes for review.

The children come from a forkserver that has imported the parsers once, so
a replacement starts in milliseconds and never inherits the daemon's
threads or sockets.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from parsers.model import ParsedMail, Problem
from parsers.report import ParseContext, headers_only_record, parse_message

logger = logging.getLogger(__name__)

_PRELOAD = ["parsers.report", "rules.matcher", "mailbot.deadlines"]


def _serve(conn: Connection) -> None:
    """The child: (context | raw mail) in, ParsedMail out, until the parent hangs up."""
    # Ctrl-C and a service manager's SIGTERM reach the whole process group. The
    # daemon finishes the mail in hand before it stops, so the child must too; it
    # ends when the parent hangs up (or kills it).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    context: ParseContext | None = None  # the parent sends one before the first mail
    while True:
        try:
            kind, payload = conn.recv()
            if kind == "mail":
                payload = conn.recv_bytes()  # unpickled: one copy of a large mail, not two
        except (EOFError, OSError):
            return
        if kind == "context":
            context = payload
        else:
            assert context is not None, "the parent sends a context before the first mail"
            conn.send(parse_message(payload, context))


class ParseWorker:
    """parse(raw, context) like parsers.report.parse_message, in a child with a time limit."""

    def __init__(self, max_seconds: float):
        self.max_seconds = max_seconds
        self._mp = multiprocessing.get_context("forkserver")
        self._mp.set_forkserver_preload(_PRELOAD)
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._context: ParseContext | None = None  # the context the child holds

    def parse(self, raw: bytes, context: ParseContext) -> ParsedMail:
        try:
            conn = self._ready(context)
            conn.send(("mail", None))
            conn.send_bytes(raw)
            if not conn.poll(self.max_seconds):
                logger.error("parsing a %d-byte message took over %s s: stopped", len(raw), self.max_seconds)
                self._kill()
                seconds = f"{self.max_seconds:g}".replace(".", ",")  # Swedish decimal comma
                return headers_only_record(raw, context, Problem("processing_timeout", (
                    f"Meddelandet tog för lång tid att läsa automatiskt (mer än {seconds} sekunder). "
                    "En handläggare tittar på det. Skicka gärna rapporten som en mindre Word- eller PDF-fil.")))
            return conn.recv()
        except (EOFError, OSError) as e:  # the child died (native crash, out of memory, killed)
            logger.error("the parser process died on a %d-byte message (%s); starting a new one", len(raw), e)
            self._kill()
            return headers_only_record(raw, context, Problem(
                "no_report", "Meddelandet kunde inte läsas automatiskt. En handläggare tittar på det."))

    def _ready(self, context: ParseContext) -> Connection:
        if self._process is None or self._conn is None or not self._process.is_alive():
            self._kill()
            parent, child = self._mp.Pipe()
            self._process = self._mp.Process(target=_serve, args=(child,), name="mailbot-parser", daemon=True)
            self._process.start()
            child.close()
            self._conn = parent
        conn = self._conn
        if context is not self._context:
            conn.send(("context", context))
            self._context = context
        return conn

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process.close()
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = self._context = None

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        self._kill()

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
