"""Input as systems export it: ISO 8601 times with zones, epoch numbers, percent and currency text, and
column names that are not text.

References are independent of xlseg: ``datetime.fromisoformat`` (and ``pd.to_datetime(utc=True)``) for
every timestamp cell, ``zoneinfo`` for local times, ``datetime.fromtimestamp`` for epochs, and
:func:`amount`, a parser written here from the formats' definitions, for percent and currency cells. Every
format is read through the CSV, .xlsx (openpyxl text cells), range-values and DataFrame paths.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

import xlseg
from xlseg.errors import XlsegError
from xlseg.excel.udfs import SEG_BREAKDOWN
from xlseg.io.load import load_table
from xlseg.io.timestamps import naive_in_zone
from xlseg.schema import Role

RNG = np.random.default_rng(14)
UTC = dt.UTC


def _iso_cells(n: int) -> list[str]:
    """ISO 8601 text in every exported shape: Z, fractions, offsets with and without colon, T or space."""
    shapes = ["{d}T{t}Z", "{d}T{t}.123Z", "{d}T{t}+02:00", "{d} {t}-0530", "{d}T{t}.5+01:00", "{d}T{t}z"]
    base = dt.datetime(2024, 1, 1)
    out = []
    for i in range(n):
        stamp = base + dt.timedelta(seconds=int(RNG.integers(0, 365 * 86400)))
        out.append(shapes[i % len(shapes)].format(d=stamp.strftime("%Y-%m-%d"), t=stamp.strftime("%H:%M:%S")))
    return out


ISO = _iso_cells(60)


def utc_reference(cell: str) -> dt.datetime:
    """``datetime.fromisoformat`` (3.11 reads Z and ±hhmm), as a naive UTC time."""
    return dt.datetime.fromisoformat(cell.replace("z", "Z")).astimezone(UTC).replace(tzinfo=None)


def local_reference(cell: str, zone: str) -> dt.datetime:
    return dt.datetime.fromisoformat(cell.replace("z", "Z")).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def write_csv(path: Path, header: list[str], columns: list[list[str]]) -> Path:
    frame = pd.DataFrame(dict(zip(header, columns, strict=True)))
    frame.to_csv(path, index=False)
    return path


def write_xlsx(path: Path, header: list[str], columns: list[list[str]]) -> Path:
    """An .xlsx with every cell a text cell (openpyxl stores str as shared strings)."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in zip(*columns, strict=True):
        sheet.append(list(row))
    book.save(path)
    return path


def every_path(tmp_path: Path, header: list[str], columns: list[list[str]], **kwargs: object) -> dict[str, object]:
    """The same cells read through the CSV, .xlsx, range-values and DataFrame paths."""
    rows = [header] + [list(r) for r in zip(*columns, strict=True)]
    return {
        "csv": load_table(write_csv(tmp_path / "t.csv", header, columns), **kwargs),
        "xlsx": load_table(write_xlsx(tmp_path / "t.xlsx", header, columns), **kwargs),
        "range": load_table(rows, **kwargs),
        "frame": load_table(pd.DataFrame(dict(zip(header, columns, strict=True))), **kwargs),
    }


def times(series: pd.Series) -> list[dt.datetime]:
    return [t.to_pydatetime() for t in series]


# --- timestamps -------------------------------------------------------------------------------------------

def test_iso_times_with_zones_are_utc_timestamps_cell_by_cell_in_every_path(tmp_path):
    for path, table in every_path(tmp_path, ["ts", "n"], [ISO, [str(i) for i in range(len(ISO))]]).items():
        assert table.roles["ts"] == Role.DATE, path
        assert times(table.frame["ts"]) == [utc_reference(c) for c in ISO], path
        pandas_utc = pd.to_datetime(pd.Series(ISO).str.upper(), format="ISO8601", utc=True).dt.tz_localize(None)
        assert (table.frame["ts"] == pandas_utc).all(), path
        assert any("mixed UTC offsets (+01:00, +02:00, -05:30, UTC); converted to UTC" in n for n in table.notes)


