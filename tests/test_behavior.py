"""Behavioural analyses (issue 11) against plain-pandas oracles written from the definitions, hand-worked cases,
the lifecycle identities, and the real CDNOW purchase log that the ``lifetimes`` package ships."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from behavior_oracle import engagement as oracle_engagement
from behavior_oracle import lifecycle as oracle_lifecycle
from behavior_oracle import retention as oracle_retention
from behavior_oracle import rfm as oracle_rfm

import xlseg
from xlseg.errors import XlsegError


def make_events(seed: int = 7, users: int = 150) -> pd.DataFrame:
    """Seeded events over 2023-10 … 2024-05 with gaps; February 2024 has no activity at all."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        start = pd.Timestamp("2023-10-01") + pd.Timedelta(days=int(rng.integers(0, 220)))
        for _ in range(int(rng.geometric(0.12))):
            day = start + pd.Timedelta(days=int(rng.exponential(60)), hours=int(rng.integers(0, 24)))
            rows.append((f"u{u:03d}", day, float(np.round(rng.lognormal(3, 1), 2)) if rng.random() > 0.1 else None))
    ev = pd.DataFrame(rows, columns=["user_id", "time", "revenue"])
    ev = ev[(ev["time"] < "2024-06-01") & ((ev["time"] < "2024-02-01") | (ev["time"] >= "2024-03-01"))]
    return ev.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return make_events()


def same(ours: pd.DataFrame, oracle: pd.DataFrame) -> None:
    ours = ours.reset_index(drop=True)
    assert list(ours.columns) == list(oracle.columns)
    for column in oracle.columns:
        a, b = ours[column], oracle[column]
        if pd.api.types.is_numeric_dtype(b.dtype) and not pd.api.types.is_bool_dtype(b.dtype):
            np.testing.assert_allclose(a.to_numpy(float, na_value=np.nan), b.to_numpy(float), rtol=1e-12,
                                       err_msg=column)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), column


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter"])
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_retention_matches_oracle(events, period, mode):
    if period == "day" and mode == "on_or_after":
        events = events[events["time"] >= "2024-05-01"]  # keep the python-loop oracle fast
    for counts in (False, True):
        ours = xlseg.retention(events, "user_id", "time", period=period, mode=mode, counts=counts)
        same(ours, oracle_retention(events, "user_id", "time", period, mode, counts))


def test_retention_as_of_blanks_unreached_offsets(events):
    ours = xlseg.retention(events, "user_id", "time", as_of="2024-04-15")
    same(ours, oracle_retention(events, "user_id", "time", as_of="2024-04-15"))
    last = ours[ours["cohort"] == "2024-04"].iloc[0]
    assert last["Month 0"] > 0 and pd.isna(last["Month 1"])  # a cohort that has not reached offset 1
    assert any("on or after as_of 2024-04-15" in n for n in ours.attrs["notes"])


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_lifecycle_matches_oracle_and_identities(events, period):
    ours = xlseg.lifecycle(events, "user_id", "time", period=period)
    same(ours, oracle_lifecycle(events, "user_id", "time", period))
    assert (ours["active"] == ours["new"] + ours["returning"] + ours["resurrecting"]).all()
    assert (ours["active"].shift(1).iloc[1:] == (ours["returning"] - ours["dormant"]).iloc[1:]).all()
    assert (ours["dormant"] <= 0).all()


def test_lifecycle_month_without_activity(events):
    ours = xlseg.lifecycle(events, "user_id", "time").set_index("period")
    january = ours.loc["2024-01", "active"]
    assert ours.loc["2024-02"].tolist()[:5] == [0, 0, 0, -january, 0]
    assert ours.loc["2024-03", "returning"] == 0


def test_rfm_matches_oracle(events):
    ours = xlseg.rfm(events, "user_id", "time", "revenue")
    oracle = oracle_rfm(events, "user_id", "time", "revenue")
    same(ours.sort_values("user_id"), oracle.sort_values("user_id").reset_index(drop=True))
    cuts = ours.attrs["cuts"]
    for column in ("recency_days", "frequency", "monetary"):
        np.testing.assert_allclose(cuts[column], oracle[column].quantile([0.2, 0.4, 0.6, 0.8]).to_numpy())


