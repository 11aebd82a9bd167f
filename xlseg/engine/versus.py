"""A segment against the rest of the users, from per-group moments and the overall moments only.

One definition shared by breakdowns' compare columns and the segment scan (:mod:`xlseg.insight.scan`):
the rest of a group is the overall minus the group — count and sum subtract, and the sum of squared
deviations follows Chan et al.'s parallel formula run backwards. Nothing here reads rows, so the same
functions serve moments computed by numpy, DuckDB or Spark.
"""

from __future__ import annotations

import numpy as np

from xlseg.engine.kernels import Moments
from xlseg.engine.stats import t_interval, two_proportion_p, welch_p, wilson_interval


def rest_of(moments: Moments, overall_count: float, overall_total: float, overall_m2: float | None) -> Moments:
    """Moments of everyone outside each group (count, sum and — when both have it — m2)."""
    rest = Moments(overall_count - moments.count, overall_total - moments.total)
    if moments.m2 is not None and overall_m2 is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            rest_mean = rest.total / rest.count
            between = moments.count * rest.count / overall_count * (moments.mean() - rest_mean) ** 2
            rest.m2 = np.maximum(overall_m2 - moments.m2 - np.nan_to_num(between), 0.0)
    return rest


def interval(moments: Moments, agg: str, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval of each group's value: Wilson for a rate, Student t for a mean."""
    if agg == "rate":
        return wilson_interval(moments.total, moments.count, confidence)
    return t_interval(moments.mean(), moments.variance(), moments.count, confidence)


def p_against_rest(moments: Moments, rest: Moments, agg: str) -> np.ndarray:
    """Unadjusted two-sided p-value of each group against its rest: two-proportion z (rate) or Welch t (mean)."""
    if agg == "rate":
        return two_proportion_p(moments.total, moments.count, rest.total, rest.count)
    assert moments.m2 is not None and rest.m2 is not None
    return welch_p(moments.mean(), moments.variance(), moments.count, rest.mean(), rest.variance(), rest.count)
