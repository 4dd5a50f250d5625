"""The configuration in force for the daemon: the file as it is now, or the last valid one.

`mailbot run` re-reads its configuration file before every pass (when the
file changed), so an edit takes effect without a restart and the daemon and
the CLI never disagree. An invalid edit keeps the last valid configuration
running and tells the administrators once per distinct mistake.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from .config import Config, load_config
from .decide import Outgoing
from .errors import ConfigError

logger = logging.getLogger(__name__)


class LiveConfig:
    def __init__(self, initial: Config):
        self.config = initial
        self.path = Path(initial.source) if Path(initial.source).is_file() else None  # None: embedded default
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat() if self.path else None
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size) if stat else None

    def current(self) -> tuple[Config, Outgoing | None]:
        """(the configuration to run, an administrator notice to queue if the file has a mistake)."""
        stamp = self._stamp()
        if self.path is None or stamp == self._seen:
            return self.config, None
        try:
            fresh = load_config(self.path)
        except ConfigError as e:
            logger.warning("configuration %s invalid, running the last valid one: %s", self.path, e)
            digest = hashlib.sha256(str(e).encode()).hexdigest()[:16]
            return self.config, Outgoing(
                f"admin:config_invalid:{digest}", "admin_notice", self.config.county.admins,
                "mailbot: konfigurationsfilen innehåller fel", "admin_config_invalid",
                {"error": str(e), "source": str(self.path)})
        self._seen = stamp
        if fresh != self.config:
            logger.info("configuration %s reloaded", self.path)
        self.config = fresh
        return fresh, None
