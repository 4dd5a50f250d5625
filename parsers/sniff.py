"""What an attachment really is, from its bytes (never trust the declared type)."""

from __future__ import annotations

import io
import struct
import zipfile

DOCX, ODT, DOC, PDF, RTF, IMAGE, TEXT, OTHER = "docx", "odt", "doc", "pdf", "rtf", "image", "text", "other"
XLS = "xls"  # an Excel 97-2003 workbook (parsers/xls_reader.py)
XLSX, ZIP = "xlsx", "zip"  # an Excel workbook; a plain zip archive (opened by parsers/containers.py)
_XLSX_NAMES = (".xlsx", ".xlsm")

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emz", ".wmz")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A Word or OpenDocument package lists some 10-100 members in a few kB. zipfile
# reads the whole central directory before anything else: 200,000 members
# (17 MB) took 7 s, so a larger directory is refused unread.
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_DIRECTORY = 1024 * 1024
_EOCD = b"PK\x05\x06"
# Members that make a zip a document package (OOXML, OpenDocument, EPUB) rather than an archive.
_PACKAGE_MARKS = frozenset({"[Content_Types].xml", "mimetype", "content.xml", "META-INF/manifest.xml"})


def zip_directory_ok(data: bytes) -> bool:
    """False when the zip's end record announces more than MAX_ZIP_MEMBERS or a directory over 1 MB.

    True also when there is no end record: zipfile then says the file is broken.
    """
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return True
    entries, size = struct.unpack_from("<HI", data, at + 10)
    return entries <= MAX_ZIP_MEMBERS and size <= MAX_ZIP_DIRECTORY


def sniff(data: bytes, filename: str | None = None) -> str:
    head = data[:2048]
    name = (filename or "").lower()
    if b"%PDF" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        if not zip_directory_ok(data):  # the reader says why it is refused
            if name.endswith((".odt", ".ott", ".ods")):
                return ODT
            if name.endswith(_XLSX_NAMES):
                return XLSX
            return ZIP if name.endswith(".zip") else DOCX if name.endswith((".docx", ".docm", ".dotx")) else OTHER
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
                if "content.xml" in names:
                    mimetype = b""
                    if "mimetype" in names:
                        with z.open("mimetype") as member:  # its first bytes, never a whole zip bomb
                            mimetype = member.read(100)
                    if b"opendocument.text" in mimetype or b"opendocument.spreadsheet" in mimetype \
                            or name.endswith((".odt", ".ods")):
                        return ODT  # text or spreadsheet: parsers/odf_reader.py reads both
                if not names & _PACKAGE_MARKS:  # not an Office or OpenDocument file: an archive
                    return ZIP
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
            pass
        if name.endswith(_XLSX_NAMES):
            return XLSX  # a broken workbook: let the reader say so
        if name.endswith((".odt", ".ott", ".ods")):
            return ODT  # a broken OpenDocument file: let the reader say so
        return DOCX if name.endswith((".docx", ".docm")) else OTHER  # broken docx: let the reader say so
    if head.startswith(_OLE):
        if name.endswith((".xls", ".xlt")):
            return XLS
        return DOC if name.endswith((".doc", ".dot")) or not name.endswith((".ppt", ".msg")) else OTHER
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(_IMAGE_MAGIC) or name.endswith(_IMAGE_SUFFIXES):
        return IMAGE
    if name.endswith((".docx", ".docm", ".dotx")):
        return DOCX
    if name.endswith(".pdf"):
        return PDF
    if name.endswith(_XLSX_NAMES):
        return XLSX
    if name.endswith(".txt"):
        return TEXT
    return OTHER

