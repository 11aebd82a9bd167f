"""Data nobody here made, saved as people receive it (issue 10, items 1–6 together).

statsmodels ships the 1996 American National Election Studies pilot (``anes96``, 944 respondents) and
Fair's affairs survey (``fair``, 6,366 women); both are read from the installed package, nothing is
downloaded. They are written as an R-style CSV (missing values as ``NA``) and as an .xlsx with a title
row and a source line, then every figure is recomputed with plain pandas on the original frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from xlseg.engine.breakdowns import breakdown
from xlseg.io.load import load_table
from xlseg.schema import MISSING_LABEL, Role

datasets = pytest.importorskip("statsmodels.datasets")

PARTY = {0: "Strong Democrat", 1: "Weak Democrat", 2: "Independent-Democrat", 3: "Independent",
         4: "Independent-Republican", 5: "Weak Republican", 6: "Strong Republican"}


@pytest.fixture(scope="module")
def anes() -> pd.DataFrame:
    """anes96 with party names in ``party_id``, vote as Yes/No, and some answers missing (as in a survey)."""
    data = datasets.anes96.load_pandas().data
    frame = pd.DataFrame({
        "party_id": data["PID"].map(PARTY), "educ": data["educ"].astype(int), "age": data["age"],
        "income": data["income"].astype(int), "TVnews": data["TVnews"].astype(int), "popul": data["popul"],
        "vote": data["vote"].map({1.0: "Yes", 0.0: "No"}),
    })
    rng = np.random.default_rng(96)
    frame["age"] = frame["age"].where(rng.random(len(frame)) > 0.03)
    frame["party_id"] = frame["party_id"].where(rng.random(len(frame)) > 0.02)
    return frame


@pytest.fixture(scope="module")
def files(anes, tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("anes")
    csv = folder / "anes96.csv"
    anes.to_csv(csv, index=False, na_rep="NA")  # what R's write.csv does
    book = Workbook()
    sheet = book.active
    sheet.append(["ANES 1996 pilot study: 944 respondents"])
    sheet.append([])
    sheet.append(list(anes.columns))
    for row in anes.itertuples(index=False, name=None):
        sheet.append([None if isinstance(v, float) and np.isnan(v) else v for v in row])
    sheet.append([])
    sheet.append(["Source: statsmodels.datasets.anes96 (American National Election Studies)"])
    xlsx = folder / "anes96.xlsx"
    book.save(xlsx)
    return {"csv": csv, "xlsx": xlsx}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_anes96_roles_and_notes(anes, files, kind):
    table = load_table(files[kind])
    assert len(table.frame) == len(anes)
    assert table.roles == {"party_id": Role.DIMENSION, "educ": Role.DIMENSION, "age": Role.METRIC,
                           "income": Role.METRIC, "TVnews": Role.DIMENSION, "popul": Role.METRIC,
                           "vote": Role.FLAG}
    assert table.frame["educ"].cat.categories.tolist() == [str(i) for i in range(1, 8)]
    if kind == "csv":
        n_age = int(anes["age"].isna().sum())
        assert f"{n_age} cells in 'age' held missing-value words (NA {n_age}); read as missing" in table.notes
    else:
        assert table.notes[:2] == [
            "skipped the title row 'ANES 1996 pilot study: 944 respondents' above the header and a blank row",
            "dropped 1 footer row under the data ('Source: statsmodels.datasets.anes96 (American National Elect…')"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_anes96_breakdowns_match_pandas(anes, files, kind):
    out = breakdown(files[kind], "educ", "age:mean; vote:rate; income:median").set_index("educ")
    grouped = anes.groupby("educ")
    assert out.index.tolist() == [*(str(i) for i in range(1, 8)), "Total"]  # by value
    np.testing.assert_array_equal(out["users"].iloc[:-1], grouped.size())
    np.testing.assert_allclose(out["age mean"].iloc[:-1], grouped["age"].mean(), rtol=1e-12)
    np.testing.assert_allclose(out["vote rate"].iloc[:-1], grouped["vote"].apply(lambda v: (v == "Yes").mean()))
    np.testing.assert_allclose(out["income median"].iloc[:-1], grouped["income"].median())
    by_party = breakdown(files[kind], "party_id", "educ:mean").set_index("party_id")
    want = anes.assign(party_id=anes["party_id"].fillna(MISSING_LABEL)).groupby("party_id")["educ"].mean()
    np.testing.assert_allclose(by_party.loc[want.index, "educ mean"], want, rtol=1e-12)
    assert by_party.index[-2] == MISSING_LABEL
    by_vote = breakdown(files[kind], "vote").set_index("vote")
    assert by_vote.index.tolist() == ["No", "Yes", "Total"]  # the file's words, not FALSE/TRUE


def test_fair_codes_and_half_years(tmp_path):
    """fair: rating_marriage (1–5) and religious (1–4) are codes; age and yrs_married hold half years
    (17.5, 2.5) and stay numbers; affairs is a measurement."""
    data = datasets.fair.load_pandas().data
    path = tmp_path / "fair.csv"
    data.to_csv(path, index=False)
    table = load_table(path)
    assert table.roles["rate_marriage"] == Role.DIMENSION and table.roles["religious"] == Role.DIMENSION
    assert table.roles["age"] == Role.METRIC and table.roles["yrs_married"] == Role.METRIC
    assert table.roles["affairs"] == Role.METRIC
    out = breakdown(path, "rate_marriage", "affairs:mean,p90").set_index("rate_marriage")
    grouped = data.groupby("rate_marriage")["affairs"]
    assert out.index.tolist() == ["1", "2", "3", "4", "5", "Total"]
    np.testing.assert_allclose(out["affairs mean"].iloc[:-1], grouped.mean(), rtol=1e-12)
    np.testing.assert_allclose(out["affairs p90"].iloc[:-1], grouped.quantile(0.9), rtol=1e-12)
    decades = breakdown(path, "age", bins={"age": "width:10"})
    want = (data["age"] // 10 * 10).value_counts().sort_index()
    assert decades["users"].tolist()[:-1] == want.tolist()
