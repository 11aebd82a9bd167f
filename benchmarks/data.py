"""Benchmark data: the demo user table at any size, generated locally and cached under benchmarks/data/.

Nothing is downloaded. ``users(rows)`` reuses :func:`xlseg.demo.make_users` (seeded, Zipf geographies,
lognormal session lengths, rare conversions) and caches the frame as Parquet when pyarrow is installed;
``users_xlsx(rows)`` writes the same table as an ``.xlsx`` once (a small streaming writer below: openpyxl's
write-only mode needs ~5 minutes for 1M rows) and returns its path.

Run ``python benchmarks/data.py --rows 2000000 --xlsx 200000`` to pre-generate files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from xlseg.demo import make_users

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 42
EXCEL_EPOCH = np.datetime64("1899-12-30")


def _atomic_path(target: Path) -> Path:
    """Return a temporary file name next to ``target`` (renamed onto it when complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)
    return Path(tmp)


def users(rows: int, seed: int = SEED, cache: bool = True) -> pd.DataFrame:
    """Return ``make_users(rows, seed)``, cached as Parquet under benchmarks/data/ when pyarrow is present.

    Args:
        rows: number of users.
        seed: generator seed.
        cache: read/write the Parquet cache (generation alone takes ~7 s at 10M rows).
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        cache = False
    path = DATA_DIR / f"users_{rows}_seed{seed}.parquet"
    if cache and path.exists():
        return pd.read_parquet(path)
    frame = make_users(rows, seed)
    if cache:
        tmp = _atomic_path(path)
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        # the cache must give back exactly what the generator gave
        pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    return frame


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cells(frame: pd.DataFrame, strings: dict[str, int]) -> Iterator[list[str]]:
    """Yield, per column, the XML of every data cell (without the row number filled in)."""
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values):
            yield ['t="b"><v>1</v>' if v else 't="b"><v>0</v>' for v in values.tolist()]
        elif pd.api.types.is_datetime64_dtype(values):
            serial = (values.to_numpy("datetime64[s]") - EXCEL_EPOCH).astype(np.int64) / 86400.0
            yield [f's="1"><v>{v!r}</v>' for v in serial.tolist()]
        elif pd.api.types.is_numeric_dtype(values):
            yield [f"><v>{v!r}</v>" for v in values.tolist()]
        else:
            out = []
            for v in values.tolist():
                if v not in strings:
                    strings[v] = len(strings)
                out.append(f't="s"><v>{strings[v]}</v>')
            yield out


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""  # noqa: E501
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""  # noqa: E501
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""  # noqa: E501
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "users") -> None:
    """Write ``frame`` as a one-sheet .xlsx, the way Excel stores it (shared strings, date serials).

    Numbers as ``float``/``int`` values, booleans as boolean cells, datetimes as serial numbers with a
    date format, text through the shared-strings table. No index. Written to a temporary file and
    renamed, so an interrupted run never leaves a truncated cache file.
    """
    ncols = len(frame.columns)
    letters = [_column_letter(i) for i in range(ncols)]
    strings: dict[str, int] = {}
    header_cells = []
    for letter, name in zip(letters, frame.columns, strict=True):
        strings.setdefault(str(name), len(strings))
        header_cells.append(f'<c r="{letter}1" t="s"><v>{strings[str(name)]}</v></c>')
    columns = list(_cells(frame, strings))
    template = "".join(f'<c r="{letter}{{0}}" {{{i + 1}}}</c>' for i, letter in enumerate(letters))
    template = f'<row r="{{0}}">{template}</row>'

    tmp = _atomic_path(path)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
            zf.writestr("_rels/.rels", _RELS)
            zf.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet)))
            zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
            zf.writestr("xl/styles.xml", _STYLES)
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
                last = f"{letters[-1]}{len(frame) + 1}"
                out.write(
                    (
                        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        f'<dimension ref="A1:{last}"/><sheetData><row r="1">{"".join(header_cells)}</row>'
                    ).encode()
                )
                chunk: list[str] = []
                for rownum, cells in enumerate(zip(*columns, strict=True), start=2):
                    chunk.append(template.format(rownum, *cells))
                    if len(chunk) == 10_000:
                        out.write("".join(chunk).encode())
                        chunk.clear()
                out.write(("".join(chunk) + "</sheetData></worksheet>").encode())
            shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
            zf.writestr(
                "xl/sharedStrings.xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def users_xlsx(rows: int, seed: int = SEED) -> Path:
    """Return the path of ``users_<rows>_seed<seed>.xlsx`` under benchmarks/data/, writing it once."""
    if rows + 1 > 1_048_576:
        raise ValueError(f"an Excel sheet holds at most 1,048,575 data rows, not {rows:,}")
    path = DATA_DIR / f"users_{rows}_seed{seed}.xlsx"
    if not path.exists():
        write_xlsx(users(rows, seed), path)
    return path


def excel_range_values(frame: pd.DataFrame) -> list[list[object]]:
    """Return ``frame`` as xlwings hands a range's values to a UDF: a list of row lists, header first.

    Numbers are Python ``float`` (Excel has no integers), dates ``datetime.datetime``, booleans
    ``bool``, text ``str`` and empty cells ``None``.
    """
    columns: list[list[object]] = []
    for col in frame.columns:
        values = frame[col]
        mask = values.isna().to_numpy()
        if pd.api.types.is_bool_dtype(values):
            out: list[object] = [bool(v) for v in values.to_numpy(dtype=bool, na_value=False)]
        elif pd.api.types.is_datetime64_dtype(values):
            out = values.to_numpy("datetime64[us]").astype(dt.datetime).tolist()
        elif pd.api.types.is_numeric_dtype(values):
            out = values.to_numpy(dtype=np.float64, na_value=np.nan).tolist()
        else:
            out = values.astype(object).tolist()
        if mask.any():
            for i in np.flatnonzero(mask).tolist():
                out[i] = None
        columns.append(out)
    header: list[object] = [str(c) for c in frame.columns]
    return [header, *map(list, zip(*columns, strict=True))]


def main() -> None:
    """Pre-generate cached benchmark files."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[], help="Parquet tables to cache")
    parser.add_argument("--xlsx", type=int, nargs="*", default=[], help=".xlsx files to write")
    args = parser.parse_args()
    for rows in args.rows:
        users(rows)
        print(DATA_DIR / f"users_{rows}_seed{SEED}.parquet")
    for rows in args.xlsx:
        print(users_xlsx(rows))


if __name__ == "__main__":
    main()