def test_z_alone_says_utc():
    table = load_table([["ts"], ["2024-09-08T06:32:36Z"], ["2024-09-08T06:32:36.123Z"]])
    assert times(table.frame["ts"]) == [dt.datetime(2024, 9, 8, 6, 32, 36), dt.datetime(2024, 9, 8, 6, 32, 36, 123000)]
    assert "read 'ts' as UTC times (ISO 8601 with Z)" in table.notes


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_tz_gives_local_wall_clock_times(tmp_path, zone):
    for path, table in every_path(tmp_path, ["ts"], [ISO], tz=zone).items():
        assert times(table.frame["ts"]) == [local_reference(c, zone) for c in ISO], path
        assert f"'ts' shown as local times in {zone} (Excel holds no zone)" in table.notes


def test_tz_decides_the_day_of_a_breakdown():
    rows = [["ts"], ["2024-09-08T23:30:00Z"], ["2024-09-09T00:30:00Z"], ["2024-09-09T05:00:00Z"]]
    utc = xlseg.breakdown(rows, [{"column": "ts", "bins": "day"}])
    new_york = xlseg.breakdown(rows, [{"column": "ts", "bins": "day"}], tz="America/New_York")
    assert dict(zip(utc["ts"], utc["users"], strict=True)) == {"2024-09-08": 1, "2024-09-09": 2, "Total": 3}
    assert dict(zip(new_york["ts"], new_york["users"], strict=True)) == {"2024-09-08": 2, "2024-09-09": 1,
                                                                        "Total": 3}
    rows_plans = [r + [p] for r, p in zip(rows, ["plan", "a", "b", "a"], strict=True)]
    tokyo = xlseg.crosstab(rows_plans, [{"column": "ts", "bins": "day"}], "plan", tz="Asia/Tokyo")
    assert tokyo["ts"].tolist() == ["2024-09-09", "Total"]  # 08:30, 09:30 and 14:00 on 9 September in Tokyo
    assert tokyo["Total"].tolist() == [3, 3]


def test_tz_reaches_excel_options_and_the_cli_parser():
    rows = [["ts", "plan"], ["2024-09-08T23:30:00Z", "a"], ["2024-09-09T00:30:00Z", "b"]]
    spilled = SEG_BREAKDOWN(rows, "plan", "ts:min", "tz=America/New_York")
    column = spilled[0].index("ts min")
    assert [row[column] for row in spilled[1:3]] == [dt.datetime(2024, 9, 8, 19, 30), dt.datetime(2024, 9, 8, 20, 30)]
    assert SEG_BREAKDOWN(rows, "plan", None, "tz=Mars/Base") == (
        "Unknown time zone 'Mars/Base'; use an IANA name like Europe/Berlin, America/New_York or UTC.")


def test_time_zone_aware_frame_columns_follow_tz():
    stamps = pd.Series(pd.to_datetime([utc_reference(c) for c in ISO])).dt.tz_localize("UTC")
    aware = pd.DataFrame({"at": stamps.dt.tz_convert("America/Los_Angeles")})
    table = load_table(aware, tz="Europe/Lisbon")
    assert times(table.frame["at"]) == [local_reference(c, "Europe/Lisbon") for c in ISO]
    assert "'at' shown as local times in Europe/Lisbon (Excel holds no zone)" in table.notes


def test_naive_in_zone_is_the_helper_other_stages_use():
    naive_utc = pd.Series(pd.to_datetime(["2024-03-31 00:30", "2024-03-31 01:30"]))
    assert list(naive_in_zone(naive_utc, "Europe/Berlin")) == [pd.Timestamp("2024-03-31 01:30"),
                                                                pd.Timestamp("2024-03-31 03:30")]  # DST starts
    assert list(naive_in_zone(naive_utc, None)) == list(naive_utc)


def test_unknown_zone_is_a_one_line_error():
    with pytest.raises(XlsegError, match=r"^unknown time zone 'Berlin'; use an IANA name"):
        load_table([["ts"], ["2024-09-08T06:32:36Z"]], tz="Berlin")


