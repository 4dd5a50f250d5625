"""Which addresses count for which municipality: the configuration's, plus those an administrator registered.

Registering (`mailbot review accept ID --register`, `mailbot municipalities
register`) is stored in the database, so it survives restarts and configuration
edits; `with_registered` gives the configuration every component should use.
"""

from __future__ import annotations

from dataclasses import replace

from .config import Config
from .store import Store


def with_registered(config: Config, store: Store) -> Config:
    """`config` with the registered addresses added to its directory."""
    extra = store.registered_addresses()
    if not extra:
        return config
    return replace(config, directory=config.directory.with_addresses(extra))


def municipalities_table(config: Config, store: Store) -> list[dict]:
    """Per municipality: domains, configured and registered addresses, the latest senders."""
    registered = store.registered_addresses()
    return [{
        "name": m.name, "domains": list(m.domains), "addresses": list(m.addresses),
        "registered": registered.get(m.name, []), "latest_senders": store.senders_of(m.name)[:3],
    } for m in config.directory.municipalities]
