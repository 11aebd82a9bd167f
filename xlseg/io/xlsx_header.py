"""The header row of an .xlsx/.xlsm sheet, read without parsing the sheet, to check column names early.

fastexcel and python-calamine parse the whole sheet even for a header only (``n_rows=0``: 1.3 s on a
200,000-row sheet, as long as the full read). This module unzips just the start of the sheet's XML (the
first row) and the first entries of the shared-string table, in a few milliseconds, so a misspelt column
name is reported at once instead of after the read.

It answers only when it is sure to see the header :func:`xlseg.io.load.load_table` will see: the sheet's
``<dimension>`` starts at the first row, that row holds a text cell in every column of the dimension and
nothing else, no header is blank or repeated after spaces are squashed. Anything else (number or date
headers, a title row, rich escapes, an unusual package) gives ``None`` and the names are checked after the
full read, as before. This module imports no pandas: the CLI uses it before the heavy imports.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError, iterparse

from xlseg.errors import column_not_found
from xlseg.io.whitespace import squash_spaces

MAX_SHARED_STRINGS = 10_000  # read no further into the shared-string table than this
_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")  # OOXML escapes (``_x000D_``) that calamine would decode
_TEXT_TYPES = {"s", "inlineStr", "str"}


class _Doubt(Exception):
    """The header can't be read for sure; the full read will check the names."""


def check_columns(path: str | os.PathLike[str], sheet: str | int | None, names: Iterable[str]) -> None:
    """Raise the usual "column not found" error for the first of ``names`` missing from the header row.

    Does nothing when the header can't be read for sure (see the module docstring).
    """
    headers = header_names(path, sheet)
    if headers is None:
        return
    for name in names:
        if name not in headers:
            raise column_not_found(name, headers)


def header_names(path: str | os.PathLike[str], sheet: str | int | None = None) -> list[str] | None:
    """The column names of a sheet as :func:`~xlseg.io.load.load_table` names them, or None when unsure."""
    try:
        with zipfile.ZipFile(path) as book:
            texts = _header_cells(book, _sheet_part(book, sheet))
    except (_Doubt, OSError, zipfile.BadZipFile, ParseError, KeyError, ValueError, IndexError):
        return None
    names = [squash_spaces(text) for text in texts]
    if not all(names) or len(set(names)) != len(names):
        return None
    return names


def sheet_part(book: zipfile.ZipFile, sheet: str | int | None) -> str | None:
    """The zip path of a worksheet's XML (sheet = name, 0-based index or None for the first), or None when
    it can't be found for sure."""
    try:
        return _sheet_part(book, sheet)
    except (_Doubt, KeyError, ValueError, IndexError, ParseError):
        return None


def _sheet_part(book: zipfile.ZipFile, sheet: str | int | None) -> str:
    """The zip path of the sheet's XML (sheet = name, 0-based index or None for the first)."""
    workbook = _office_document(book)
    targets = _relationships(book, workbook)
    sheets = [(element.get("name"), _rel_id(element)) for element in _elements(book, workbook, "sheet")]
    if sheet is None:
        sheet = 0
    names = [name for name, _ in sheets]
    position = sheet if isinstance(sheet, int) else names.index(sheet)
    if not 0 <= position < len(sheets):
        raise _Doubt
    parts = [targets[rel_id] for _, rel_id in sheets]
    if not all("/worksheets/" in part for part in parts):  # chart or dialog sheets: indexes may not match
        raise _Doubt
    return parts[position]


def _office_document(book: zipfile.ZipFile) -> str:
    """The workbook part named by the package relationships (normally ``xl/workbook.xml``)."""
    for target, kind in _relationships(book, "", by_type=True).items():
        if kind.endswith("/officeDocument"):
            return target
    raise _Doubt