def test_plain_dates_ignore_tz_and_mixed_zoned_and_plain_are_noted():
    plain = load_table([["d"], ["2024-09-08 06:32:36"]], tz="Asia/Tokyo")
    assert times(plain.frame["d"]) == [dt.datetime(2024, 9, 8, 6, 32, 36)]
    mixed = load_table([["d"], ["2024-09-08 06:32:36"], ["2024-09-08T06:32:36+02:00"]])
    assert times(mixed.frame["d"]) == [dt.datetime(2024, 9, 8, 6, 32, 36), dt.datetime(2024, 9, 8, 4, 32, 36)]
    assert any("times without a zone in it were read as UTC" in n for n in mixed.notes)


# --- epoch ------------------------------------------------------------------------------------------------

def test_declared_epoch_seconds_and_milliseconds():
    seconds = RNG.integers(1_500_000_000, 1_800_000_000, 50)
    for scale, unit in ((1, "seconds"), (1000, "milliseconds")):
        frame = pd.DataFrame({"ts": seconds * scale})
        table = load_table(frame, roles={"ts": "date:epoch"}, tz="Europe/Paris")
        expected = [dt.datetime.fromtimestamp(int(s), ZoneInfo("Europe/Paris")).replace(tzinfo=None) for s in seconds]
        assert times(table.frame["ts"]) == expected
        assert f"read 'ts' as Unix epoch {unit} (UTC times)" in table.notes
    text = load_table([["ts"], ["1725777156"], [""]], roles={"ts": "date:epoch"})
    assert times(text.frame["ts"].dropna()) == [dt.datetime(2024, 9, 8, 6, 32, 36)]


def test_epoch_is_suggested_for_a_time_named_numeric_column_only():
    hinted = load_table(pd.DataFrame({"created_at": [1725777156.0, 1725777999.0, 1725779999.0]}))
    assert hinted.roles["created_at"] == Role.METRIC
    assert any("looks like Unix epoch seconds" in n and "date:epoch" in n for n in hinted.notes)
    quiet = load_table(pd.DataFrame({"revenue": [1725777156.0, 1725777999.0, 1725779999.0]}))
    assert not any("epoch" in n for n in quiet.notes)


def test_declared_epoch_with_text_is_an_error():
    with pytest.raises(XlsegError, match=r"^'ts' is a date:epoch column but holds 'soon' \(data row 2\)"):
        load_table([["ts"], ["1725777156"], ["soon"]], roles={"ts": "date:epoch"})


# --- amounts ----------------------------------------------------------------------------------------------

CURRENCY_TOKENS = ["US$", "CHF", "USD", "EUR", "GBP", "$", "€", "£", "¥"]


def amount(cell: str, decimal: str) -> float:
    """Reference parser, from the definitions: parentheses or a minus mean negative, a % divides by 100,
    currency tokens and every separator but the decimal mark are dropped."""
    text = cell.replace("\u00a0", " ").replace("\u202f", " ").strip()
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    percent = text.endswith("%")
    text = text.rstrip("%")
    for token in CURRENCY_TOKENS:
        text = text.replace(token, "")
    if "-" in text:
        negative, text = True, text.replace("-", "")
    other = "." if decimal == "," else ","
    for sep in (other, " ", "'"):
        text = text.replace(sep, "")
    value = float(text.replace(decimal, "."))
    return (-value if negative else value) / (100 if percent else 1)


AMOUNT_COLUMNS = {  # column: (cells, decimal mark, note)
    "pct": (["9.1%", "-3 %", "12.5%", "0%", "100%"], ".", "read 'pct' as percentages"),
    "eur": (["1 224,88 €", "€1.234,50", "-2,5 €", "€ 3", "1\u00a0000,00 €"], ",", "read 'eur' as amounts in EUR"),
    "usd": (["$1,234", "(1,234.00)", "$0.99", "-$5", "USD 2,000,000.5"], ".", "read 'usd' as amounts in USD"),
    "chf": (["CHF 1'234.50", "CHF 12", "12.30 CHF", "CHF -7.05", "1\u202f000 CHF"], ".",
            "read 'chf' as amounts in CHF"),
}


