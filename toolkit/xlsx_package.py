"""Check an .xlsx package before python-calamine reads it, so reading stays bounded.

An .xlsx file is a zip archive of XML parts. Two kinds of file would make
calamine use unbounded time or memory, or abort the whole process:

- a zip bomb: parts that unpack to gigabytes, whether the zip directory
  declares those sizes or understates them (calamine unpacks a part whole
  before it compares the result with the declared size);
- a sheet with one value far from the rest, such as something typed in cell
  XFD1048576: calamine holds each sheet as a dense grid from A1 to its last
  value, so that one cell asks for 17 billion cells.

``check_package`` and ``unpack_sheet`` find both with bounded work and raise
WorkbookUnreadable with a message saying what is wrong and what to do.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from pathlib import Path
from io import BufferedReader
from xml.etree import ElementTree

from toolkit.errors import WorkbookUnreadable
from toolkit.xml_search import found

try:
    # Intel's ISA-L inflates the sheet XML about four times faster than zlib and
    # computes its CRC about eight times faster (measured on the 1,000-resident
    # benchmark workbook), and, like zlib, releases the GIL while it works.
    from isal import isal_zlib as _deflate
except ImportError:  # a platform with no python-isal wheel: the standard library does the same work
    import zlib as _deflate

# Measured: benchmarks/generate.py writes 1,000 residents with six months of
# history as 27 MB of XML, so an estimated 5,000 residents with three years of
# history come to about 650 MB. A package whose parts add up to more is refused.
MAX_UNPACKED_BYTES = 1024**3

# Excel's sheet size.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384

# The largest dense grid read from one sheet. Measured with python-calamine
# 0.9 and CPython 3.11: checking a workbook with a 13-column sheet and a value
# in row 1,048,576 (13.6 million cells) peaked at 633 MB, about 46 bytes a
# cell, so this cap is about 1.4 GB. It lets a value typed in the last row of a
# 28-column sheet through.
MAX_SHEET_CELLS = 30_000_000

# Deflate expands at most 1,032 times, when every 258-byte match is coded in 2 bits.
_MAX_DEFLATE_RATIO = 1032
# Parts whose compressed data could not expand to more than this in total are
# not unpacked in advance: even a lying size costs calamine at most this much.
_UNCHECKED_EXPANSION_BYTES = 64 * 1024**2

_LOCAL_HEADER = struct.Struct("<4s22xHH")

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELATIONSHIP_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# A cell reference with a column of two or more letters (column AA or beyond), or
# a row or cell reference with a row number of seven digits or more (row 1,000,000
# or beyond), whatever white space comes before it and in either kind of quotes.
# Another attribute ending in r with such a value would be found too, and the
# cell-by-cell scan then decides.
_FAR_REFERENCE = re.compile(rb"""r=["'](?:[A-Z](?:[A-Z]|[0-9]{7})|[0-9]{7})""")
# A cell tag that is not empty: <c r="B7" s="2"> followed by a value, not </c>.
_FILLED_CELL = re.compile(rb'<(?:\w+:)?c\s([^>]*?)(?<!/)>(?!\s*</(?:\w+:)?c>)')
_REFERENCE = re.compile(rb"""(?:^|\s)r=["']([A-Z]+)(\d+)["']""")
# A row tag's number: <row r="1048576" ...>.
_ROW_NUMBER = re.compile(rb"""<(?:\w+:)?row\s[^>]*?\br=["'](\d+)["']""")


def _damaged(path: Path, detail: str) -> WorkbookUnreadable:
    return WorkbookUnreadable(
        f"{path.name}: the file is damaged ({detail}). Restore it from a backup or re-save it in Excel."
    )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _is_xml_part(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def check_package(path: Path, archive: zipfile.ZipFile, handle: BufferedReader) -> dict[str, zipfile.ZipInfo]:
    """Raise WorkbookUnreadable when reading the package would not stay bounded.

    ``archive`` is the open zip file and ``handle`` the same file opened for
    binary reading, used to unpack each part's raw data independently of the
    sizes the zip directory declares.

    Worksheet parts are not unpacked here: the part of each sheet, by sheet
    name, is returned, and ``unpack_sheet`` checks it when the sheet is read.
    That way each sheet is unpacked once, by the thread that reads it.
    """
    parts = [info for info in archive.infolist() if _is_xml_part(info.filename)]
    declared = sum(info.file_size for info in archive.infolist())
    if declared > MAX_UNPACKED_BYTES:
        raise WorkbookUnreadable(
            f"{path.name}: the file would unpack to {declared / 1024**3:.1f} GB, far more than a facility "
            "workbook holds, so it is not read. Re-save it in Excel or restore it from a backup."
        )

    worst_case = sum(_MAX_DEFLATE_RATIO * info.compress_size for info in parts)
    verify_sizes = worst_case > _UNCHECKED_EXPANSION_BYTES
    sheet_names = _sheet_names_by_part(path, archive, handle)
    sheets: dict[str, zipfile.ZipInfo] = {}
    for info in parts:
        if info.filename in sheet_names:
            sheets[sheet_names[info.filename]] = info
        elif verify_sizes:
            _unpack(path, handle, info)
    return sheets


def unpack_sheet(path: Path, info: zipfile.ZipInfo, sheet_name: str) -> bytes | bytearray:
    """Return a worksheet part's XML, raising WorkbookUnreadable when reading it would not stay bounded.

    The part is unpacked to at most its declared size plus one byte, and a
    sheet whose grid from A1 would be too large is rejected.
    """
    with path.open("rb") as handle:
        data = _unpack(path, handle, info)
    _check_sheet_extent(path, sheet_name, data)
    return data


def _unpack(path: Path, handle: BufferedReader, info: zipfile.ZipInfo) -> bytes | bytearray:
    """Return a part's contents, unpacking at most its declared size plus one byte.

    Raises WorkbookUnreadable when the data unpacks to more than the zip
    directory declares (a zip bomb that understates its sizes), to less, or
    fails its CRC.
    """
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise _damaged(path, f"part {info.filename} is cut short")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise _damaged(path, f"part {info.filename} is missing at the offset the zip directory gives")
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)

    if info.compress_type == zipfile.ZIP_STORED:
        data = handle.read(min(info.compress_size, info.file_size + 1))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        data = _inflate(handle, info.compress_size, info.file_size + 1)
    else:
        raise WorkbookUnreadable(
            f"{path.name}: part {info.filename} uses a compression method Excel does not write, so the file "
            "was repacked by another program. Open the original workbook in Excel and save it as .xlsx."
        )
    if len(data) > info.file_size:
        raise _damaged(path, f"part {info.filename} unpacks to more than the zip directory declares")
    if len(data) < info.file_size or _deflate.crc32(data) != info.CRC:
        raise _damaged(path, f"part {info.filename} is incomplete or corrupt")
    return data


