"""The fast paths of the behavioural reading and counting (issue 11's speed goal) against the general path and
plain pandas: typed Arrow/Parquet columns read without cleaning, integer ids factorized through a table, day
numbers by one division, and retention with signup cohorts in both modes against an oracle from the definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xlseg
from xlseg.behavior.events import day_numbers, factorize_integers, read_events
from xlseg.behavior.typed import typed_columns


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint64, np.uint16])
@pytest.mark.parametrize(("low", "high", "rows"), [(0, 10, 100), (5, 50, 30), (-20, 20, 100),
                                                   (10**6, 10**6 + 50, 200), (0, 10**9, 50), (3, 3, 5)])
def test_factorize_integers_is_pandas_factorize(dtype, low, high, rows):
    info = np.iinfo(dtype)
    low, high = max(low, info.min), min(high, info.max)
    if low > high:
        pytest.skip("range outside the dtype")
    ids = np.random.default_rng(low + rows).integers(low, high, rows, endpoint=True).astype(dtype)
    codes, uniques = factorize_integers(ids)
    expected_codes, expected_uniques = pd.factorize(ids)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(uniques, expected_uniques)
    assert codes.dtype == expected_codes.dtype and uniques.dtype == expected_uniques.dtype


def test_factorize_integers_at_the_ends_of_int64():
    ids = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0])
    codes, uniques = factorize_integers(ids)
    assert codes.tolist() == [0, 1, 0, 2] and uniques.tolist() == [ids[0], ids[1], 0]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns", "D"])
def test_day_numbers_round_down_like_a_date_cast(unit):
    times = np.array(["1969-12-31T23:59:59", "1969-12-31T00:00:00", "1970-01-01T00:00:01", "1900-03-01T12:00",
                      "2262-01-01", "2024-02-29T23:59:59", "NaT"], dtype=f"datetime64[{unit}]")
    present = ~np.isnat(times)
    expected = times.astype("datetime64[D]").astype(np.int64)
    np.testing.assert_array_equal(day_numbers(times)[present], expected[present])


def messy_events(seed: int = 3, rows: int = 400) -> pa.Table:
    """Integer ids (negative ones, gaps), times with missing ones and some before 1970, values with nulls,
    a text column after the user column and a number column before it."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.array([-7, 0, 3, 4, 10, 11, 12, 500, 501]), rows)
    seconds = rng.integers(-40 * 86_400, 400 * 86_400, rows)
    times = pa.array(np.datetime64("1970-01-01", "s") + seconds.astype("timedelta64[s]"),
                     mask=rng.random(rows) < 0.05).cast(pa.timestamp("us"))
    values = pa.array(np.round(rng.lognormal(2, 1, rows), 2), mask=rng.random(rows) < 0.1)
    return pa.table({"n": rng.integers(0, 9, rows), "user_id": ids, "event": rng.choice(["open", "buy"], rows),
                     "time": times, "amount": values})


def same_events(a, b) -> None:
    assert a.ids.tolist() == b.ids.tolist()
    for name in ("codes", "days", "values"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.as_of, a.notes, a.user, a.value) == (b.as_of, b.notes, b.user, b.value)


@pytest.mark.parametrize("as_of", [None, "1970-06-01"])
def test_typed_arrow_columns_read_as_the_general_path_does(as_of):
    table = messy_events()
    assert typed_columns(table, "user_id", "time", "amount") is not None  # the fast path is taken
    fast = read_events(table, "user_id", "time", "amount", as_of=as_of)
    general = read_events(table.to_pandas(), "user_id", "time", "amount", as_of=as_of)  # load_table cleans it
    same_events(fast, general)
    assert any("blank or unreadable" in n for n in fast.notes)
    for name, of in [("retention", lambda t: xlseg.retention(t, "user_id", "time", period="week", as_of=as_of)),
                     ("lifecycle", lambda t: xlseg.lifecycle(t, "user_id", "time", as_of=as_of)),
                     ("rfm", lambda t: xlseg.rfm(t, "user_id", "time", "amount", as_of=as_of)),
                     ("activity", lambda t: xlseg.activity(t, "user_id", "time", "amount", as_of=as_of))]:
        pd.testing.assert_frame_equal(of(table), of(table.to_pandas()), obj=name)


def test_typed_parquet_reads_only_the_named_columns_and_matches(tmp_path):
    path = tmp_path / "events.parquet"
    table = messy_events(seed=5)
    pq.write_table(table, path)
    assert typed_columns(path, "user_id", "time", "amount") is not None
    same_events(read_events(path, "user_id", "time", "amount"),
                read_events(table.to_pandas(), "user_id", "time", "amount"))
    # int values and date32 times are typed too
    dated = table.set_column(3, "time", table["time"].cast(pa.date32())).set_column(
        4, "amount", pa.array(np.arange(len(table)) % 7 * 3 + 1, type=pa.int32()))
    pq.write_table(dated, path)
    assert typed_columns(path, "user_id", "time", "amount") is not None
    same_events(read_events(path, "user_id", "time", "amount"),
                read_events(dated.to_pandas(), "user_id", "time", "amount"))


@pytest.mark.parametrize("change", ["text before the user", "blank id", "zone", "text time", "keep", "roles"])
def test_what_needs_cleaning_goes_the_general_path(change, tmp_path):
    table = messy_events(seed=9)
    keep, roles = (), None
    if change == "text before the user":  # a "Note: …" cell there could start a footer row
        table = table.select(["event", "user_id", "time", "amount"])
    elif change == "blank id":
        table = table.set_column(1, "user_id", pa.array(table["user_id"].to_numpy(), mask=np.arange(len(table)) == 3))
    elif change == "zone":
        table = table.set_column(3, "time", table["time"].cast(pa.timestamp("us", tz="Europe/Berlin")))
    elif change == "text time":
        table = table.set_column(3, "time", table["time"].cast(pa.string()))
    elif change == "keep":
        keep = ("event",)
    else:
        roles = {"amount": "metric"}
    assert typed_columns(table, "user_id", "time", "amount", keep=keep, roles=roles) is None
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    assert typed_columns(path, "user_id", "time", "amount", keep=keep, roles=roles) is None


