"""The systemd notification protocol (sd_notify), for `Type=notify` and `WatchdogSec=`.

Without NOTIFY_SOCKET in the environment (not started by systemd) every call
does nothing. The protocol is one datagram per state on a Unix socket; an
address starting with "@" is in the abstract namespace.
"""

from __future__ import annotations

import logging
import os
import socket

logger = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send e.g. "READY=1", "WATCHDOG=1" or "STOPPING=1"; True when a service manager was told."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError as e:
        logger.warning("sd_notify %s failed: %s", state, e)
        return False
    return True


def watchdog_seconds() -> float | None:
    """Half the watchdog interval systemd asked for (WATCHDOG_USEC), or None without a watchdog."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None
