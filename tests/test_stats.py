"""xlseg.engine.stats against scipy and statsmodels: Wilson, t and two-proportion z intervals, Welch t, BH."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from xlseg.engine.stats import benjamini_hochberg, t_interval, two_proportion_p, welch_p, wilson_interval

CONFIDENCE = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])


@settings(max_examples=200, deadline=None)
@given(trials=st.integers(1, 10_000), fraction=st.floats(0, 1), confidence=CONFIDENCE)
def test_wilson_matches_statsmodels(trials: int, fraction: float, confidence: float) -> None:
    successes = round(fraction * trials)
    lo, hi = wilson_interval(np.array([successes]), np.array([trials]), confidence)
    ref_lo, ref_hi = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    assert lo[0] == pytest.approx(ref_lo, rel=1e-9, abs=1e-12)
    assert hi[0] == pytest.approx(ref_hi, rel=1e-9, abs=1e-12)
    assert 0 <= lo[0] <= successes / trials <= hi[0] <= 1


def test_wilson_no_trials_is_nan_and_vectorized() -> None:
    lo, hi = wilson_interval(np.array([0.0, 3.0, 5.0]), np.array([0.0, 10.0, 5.0]), 0.95)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    ref = proportion_confint(np.array([3, 5]), np.array([10, 5]), method="wilson")
    assert lo[1:] == pytest.approx(ref[0]) and hi[1:] == pytest.approx(ref[1])
    assert hi[2] == 1.0


@settings(max_examples=150, deadline=None)
@given(values=hnp.arrays(np.float64, st.integers(2, 60), elements=st.integers(-1000, 1000).map(lambda i: i / 8)),
       confidence=CONFIDENCE)
def test_t_interval_matches_scipy(values: np.ndarray, confidence: float) -> None:
    mean, variance, n = values.mean(), values.var(ddof=1), len(values)
    lo, hi = t_interval(np.array([mean]), np.array([variance]), np.array([n]), confidence)
    if variance == 0:
        assert lo[0] == hi[0] == mean
        return
    ref_lo, ref_hi = sps.t.interval(confidence, n - 1, loc=mean, scale=sps.sem(values))
    assert lo[0] == pytest.approx(ref_lo, rel=1e-9, abs=1e-9) and hi[0] == pytest.approx(ref_hi, rel=1e-9, abs=1e-9)


def test_t_interval_of_one_value_is_nan() -> None:
    lo, hi = t_interval(np.array([4.0, np.nan]), np.array([np.nan, np.nan]), np.array([1.0, 0.0]), 0.95)
    assert np.isnan(lo).all() and np.isnan(hi).all()


@settings(max_examples=200, deadline=None)
@given(n1=st.integers(1, 500), n2=st.integers(1, 500), f1=st.floats(0, 1), f2=st.floats(0, 1))
def test_two_proportion_p_matches_statsmodels_pooled_z(n1: int, n2: int, f1: float, f2: float) -> None:
    x1, x2 = round(f1 * n1), round(f2 * n2)
    p = two_proportion_p(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))[0]
    if x1 + x2 in (0, n1 + n2):  # nobody or everybody has the flag: nothing differs
        assert p == 1.0
        return
    ref = proportions_ztest([x1, x2], [n1, n2])[1]
    assert p == pytest.approx(ref, rel=1e-9, abs=1e-15)


def test_two_proportion_p_without_a_rest_is_nan() -> None:
    p = two_proportion_p(np.array([3.0, 2.0]), np.array([5.0, 0.0]), np.array([0.0, 4.0]), np.array([0.0, 9.0]))
    assert np.isnan(p).all()


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy's, on near-constant samples
@settings(max_examples=150, deadline=None)
@given(a=hnp.arrays(np.float64, st.integers(2, 40), elements=st.integers(-500, 500).map(lambda i: i / 4)),
       b=hnp.arrays(np.float64, st.integers(2, 40), elements=st.integers(-500, 500).map(lambda i: i / 4)))
def test_welch_p_matches_scipy_ttest_ind(a: np.ndarray, b: np.ndarray) -> None:
    p = welch_p(np.array([a.mean()]), np.array([a.var(ddof=1)]), np.array([len(a)]),
                np.array([b.mean()]), np.array([b.var(ddof=1)]), np.array([len(b)]))[0]
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return  # no spread on either side: Welch's t is undefined (see test_welch_without_spread)
    ref = sps.ttest_ind(a, b, equal_var=False).pvalue
    assert p == pytest.approx(ref, rel=1e-7, abs=1e-12)


def test_welch_without_spread() -> None:
    same = welch_p(np.array([2.0]), np.array([0.0]), np.array([3]), np.array([2.0]), np.array([0.0]), np.array([4]))
    assert same[0] == 1.0
    too_few = welch_p(np.array([2.0]), np.array([np.nan]), np.array([1]), np.array([3.0]), np.array([1.0]),
                      np.array([4]))
    assert np.isnan(too_few[0])


def test_welch_both_sides_constant_but_different() -> None:
    """scipy gives p = 0 (an infinite t); a NaN would hide the most obvious difference of all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sps.ttest_ind([1.0, 1.0, 1.0], [2.0, 2.0, 2.0], equal_var=False).pvalue
    p = welch_p(np.array([1.0]), np.array([0.0]), np.array([3]), np.array([2.0]), np.array([0.0]), np.array([3]))
    assert ref == 0.0
    assert p[0] == 0.0


@settings(max_examples=150, deadline=None)
@given(p=hnp.arrays(np.float64, st.integers(1, 40), elements=st.one_of(st.floats(0, 1), st.just(np.nan))))
def test_benjamini_hochberg_matches_statsmodels(p: np.ndarray) -> None:
    adjusted = benjamini_hochberg(p)
    tested = ~np.isnan(p)
    assert np.isnan(adjusted[~tested]).all()
    if tested.any():
        ref = multipletests(p[tested], method="fdr_bh")[1]
        assert adjusted[tested] == pytest.approx(ref, rel=1e-12, abs=1e-15)
        assert (adjusted[tested] >= p[tested] - 1e-15).all()
