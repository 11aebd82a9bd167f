"""The segment scan (:func:`xlseg.scan`) against independent computations written from the definitions.

* every figure of a depth-2 scan against plain pandas masks, scipy's Welch test, statsmodels' z test,
  Wilson interval and Benjamini–Hochberg;
* planted effects are found, including a pair whose two parents show nothing (a crossover interaction);
* on data without any effect, over 400 seeded repetitions, the mean false-discovery proportion stays at
  the BH level, while the same scan with unadjusted p-values "finds" something in most repetitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import xlseg
from xlseg.engine.binning import Segments
from xlseg.errors import XlsegError
from xlseg.insight.scan import score
from xlseg.insight.sufficient import segment_statistics


def _table(seed: int, rows: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "device": rng.choice(["Mobile", "Desktop", "Tablet"], rows, p=[0.5, 0.35, 0.15]),
        "plan": rng.choice(["Free", "Basic", "Pro"], rows, p=[0.6, 0.3, 0.1]),
        "region": rng.choice(["N", "S", "E", "W"], rows),
    })
    boost = (frame["plan"] == "Pro") * 0.15 + (frame["device"] == "Mobile") * 0.03
    frame["converted"] = rng.random(rows) < 0.1 + boost
    frame["minutes"] = rng.gamma(2.0, 5.0, rows) + (frame["plan"] == "Pro") * 3
    frame.loc[rng.random(rows) < 0.05, "minutes"] = np.nan
    return frame


def _masks(frame: pd.DataFrame, dimension: str, segment: str) -> np.ndarray:
    columns, labels = dimension.split(" × "), segment.split(" / ")
    mask = np.ones(len(frame), dtype=bool)
    for column, label in zip(columns, labels, strict=True):
        mask &= (frame[column] == label).to_numpy()
    return mask


@pytest.mark.parametrize("metric", ["converted:rate", "minutes:mean"])
def test_every_figure_against_an_independent_computation(metric):
    frame = _table(1)
    column, agg = metric.split(":")
    result = xlseg.scan(frame, metric, by=["device", "plan", "region"], min_size=40)
    name = f"{column} {agg}"
    values = frame[column].astype(float).to_numpy()
    overall = np.nanmean(values)
    raw_p, expected_p_rows = [], []
    singles = {}
    for row in result.itertuples(index=False):
        mask = _masks(frame, row.dimension, row.segment)
        seg, rest = values[mask], values[~mask]
        seg, rest = seg[~np.isnan(seg)], rest[~np.isnan(rest)]
        assert row.users == mask.sum()
        assert row.share == pytest.approx(mask.mean())
        value = result.loc[(result.dimension == row.dimension) & (result.segment == row.segment), name].item()
        assert value == pytest.approx(seg.mean(), rel=1e-12)
        assert row.rest == pytest.approx(rest.mean(), rel=1e-12)
        assert row.difference == pytest.approx(seg.mean() - rest.mean(), rel=1e-9, abs=1e-15)
        assert row.lift == pytest.approx(seg.mean() / overall - 1, rel=1e-9, abs=1e-15)
        assert row.impact == pytest.approx(len(seg) * (seg.mean() - rest.mean()), rel=1e-9, abs=1e-12)
        if agg == "rate":
            lo, hi = proportion_confint(seg.sum(), len(seg), alpha=0.05, method="wilson")
            p = proportions_ztest([seg.sum(), rest.sum()], [len(seg), len(rest)])[1]
        else:
            lo, hi = sps.t.interval(0.95, len(seg) - 1, loc=seg.mean(), scale=sps.sem(seg))
            p = sps.ttest_ind(seg, rest, equal_var=False).pvalue
        assert (row.lo, row.hi) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
        raw_p.append(p)
        expected_p_rows.append(row.p)
        if " × " not in row.dimension:
            singles[(row.dimension, row.segment)] = (row.lo, row.hi, value)
    # BH across every tested candidate: statsmodels on the raw p-values of the rows returned
    assert result.attrs["tested"] == len(result)
    adjusted = multipletests(raw_p, method="fdr_bh")[1]
    np.testing.assert_allclose(expected_p_rows, adjusted, rtol=1e-9)
    # explained_by by its definition: the pair's value inside the interval of one of its single segments
    for row in result[result.dimension.str.contains(" × ")].itertuples(index=False):
        value = result.loc[(result.dimension == row.dimension) & (result.segment == row.segment), name].item()
        parents = [(d, s) for d, s in zip(row.dimension.split(" × "), row.segment.split(" / "), strict=True)]
        inside = [f"{d} = {s}" for d, s in parents if (d, s) in singles
                  and singles[(d, s)][0] <= value <= singles[(d, s)][1]]
        if inside:
            assert row.explained_by in inside
        else:
            assert row.explained_by == ""


def test_counts_ranking_and_min_size():
    frame = _table(2)
    result = xlseg.scan(frame, "converted:rate", by=["device", "plan", "region"], min_size=60)
    # candidates: 3 + 3 + 4 singles and every occupied pair
    pairs = sum(frame.groupby([a, b]).ngroups for a, b in [("device", "plan"), ("device", "region"),
                                                          ("plan", "region")])
    assert result.attrs["candidates"] == 10 + pairs
    sizes = [frame.groupby(list(c)).size() for c in [["device"], ["plan"], ["region"], ["device", "plan"],
                                                      ["device", "region"], ["plan", "region"]]]
    assert result.attrs["skipped"] == sum(int((s < 60).sum()) for s in sizes)
    assert result.attrs["tested"] + result.attrs["skipped"] == result.attrs["candidates"]
    assert (result.users >= 60).all()
    significant = (result.p < 0.05).to_numpy()
    assert not np.any(np.diff(significant.astype(int)) > 0), "significant rows come first"
    for part in (result[significant], result[~significant]):
        assert (np.diff(part.impact.abs().to_numpy()) <= 1e-12).all(), "then by absolute impact"
    assert len(xlseg.scan(frame, "converted:rate", by=["device", "plan"], top=3)) == 3


def test_planted_effects_are_found_including_an_interaction_neither_parent_shows():
    rng = np.random.default_rng(7)
    rows = 8000
    frame = pd.DataFrame({
        "a": rng.choice(["a0", "a1"], rows), "b": rng.choice(["b0", "b1"], rows),
        "noise1": rng.choice(["x", "y", "z"], rows), "noise2": rng.choice(["u", "v"], rows),
        "plan": rng.choice(["Free", "Pro"], rows, p=[0.8, 0.2]),
    })
    same = (frame["a"] == "a1") == (frame["b"] == "b1")  # crossover: the marginals of a and b stay flat
    rate = np.where(same, 0.16, 0.04) + np.where(frame["plan"] == "Pro", 0.10, 0.0)
    frame["converted"] = rng.random(rows) < rate
    flat = xlseg.scan(frame, "converted:rate", by=["a", "b", "noise1", "noise2", "plan"], depth=1)
    found = flat[flat.p < 0.05]
    assert set(found.dimension) == {"plan"}  # at depth 1 the interaction is invisible
    deep = xlseg.scan(frame, "converted:rate", by=["a", "b", "noise1", "noise2", "plan"], depth=2)
    hits = deep[(deep.p < 0.05) & (deep.explained_by == "")]
    assert {"a1 / b1", "a0 / b0", "a1 / b0", "a0 / b1"} <= set(hits[hits.dimension == "a × b"].segment)
    assert not ((deep.dimension.isin(["a", "b", "noise1", "noise2"])) & (deep.p < 0.05)).any()
    assert deep.iloc[0].dimension in ("plan", "a × b")


# ----------------------------------------------------------------------------- false discoveries

def _null_scans(reps: int, rows: int, partial: bool) -> tuple[list[float], list[float]]:
    """False-discovery proportions of ``reps`` scans (BH-adjusted and unadjusted) on seeded data.

    Three dimensions with 3 levels; depth 2 (9 singles + 27 pairs = 36 candidates). Without ``partial`` no
    candidate has an effect; with it, the first dimension shifts the rate and is independent of the other
    two, so every candidate involving it is a true difference and every other one a true null.
    """
    adjusted, unadjusted = [], []
    names = ["d0", "d1", "d2"]
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        codes = rng.integers(0, 3, size=(3, rows))
        segments = [Segments(c, ["x", "y", "z"]) for c in codes]
        rate = 0.3 + (0.12 * (codes[0] == 0) if partial else 0)
        values = (rng.random(rows) < rate).astype(float)
        stats = segment_statistics(segments, values, depth=2)
        null = ~((stats.first == 0) | (stats.second == 0)) if partial else np.ones(len(stats.users), bool)
        for adjust, out in ((True, adjusted), (False, unadjusted)):
            frame = score(stats, segments, names, "v rate", "rate", min_size=1, adjust=adjust)
            hit = (frame.p < 0.05).to_numpy()
            false = (hit & ~frame.dimension.str.contains("d0").to_numpy()) if partial else hit
            out.append(false.sum() / max(hit.sum(), 1))
        assert null.sum() > 0
    return adjusted, unadjusted


def test_false_discoveries_on_null_data_stay_at_the_bh_level():
    """Complete null, 400 seeded repetitions: mean FDP (= share of repetitions with any finding) ≤ 0.05 + 0.03.

    The tolerance is about 3 standard errors of a mean of 400 yes/no outcomes at 0.05 (√(0.05·0.95/400) ≈
    0.011). Unadjusted, 36 correlated tests at 0.05 give a finding in most repetitions.
    """
    adjusted, unadjusted = _null_scans(400, 600, partial=False)
    assert np.mean(adjusted) <= 0.05 + 0.03
    assert np.mean(unadjusted) >= 0.5
    assert np.mean(unadjusted) > 5 * np.mean(adjusted)


def test_false_discovery_proportion_with_real_effects_present():
    """Partial null (the d0 candidates differ, the d1/d2 ones don't), 200 repetitions: mean FDP ≤ 0.05 + 0.03."""
    adjusted, unadjusted = _null_scans(200, 600, partial=True)
    assert np.mean(adjusted) <= 0.05 + 0.03
    assert np.mean(unadjusted) > 2 * np.mean(adjusted)


# ----------------------------------------------------------------------------- defaults and errors

def test_default_dimensions_are_auto_modes_and_leave_out_the_metric():
    users = xlseg.make_users(3000)
    result = xlseg.scan(users, "session_length:mean")
    dims = result.attrs["dimensions"]
    assert "session_length" not in dims and "geography" in dims and "signup_date" in dims
    assert set(result.dimension) <= {*dims, *(f"{a} × {b}" for i, a in enumerate(dims) for b in dims[i + 1:])}
    months = result[result.dimension == "signup_date"].segment
    assert months.str.fullmatch(r"\d{4}-\d{2}").all()  # dates by month, as auto mode bins them


@pytest.mark.parametrize("kwargs, message", [
    ({"metric": "convrted:rate", "by": "device"}, "did you mean 'converted'"),
    ({"metric": "device:rate", "by": "plan"}, "not a flag column"),
    ({"metric": "converted:median", "by": "plan"}, "compares means and rates"),
    ({"metric": "converted:rate", "by": "plan", "depth": 3}, "depth must be 1 or 2"),
    ({"metric": "converted:rate; minutes:mean", "by": "plan"}, "one metric"),
    ({"metric": "converted:rate", "by": "converted"}, "is the metric"),
    ({"metric": "blank:mean", "by": "plan"}, "'blank' has no values"),
    ({"metric": "converted:rate", "by": "id"}, "'id' has 201 segments; scan columns with at most 200"),
])
def test_bad_input_is_one_clear_line(kwargs, message):
    frame = _table(3, rows=201).assign(blank=np.nan, id=[f"u{i}" for i in range(201)])
    metric = kwargs.pop("metric")
    with pytest.raises(XlsegError, match=message):
        xlseg.scan(frame, metric, **kwargs)