def _inflate(handle: BufferedReader, compressed_size: int, limit: int) -> bytes:
    """Inflate raw deflate data from ``handle``, stopping once ``limit`` bytes are out.

    The data is read and inflated in one call each, because zlib releases the
    GIL for the whole call: unpacking in chunks made a reading thread wait for
    the GIL once per chunk while the main thread was busy.
    """
    decompressor = _deflate.decompressobj(-15)  # raw deflate, as zip stores it
    try:
        return decompressor.decompress(handle.read(compressed_size), limit)
    except _deflate.error:
        return b""  # the caller reports the part as incomplete or corrupt


def _sheet_names_by_part(path: Path, archive: zipfile.ZipFile, handle: BufferedReader) -> dict[str, str]:
    """Return the sheet name of each worksheet part, by part name.

    The workbook part and its relationships are small, but they are unpacked
    with the same bound as every other part.
    """
    members = {info.filename: info for info in archive.infolist()}
    book_info = members.get("xl/workbook.xml")
    relations_info = members.get("xl/_rels/workbook.xml.rels")
    if book_info is None or relations_info is None:
        return {}
    try:
        book = ElementTree.fromstring(bytes(_unpack(path, handle, book_info)))
        relationships = ElementTree.fromstring(bytes(_unpack(path, handle, relations_info)))
    except ElementTree.ParseError:
        return {}  # calamine reports the unreadable workbook part itself
    targets = {
        relation.get("Id"): relation.get("Target", "")
        for relation in relationships.iter(f"{_PACKAGE_RELATIONSHIP_NS}Relationship")
    }
    names = {}
    for sheet in book.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_RELATIONSHIP_NS}id"), "")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if part in members:
            names[part] = sheet.get("name", part)
    return names


def _check_sheet_extent(path: Path, sheet_name: str, data: bytes | bytearray) -> None:
    """Raise WorkbookUnreadable when a sheet's dense grid from A1 would exceed MAX_SHEET_CELLS.

    Only a sheet with a value in column AA or beyond, or in row 1,000,000 or
    beyond, can exceed the cap (see MAX_SHEET_CELLS), so the cell-by-cell scan
    runs only for such sheets.
    """
    # Rows with no r attribute are numbered in order, so a flood of them is counted directly.
    # The four bytes of "<row" cannot overlap, so a smaller sheet cannot hold too many.
    too_many = EXCEL_MAX_ROWS + 1  # the +1 allows for a <rowBreaks> element
    if len(data) > 4 * too_many and data.count(b"<row") > too_many:
        raise _damaged(path, f'sheet "{sheet_name}" has more rows than Excel allows')
    if not found(_FAR_REFERENCE, data):
        return
    if any(len(number) > 7 or int(number) > EXCEL_MAX_ROWS for number in _ROW_NUMBER.findall(data)):
        raise _damaged(path, f'sheet "{sheet_name}" has a row beyond the last row Excel allows')

    last_row = last_column = 0
    last_row_cell = last_column_cell = ""
    for match in _FILLED_CELL.finditer(data):
        reference = _REFERENCE.search(match.group(1))
        if reference is None:
            continue
        letters, digits = reference.groups()
        if len(letters) > 3 or len(digits) > 7:
            raise _damaged(path, f'sheet "{sheet_name}" has a cell beyond the last row or column Excel allows')
        column = _column_number(letters)
        row = int(digits)
        if column > last_column:
            last_column, last_column_cell = column, f"{reference.group(1).decode()}{row}"
        if row > last_row:
            last_row, last_row_cell = row, f"{reference.group(1).decode()}{row}"
    if last_column > EXCEL_MAX_COLUMNS or last_row > EXCEL_MAX_ROWS:
        raise _damaged(path, f'sheet "{sheet_name}" has a cell beyond the last row or column Excel allows')
    cells = last_row * last_column
    if cells > MAX_SHEET_CELLS:
        far = sorted({last_column_cell, last_row_cell})
        where = f"cell {far[0]}" if len(far) == 1 else f"cells {far[0]} and {far[1]}"
        raise WorkbookUnreadable(
            f'{path.name}: sheet "{sheet_name}" has values far outside its table, in {where}, so reading it '
            f"would mean holding {cells:,} cells in memory. Delete what is in those cells (Ctrl+End jumps "
            "to the last one), save, and run this again."
        )
