"""Roles from evidence, overridable in every face (issue 10, item 2); order (item 3); flag words (item 5);
bins that say what they mean (item 6). Figures are checked against plain pandas on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from workbook_helpers import table_frame
from xlwings_stubs import call_like_excel, com_values, real_xlwings_decorators, windows_value_engine

from xlseg.cli import main
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError
from xlseg.io.load import load_table
from xlseg.schema import Role

PARTIES = ["Democrat", "Republican", "Independent", "Green"]


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """600 survey answers: a party stored as party_id text, a 1–7 scale, a cylinder-like count, a year, a
    rating, a member number 1…600 and a Yes/No answer."""
    rng = np.random.default_rng(21)
    n = 600
    return pd.DataFrame({
        "member_no": np.arange(1, n + 1),
        "party_id": rng.choice(PARTIES, n, p=[0.4, 0.35, 0.2, 0.05]),
        "ideology": rng.integers(1, 8, n),  # 1 = very liberal … 7 = very conservative
        "year": rng.choice([1992, 1996, 2000, 2004, 2008, 2012, 2016, 2020, 2024, 1988, 1984], n),
        "rating": rng.integers(1, 6, n),
        "income": rng.gamma(2.0, 25_000.0, n).round(2),
        "voted": rng.choice(["Yes", "No"], n, p=[0.6, 0.4]),
        "region_gdp": rng.choice([8298, 9483, 12656, 13566, 9611, 9265], n),
    })


def test_repeated_text_beats_an_id_name(survey):
    """Before: party_id was an id (its name ends in _id), so no breakdown by it was possible."""
    table = load_table(survey)
    assert table.roles["party_id"] == Role.DIMENSION
    out = breakdown(survey, "party_id").set_index("party_id")
    want = survey["party_id"].value_counts()
    assert out.drop(index="Total")["users"].to_dict() == want.to_dict()


def test_integer_codes_are_ordered_dimensions_that_still_average(survey, tmp_path):
    """Before: ideology (1–7) and year were metrics, so auto mode averaged a year."""
    for data in (survey, _csv(survey, tmp_path)):
        table = load_table(data)
        assert table.roles["ideology"] == Role.DIMENSION and table.roles["year"] == Role.DIMENSION
        assert table.roles["income"] == Role.METRIC and table.roles["member_no"] == Role.ID
        assert table.roles["region_gdp"] == Role.METRIC  # 6 repeated values, but 8,298…13,566 is no code
        out = breakdown(data, "year")
        assert out["year"].tolist()[:-1] == [str(y) for y in sorted(survey["year"].unique())]  # by value
    out = breakdown(survey, "party_id", "rating:mean; ideology:mean,median").set_index("party_id")
    grouped = survey.groupby("party_id")
    np.testing.assert_allclose(out.loc[PARTIES, "rating mean"], grouped["rating"].mean()[PARTIES], rtol=1e-12)
    np.testing.assert_allclose(out.loc[PARTIES, "ideology median"], grouped["ideology"].median()[PARTIES])
    assert out.loc["Total", "ideology mean"] == pytest.approx(survey["ideology"].mean(), rel=1e-12)
    same = breakdown(survey, "rating", "rating:mean; income:mean").set_index("rating")  # segmented and averaged
    assert same["rating mean"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, pytest.approx(survey["rating"].mean())]
    cells = crosstab(survey, "voted", "party_id", "ideology", "mean").set_index("voted")
    want = survey.pivot_table(index="voted", columns="party_id", values="ideology", aggfunc="mean")
    np.testing.assert_allclose(cells.loc[["No", "Yes"], PARTIES], want.loc[["No", "Yes"], PARTIES], rtol=1e-12)
    binned = breakdown(survey, "ideology", bins={"ideology": "edges:3,6"})  # numeric bins on a code column
    assert binned["users"].tolist()[:-1] == [int((survey["ideology"] < 3).sum()),
                                            int(survey["ideology"].between(3, 5).sum()),
                                            int((survey["ideology"] >= 6).sum())]


def test_explicit_metric_on_an_id_looking_column_gets_a_note(survey, tmp_path):
    """Before: "'member_no' is an id column; use count or nunique, not 'mean'"."""
    out = breakdown(survey, "voted", "member_no:mean").set_index("voted")
    want = survey.groupby("voted")["member_no"].mean()
    np.testing.assert_allclose(out.loc[["No", "Yes"], "member_no mean"], want[["No", "Yes"]], rtol=1e-12)
    from xlseg.engine.units import load_input
    from xlseg.spec import parse_by

    table = load_input(survey, None, ["voted", "member_no"], (), [("member_no", "mean")], parse_by("voted"))
    assert "'member_no' looks like an id but was asked for numbers; read as numbers" in table.notes
    with pytest.raises(XlsegError, match="'party_id' is a dimension column"):
        breakdown(survey, "voted", "party_id:mean")  # text labels have no mean: still refused
    from xlseg.reporting import report

    path = report(survey, by="voted", metrics="member_no:mean").to_excel(tmp_path / "r.xlsx")
    texts = [c for row in load_workbook(path)["Summary"].iter_rows(values_only=True) for c in row if c]
    assert "'member_no' looks like an id but was asked for numbers; read as numbers" in texts


def test_role_option_and_messages_per_face(survey, tmp_path, capsys):
    path = _csv(survey, tmp_path)
    out = tmp_path / "r.xlsx"
    assert main(["report", str(path), "-o", str(out), "--by", "year", "--role", "year=metric", "--bins",
                 "year=width:10", "--quiet"]) == 0
    sheet = table_frame(load_workbook(out)["year"], "year")
    decades = (survey["year"] // 10 * 10).value_counts().sort_index()
    assert sheet["year"].tolist()[:-1] == [f"{d}–{d + 9}" for d in decades.index]
    assert sheet["users"].tolist()[:-1] == decades.tolist()
    # a hint to declare a role is spelt as each face takes it
    capsys.readouterr()
    assert main(["report", str(path), "-o", str(out), "--by", "party_id", "--bins", "party_id=q4", "--quiet"]) == 2
    assert "(declare it: --role party_id=metric)" in capsys.readouterr().err
    with pytest.raises(XlsegError, match=r"declare it: roles=\{'party_id': 'metric'\}"):
        breakdown(survey, "party_id", bins={"party_id": "q4"})
    rows = [list(survey.columns), *survey.itertuples(index=False, name=None)]
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        udfs = modules["xlseg.excel.udfs"]
        cell = call_like_excel(udfs.SEG_BREAKDOWN, com_values(rows), "party_id", None, "bins=party_id:q4")
        coded = call_like_excel(udfs.SEG_BREAKDOWN, com_values(rows), "ideology", None, "roles=ideology:metric")
    assert "declare it: roles=party_id:metric" in str(cell)
    assert "column 'ideology' has 7 distinct values" not in str(coded)  # declared metric: grouped by value


def test_cli_role_errors(survey, tmp_path, capsys):
    path, out = _csv(survey, tmp_path), tmp_path / "r.xlsx"
    assert main(["report", str(path), "-o", str(out), "--role", "year", "--quiet"]) == 2
    assert "--role 'year' not understood; write it as COL=ROLE" in capsys.readouterr().err
    assert main(["report", str(path), "-o", str(out), "--role", "year=number", "--quiet"]) == 2
    assert "unknown role 'number' for 'year'" in capsys.readouterr().err
    assert main(["report", str(path), "-o", str(out), "--by", "income", "--bins", "income=q4",
                 "--bins", "income=width:10000", "--quiet"]) == 2  # before: the last one won
    assert "--bins gives 'income' twice (q4 and width:10000); keep one" in capsys.readouterr().err


def test_ordered_categoricals_keep_their_order_everywhere():
    """Before: S, M, L, XL came out as L, M, S, XL (sorted as text) in breakdowns and crosstabs."""
    sizes = pd.Categorical(["M", "S", "XL", "L", "S", "M", "M"] * 20, categories=["S", "M", "L", "XL"], ordered=True)
    groups = ["Group 10", "Group 2", "Group 1", "Group 2", "Group 10", "Group 1", "Group 1"] * 20
    df = pd.DataFrame({"size": sizes, "group": groups, "spend": np.arange(140, dtype=float)})
    assert breakdown(df, "size")["size"].tolist() == ["S", "M", "L", "XL", "Total"]
    table = crosstab(df, "size", "group")
    assert table["size"].tolist() == ["S", "M", "L", "XL", "Total"]
    assert list(table.columns) == ["size", "Group 1", "Group 2", "Group 10", "Total"]  # digits as numbers
    flipped = crosstab(df, "group", "size")
    assert list(flipped.columns) == ["group", "S", "M", "L", "XL", "Total"]
    rows = [["size", "spend"], *[[s, v] for s, v in zip(["10", "9", "100", "n/a"] * 5, range(20), strict=True)]]
    assert breakdown(rows, "size")["size"].tolist() == ["9", "10", "100", "(missing)", "Total"]


@pytest.mark.parametrize(("yes", "no"), [("Yes", "No"), ("Y", "N"), ("Ja", "Nein")])
def test_flags_used_as_dimensions_keep_the_files_words(yes, no, tmp_path):
    """Before: the segments read TRUE/FALSE whatever the file said."""
    df = pd.DataFrame({"churned": [yes, no, no, yes, no] * 10, "spend": np.arange(50, dtype=float)})
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    for data in (df, path):
        out = breakdown(data, "churned", "spend:mean; churned:rate").set_index("churned")
        assert list(out.index) == [no, yes, "Total"]
        assert out.loc[yes, "spend mean"] == pytest.approx(df.loc[df["churned"] == yes, "spend"].mean())
        assert out.loc[yes, "churned rate"] == 1.0 and out.loc["Total", "churned rate"] == pytest.approx(0.4)
    assert list(crosstab(df.assign(g="a"), "g", "churned").columns) == ["g", no, yes, "Total"]


def test_width_bins_are_that_wide_and_equal_bins_are_that_many():
    """Before: width:10 meant 10 bins of equal width between the minimum and the maximum."""
    values = np.array([3.0, 12, 17.5, 20, 29.99, 30, 44, 58, 61, 61])
    df = pd.DataFrame({"age": values})
    wide = breakdown(df, "age", bins={"age": "width:10"})
    edges = np.floor(values / 10) * 10
    want = pd.Series(edges).value_counts().sort_index()
    assert wide["users"].tolist()[:-1] == want.tolist()
    assert wide["age"].tolist()[:-1] == ["0–<10", "10–<20", "20–<30", "30–<40", "40–<50", "50–<60", "60–<70"]
    equal = breakdown(df, "age", bins={"age": "equal:4"})
    cuts = np.linspace(3, 61, 5)
    want_equal = np.histogram(values, bins=cuts)[0]  # numpy: last bin closed, like xlseg's equal bins
    assert equal["users"].tolist()[:-1] == want_equal[want_equal > 0].tolist()
    with pytest.raises(XlsegError, match="positive width"):
        breakdown(df, "age", bins={"age": "width:0"})
    with pytest.raises(XlsegError, match="makes 5,801 bins"):
        breakdown(df, "age", bins={"age": "width:0.01"})


def _csv(df: pd.DataFrame, tmp_path) -> object:
    path = tmp_path / "survey.csv"
    df.to_csv(path, index=False)
    return path
