"""The list of municipalities and how to recognise them (pure lookups)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    domains: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


_FAST_FOLD = str.maketrans("åäöéèüáàæøÅÄÖÉÈÜÁÀÆØ", "aaoeeuaaaoaaoeeuaaao")


def fold(text: str) -> str:
    """Lower-case and strip diacritics: 'Rättvik' -> 'rattvik'. Keeps the length of NFC text."""
    folded = text.casefold().translate(_FAST_FOLD)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Names a municipality calls itself by before "kommun" that are not its place name.
_OWN_FORMS = {"falun": "falu"}


def _name_pattern(name: str) -> str:
    """A folded name as a regex; a hyphen may be written as a space ("Malung Sälen"), and
    "Falu kommun" is Falun."""
    folded = fold(name)
    pattern = re.escape(folded).replace(r"\-", r"[-\s]")
    if folded in _OWN_FORMS:
        pattern = rf"(?:{pattern}|{re.escape(_OWN_FORMS[folded])}(?=\s+kommun))"
    return pattern


@dataclass(frozen=True)
class Directory:
    municipalities: tuple[Municipality, ...]

    def with_addresses(self, extra: dict[str, list[str]]) -> Directory:
        """The same directory with more addresses registered (municipality name -> addresses)."""
        return Directory(tuple(
            replace(m, addresses=tuple(dict.fromkeys((*m.addresses, *extra.get(m.name, ())))))
            for m in self.municipalities))

    def by_address(self, address: str | None) -> Municipality | None:
        """The municipality a sender address is registered to, if any."""
        if not address or "@" not in address:
            return None
        address = address.strip().lower()
        domain = address.rsplit("@", 1)[1]
        for m in self.municipalities:
            if address in (a.lower() for a in m.addresses):
                return m
        for m in self.municipalities:
            for d in m.domains:
                d = d.lower()
                if domain == d or domain.endswith("." + d):
                    return m
        return None

    def registered_for(self, address: str | None) -> tuple[Municipality, ...]:
        """Every municipality a sender address is registered to (an address may serve several).

        Addresses listed by name win over domains; empty when unregistered.
        """
        if not address or "@" not in address:
            return ()
        address = address.strip().lower()
        domain = address.rsplit("@", 1)[1]
        named = tuple(m for m in self.municipalities if address in (a.lower() for a in m.addresses))
        if named:
            return named
        return tuple(m for m in self.municipalities
                     if any(domain == d.lower() or domain.endswith("." + d.lower()) for d in m.domains))

    def joint_in_text(self, text: str) -> tuple[Municipality, ...]:
        """Municipalities named together as one report's subject: "Mora och Orsa", "Mora/Orsa"."""
        folded = fold(text)
        names = "|".join(re.escape(fold(m.name)) for m in self.municipalities)
        found: list[Municipality] = []
        pattern = rf"(?<![\w-])({names})s?(?:\s+kommun)?\s*(?:,|och|&|/|\+)\s*(?:kommun(?:en)?\s+)?({names})(?![\w-])"
        for match in re.finditer(pattern, folded):
            for group in match.groups():
                m = next(m for m in self.municipalities if fold(m.name) == group)
                if m not in found:
                    found.append(m)
        return tuple(found) if len(found) >= 2 else ()

    def find_in_text(self, text: str) -> Municipality | None:
        """The municipality named in free text, preferring explicit statements.

        Looks for "inlämnat av kommun: X" first, then "X kommun" / "Xs kommun",
        then the bare name as a word.
        """
        folded = fold(text)
        names = {m.name: _name_pattern(m.name) for m in self.municipalities}
        for pattern in (
            r"(?:inlamnat av|kommun)\s*:\s*{name}\b",
            r"\b{name}s?\s+kommun\b",
            r"\bkommun(?:en)?\s+{name}\b",
            r"(?<![\w-]){name}(?![\w-])",
        ):
            hits = []
            for m in self.municipalities:
                match = re.search(pattern.format(name=names[m.name]), folded)
                if match:
                    hits.append((match.start(), m))
            if hits:
                return min(hits, key=lambda h: h[0])[1]
        return None
