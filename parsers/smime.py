"""S/MIME (CMS, RFC 5652): the content of an opaque signed message, or whether it is encrypted.

A small BER reader of our own, along one path only: ContentInfo ->
SignedData -> EncapsulatedContentInfo -> the OCTET STRING, which Outlook
writes with indefinite lengths and in chunks. Every byte is looked at at
most once (elements passed over are skipped by their length, or walked once
when their length is indefinite), so the time is linear in the input; a
general ASN.1 library took 17 µs a chunk and merged chunks quadratically
(3.5 s for a 640 kB message of 4-byte chunks). Signatures are not checked:
the bot reads what was signed; trust comes from the sender's address rules.
"""

from __future__ import annotations

SIGNED = "signed"
ENCRYPTED = "encrypted"
OTHER = "other"

_OID = {
    bytes.fromhex("2a864886f70d010702"): SIGNED,  # 1.2.840.113549.1.7.2 signedData
    bytes.fromhex("2a864886f70d010703"): ENCRYPTED,  # 1.2.840.113549.1.7.3 envelopedData
    bytes.fromhex("2a864886f70d010706"): ENCRYPTED,  # 1.2.840.113549.1.7.6 encryptedData
    bytes.fromhex("2a864886f70d0109100117"): ENCRYPTED,  # 1.2.840.113549.1.9.16.1.23 authEnvelopedData
    bytes.fromhex("2a864886f70d0109100102"): ENCRYPTED,  # 1.2.840.113549.1.9.16.1.2 authenticatedData
}
_SEQUENCE, _SET, _OBJECT_ID, _INTEGER = 0x30, 0x31, 0x06, 0x02
_OCTETS, _OCTETS_CONSTRUCTED, _EXPLICIT_0 = 0x04, 0x24, 0xA0
MAX_DEPTH = 64  # nested constructed elements
# Outlook writes chunks of 1-4 kB: a 20 MB message has some 20,000. Five million
# 4-byte chunks would take 3.4 s to join; past this many the message is not read.
MAX_CHUNKS = 200_000


class _Broken(Exception):
    """The bytes are not the BER this reader follows."""


def pkcs7_content(data: bytes) -> tuple[str, bytes | None]:
    """("signed", the signed content) for opaque signed S/MIME, ("encrypted", None) for an
    encrypted one, ("other", None) for anything else (a detached signature, broken bytes)."""
    try:
        return _read(data)
    except (_Broken, IndexError):
        return OTHER, None


def _read(data: bytes) -> tuple[str, bytes | None]:
    info = _Element(data, 0, len(data))
    children = info.children(_SEQUENCE)
    oid = next(children).value(_OBJECT_ID)
    kind = _OID.get(oid, OTHER)
    if kind != SIGNED:
        return kind, None
    signed = next(next(children).children(_EXPLICIT_0)).children(_SEQUENCE)
    next(signed).value(_INTEGER)  # version
    next(signed)  # digestAlgorithms
    encapsulated = next(signed).children(_SEQUENCE)
    next(encapsulated).value(_OBJECT_ID)  # eContentType (id-data, or another type: its octets all the same)
    explicit = next(encapsulated, None)
    if explicit is None:
        return OTHER, None  # detached: the content is not inside
    content = b"".join(next(explicit.children(_EXPLICIT_0)).octets())
    return (SIGNED, content) if content else (OTHER, None)


class _Element:
    """One BER element at `start` (tag, length, contents), read within `limit`."""

    def __init__(self, data: bytes, start: int, limit: int):
        if start + 2 > limit:
            raise _Broken("no room for a tag and a length")
        self.data, self.tag = data, data[start]
        if self.tag & 0x1F == 0x1F:
            raise _Broken("high tag numbers are not used on this path")
        first = data[start + 1]
        at = start + 2
        if first == 0x80:
            if not self.tag & 0x20:
                raise _Broken("indefinite length on a primitive element")
            self.length: int | None = None
        elif first & 0x80:
            count = first & 0x7F
            if count > 4 or at + count > limit:
                raise _Broken("length over 4 GB or past the end")
            self.length = int.from_bytes(data[at:at + count], "big")
            at += count
        else:
            self.length = first
        self.contents, self.limit = at, limit
        if self.length is not None and at + self.length > limit:
            raise _Broken("contents past the end")

    def value(self, tag: int) -> bytes:
        if self.tag != tag or self.length is None:
            raise _Broken(f"expected a primitive {tag:#x}, found {self.tag:#x}")
        return self.data[self.contents:self.contents + self.length]

    def children(self, tag: int):
        """The elements inside, in order (an indefinite length ends at its 00 00)."""
        if self.tag != tag or not self.tag & 0x20:
            raise _Broken(f"expected a constructed {tag:#x}, found {self.tag:#x}")
        at = self.contents
        end = self.limit if self.length is None else self.contents + self.length
        while at < end:
            if self.length is None and self.data[at:at + 2] == b"\0\0":
                return
            child = _Element(self.data, at, end)
            yield child
            at = child.end()
        if self.length is None:
            raise _Broken("no end-of-contents")

    def end(self) -> int:
        """The offset after this element: from its length, else by walking its contents once."""
        if self.length is not None:
            return self.contents + self.length
        depth, at = 1, self.contents  # open indefinite-length elements, this one included
        while True:
            if self.data[at:at + 2] == b"\0\0":
                depth, at = depth - 1, at + 2
                if depth == 0:
                    return at
                continue
            child = _Element(self.data, at, self.limit)
            if child.length is None:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Broken("nested too deep")
                at = child.contents
            else:
                at = child.contents + child.length

    def octets(self) -> list[bytes]:
        """An OCTET STRING's bytes in pieces: one primitive, or the chunks of a constructed one.

        The chunks are read in one tight loop (a 20 MB message of 4-byte chunks
        is five million of them): tag and length inline, no object per chunk.
        """
        if self.tag == _OCTETS:
            return [self.value(_OCTETS)]
        if self.tag != _OCTETS_CONSTRUCTED:
            raise _Broken("not an OCTET STRING")
        data, pieces = self.data, []
        ends: list[int | None] = [None if self.length is None else self.contents + self.length]
        at = self.contents
        while ends:
            end = ends[-1]
            if end is not None and at >= end:
                ends.pop()
                continue
            tag, first = data[at], data[at + 1]
            if end is None and tag == 0 and first == 0:
                ends.pop()
                at += 2
                continue
            at += 2
            if first & 0x80 and first != 0x80:
                count = first & 0x7F
                if count > 4:
                    raise _Broken("length over 4 GB")
                length: int | None = int.from_bytes(data[at:at + count], "big")
                at += count
            else:
                length = None if first == 0x80 else first
            if tag == _OCTETS and length is not None:
                if at + length > self.limit:
                    raise _Broken("chunk past the end")
                pieces.append(data[at:at + length])
                at += length
                if len(pieces) > MAX_CHUNKS:
                    raise _Broken("too many chunks")
            elif tag == _OCTETS_CONSTRUCTED:
                if len(ends) >= MAX_DEPTH:
                    raise _Broken("nested too deep")
                ends.append(None if length is None else at + length)
            else:
                raise _Broken("not an OCTET STRING chunk")
        return pieces