def oracle_signup_retention(ev: pd.DataFrame, users: pd.DataFrame, mode: str, as_of: str) -> pd.DataFrame:
    """Monthly retention counts from the definition: cohort = signup month; active in month cohort+N (or in
    any month from cohort+N on); activity before signup not counted; users without a signup left out."""
    ev = ev[ev["t"] < as_of].assign(m=lambda d: d["t"].dt.to_period("M"))
    users = users.dropna(subset=["signup"]).assign(c=lambda d: d["signup"].dt.to_period("M"))
    last = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).to_period("M")
    rows = []
    for cohort, members in users.groupby("c"):
        row = {"cohort": str(cohort), "users": len(members)}
        mine = ev[ev["u"].isin(members["u"]) & (ev["m"] >= cohort)]
        for n in range((last - users["c"].min()).n + 1):
            if cohort + n > last:
                row[f"Month {n}"] = np.nan
                continue
            hit = mine["m"] == cohort + n if mode == "on" else mine["m"] >= cohort + n
            row[f"Month {n}"] = float(mine.loc[hit, "u"].nunique())
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_signup_cohorts_in_both_modes_match_the_definition(mode):
    rng = np.random.default_rng(11)
    ev = pd.DataFrame({"u": rng.integers(0, 60, 900),
                       "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, 900), unit="D")})
    signup = pd.Timestamp("2023-11-01") + pd.to_timedelta(rng.integers(0, 330, 70), unit="D")
    users = pd.DataFrame({"u": np.arange(70), "signup": signup.where(np.arange(70) % 13 != 0)})  # some missing
    as_of = "2024-10-01"
    ours = xlseg.retention(ev, "u", "t", users=users, cohort="signup", mode=mode, counts=True, as_of=as_of)
    oracle = oracle_signup_retention(ev, users, mode, as_of)
    body = ours[ours["cohort"] != "All"].reset_index(drop=True)
    assert body["cohort"].tolist() == oracle["cohort"].tolist()
    assert body["users"].tolist() == oracle["users"].tolist()
    columns = [c for c in oracle.columns if c.startswith("Month ")]
    np.testing.assert_array_equal(body[columns].to_numpy(dtype=float, na_value=np.nan), oracle[columns].to_numpy())


def test_a_few_whole_amounts_are_values_not_an_error():
    ev = pd.DataFrame({"u": np.arange(60) % 20, "t": pd.date_range("2024-01-01", periods=60),
                       "qty": (np.arange(60) % 5 + 1).astype(float)})  # read as a dimension of codes 1…5
    r = xlseg.rfm(ev, "u", "t", "qty")
    assert r["monetary"].tolist() == ev.groupby("u")["qty"].sum().tolist()


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter"])
def test_period_pairs_marked_chunk_by_chunk_are_the_distinct_pairs(period, monkeypatch):
    from xlseg.behavior import facts
    from xlseg.behavior.periods import period_codes

    monkeypatch.setattr(facts, "CHUNK_ROWS", 97)  # many chunks, the last one short
    ev = read_events(messy_events(seed=21, rows=3000), "user_id", "time", "amount")
    pairs = facts.active_periods(ev, period)
    frame = pd.DataFrame({"user": ev.codes, "code": period_codes(ev.days, period)})
    expected = frame.drop_duplicates().sort_values(["user", "code"])  # plain pandas
    assert pairs.user.tolist() == expected["user"].tolist() and pairs.code.tolist() == expected["code"].tolist()
    monkeypatch.setattr(facts, "BITMAP_CELLS", 0)  # the sorting path gives the same pairs
    ev.cache.clear()
    other = facts.active_periods(ev, period)
    assert other.user.tolist() == pairs.user.tolist() and other.code.tolist() == pairs.code.tolist()


def test_typed_path_still_checks_the_zone_and_names_a_missing_column(tmp_path):
    table = messy_events(seed=2)
    with pytest.raises(xlseg.XlsegError, match="Mars/Olympus"):
        read_events(table, "user_id", "time", "amount", tz="Mars/Olympus")
    assert read_events(table, "user_id", "time", tz="Europe/Berlin").days.tolist() == \
        read_events(table, "user_id", "time").days.tolist()  # naive times are left as written
    with pytest.raises(xlseg.XlsegError, match="column 'amonut' not found"):
        read_events(table, "user_id", "time", "amonut")


def test_value_sums_chunk_by_chunk_are_the_row_order_sums(monkeypatch):
    from xlseg.behavior import facts
    from xlseg.engine.kernels import group_sums

    monkeypatch.setattr(facts, "CHUNK_ROWS", 13)
    ev = read_events(messy_events(seed=4, rows=2000), "user_id", "time", "amount")
    sums = facts.user_facts(ev).value_sum
    present = ~np.isnan(ev.values)
    assert np.isnan(ev.values).sum() > 100
    # bit for bit the sums of the present values added in row order, and what pandas sums (to rounding)
    np.testing.assert_array_equal(sums, group_sums(ev.codes[present], ev.n_users, ev.values[present]))
    expected = pd.Series(ev.values).groupby(ev.codes).sum().reindex(range(ev.n_users), fill_value=0.0)
    np.testing.assert_allclose(sums, expected.to_numpy(), rtol=1e-12)