def test_rfm_ties_at_every_cut_point():
    # frequencies 1..6 over 6 users: the 20/40/60/80 % percentiles are exactly 2, 3, 4, 5 (PERCENTILE.INC);
    # a value equal to a cut point is not above it, so the scores are 1, 1, 2, 3, 4, 5
    rows = [(f"c{k}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=d), 10.0) for k in range(1, 7) for d in range(k)]
    ev = pd.DataFrame(rows, columns=["user_id", "time", "revenue"])
    ours = xlseg.rfm(ev, "user_id", "time", "revenue").set_index("user_id")
    assert ours.attrs["cuts"]["frequency"] == [2, 3, 4, 5]
    assert ours["F"].tolist() == [1, 1, 2, 3, 4, 5]
    assert ours["monetary"].tolist() == [10, 20, 30, 40, 50, 60]
    # recency: last days 2024-01-01 … 01-06, as_of 01-07: 6, 5, …, 1 days; cuts 2, 3, 4, 5 → R = 6 − score
    assert ours["recency_days"].tolist() == [6, 5, 4, 3, 2, 1]
    assert ours["R"].tolist() == [1, 2, 3, 4, 5, 5]
    same(ours.reset_index(), oracle_rfm(ev, "user_id", "time", "revenue"))


def test_rfm_scores_do_not_depend_on_row_order(events):
    a = xlseg.rfm(events, "user_id", "time", "revenue").sort_values("user_id").reset_index(drop=True)
    b = xlseg.rfm(events.iloc[::-1], "user_id", "time", "revenue").sort_values("user_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_rfm_custom_segment_map():
    ev = pd.DataFrame({"u": ["a", "b", "a"], "t": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
                       "v": [1.0, 2.0, 3.0]})
    two = {"Good": ("3-5", "1-5"), "Bad": ("1-2", "1–5")}
    assert set(xlseg.rfm(ev, "u", "t", "v", segments=two)["segment"]) <= {"Good", "Bad"}
    rows = [["segment", "R", "F"], ["All", "1-5", "1-5"]]
    assert set(xlseg.rfm(ev, "u", "t", "v", segments=rows)["segment"]) == {"All"}
    with pytest.raises(XlsegError, match="leaves R=1 F=1, .* without a segment"):
        xlseg.rfm(ev, "u", "t", "v", segments={"Top": ("5", "5")})
    with pytest.raises(XlsegError, match="in both"):
        xlseg.rfm(ev, "u", "t", "v", segments={"A": ("1-5", "1-5"), "B": ("5", "5")})


def test_default_segment_map_is_a_partition_every_segment_can_occur():
    from xlseg.behavior.rfm import segment_grid

    grid = segment_grid()
    assert set(grid.ravel()) == {name for name, _, _ in __import__("behavior_oracle").GRID}


@pytest.mark.parametrize("window", [7, 28, 40])
def test_engagement_matches_oracle(events, window):
    ours = xlseg.engagement(events, "user_id", "time", window=window)
    same(ours, oracle_engagement(events, "user_id", "time", window))
    summary = ours.attrs["summary"]
    ev = events.assign(day=events["time"].dt.normalize())
    stop = ev["day"].max() + pd.Timedelta(days=1)
    inside = ev[ev["day"] >= stop - pd.Timedelta(days=window)]
    dau = inside.groupby("day")["user_id"].nunique().reindex(pd.date_range(end=stop - pd.Timedelta(days=1),
                                                                            periods=window), fill_value=0).mean()
    assert summary["DAU (mean)"] == pytest.approx(dau)
    assert summary["WAU (last 7 days)"] == ev[ev["day"] >= stop - pd.Timedelta(days=7)]["user_id"].nunique()
    assert summary["MAU (last 28 days)"] == ev[ev["day"] >= stop - pd.Timedelta(days=28)]["user_id"].nunique()
    assert summary["stickiness (DAU / window users)"] == pytest.approx(dau / inside["user_id"].nunique())


def test_activity_per_user_matches_pandas(events):
    users = pd.DataFrame({"user_id": [f"u{u:03d}" for u in range(0, 160)],
                          "geography": np.resize(["FR", "DE", "US"], 160)})
    users = users[users["user_id"] != "u001"]  # u001 has activity but no user row
    act = xlseg.activity(events, "user_id", "time", "revenue", users=users).set_index("user_id")
    ev = events.assign(day=events["time"].dt.normalize())
    stop = ev["day"].max() + pd.Timedelta(days=1)
    g = ev.groupby("user_id")
    active = act.loc[g.size().index]
    assert (active["events"] == g.size()).all()
    assert (active["active_days"] == g["day"].nunique()).all()
    assert (active["recency_days"] == (stop - g["day"].max()).dt.days).all()
    assert (active["tenure_days"] == (stop - g["day"].min()).dt.days).all()
    np.testing.assert_allclose(active["monetary"], g["revenue"].sum())
    last28 = ev[ev["day"] >= stop - pd.Timedelta(days=28)].groupby("user_id")["day"].nunique()
    assert (active["active_days_28"] == last28.reindex(active.index, fill_value=0)).all()
    rfm = oracle_rfm(events, "user_id", "time", "revenue").set_index("user_id")
    assert (active["segment"] == rfm["segment"].reindex(active.index)).all()
    never = act[act["events"] == 0]
    assert len(never) == 160 - 1 - events["user_id"].nunique() + 1  # u150…u159 and inactive ones
    assert (never["segment"] == "never active").all() and (never["lifecycle"] == "never active").all()
    assert pd.isna(act.loc["u001", "geography"]) and act.loc["u001", "events"] > 0
    notes = " ".join(act.attrs["notes"])
    assert "1 user with activity have no row in the user table" in notes
    assert f"{len(never)} users of the user table have no activity" in notes
    by = xlseg.breakdown(act.reset_index(), ["geography", "segment"], "monetary:mean")
    assert by["users"].iloc[-1] == len(act)


def test_activity_lifecycle_stage_matches_lifecycle_table(events):
    act = xlseg.activity(events, "user_id", "time")
    table = xlseg.lifecycle(events, "user_id", "time").iloc[-1]
    counts = act["lifecycle"].value_counts()
    for state in ("new", "returning", "resurrecting"):
        assert counts.get(state, 0) == table[state]
    assert counts.get("dormant", 0) == -table["dormant"]
    assert "monetary" not in act.columns and act["M"].isna().all()


def test_hand_worked_tiny_case():
    # a: Jan, Mar (non-consecutive); b: Jan, Feb; c: Mar. as_of 2024-04-01
    ev = pd.DataFrame({"u": ["a", "a", "b", "b", "c"],
                       "t": pd.to_datetime(["2024-01-03", "2024-03-09", "2024-01-20", "2024-02-02", "2024-03-30"])})
    life = xlseg.lifecycle(ev, "u", "t")
    assert life.drop(columns="quick_ratio").values.tolist() == [
        ["2024-01", 2, 0, 0, 0, 2], ["2024-02", 0, 1, 0, -1, 1], ["2024-03", 1, 0, 1, -1, 2]]
    assert life["quick_ratio"].tolist()[1:] == [0.0, 2.0] and pd.isna(life["quick_ratio"][0])
    ret = xlseg.retention(ev, "u", "t", counts=True)
    assert ret.astype(object).where(ret.notna(), None).values.tolist() == [
        ["2024-01", 2, 2, 1, 1], ["2024-03", 1, 1, None, None], ["All", 3, 3, 1, 1]]
    after = xlseg.retention(ev, "u", "t", mode="on_or_after")
    assert after.iloc[0, 2:].tolist() == [1.0, 1.0, 0.5]


def test_signup_cohorts_count_users_who_never_came_back():
    ev = pd.DataFrame({"u": [1, 1, 2], "t": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-02-01"])})
    users = pd.DataFrame({"u": [1, 2, 3], "signup": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})
    ret = xlseg.retention(ev, "u", "t", users=users, cohort="signup", counts=True)
    assert ret.iloc[0, :4].tolist() == ["2024-01", 3, 1, 2]  # user 3 never active still counts
    life = xlseg.lifecycle(ev, "u", "t", users=users, signup="signup").set_index("period")
    assert life.loc["2024-02", ["new", "returning", "resurrecting"]].tolist() == [0, 1, 1]


def test_retention_by_segment(events):
    users = pd.DataFrame({"user_id": [f"u{u:03d}" for u in range(150)], "device": np.resize(["Mobile", "Web"], 150)})
    ours = xlseg.retention(events, "user_id", "time", users=users, by="device")
    for device, block in ours.groupby("device"):
        mine = events[events["user_id"].isin(users.loc[users["device"] == device, "user_id"])]
        oracle = oracle_retention(mine, "user_id", "time", as_of=str(events["time"].max().date() +
                                                                      pd.Timedelta(days=1)))
        same(block.drop(columns="device").dropna(axis=1, how="all"), oracle.dropna(axis=1, how="all"))


def test_bad_input_is_one_line_and_counted():
    ev = pd.DataFrame({"u": ["a", None, "b", "c", "d"], "t": ["2024-01-01", "2024-01-02", "not a date", "2024-01-05",
                                                                "2024-03-01"], "v": [1, 2, 3, 4, 5]})
    r = xlseg.rfm(ev, "u", "t", "v", as_of="2024-02-01")
    notes = " ".join(r.attrs["notes"])
    assert "dropped 1 row with a blank user id in 'u'" in notes
    assert "dropped 1 row whose time in 't' is blank or unreadable" in notes
    assert "excluded 1 row on or after as_of 2024-02-01" in notes
    assert sorted(r["u"]) == ["a", "c"]
    with pytest.raises(XlsegError, match="value column 'v' is not numeric"):
        xlseg.rfm(ev.assign(v=["x", "y", "z", "w", "q"]), "u", "t", "v")
    with pytest.raises(XlsegError, match=r"no date column found among 'u', 'v'"):
        xlseg.lifecycle(pd.DataFrame({"u": ["a", "b"], "v": [1, 2]}))
    with pytest.raises(XlsegError, match="period 'year' not understood"):
        xlseg.lifecycle(ev, "u", "t", period="year")


# --- the real CDNOW purchase log (23,570 customers, 1997-01 … 1998-06), shipped inside the lifetimes package ---

def cdnow() -> pd.DataFrame:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lifetimes (dev extra) not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "CDNOW_master.txt"
    frame = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "quantity", "amount"],
                        dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


@pytest.fixture(scope="module")
def cdnow_events() -> pd.DataFrame:
    return cdnow()


def test_cdnow_retention_lifecycle_rfm_match_oracle(cdnow_events):
    ev = cdnow_events
    assert len(ev) == 69659 and ev["customer_id"].nunique() == 23570
    same(xlseg.retention(ev, "customer_id", "date"), oracle_retention(ev, "customer_id", "date"))
    same(xlseg.retention(ev, "customer_id", "date", period="quarter", mode="on_or_after"),
         oracle_retention(ev, "customer_id", "date", "quarter", "on_or_after"))
    same(xlseg.lifecycle(ev, "customer_id", "date"), oracle_lifecycle(ev, "customer_id", "date"))
    ours = xlseg.rfm(ev, "customer_id", "date", "amount").sort_values("customer_id").reset_index(drop=True)
    oracle = oracle_rfm(ev, "customer_id", "date", "amount").sort_values("customer_id").reset_index(drop=True)
    same(ours, oracle)


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_period_codes_of_many_days_match_pandas_periods(period):
    """Above LOOKUP_ROWS days the codes come from a lookup table: same labels as pandas' own periods."""
    from behavior_oracle import FREQ, label

    from xlseg.behavior.periods import LOOKUP_ROWS, labels, period_codes

    days = np.random.default_rng(1).integers(-400, 20_000, LOOKUP_ROWS + 5)
    codes = period_codes(days, period)
    stamps = pd.to_datetime(days, unit="D")
    expected = [label(p, period) for p in stamps.to_period(FREQ[period])]
    uniques, first = np.unique(codes, return_index=True)
    assert labels(uniques, period) == [expected[i] for i in first]
    assert (np.diff(uniques) > 0).all() and len(uniques) == len(set(expected))


def test_integer_ids_from_a_frame_or_parquet_give_what_text_ids_give(tmp_path):
    """Whole-number ids skip the text cleaning (a fast path); the tables are those of the same ids as text."""
    ev = make_events(seed=9, users=80)
    ev = ev.assign(user_id=ev["user_id"].str[1:].astype(np.int64) + 10**12)
    text = ev.assign(user_id=ev["user_id"].astype(str))
    path = tmp_path / "ev.parquet"
    ev.to_parquet(path)
    for source in (ev, path):
        ours = xlseg.rfm(source, "user_id", "time", "revenue").sort_values("user_id").reset_index(drop=True)
        assert ours["user_id"].dtype == np.int64
        expected = xlseg.rfm(text, "user_id", "time", "revenue").sort_values("user_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(ours.drop(columns="user_id"), expected.drop(columns="user_id"))
        assert ours["user_id"].astype(str).tolist() == expected["user_id"].tolist()
        same(xlseg.lifecycle(source, "user_id", "time"), oracle_lifecycle(text, "user_id", "time"))
    blank_time = ev.astype({"time": object, "revenue": object})
    blank_time.loc[3, ["time", "revenue"]] = None  # a row whose other cells are blank is kept, and dropped later
    notes = xlseg.rfm(blank_time, "user_id", "time", "revenue").attrs["notes"]
    assert any("dropped 1 row whose time in 'time' is blank" in n for n in notes)
