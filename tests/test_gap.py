"""The gap decomposition (:func:`xlseg.gap`): Kitagawa's identity, the formula against an independent
computation, the rate effect's interval, and a textbook reversal: UC Berkeley's 1973 graduate admissions.

The Berkeley figures are typed from P. J. Bickel, E. A. Hammel and J. W. O'Connell, "Sex Bias in Graduate
Admissions: Data from Berkeley", Science 187 (1975) 398–404 — the six largest departments, as R's
``datasets::UCBAdmissions`` ships them (applicants and admitted per department and gender).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import xlseg
from xlseg.errors import XlsegError

#: department → ((men applied, men admitted), (women applied, women admitted))
BERKELEY = {
    "A": ((825, 512), (108, 89)),
    "B": ((560, 353), (25, 17)),
    "C": ((325, 120), (593, 202)),
    "D": ((417, 138), (375, 131)),
    "E": ((191, 53), (393, 94)),
    "F": ((373, 22), (341, 24)),
}


def berkeley() -> pd.DataFrame:
    """One row per applicant: department, gender, admitted (4,526 rows)."""
    parts = []
    for department, ((men, men_in), (women, women_in)) in BERKELEY.items():
        for gender, applied, admitted in (("Male", men, men_in), ("Female", women, women_in)):
            parts.append(pd.DataFrame({"department": department, "gender": gender,
                                       "admitted": np.arange(applied) < admitted}))
    return pd.concat(parts, ignore_index=True)


def _random_groups(seed: int, rows: int = 3000, mean: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B", "C"], rows)
    weights = {"A": [0.5, 0.3, 0.15, 0.05], "B": [0.1, 0.2, 0.3, 0.4], "C": [0.25] * 4}
    segment = np.array([rng.choice(["s1", "s2", "s3", "s4"], p=weights[g]) for g in group])
    base = {"s1": 0.1, "s2": 0.3, "s3": 0.5, "s4": 0.7}
    p = np.array([base[s] for s in segment]) + np.where(group == "B", 0.05, 0.0)
    frame = pd.DataFrame({"group": group, "segment": segment})
    frame["value"] = rng.gamma(2, 10 * p) if mean else rng.random(rows) < p
    return frame


def _independent(frame: pd.DataFrame, by: str, metric: str, group: str, a: str, b: str) -> pd.DataFrame:
    """Kitagawa's terms written out from plain pandas group counts."""
    sub = frame[frame[group].isin([a, b])].dropna(subset=[metric])
    counts = sub.groupby([group, by]).size().unstack(0).fillna(0)
    means = sub.astype({metric: float}).groupby([group, by])[metric].mean().unstack(0)
    w_a, w_b = counts[a] / counts[a].sum(), counts[b] / counts[b].sum()
    r_a, r_b = means[a].fillna(means[b]), means[b].fillna(means[a])
    out = pd.DataFrame({"rate": (r_b - r_a) * (w_a + w_b) / 2, "mix": (w_b - w_a) * (r_a + r_b) / 2})
    out["total"] = w_b * r_b - w_a * r_a
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("mean", [False, True])
def test_identity_and_formula_on_random_data(seed, mean):
    frame = _random_groups(seed, mean=mean)
    metric = "value:mean" if mean else "value:rate"
    result = xlseg.gap(frame, "segment", metric, between=("group", "A", "B"))
    facts = result.attrs
    body, total = result.iloc[:-1], result.iloc[-1]
    sub = frame[frame.group.isin(["A", "B"])].astype({"value": float})
    overall = sub.groupby("group")["value"].mean()
    assert facts["gap"] == pytest.approx(overall["B"] - overall["A"], rel=1e-12)
    # exact identity: rate + mix = the gap, no residual, per segment and in total
    assert facts["rate_effect"] + facts["mix_effect"] == pytest.approx(facts["gap"], abs=1e-12)
    np.testing.assert_allclose(body["rate effect"] + body["mix effect"], body["total"], atol=1e-14)
    assert total["total"] == pytest.approx(body["total"].sum(), abs=1e-12)
    expected = _independent(frame, "segment", "value", "group", "A", "B")
    got = body.set_index("segment")
    np.testing.assert_allclose(got["rate effect"], expected.loc[got.index, "rate"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got["mix effect"], expected.loc[got.index, "mix"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got["total"], expected.loc[got.index, "total"], rtol=1e-10, atol=1e-14)
    name = "value mean" if mean else "value rate"
    np.testing.assert_allclose(got["share A"], sub[sub.group == "A"].segment.value_counts(normalize=True)
                               .reindex(got.index), rtol=1e-12)
    np.testing.assert_allclose(got[f"{name} B"], sub[sub.group == "B"].groupby("segment")["value"].mean()
                               .reindex(got.index), rtol=1e-12)


def test_berkeley_1973_admissions_reverse_within_departments():
    result = xlseg.gap(berkeley(), "department", "admitted:rate", between="gender:Male:Female")
    facts = result.attrs
    assert facts["overall_a"] == pytest.approx(1198 / 2691)  # 44.5% of men admitted
    assert facts["overall_b"] == pytest.approx(557 / 1835)  # 30.4% of women
    assert facts["gap"] == pytest.approx(557 / 1835 - 1198 / 2691)  # about −14 points
    assert facts["simpson"] is True
    assert facts["rate_effect"] > 0 > facts["mix_effect"]  # within departments women do slightly better
    expected = _independent(berkeley(), "department", "admitted", "gender", "Male", "Female")
    assert facts["rate_effect"] == pytest.approx(expected["rate"].sum(), rel=1e-12)
    assert facts["rate_effect"] == pytest.approx(0.036, abs=0.0005)
    assert facts["explanation"].startswith("Overall Female is 14.2 points below Male, but within department"
                                           " segments Female is 3.6 points above")
    a = result.set_index("segment").loc["A"]
    assert a["share Male"] == pytest.approx(825 / 2691) and a["admitted rate Female"] == pytest.approx(89 / 108)


def test_rate_effect_interval_against_its_formula():
    result = xlseg.gap(berkeley(), "department", "admitted:rate", between="gender:Male:Female", confidence=0.9)
    facts = result.attrs
    variance = 0.0
    for (men, men_in), (women, women_in) in BERKELEY.values():
        weight = (men / 2691 + women / 1835) / 2
        p_m, p_w = men_in / men, women_in / women
        variance += weight**2 * (p_m * (1 - p_m) / men + p_w * (1 - p_w) / women)
    half = sps.norm.ppf(0.95) * np.sqrt(variance)
    assert facts["rate_effect_lo"] == pytest.approx(facts["rate_effect"] - half, rel=1e-9)
    assert facts["rate_effect_hi"] == pytest.approx(facts["rate_effect"] + half, rel=1e-9)


def test_a_segment_in_one_group_only_goes_to_the_mix_effect():
    frame = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 6, "s": ["x", "x", "y", "y", "x", "x", "y", "y", "z", "z"],
                          "v": [1, 0, 1, 1, 1, 1, 0, 1, 1, 0]})
    result = xlseg.gap(frame, "s", "v:rate", between=("g", "a", "b")).set_index("segment")
    z = result.loc["z"]
    assert z["share a"] == 0 and z["rate effect"] == 0
    assert z["mix effect"] == pytest.approx(2 / 6 * 0.5) and np.isnan(z["v rate a"])
    total = result.loc["Total"]
    assert total["rate effect"] + total["mix effect"] == pytest.approx(4 / 6 - 3 / 4)


