"""Hostile spreadsheets built in memory (never committed): zip bombs of rows and of text.

The parts are the smallest a reader accepts as a workbook; ``workbook`` writes any sheet XML and
shared strings, and the ``*_bomb`` functions repeat one compressed block, so that a part of
gigabytes is built in milliseconds without ever being held.
"""

from __future__ import annotations

import contextlib
import io
import resource
import struct
import zipfile
import zlib
from collections.abc import Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
SHARED_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'


def _workbook_xml(title: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _skeleton(book: zipfile.ZipFile, title: str) -> None:
    book.writestr("[Content_Types].xml", CONTENT_TYPES)
    book.writestr("_rels/.rels", ROOT_RELS)
    book.writestr("xl/workbook.xml", _workbook_xml(title))
    book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)


def workbook(sheet_xml: str, shared: list[str] | None = None, title: str = "意见") -> bytes:
    """A workbook of one sheet whose ``<sheetData>`` holds ``sheet_xml``.

    ``shared`` are the inner XML of each shared string (``<t>text</t>``, or runs).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        _skeleton(book, title)
        book.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + sheet_xml + SHEET_TAIL)
        strings = "".join(f"<si>{s}</si>" for s in shared or [])
        book.writestr("xl/sharedStrings.xml", SHARED_HEAD + strings + "</sst>")
    return out.getvalue()


def deflate(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)


def repeated_part(
    head: bytes, piece: bytes, times: int, tail: bytes, crc: bool = True
) -> tuple[bytes, int, int]:
    """A deflated part of ``head + piece * times + tail``, built without holding it.

    ``piece`` is compressed once in a block of about a megabyte that ends with a full flush
    (so it refers to nothing before it) and that block is repeated. Returns the deflated
    bytes, the real size and the checksum (0 when ``crc`` is false: a reader that checks it
    meets the end of the part only after reading every byte).
    """
    per = max((1 << 20) // len(piece), 1)
    full, rest = divmod(times, per)
    chunk = piece * per

    def block(data: bytes, final: bool = False) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)

    deflated = block(head) + block(chunk) * full + block(piece * rest + tail, final=True)
    size = len(head) + len(chunk) * full + len(piece) * rest + len(tail)
    checksum = 0
    if crc:
        checksum = zlib.crc32(head)
        for _ in range(full):
            checksum = zlib.crc32(chunk, checksum)
        checksum = zlib.crc32(piece * rest + tail, checksum)
    return deflated, size, checksum


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members: (name, deflated bytes, declared size, crc)."""
    out = io.BytesIO()
    directory = io.BytesIO()
    for name, data, size, crc in members:
        offset = out.tell()
        encoded = name.encode()
        sizes = (crc, len(data), size, len(encoded))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0))
        out.write(encoded + data)
        directory.write(
            struct.pack(
                "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, *sizes, 0, 0, 0, 0, 0, offset
            )
        )
        directory.write(encoded)
    listing = directory.getvalue()
    start = out.tell()
    out.write(listing)
    count = len(members)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(listing), start, 0))
    return out.getvalue()


def skeleton_parts(title: str) -> list[tuple[str, bytes, int, int]]:
    return [
        ("[Content_Types].xml", *deflate(CONTENT_TYPES.encode())),
        ("_rels/.rels", *deflate(ROOT_RELS.encode())),
        ("xl/workbook.xml", *deflate(_workbook_xml(title).encode())),
        ("xl/_rels/workbook.xml.rels", *deflate(WORKBOOK_RELS.encode())),
    ]


def rows_bomb(rows: int = 16_777_216, title: str = "意见") -> bytes:
    """The probe's file: ``rows`` empty ``<row/>`` elements (about 100 KB for 16.7 million)."""
    sheet = repeated_part(SHEET_HEAD.encode(), b"<row/>", rows, SHEET_TAIL.encode())
    return raw_zip(
        [
            *skeleton_parts(title),
            ("xl/worksheets/sheet1.xml", *sheet),
            ("xl/sharedStrings.xml", *deflate((SHARED_HEAD + "</sst>").encode())),
        ]
    )


def shared_string_bomb(
    chars: int = 2 * 1024**3, declared: int | None = None, title: str = "意见"
) -> bytes:
    """A workbook of about ``chars / 1000`` bytes whose one shared string is ``chars`` long.

    ``declared`` is the size the zip states for the part (its real size by default); the
    checksum is left out.
    """
    strings = repeated_part(
        (SHARED_HEAD + "<si><t>").encode(), b"a", chars, b"</t></si></sst>", crc=False
    )
    deflated, size, _crc = strings
    sheet = SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL
    return raw_zip(
        [
            *skeleton_parts(title),
            ("xl/worksheets/sheet1.xml", *deflate(sheet.encode())),
            ("xl/sharedStrings.xml", deflated, size if declared is None else declared, 0),
        ]
    )


@contextlib.contextmanager
def memory_ceiling(extra_mb: int = 768) -> Iterator[None]:
    """Cap this process's address space at its current size plus ``extra_mb`` for a block.

    A reader that stops guarding its bounds then fails with MemoryError instead of taking
    gigabytes from the machine the tests share.
    """
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = (size_kb * 1024) + extra_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