def test_percent_and_currency_text_cell_by_cell_in_every_path(tmp_path):
    header = list(AMOUNT_COLUMNS)
    columns = [cells for cells, _, _ in AMOUNT_COLUMNS.values()]
    for path, table in every_path(tmp_path, header, columns).items():
        for name, (cells, decimal, note) in AMOUNT_COLUMNS.items():
            assert table.roles[name] == Role.METRIC, (path, name)
            assert table.frame[name].tolist() == pytest.approx([amount(c, decimal) for c in cells]), (path, name)
            assert any(n.startswith(note) for n in table.notes), (path, name, table.notes)


def test_many_random_amounts_against_the_reference():
    values = np.round(RNG.uniform(-1e6, 1e6, 300), 2)
    def euro(v: float) -> str:
        text = f"{abs(v):,.2f}".replace(",", " ").replace(".", ",")
        return f"-{text} €" if v < 0 else f"{text} €"
    def dollar(v: float) -> str:
        return f"(${abs(v):,.2f})" if v < 0 else f"${v:,.2f}"
    rows = [["e", "d"]] + [[euro(v), dollar(v)] for v in values]
    table = load_table(rows)
    assert table.frame["e"].tolist() == pytest.approx([amount(euro(v), ",") for v in values])
    assert table.frame["d"].tolist() == pytest.approx([amount(dollar(v), ".") for v in values])
    assert table.frame["d"].tolist() == pytest.approx(values.tolist())


def test_mixed_currencies_stay_text_with_a_note():
    table = load_table([["price"], ["$5"], ["€6"], ["$7"]])
    assert table.roles["price"] == Role.DIMENSION
    assert "'price' mixes currencies (EUR, USD); kept as text, never summed across them" in table.notes


def test_a_few_unreadable_cells_become_missing_and_are_counted():
    cells = [f"${i},000.00" for i in range(1, 100)] + ["see note"]
    table = load_table([["paid"]] + [[c] for c in cells])
    assert table.roles["paid"] == Role.METRIC
    assert table.frame["paid"].iloc[:99].tolist() == [i * 1000.0 for i in range(1, 100)]
    assert pd.isna(table.frame["paid"].iloc[99])
    assert any("1 unreadable cell ('see note') read as missing" in n for n in table.notes)


def test_too_many_unreadable_cells_keep_the_column_text_and_say_why():
    cells = [f"${i}" for i in range(1, 40)] + ["see note", "tbd"]
    table = load_table([["paid"]] + [[c] for c in cells])
    assert table.roles["paid"] != Role.METRIC
    assert any("looks like amounts in USD but 2 cells" in n and "at most 2%" in n for n in table.notes)


def test_decimal_point_and_comma_in_one_column_stay_text():
    table = load_table([["x"], ["1,50 €"], ["2.75 €"]])
    assert table.roles["x"] == Role.DIMENSION
    assert any("decimal point in some cells and a decimal comma in others" in n for n in table.notes)


def test_plain_codes_with_one_currency_value_stay_text():
    table = load_table([["code"], ["1"], ["2"], ["$5"]])
    assert table.roles["code"] == Role.DIMENSION


# --- names that are not text ------------------------------------------------------------------------------

def _numbered() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({10: rng.choice(["a", "b"], 80), 20: rng.choice(["x", "y"], 80),
                         30: rng.normal(size=80).round(3), True: rng.choice(["p", "q"], 80),
                         pd.Timestamp("2024-01-31"): rng.integers(0, 100, 80)})