def test_two_tables_give_the_one_table_result():
    frame = _random_groups(3)
    one = xlseg.gap(frame, "segment", "value:rate", between=("group", "A", "B"))
    two = xlseg.gap(frame[frame.group == "A"], frame[frame.group == "B"], "segment", "value:rate", names=("A", "B"))
    pd.testing.assert_frame_equal(one, two, check_like=False)
    assert two.attrs["gap"] == pytest.approx(one.attrs["gap"])


@pytest.mark.parametrize("args, kwargs, message", [
    (("department", "admitted:rate"), {"between": "gender:Male:Femal"}, "did you mean 'Female'"),
    (("department", "admitted:rate"), {"between": "gender:Male"}, "COLUMN:A:B"),
    (("department", "admitted:rate"), {"between": "gender:Male:Male"}, "given twice"),
    (("department",), {}, "say which groups"),
    (("department", "admitted:median"), {"between": "gender:Male:Female"}, "means and rates"),
    (("department, gender", "admitted:rate"), {"between": "gender:Male:Female"}, "one column"),
    (("departmnt", "admitted:rate"), {"between": "gender:Male:Female"}, "did you mean 'department'"),
])
def test_bad_input_is_one_clear_line(args, kwargs, message):
    with pytest.raises(XlsegError, match=message):
        xlseg.gap(berkeley(), *args, **kwargs)
