"""Confidence intervals and tests of a segment against the rest of the population (vectorized).

* rates: Wilson score interval; two-proportion z test (pooled) against the rest.
* means: Student t interval; Welch's t test against the rest.
* many segments: Benjamini–Hochberg adjusted p-values (false discovery rate).

Each function takes numpy arrays (one entry per segment) and returns NaN where the statistic is undefined
(too few values, nobody in the rest). Distributions come from ``scipy.special`` (ndtr/stdtr and their
inverses), which imports in a fraction of the time of ``scipy.stats`` — the CLI's start-up matters.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def _quiet() -> np.errstate:
    return np.errstate(invalid="ignore", divide="ignore")


def wilson_interval(successes: np.ndarray, trials: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``successes / trials``."""
    z = special.ndtri(0.5 + confidence / 2)
    with _quiet():
        n = np.asarray(trials, dtype=float)
        p = np.asarray(successes, dtype=float) / n
        denominator = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
        low, high = center - half, center + half
        # exact at the ends: rounding left 1e-19 above 0 (a bound beyond the observed rate)
        low = np.where(successes == 0, 0.0, low)
        high = np.where(successes == n, 1.0, high)
    empty = ~(n > 0)
    return np.where(empty, np.nan, np.clip(low, 0, 1)), np.where(empty, np.nan, np.clip(high, 0, 1))


def t_interval(
    mean: np.ndarray, variance: np.ndarray, count: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Student t interval for a mean (sample variance with ddof=1)."""
    n = np.asarray(count, dtype=float)
    with _quiet():
        critical = special.stdtrit(np.where(n > 1, n - 1, np.nan), 0.5 + confidence / 2)
        half = critical * np.sqrt(variance / n)
    return mean - half, mean + half


def two_proportion_p(
    successes: np.ndarray, trials: np.ndarray, rest_successes: np.ndarray, rest_trials: np.ndarray
) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z test, segment against the rest."""
    with _quiet():
        n1, n2 = np.asarray(trials, float), np.asarray(rest_trials, float)
        p1, p2 = successes / n1, rest_successes / n2
        pooled = (successes + rest_successes) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p1 - p2) / se
        p = 2 * special.ndtr(-np.abs(z))
    same = (se == 0) & (p1 == p2)
    p = np.where(same, 1.0, p)
    return np.where((n1 > 0) & (n2 > 0), p, np.nan)


def welch_p(
    mean: np.ndarray,
    variance: np.ndarray,
    count: np.ndarray,
    rest_mean: np.ndarray,
    rest_variance: np.ndarray,
    rest_count: np.ndarray,
) -> np.ndarray:
    """Two-sided p-value of Welch's unequal-variance t test, segment against the rest."""
    with _quiet():
        a, b = variance / count, rest_variance / rest_count
        se2 = a + b
        t = (mean - rest_mean) / np.sqrt(se2)
        df = se2 * se2 / (a * a / (count - 1) + b * b / (rest_count - 1))
        p = 2 * special.stdtr(df, -np.abs(t))
    # no spread on either side: equal means do not differ (p = 1), different ones certainly do (p = 0, as scipy)
    p = np.where(se2 == 0, np.where(mean == rest_mean, 1.0, 0.0), p)
    return np.where((count > 1) & (rest_count > 1), p, np.nan)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN entries stay NaN and are not counted as tests."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        adjusted[tested] = _bh(p[tested])
    return adjusted


def _bh(p: np.ndarray) -> np.ndarray:
    """Step-up BH: p_(i) * m / i, made monotone from the largest p down, capped at 1."""
    m = p.size
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(monotone, 1.0)
    return out
