"""Documents inside containers: zip archives, Outlook's winmail.dat (TNEF), S/MIME.

Pure and bounded: a container gives at most MAX_DOCUMENTS files, containers
inside containers are opened MAX_NESTING levels deep, and every archive is
checked for zip bombs (sizes, members, ratio) before a byte is unpacked.
Each step is one pass over its input.
"""

from __future__ import annotations

import logging
import posixpath
import struct
import zipfile

from . import sniff
from .docx_reader import LIBRARY_ERRORS, SafeZip
from .model import Attachment, Limits, Problem, UnreadableDocument
from .smime import ENCRYPTED as ENCRYPTED_KIND
from .smime import pkcs7_content

logger = logging.getLogger(__name__)

MAX_DOCUMENTS = 20  # files taken out of one container
MAX_NESTING = 2  # a zip in a zip is opened; a third level is not
MAX_ATTACHMENTS = 100  # attachments of one mail after unpacking

ENCRYPTED = ("Meddelandet är krypterat (S/MIME) och kan inte läsas av den automatiska mottagningen. "
             "Skicka lägesbilden igen utan kryptering, som Word- eller PDF-fil eller direkt i mejlet.")

PKCS7_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")


# --- S/MIME --------------------------------------------------------------------

def is_pkcs7(attachment: Attachment) -> bool:
    name = (attachment.filename or "").lower()
    return attachment.content_type in PKCS7_TYPES or name.endswith((".p7m", ".p7z"))


# --- TNEF (winmail.dat) -------------------------------------------------------

TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_LVL_ATTACHMENT = 2
_ATT_RENDDATA = 0x9002  # starts an attachment
_ATT_TITLE = 0x8010  # its (often 8.3) file name
_ATT_DATA = 0x800F  # its bytes
_ATT_MAPI = 0x9005  # its MAPI properties (the long file name)
_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_FILENAME = 0x3704
_PR_ATTACH_DATA = 0x3701  # PR_ATTACH_DATA_BIN (binary) / PR_ATTACH_DATA_OBJ (object)
_MAX_TNEF_OBJECTS = 10_000
_MAX_MAPI_PROPERTIES = 500
_FIXED_SIZES = {0x0002: 4, 0x000B: 4, 0x0003: 4, 0x0004: 4, 0x000A: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
                0x0014: 8, 0x0040: 8, 0x0048: 16, 0x0001: 4}  # MAPI types in TNEF, padded to 4 bytes
_VARIABLE = (0x001E, 0x001F, 0x0102, 0x000D)


def read_tnef(data: bytes) -> list[Attachment]:
    """The attached files of a TNEF stream, in order (at most MAX_DOCUMENTS).

    One pass over the objects (level, id, type, length, data, checksum); the
    message's own body is not read (the mail's text part carries it).
    """
    if not data.startswith(TNEF_SIGNATURE):
        raise UnreadableDocument("Filen winmail.dat är inte en läsbar Outlook-bilaga.")
    found: list[dict] = []
    offset, objects = 6, 0
    while offset + 11 <= len(data) and objects < _MAX_TNEF_OBJECTS:
        level = data[offset]
        attribute, length = struct.unpack_from("<I I", data, offset + 1)
        start = offset + 9
        end = start + length
        if end + 2 > len(data):
            break  # truncated: keep what was read
        objects += 1
        ident = attribute & 0xFFFF
        if ident == _ATT_RENDDATA:
            if len(found) >= MAX_DOCUMENTS:
                break
            found.append({"name": None, "long": None, "data": b"", "mapi_data": b""})
        elif level == _LVL_ATTACHMENT and found:
            current = found[-1]
            if ident == _ATT_TITLE:
                current["name"] = _text(data[start:end], "cp1252")
            elif ident == _ATT_DATA:
                current["data"] = data[start:end]
            elif ident == _ATT_MAPI:
                current["long"], current["mapi_data"] = _mapi_properties(data, start, end)
        offset = end + 2
    out = []
    for item in found:
        name = item["long"] or item["name"]
        content = item["data"] or item["mapi_data"]  # attAttachData, else PR_ATTACH_DATA_BIN
        if content:
            out.append(Attachment(_base_name(name), "application/octet-stream", content))
    return out


def _text(raw: bytes, encoding: str) -> str | None:
    text = raw.decode(encoding, errors="replace").split("\x00", 1)[0].strip()
    return text or None