def test_number_date_and_bool_names_work_in_every_argument():
    df = _numbered()
    by_int = xlseg.breakdown(df, 10, {30: "sum"})
    reference = df.groupby(10)[30].sum()
    assert by_int["30 sum"].tolist()[:2] == pytest.approx(reference.tolist())
    assert list(by_int.columns[:1]) == ["10"]
    cross = xlseg.crosstab(df, 10, 20, 30, "sum")
    assert cross.iloc[:2, 1:3].to_numpy() == pytest.approx(df.pivot_table(30, 10, 20, "sum").to_numpy())
    binned = xlseg.breakdown(df, pd.Timestamp("2024-01-31"), bins={pd.Timestamp("2024-01-31"): "q2"},
                             roles={10: "dimension"}, metrics=[(30, "mean")])
    assert binned["users"].iloc[-1] == 80
    flagged = xlseg.breakdown(df, [True], top={True: 1})
    assert set(flagged["TRUE"]) <= {"p", "q", "Other", "Total"}
    header_none = pd.read_csv(pd.io.common.StringIO("a,1\nb,2\na,3\n"), header=None)
    assert xlseg.breakdown(header_none, 0, "1:sum")["1 sum"].tolist() == [4.0, 2.0, 6.0]


def test_ten_and_text_ten_together_is_a_one_line_error():
    with pytest.raises(XlsegError, match=r"^header '10' appears twice"):
        xlseg.breakdown(pd.DataFrame([[1, 2]], columns=[10, "10"]), 10)
    with pytest.raises(XlsegError, match=r"^column '10' is named twice"):
        xlseg.breakdown(_numbered(), 10, bins={10: "top:1", "10": "top:1"})


def test_cli_declares_roles_and_tz(tmp_path):
    from xlseg.cli import main

    path = write_csv(tmp_path / "log.csv", ["ts", "plan"], [["1725836400", "1725840000"], ["a", "b"]])
    out = tmp_path / "r.xlsx"
    assert main(["report", str(path), "-o", str(out), "--role", "ts=date:epoch", "--tz", "Asia/Tokyo",
                 "--by", "plan", "--quiet"]) == 0
    assert out.exists()
    from openpyxl import load_workbook

    texts = [str(c.value) for ws in load_workbook(out) for row in ws.iter_rows() for c in row if c.value]
    assert any("shown as local times in Asia/Tokyo" in t for t in texts)


def test_percent_text_keeps_a_percent_format_in_the_report(tmp_path):
    from openpyxl import load_workbook

    rng = np.random.default_rng(5)
    churn = [f"{v:.1f}%" for v in rng.uniform(0, 30, 120)]
    plans, spend = rng.choice(["free", "pro"], 120), rng.uniform(0, 900, 120)
    rows = [["plan", "churn", "spend"]] + [[p, c, f"${s:,.2f}"] for p, c, s in zip(plans, churn, spend, strict=True)]
    table = load_table(rows)
    assert table.formats == {"churn": "0.0%"}
    frame = xlseg.breakdown(rows, "plan", "churn:mean,count; spend:mean")
    assert frame.attrs["formats"] == {"churn mean": "0.0%"}
    assert frame["churn mean"].iloc[-1] == pytest.approx(np.mean([amount(c, ".") for c in churn]))
    path = xlseg.report(rows, by="plan", metrics="churn:mean; spend:mean").to_excel(tmp_path / "r.xlsx")
    sheet = load_workbook(path)["plan"]
    header: dict[str, int] = {}  # the breakdown table's header (the chart data table under it repeats names)
    for row in sheet.iter_rows():
        for c in row:
            if c.value in ("churn mean", "spend mean"):
                header.setdefault(c.value, c.column)
    total = next(r[0].row for r in sheet.iter_rows() if r[0].value == "Total")
    assert sheet.cell(total, header["churn mean"]).number_format == "0.0%"
    assert "%" not in sheet.cell(total, header["spend mean"]).number_format