def _relationships(book: zipfile.ZipFile, part: str, *, by_type: bool = False) -> dict[str, str]:
    """A part's relationships as id → target path (or target path → type), targets resolved in the zip."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found = {}
    for element in _elements(book, rels, "Relationship"):
        target = element.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if by_type:
            found[target] = element.get("Type", "")
        else:
            found[element.get("Id", "")] = target
    return found


def _rel_id(element: Element) -> str:
    """The ``r:id`` attribute of a ``<sheet>`` element, whatever its namespace."""
    for key, value in element.attrib.items():
        if key.rpartition("}")[2] == "id":
            return value
    raise _Doubt


def _elements(book: zipfile.ZipFile, part: str, tag: str) -> Iterator[Element]:
    """Every element named ``tag`` (any namespace) in a small XML part."""
    with book.open(part) as stream:
        for _, element in iterparse(stream):
            if _local(element) == tag:
                yield element


def _header_cells(book: zipfile.ZipFile, part: str) -> list[str]:
    """The texts of the first row's cells, checked to span the sheet's dimension with no gap."""
    with book.open(part) as stream:
        (left, top), right, (row, cells) = _dimension_and_first_row(stream)
    columns = [_column_number(ref) for ref, _, _ in cells]
    if row != top or columns != list(range(left, right + 1)):
        raise _Doubt
    shared = [int(value) for _, kind, value in cells if kind == "s"]
    strings = _shared_strings(book, max(shared)) if shared else []
    texts = [strings[int(value)] if kind == "s" else value for _, kind, value in cells]
    if any(_ESCAPE.search(text) for text in texts):
        raise _Doubt
    return texts


def _dimension_and_first_row(
    stream: IO[bytes],
) -> tuple[tuple[int, int], int, tuple[int, list[tuple[str, str, str]]]]:
    """The dimension's top-left (column, row) and last column, and the first ``<row>`` as (number, cells)."""
    dimension = None
    for event, element in iterparse(stream, events=("start", "end")):
        tag = _local(element)
        if event == "start" and tag == "dimension":
            dimension = element.get("ref", "")
        elif event == "end" and tag == "row":
            if dimension is None:
                raise _Doubt
            start, _, end = dimension.partition(":")
            top_left = (_column_number(start), _row_number(start))
            return top_left, _column_number(end or start), (int(element.get("r", "0")), _row_cells(element))
    raise _Doubt


def _row_cells(row: Element) -> list[tuple[str, str, str]]:
    """A row's cells as (reference, type, text or shared-string index); only text cells are accepted."""
    cells = []
    for cell in row:
        kind = cell.get("t", "n")
        if _local(cell) != "c" or kind not in _TEXT_TYPES:
            raise _Doubt
        wanted = "is" if kind == "inlineStr" else "v"
        content = next((child for child in cell if _local(child) == wanted), None)
        if content is None:
            raise _Doubt
        value = _string_item(content) if kind == "inlineStr" else content.text or ""
        cells.append((cell.get("r", ""), kind, value))
    return cells


def _shared_strings(book: zipfile.ZipFile, last: int) -> list[str]:
    """The shared strings ``0 … last`` (streamed: the table can be long)."""
    if last >= MAX_SHARED_STRINGS:
        raise _Doubt
    strings: list[str] = []
    with book.open(_shared_strings_part(book)) as stream:
        for _, element in iterparse(stream):
            if _local(element) == "si":
                strings.append(_string_item(element))
                element.clear()
                if len(strings) > last:
                    return strings
    raise _Doubt


def _shared_strings_part(book: zipfile.ZipFile) -> str:
    """The shared-string table's zip path."""
    workbook = _office_document(book)
    for target, kind in _relationships(book, workbook, by_type=True).items():
        if kind.endswith("/sharedStrings"):
            return target
    raise _Doubt


def _string_item(item: Element) -> str:
    """The text of an ``<si>``/``<is>`` item: its ``<t>``, or its runs' ``<t>`` (phonetic runs left out)."""
    parts = []
    for child in item:
        if _local(child) == "t":
            parts.append(child.text or "")
        elif _local(child) == "r":
            parts += [t.text or "" for t in child if _local(t) == "t"]
    return "".join(parts)


def _column_number(ref: str) -> int:
    """0-based column of a cell reference: ``"A1"`` → 0, ``"AB7"`` → 27."""
    match = _CELL_REF.match(ref.replace("$", ""))
    if match is None:
        raise _Doubt
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _row_number(ref: str) -> int:
    """1-based row of a cell reference."""
    match = _CELL_REF.match(ref.replace("$", ""))
    if match is None:
        raise _Doubt
    return int(match.group(2))


def _local(element: Element) -> str:
    """An element's tag without its namespace."""
    return element.tag.rpartition("}")[2]