def _mapi_properties(data: bytes, start: int, end: int) -> tuple[str | None, bytes]:
    """(PR_ATTACH_LONG_FILENAME else PR_ATTACH_FILENAME, PR_ATTACH_DATA_BIN) from an attachment's
    MAPI property list; each property read once, at most _MAX_MAPI_PROPERTIES of them."""
    names: dict[int, str] = {}
    content = b""
    try:
        (count,) = struct.unpack_from("<I", data, start)
        at = start + 4
        for _ in range(min(count, _MAX_MAPI_PROPERTIES)):
            if at + 4 > end:
                break
            kind, ident = struct.unpack_from("<HH", data, at)
            at += 4
            if ident >= 0x8000:  # a named property: GUID, then an id or a name
                (named_kind,) = struct.unpack_from("<I", data, at + 16)
                at += 20
                if named_kind == 0:
                    at += 4
                else:
                    (size,) = struct.unpack_from("<I", data, at)
                    at += 4 + (size + 3) // 4 * 4
            multi = bool(kind & 0x1000)
            kind &= ~0x1000
            values = 1
            if multi or kind in _VARIABLE:  # a count of values (single-valued strings have one too)
                (values,) = struct.unpack_from("<I", data, at)
                at += 4
            if kind in _VARIABLE:
                for _ in range(min(values, _MAX_MAPI_PROPERTIES)):
                    if at + 4 > end:
                        break
                    (size,) = struct.unpack_from("<I", data, at)
                    first, at = at + 4, at + 4 + (size + 3) // 4 * 4
                    if ident == _PR_ATTACH_DATA and kind == 0x0102 and not content:
                        content = data[first:min(first + size, end)]
                    if ident in (_PR_ATTACH_LONG_FILENAME, _PR_ATTACH_FILENAME) and kind in (0x001E, 0x001F):
                        text = _text(data[first:min(first + size, end, first + 2048)],
                                     "utf-16-le" if kind == 0x001F else "cp1252")
                        if text:
                            names[ident] = text
            elif kind in _FIXED_SIZES:
                at += _FIXED_SIZES[kind] * min(values, _MAX_MAPI_PROPERTIES)
            else:
                break  # an unknown type: its size is unknown, stop here
    except struct.error:
        pass  # truncated: keep what was read
    return names.get(_PR_ATTACH_LONG_FILENAME) or names.get(_PR_ATTACH_FILENAME), content


# --- zip archives ------------------------------------------------------------

class _Archive(SafeZip):
    def members(self) -> list[zipfile.ZipInfo]:
        return list(self._names.values())


def read_zip(data: bytes, limits: Limits) -> list[Attachment]:
    """The files of a zip archive (folders and hidden files left out), at most MAX_DOCUMENTS.

    SafeZip refuses a zip bomb (members, declared sizes, ratio) before
    anything is unpacked, and counts every byte it unpacks.
    """
    package = _Archive(data, limits, "Zip-filen")
    out: list[Attachment] = []
    for info in package.members():
        base = _base_name(info.filename)
        if info.is_dir() or not base or base.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        if info.flag_bits & 0x1:
            raise UnreadableDocument("Zip-filen är lösenordsskyddad. Skicka rapporten utan lösenord.")
        if len(out) >= MAX_DOCUMENTS:
            break
        out.append(Attachment(_member_name(info) or base, "application/octet-stream", package.read(info.filename)))
    return out


def _member_name(info: zipfile.ZipInfo) -> str | None:
    """A member's file name. Without the UTF-8 flag zipfile reads it as cp437, which is right
    for Windows' own zip (å, ä, ö are the same bytes in cp850); macOS writes UTF-8 without the flag."""
    if info.flag_bits & 0x800:
        return _base_name(info.filename)
    try:
        return _base_name(info.filename.encode("cp437").decode("utf-8"))
    except UnicodeError:
        return _base_name(info.filename)


def _base_name(name: str | None) -> str | None:
    if not name:
        return None
    return posixpath.basename(name.replace("\\", "/")) or None


# --- unpacking a mail's attachments -------------------------------------------

def unpack(attachments: list[Attachment], limits: Limits) -> tuple[list[Attachment], list[tuple[str | None, Problem]]]:
    """The mail's attachments with every container replaced by the files inside it.

    Returns (attachments, [(name, problem)]): a container that cannot be
    opened (broken, a zip bomb, password-protected, nested too deep) and an
    encrypted S/MIME part are problems, never exceptions.
    """
    out: list[Attachment] = []
    problems: list[tuple[str | None, Problem]] = []
    queue = [(a, 0) for a in attachments]
    while queue and len(out) < MAX_ATTACHMENTS:
        attachment, depth = queue.pop(0)
        kind = _container_kind(attachment)
        if kind is None:
            out.append(attachment)
            continue
        name = attachment.filename or ("smime.p7m" if kind == "pkcs7" else f"bilaga.{kind}")
        if kind == "pkcs7":
            if pkcs7_content(attachment.data)[0] == ENCRYPTED_KIND:
                problems.append((name, Problem("encrypted", ENCRYPTED)))
            continue  # a signed part was opened by mime.collect_parts already
        try:
            if attachment.oversize:
                raise UnreadableDocument("filen är för stor för att läsas.")
            if depth >= MAX_NESTING:
                raise UnreadableDocument("den ligger i för många lager av packade filer.")
            inner = read_zip(attachment.data, limits) if kind == "zip" else read_tnef(attachment.data)
        except UnreadableDocument as e:
            reason = f"Bilagan \"{name}\" kunde inte läsas: {e.reason}"
            problems.append((name, Problem("unreadable_attachment", reason)))
            continue
        except (*LIBRARY_ERRORS, struct.error) as e:
            logger.info("unreadable %s container: %r", kind, e)
            reason = f"Bilagan \"{name}\" är skadad och kunde inte läsas."
            problems.append((name, Problem("unreadable_attachment", reason)))
            continue
        except Exception:  # noqa: BLE001 - a bug in a reader: this attachment is lost, not the mail
            logger.exception("unexpected error while opening a %s container", kind)
            problems.append((name, Problem("unreadable_attachment", f"Bilagan \"{name}\" kunde inte läsas.")))
            continue
        queue[0:0] = [(a, depth + 1) for a in inner]
    return out, problems


def _container_kind(attachment: Attachment) -> str | None:
    if is_pkcs7(attachment):
        return "pkcs7"
    if attachment.data.startswith(TNEF_SIGNATURE) or attachment.content_type in ("application/ms-tnef",
                                                                                 "application/vnd.ms-tnef"):
        return "tnef"
    if sniff.sniff(attachment.data, attachment.filename) == sniff.ZIP:
        return "zip"
    return None
