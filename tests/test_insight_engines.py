"""Scan and gap parity: the same results on pandas (in memory), DuckDB (a relation, a table of a connection, a
glob of Parquet files), an Ibis expression and Spark (local[2]) — the engines of ``tests/test_engines.py``.

Labels, order, users and counts identical; values, rest, difference, lift, intervals, p (BH-adjusted),
impact, shares and effects within 1e-9 relative; ``explained_by`` identical. Every engine is also checked
against figures computed from the definitions with plain pandas ``groupby`` and scipy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats as sps
from test_engines import ENGINES, users  # noqa: F401 - the fixtures' data and the engines' names

from xlseg.errors import XlsegError
from xlseg.insight.gap import gap
from xlseg.insight.scan import scan
from xlseg.reporting import report


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = users(4000, seed=11)
    rng = np.random.default_rng(3)
    # a planted effect (web users on DE convert more) and a group column for the gap
    boost = (frame["device"] == "web") & (frame["geo"] == "DE")
    frame["converted"] = frame["converted"] | (boost & (rng.random(len(frame)) < 0.4))
    frame["cohort"] = np.where(rng.random(len(frame)) < 0.45, "A", "B")
    frame.loc[(frame["cohort"] == "B") & (frame["device"] == "ios"), "sessions"] += 2.0
    return frame


def as_source(engine: str, frame: pd.DataFrame, request: pytest.FixtureRequest, tmp_path_factory) -> object:
    """``frame`` as each engine's input."""
    if engine in ("duckdb", "duckdb-table"):
        import duckdb

        connection = duckdb.connect()
        connection.register("frame_view", frame)
        connection.execute("CREATE TABLE t AS SELECT * FROM frame_view")
        return connection.table("t") if engine == "duckdb" else (connection, "t")
    if engine == "parquet-glob":
        import pyarrow.parquet as pq

        folder = tmp_path_factory.mktemp("parts")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for i, start in enumerate(range(0, len(frame), 1500)):
            pq.write_table(table.slice(start, 1500), folder / f"part-{i}.parquet")
        return str(folder / "*.parquet")
    if engine == "ibis":
        import ibis

        return ibis.memtable(frame)
    spark = request.getfixturevalue("spark")
    return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def source(engine: str, data: pd.DataFrame, request: pytest.FixtureRequest, tmp_path_factory) -> object:
    return as_source(engine, data, request, tmp_path_factory)


EXACT = ("users", "dimension", "segment", "explained_by")