def test_macro_settings_take_tz_and_an_epoch_role():
    from xlseg.excel.args import parse_options
    from xlseg.excel.macros import MACRO_SETTINGS

    settings = parse_options([["tz", "Europe/Berlin"], ["roles", "ts:date:epoch"]]).engine_kwargs(
        MACRO_SETTINGS, "the xlseg sheet")
    assert settings == {"tz": "Europe/Berlin", "roles": {"ts": "date:epoch"}}
    result = xlseg.report([["ts", "plan"], [1725836400.0, "a"], [1725840000.0, "b"]], by="plan", **settings)
    assert result.table.frame["ts"].tolist() == [pd.Timestamp("2024-09-09 01:00"), pd.Timestamp("2024-09-09 02:00")]


def test_epoch_hint_in_a_csv_file(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["event_time", "n"], [["1725777156", "1725777999"], ["1", "2"]])
    table = load_table(path)
    assert table.roles["event_time"] == Role.METRIC
    assert any("'event_time' looks like Unix epoch seconds" in n for n in table.notes)


def test_report_takes_columns_named_by_numbers():
    df = _numbered()
    result = xlseg.report(df, by=[10, [10, 20]], metrics={30: "mean"}, crosstabs=[(10, 20)], bins={30: "q2"},
                          top={10: 1})
    assert [s.name for s in result.sheets] == ["Summary", "10", "10 × 20", "10 × 20 (2)"]
    by_ten = xlseg.breakdown(df, 10, {30: "mean"}, top={10: 1})
    assert by_ten["10"].tolist() == [df[10].value_counts().index[0], "Other", "Total"]
    assert by_ten["30 mean"].iloc[-1] == pytest.approx(df[30].mean())


def test_a_log_with_a_few_unreadable_times_keeps_its_rows(tmp_path):
    cells = ISO * 2 + ["invalid"]  # 1 of 121 cells: under 2 %
    for path, table in every_path(tmp_path, ["ts", "n"], [cells, [str(i) for i in range(len(cells))]]).items():
        assert table.roles["ts"] == Role.DATE, path
        assert len(table.frame) == len(cells), path
        assert times(table.frame["ts"].iloc[:-1]) == [utc_reference(c) for c in ISO * 2], path
        assert pd.isna(table.frame["ts"].iloc[-1]), path
        assert "1 unreadable cell ('invalid') in 'ts' read as missing" in table.notes, path


def test_a_log_with_many_unreadable_times_stays_text_and_says_why():
    table = load_table([["ts"]] + [[c] for c in ISO[:30] + ["invalid", "bad"]])
    assert table.roles["ts"] != Role.DATE
    assert ("'ts' looks like ISO 8601 times but 2 cells (like 'invalid') are not; kept as text (at most 2% may be "
            "unreadable)") in table.notes


def test_tz_on_an_already_read_table_is_an_error():
    table = load_table([["ts"], ["2024-09-08T06:32:36Z"]])
    with pytest.raises(XlsegError, match=r"^tz applies while a table is read"):
        xlseg.breakdown(table, "ts", tz="Europe/Berlin")
    assert load_table(pd.DataFrame({pd.Timestamp("2024-01-31"): ["a"]}), columns=pd.Timestamp("2024-01-31")).roles


def test_plain_iso_dates_have_no_zone(tmp_path):
    """``2024-08-12`` ends in ``-12``, the day: no offset is read from it (a plain date column got a note about
    "mixed UTC offsets (-01:00, -12:00, -13:00)" before)."""
    path = tmp_path / "plain.csv"
    path.write_text("user,day,amount\nu1,2024-08-12,3\nu2,2024-08-13,4\nu1,2024-09-01,5\n")
    table = load_table(path)
    assert table.roles["day"] == Role.DATE
    assert not [n for n in table.notes if "UTC" in n or "offset" in n], table.notes
    assert table.frame["day"].tolist() == [pd.Timestamp("2024-08-12"), pd.Timestamp("2024-08-13"),
                                           pd.Timestamp("2024-09-01")]
    zoned = load_table([["t"], ["2024-08-12T10:00:00-12"], ["2024-08-12T10:00:00+02:00"]])
    assert any("mixed UTC offsets (+02:00, -12:00)" in n for n in zoned.notes), zoned.notes
