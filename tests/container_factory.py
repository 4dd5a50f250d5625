"""Containers built by the tests: S/MIME (with cryptography), TNEF winmail.dat, xlsx, RTF, raw MIME."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

# --- S/MIME -------------------------------------------------------------------


def _certificate():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Anna Berg"),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "anna.berg@mora.se")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert, key


def smime_signed(entity: bytes) -> bytes:
    """Opaque signed-data (DER) over a MIME entity, as Outlook sends `smime.p7m`."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    cert, key = _certificate()
    return (pkcs7.PKCS7SignatureBuilder().set_data(entity).add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


def smime_encrypted(entity: bytes) -> bytes:
    """enveloped-data (DER) for a recipient we have no key of."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    cert, _ = _certificate()
    return (pkcs7.PKCS7EnvelopeBuilder().set_data(entity).add_recipient(cert)
            .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


def smime_mail(p7m: bytes, smime_type: str, sender: str = "Anna Berg <anna.berg@mora.se>",
               subject: str = "Lägesbild oktober", content_type: str = "application/pkcs7-mime") -> bytes:
    """A whole mail whose one part is application/pkcs7-mime (base64), as Outlook sends it."""
    import base64
    from email.header import Header

    encoded = base64.encodebytes(p7m).decode().replace("\n", "\r\n")
    date = format_datetime(datetime(2026, 11, 3, 8, 12, tzinfo=UTC))
    head = (f"From: {sender}\r\nTo: lagesbild-fas.dalarna@lansstyrelsen.se\r\n"
            f"Subject: {Header(subject, 'utf-8').encode()}\r\nDate: {date}\r\n"
            f"Message-ID: <smime-{smime_type}@mora.se>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {content_type}; smime-type={smime_type}; name=\"smime.p7m\"\r\n"
            "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n")
    return head.encode() + encoded.encode()


def mime_entity(body: str, attachments: list[tuple[str, bytes, tuple[str, str]]] = ()) -> bytes:
    """The signed inner entity: a MIME part with its own Content-Type, no mail headers."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg.set_content(body)
    for name, data, (maintype, subtype) in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# --- TNEF (winmail.dat) ----------------------------------------------------------


def _tnef_object(level: int, attribute: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute, len(data)) + data + struct.pack("<H", checksum)


def _mapi_string(prop_id: int, text: str) -> bytes:
    """One PT_UNICODE MAPI property: type, id, one value (length, UTF-16 with NUL, padded to 4)."""
    raw = text.encode("utf-16-le") + b"\x00\x00"
    padded = raw + b"\x00" * (-len(raw) % 4)
    return struct.pack("<HHII", 0x001F, prop_id, 1, len(raw)) + padded


def tnef(files: list[tuple[str, bytes]], short_names: bool = True) -> bytes:
    """A winmail.dat as Outlook writes it: version, code page, message class, then per file
    attRenddata, attAttachTitle (an 8.3 name), attAttachData and attAttachment (MAPI, the long name)."""
    out = b"\x78\x9f\x3e\x22" + struct.pack("<H", 0x1234)
    out += _tnef_object(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _tnef_object(1, 0x00069007, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += _tnef_object(1, 0x00078008, b"IPM.Note\x00")  # attMessageClass
    for name, data in files:
        stem, _, ext = name.rpartition(".")
        title = (stem.upper().encode("ascii", "replace")[:6] + b"~1." + ext.upper().encode()[:3]
                 if short_names else name.encode("cp1252"))
        out += _tnef_object(2, 0x00069002, struct.pack("<HiHHI", 1, -1, 0, 0, 0))  # attAttachRendData
        out += _tnef_object(2, 0x00018010, title + b"\x00")  # attAttachTitle
        out += _tnef_object(2, 0x0006800F, data)  # attAttachData
        mapi = struct.pack("<I", 1) + _mapi_string(0x3707, name)  # PR_ATTACH_LONG_FILENAME
        out += _tnef_object(2, 0x00069005, mapi)  # attAttachment
    return out


# --- Excel and RTF ------------------------------------------------------------------


def xlsx(rows: list[list[object]], fills: dict[tuple[int, int], str] | None = None, sheet: str = "Lägesbild") -> bytes:
    """A workbook written by openpyxl; `fills` shades cells (row, column from 1) with "RRGGBB"."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for (r, c), colour in (fills or {}).items():
        ws.cell(row=r, column=c).fill = PatternFill("solid", fgColor="FF" + colour)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rtf_escape(text: str) -> str:
    """Text as RTF, the way Word writes it: 8-bit letters as \\'hh, others as \\uN?."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        elif ord(ch) < 256:
            out.append(f"\\'{ord(ch):02x}")
        else:  # UTF-16 units, signed
            for unit in struct.unpack(f"<{len(ch.encode('utf-16-le')) // 2}H", ch.encode("utf-16-le")):
                out.append(f"\\u{unit if unit < 32768 else unit - 65536}?")
    return "".join(out)


def rtf(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """An RTF document as WordPad/Word write it: header tables, a picture, paragraphs, a table."""
    head = ("{\\rtf1\\ansi\\ansicpg1252\\deff0\\nouicompat{\\fonttbl{\\f0\\fnil\\fcharset0 Calibri;}}"
            "{\\colortbl ;\\red255\\green0\\blue0;}{\\*\\generator Riched20 10.0.19041}"
            "{\\info{\\author Anna Berg}{\\title Lagesbild}}\\viewkind4\\uc1\n")
    body = "".join(f"\\pard\\sa200\\sl276\\slmult1\\f0\\fs22\\lang1053 {rtf_escape(p)}\\par\n" for p in paragraphs)
    body += "{\\*\\shppict{\\pict\\pngblip\\picw10\\pich10 89504e470d0a1a0a0000}}\n"
    for row in table or []:
        body += "\\trowd\\cellx3000\\cellx6000\\cellx9000\n"
        body += "".join(f"\\pard\\intbl {rtf_escape(c)}\\cell " for c in row) + "\\row\n"
    return (head + body + "\\pard\\par\n}").encode("ascii")


# --- raw MIME (HCL Notes) -------------------------------------------------------------


def notes_mail(sender: str, subject: str, attachment: bytes, name: str | None) -> bytes:
    """HCL Notes: the attachment as application/octet-stream, no Content-Disposition; the name
    (when there is one) only in Content-Type."""
    import base64

    date = format_datetime(datetime(2026, 11, 3, 8, 12, tzinfo=UTC))
    named = f'; name="{name}"' if name else ""
    return (f"From: {sender}\r\nTo: lagesbild-fas.dalarna@lansstyrelsen.se\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: <notes-{len(attachment)}@notes.example>\r\nMIME-Version: 1.0\r\n"
            "X-Mailer: Lotus Notes Release 9.0.1 October 14, 2013\r\n"
            "Content-Type: multipart/mixed; boundary=\"=_mixed 0036F0C1C1258A5B_=\"\r\n\r\n"
            "--=_mixed 0036F0C1C1258A5B_=\r\nContent-Type: text/plain; charset=\"US-ASCII\"\r\n\r\n"
            "Hej, bifogar lagesbilden.\r\n\r\n"
            f"--=_mixed 0036F0C1C1258A5B_=\r\nContent-Type: application/octet-stream{named}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(attachment).replace(
        b"\n", b"\r\n") + b"\r\n--=_mixed 0036F0C1C1258A5B_=--\r\n"