def assert_same(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    """Same columns, rows and order; counts and labels exact, every other figure within 1e-9 relative."""
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        e, a = expected[column], actual[column]
        if not pd.api.types.is_numeric_dtype(e.dtype) or column in EXACT:
            assert a.astype(str).tolist() == e.astype(str).tolist(), column
        else:
            np.testing.assert_allclose(a.to_numpy(float), e.to_numpy(float), rtol=1e-9, atol=0, err_msg=column)


SCANS = {
    "rate, depth 2": dict(metric="converted:rate", by=["geo", "device", {"column": "age", "bins": "q4"}], min_size=20),
    "mean, depth 2, top-N and weeks": dict(metric="sessions:mean", by=[{"column": "geo", "top": 4}, "device",
                                                                       {"column": "signup", "bins": "quarter"}]),
    "rate, depth 1, default bins": dict(metric="converted", by=["device", "age", "signup"], depth=1),
    "mean, depth 1, width bins": dict(metric="revenue:mean", by=["geo", {"column": "sessions", "bins": "width:5"}],
                                      depth=1, min_size=5),
}


@pytest.mark.parametrize("case", list(SCANS))
def test_scan_parity(case: str, data: pd.DataFrame, source: object) -> None:
    kwargs = dict(SCANS[case])
    metric = kwargs.pop("metric")
    expected, actual = scan(data, metric, **kwargs), scan(source, metric, **kwargs)
    assert len(expected) > 10
    assert_same(expected, actual)
    for key in ("tested", "skipped", "candidates", "significant", "depth", "dimensions", "metric", "agg"):
        assert actual.attrs[key] == expected.attrs[key], key
    assert actual.attrs["overall"] == pytest.approx(expected.attrs["overall"], rel=1e-12)
    assert any(note.startswith("Aggregated by") for note in actual.attrs["notes"])


def test_scan_against_the_definitions(data: pd.DataFrame, source: object) -> None:
    """Every single segment of a rate scan and a mean scan from plain pandas and scipy (unadjusted p first,
    then Benjamini–Hochberg over all candidates tested)."""
    for metric, column in (("converted:rate", "converted"), ("sessions:mean", "sessions")):
        out = scan(source, metric, by=["device", "geo"], depth=1, min_size=1)
        frame = data.assign(geo=data["geo"].fillna("(missing)"))
        values = frame[column].astype(float)
        rows = []
        for dim in ("device", "geo"):
            for label, inside in frame.groupby(dim).groups.items():
                mask = frame.index.isin(inside)
                seg, rest = values[mask].dropna(), values[~mask].dropna()
                if column == "converted":
                    pooled = values.mean()
                    z = (seg.mean() - rest.mean()) / np.sqrt(pooled * (1 - pooled) * (1 / len(seg) + 1 / len(rest)))
                    p = 2 * sps.norm.sf(abs(z))
                else:
                    p = sps.ttest_ind(seg, rest, equal_var=False).pvalue
                rows.append((dim, str(label), int(mask.sum()), seg.mean(), rest.mean(), p,
                             len(seg) * (seg.mean() - rest.mean())))
        expected = pd.DataFrame(rows, columns=["dimension", "segment", "users", "value", "rest", "raw", "impact"])
        order = expected["raw"].sort_values(ascending=False).index  # step-up: from the largest p down
        scaled = expected["raw"] * len(expected) / expected["raw"].rank(method="first")
        expected["p"] = np.minimum(np.minimum.accumulate(scaled[order]), 1).reindex(expected.index)
        merged = out.merge(expected, on=["dimension", "segment"], validate="1:1")
        assert len(merged) == len(expected) == len(out)
        assert (merged["users_x"] == merged["users_y"]).all()
        for ours, theirs in ((metric.replace(":", " "), "value"), ("rest_x", "rest_y"), ("p_x", "p_y"),
                             ("impact_x", "impact_y")):
            np.testing.assert_allclose(merged[ours], merged[theirs], rtol=1e-9, err_msg=f"{metric} {theirs}")


GAPS = {
    "rate by device": dict(by="device", metric="converted:rate"),
    "mean by geo, top 3": dict(by="geo", metric="sessions:mean", top=3),
    "mean by age quartiles": dict(by="age", metric="sessions"),
    "rate by quarter": dict(by={"column": "signup", "bins": "quarter"}, metric="converted"),
}


@pytest.mark.parametrize("case", list(GAPS))
def test_gap_one_table_parity(case: str, data: pd.DataFrame, source: object) -> None:
    kwargs = dict(GAPS[case])
    by, metric = kwargs.pop("by"), kwargs.pop("metric")
    expected = gap(data, by, metric, between=("cohort", "A", "B"), **kwargs)
    actual = gap(source, by, metric, between=("cohort", "A", "B"), **kwargs)
    assert_same(expected, actual)
    for key in ("gap", "rate_effect", "mix_effect", "rate_effect_lo", "rate_effect_hi", "overall_a", "overall_b"):
        assert actual.attrs[key] == pytest.approx(expected.attrs[key], rel=1e-9, abs=1e-15), key
    assert actual.attrs["simpson"] == expected.attrs["simpson"]
    assert actual.attrs["explanation"] == expected.attrs["explanation"]
    missing = [n for n in expected.attrs["notes"] if "without a value" in n]
    assert missing == [n for n in actual.attrs["notes"] if "without a value" in n]


def test_gap_against_the_definitions(data: pd.DataFrame, source: object) -> None:
    """Kitagawa's formula written out with pandas on the rows, and the identity rate + mix = gap."""
    out = gap(source, "device", "sessions:mean", between="cohort:A:B")
    rows = data.dropna(subset=["sessions"])
    shares = rows.groupby(["cohort", "device"]).size() / rows.groupby("cohort").size()
    means = rows.groupby(["cohort", "device"])["sessions"].mean()
    body = out.set_index("segment").drop(index="Total")
    for device in ("android", "ios", "web"):
        w_a, w_b, r_a, r_b = shares["A", device], shares["B", device], means["A", device], means["B", device]
        assert body.loc[device, "rate effect"] == pytest.approx((r_b - r_a) * (w_a + w_b) / 2, rel=1e-9)
        assert body.loc[device, "mix effect"] == pytest.approx((w_b - w_a) * (r_a + r_b) / 2, rel=1e-9)
    overall = rows.groupby("cohort")["sessions"].mean()
    assert out.attrs["gap"] == pytest.approx(overall["B"] - overall["A"], rel=1e-9)
    assert out.attrs["rate_effect"] + out.attrs["mix_effect"] == pytest.approx(out.attrs["gap"], rel=1e-9)


@pytest.mark.parametrize("case", ["rate by device", "mean by geo, top 3", "rate by quarter"])
def test_gap_two_tables_parity(case: str, engine: str, data: pd.DataFrame, request: pytest.FixtureRequest,
                               tmp_path_factory) -> None:
    kwargs = dict(GAPS[case])
    by, metric = kwargs.pop("by"), kwargs.pop("metric")
    before = data[data["cohort"] == "A"].drop(columns="cohort").reset_index(drop=True)
    after = data[data["cohort"] == "B"].drop(columns="cohort").reset_index(drop=True)
    expected = gap(before, after, by, metric, names=("2024", "2025"), **kwargs)
    sources = [as_source(engine, t, request, tmp_path_factory) for t in (before, after)]
    actual = gap(*sources, by, metric, names=("2024", "2025"), **kwargs)
    assert_same(expected, actual)
    assert actual.attrs["gap"] == pytest.approx(expected.attrs["gap"], rel=1e-9)
    assert actual.attrs["explanation"] == expected.attrs["explanation"]
    # the same as the one-table form on the stacked table
    stacked = gap(data, by, metric, between=("cohort", "A", "B"), **kwargs)
    np.testing.assert_allclose(actual["total"].to_numpy(float), stacked["total"].to_numpy(float), rtol=1e-9)


def test_report_with_scan_and_gap(data: pd.DataFrame, source: object) -> None:
    kwargs = dict(by=["device", "geo"], metrics="converted:rate", scan="converted:rate", gap="cohort:A:B")
    expected, actual = report(data, **kwargs), report(source, **kwargs)
    assert list(actual.frames) == list(expected.frames)
    for name in ("What stands out", "Gap"):
        match = [n for n in expected.frames if n.startswith(name)]
        assert match, list(expected.frames)
        for e, a in zip(expected.frames[match[0]], actual.frames[match[0]], strict=True):
            assert_same(e, a)


def test_source_errors_are_one_line(source: object, data: pd.DataFrame) -> None:
    with pytest.raises(XlsegError, match=r"^name the dimensions to scan \(by=\['device', 'plan'\]\)"):
        scan(source, "converted:rate")
    with pytest.raises(XlsegError, match="column 'devise' not found; did you mean 'device'"):
        scan(source, "converted:rate", by=["devise"])
    with pytest.raises(XlsegError, match="'revenue' is not a flag column"):
        scan(source, "revenue:rate", by=["device"])
    with pytest.raises(XlsegError, match="the scan compares means and rates"):
        scan(source, "sessions:median", by=["device"])
    with pytest.raises(XlsegError, match=r"'C' is not a value of 'cohort'"):
        gap(source, "device", "converted:rate", between="cohort:A:C")
    with pytest.raises(XlsegError, match="one is a .* source, the other is read into memory"):
        gap(source, data, "device", "converted:rate")
    with pytest.raises(XlsegError, match=r"^'age' is a number column in two separate .* use between=$"):
        gap(source, source, "age", "converted:rate")


def test_cli_report_with_scan_and_gap_on_a_parquet_glob(data: pd.DataFrame, tmp_path_factory) -> None:
    """``xlseg report 'glob' --scan … --gap … --engine duckdb``: the gap sheet's per-segment numbers (read back
    with openpyxl) are the in-memory gap's."""
    import subprocess
    import sys

    import openpyxl

    glob = as_source("parquet-glob", data, None, tmp_path_factory)  # type: ignore[arg-type]
    out = tmp_path_factory.mktemp("cli") / "report.xlsx"
    done = subprocess.run([sys.executable, "-m", "xlseg.cli", "report", str(glob), "-o", str(out), "--by", "device",
                           "--metric", "converted:rate", "--scan", "converted:rate", "--gap", "cohort:A:B",
                           "--engine", "duckdb"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert "What stands out" in book.sheetnames
    cells = [[c.value for c in row] for row in book["Gap A vs B"].iter_rows()]
    start = next(i for i, row in enumerate(cells) if row[0] == "segment" and "rate effect" in row)
    names = cells[start]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cells[start + 1: start + 5]}
    expected = gap(data, "device", "converted:rate", between="cohort:A:B").set_index("segment")
    for segment in ("android", "ios", "web", "Total"):
        for column in ("share A", "converted rate B", "rate effect", "mix effect", "total"):
            assert rows[segment][column] == pytest.approx(expected.loc[segment, column], rel=1e-9, abs=1e-15)
