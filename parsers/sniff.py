"""What an attachment really is, from its bytes (never trust the declared type)."""

from __future__ import annotations

import io
import zipfile

DOCX, ODT, DOC, PDF, RTF, IMAGE, TEXT, OTHER = "docx", "odt", "doc", "pdf", "rtf", "image", "text", "other"

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emz", ".wmz")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(data: bytes, filename: str | None = None) -> str:
    head = data[:2048]
    name = (filename or "").lower()
    if b"%PDF" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                if "word/document.xml" in names:
                    return DOCX
                if "content.xml" in names:
                    mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
                    if b"opendocument.text" in mimetype or name.endswith(".odt"):
                        return ODT
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
            pass
        return DOCX if name.endswith((".docx", ".docm")) else OTHER  # broken docx: let the reader say so
    if head.startswith(_OLE):
        return DOC if name.endswith((".doc", ".dot")) or not name.endswith((".xls", ".ppt", ".msg")) else OTHER
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(_IMAGE_MAGIC) or name.endswith(_IMAGE_SUFFIXES):
        return IMAGE
    if name.endswith((".docx", ".docm", ".dotx")):
        return DOCX
    if name.endswith(".pdf"):
        return PDF
    if name.endswith(".txt"):
        return TEXT
    return OTHER

