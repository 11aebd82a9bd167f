"""Captions, Summary findings and charts say what the numbers say (issue 10, items 7–9).

Every expected figure is computed here from the definition with pandas and statsmodels (Wilson interval,
pooled two-proportion z test of a segment against the rest, Benjamini–Hochberg across the segments of a
breakdown), never read from xlseg's own output.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.stats import ttest_ind
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.errors import XlsegError
from xlseg.reporting import report
from xlseg.sheets.blocks import breakdown_block
from xlseg.sheets.present import segment_name


def chart_xml(path) -> str:
    """The first chart part of a workbook, without namespace prefixes (``<c:barChart>`` → ``<barChart>``)."""
    with zipfile.ZipFile(path) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart"))
    return re.sub(r"<(/?)c:", r"<\1", xml)


def significant_rates(frame: pd.DataFrame, by: str, flag: str, alpha: float = 0.05) -> pd.DataFrame:
    """Per segment of ``by``: rate, users, non-missing flags, BH-adjusted p of the pooled z test vs the rest."""
    rows = []
    valid = frame.dropna(subset=[flag])
    for label, part in valid.groupby(by, observed=True):
        rest = valid[valid[by] != label]
        k1, n1, k2, n2 = int(part[flag].sum()), len(part), int(rest[flag].sum()), len(rest)
        _, p = proportions_ztest([k1, k2], [n1, n2])
        rows.append({"label": label, "rate": k1 / n1, "n": n1, "users": int((frame[by] == label).sum()), "p": p})
    out = pd.DataFrame(rows)
    out["p_adj"] = multipletests(out["p"], method="fdr_bh")[1]
    out["significant"] = out["p_adj"] < alpha
    return out


def test_segment_names_read_as_sentences():
    assert segment_name([8], ["Cylinders"]) == "Cylinders = 8"
    assert segment_name(["18–<25"], ["age"]) == "age 18–<25"
    phrase = segment_name(["Strongly agree", "Mobile"], ["opinion", "device"])
    assert phrase == "opinion = Strongly agree, device = Mobile"
    assert segment_name(["2024-03"], ["signup"]) == "signup 2024-03"
    assert segment_name(["35+"], ["age"]) == "age 35+"


def _small_but_significant() -> pd.DataFrame:
    """Three large segments at 10% and one of 20 users at 80%: only the small one differs."""
    rng = np.random.default_rng(1)
    sizes = {"North": 700, "South": 700, "East": 700, "Tiny": 20}
    region, flag = [], []
    for name, n in sizes.items():
        k = 16 if name == "Tiny" else n // 10
        region += [name] * n
        flag += list(rng.permutation([True] * k + [False] * (n - k)))
    return pd.DataFrame({"region": region, "converted": flag})


def test_no_segment_differs_only_when_no_shown_segment_does():
    df = _small_but_significant()
    truth = significant_rates(df, "region", "converted").set_index("label")
    assert truth.loc["Tiny", "significant"] and not truth.drop("Tiny")["significant"].any()
    frame = breakdown(df, "region", "converted:rate", min_size=30, intervals=True, compare=True)
    caption = breakdown_block(frame, ["region"], min_size=30).caption
    overall = df["converted"].mean()
    assert caption == (f"No segment with ≥ 30 users has a converted rate that differs from the overall {overall:.1%}"
                       " at the 95% level; 1 smaller one does (grey rows, too few users to trust).")


def test_caption_n_counts_the_values_behind_the_figure():
    """A flag with missing values: n= is the number of non-missing flags of the segment, not its rows."""
    users = make_users(3000, seed=4)
    flags = users["converted"].astype("boolean")
    flags[users.index % 4 == 0] = pd.NA  # a quarter unknown
    users = users.assign(converted=flags)
    result = report(users, by="plan", metrics="converted:rate", crosstabs=[])
    caption = result.sheets[1].blocks[0].caption
    truth = significant_rates(users, "plan", "converted")
    strongest = truth[truth["significant"]].assign(
        strength=lambda t: np.abs(np.log(t["rate"] / users["converted"].mean()))).sort_values("strength").iloc[-1]
    assert caption.startswith(f"plan = {strongest['label']}: converted rate {strongest['rate']:.1%}")
    assert f"n={strongest['n']:,}," in caption and strongest["n"] < strongest["users"]
    lo, hi = proportion_confint(round(strongest["rate"] * strongest["n"]), strongest["n"], method="wilson")
    assert f"95% CI {lo:.1%}–{hi:.1%}" in caption


def test_heatmap_caption_formats_like_the_cells_and_names_a_skipped_darker_cell():
    rng = np.random.default_rng(2)
    n = 900
    df = pd.DataFrame({"plan": rng.choice(["Free", "Pro"], n), "device": rng.choice(["Mobile", "Desktop"], n),
                       "visits": rng.integers(1, 9, n)})
    extra = pd.DataFrame({"plan": ["Team"] * 5, "device": ["Mobile"] * 5, "visits": [40] * 5})
    df = pd.concat([df, extra], ignore_index=True)
    result = report(df, by=["plan", "device"], metrics="visits:mean", crosstabs=["plan:device"], min_size=30)
    sheet = next(s for s in result.sheets if s.kind == "crosstab")
    caption = sheet.blocks[1].caption
    means = df.groupby(["plan", "device"])["visits"].mean()
    sizes = df.groupby(["plan", "device"]).size()
    best = means[sizes >= 30].idxmax()
    assert caption.startswith(f"Highest visits mean: plan = {best[0]}, device = {best[1]}, {means[best]:.2f}"
                              f" (n={sizes[best]:,}); overall {df['visits'].mean():.2f}.")
    assert "A darker cell is left out for having fewer than 30 users (e.g. plan = Team, device = Mobile, 40.00," \
           " 5 users)." in caption


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    users = make_users(4000, seed=8)
    path = report(users, by=["device", "plan"], metrics="converted:rate; sessions:mean",
                  crosstabs=[]).to_excel(tmp_path_factory.mktemp("findings") / "r.xlsx")
    return users, path


def test_summary_findings_cover_every_metric_of_every_breakdown_ranked_and_linked(demo):
    users, path = demo
    book = load_workbook(path)
    ws = book["Summary"]
    ref = ws.tables["findings"].ref
    cells = list(ws[ref])[1:]
    shown = [(row[0].value, row[1].value) for row in cells]
    assert all(row[0].hyperlink.location == f"'{row[0].value}'!A1" for row in cells)
    contents = list(ws[ws.tables["contents"].ref])[1:]
    assert [row[0].hyperlink.location for row in contents] == [f"'{row[0].value}'!A1" for row in contents]
    expected = []  # (strength, p, sheet, start of the sentence), from the definition
    for by in ("device", "plan"):
        rates = significant_rates(users, by, "converted")
        overall = users["converted"].mean()
        for _, r in rates[rates["significant"] & (rates["users"] >= 30)].iterrows():
            expected.append((abs(math.log(r["rate"] / overall)), by, f"{by} = {r['label']}: converted rate"))
        means = users.groupby(by)["sessions"]
        for label, part in means:
            rest = users.loc[users[by] != label, "sessions"]
            expected.append((None, by, label, ttest_ind(part, rest, equal_var=False).pvalue, part.mean()))
    # sessions: BH across the segments of each breakdown, then the same ranking rule
    rows = []
    for by in ("device", "plan"):
        tests = [e for e in expected if e[0] is None and e[1] == by]
        adjusted = multipletests([t[3] for t in tests], method="fdr_bh")[1]
        overall = users["sessions"].mean()
        for t, p in zip(tests, adjusted, strict=True):
            if p < 0.05:
                rows.append((abs(math.log(t[4] / overall)), by, f"{by} = {t[2]}: sessions mean"))
    ranked = sorted([e for e in expected if e[0] is not None] + rows, key=lambda e: -e[0])[:10]
    assert len(shown) == len(ranked) > 2
    assert [(sheet, text.split(" ")[0:4]) for sheet, text in shown] == [
        (sheet, start.split(" ")[0:4]) for _, sheet, start in ranked]
    assert {text.split(":")[1].split(" ")[2] for _, text in shown} >= {"rate", "mean"}  # both metrics


def test_breakdown_chart_has_interval_error_bars_and_an_overall_line(demo):
    users, path = demo
    ws = load_workbook(path)["device"]
    xml = chart_xml(path)
    assert "<barChart>" in xml and "<lineChart>" in xml and 'val="dash"' in xml
    plus_ref = re.search(r"<plus><numRef><f>([^<]+)</f>", xml).group(1)
    minus_ref = re.search(r"<minus><numRef><f>([^<]+)</f>", xml).group(1)
    line_ref = re.findall(r"<val><numRef><f>([^<]+)</f>", xml)[1]
    label_ref = re.findall(r"<cat><(?:str|num)Ref><f>([^<]+)</f>", xml)[0]

    def column(ref):
        cells = ws[ref.split("!")[1].replace("$", "")]
        return [row[0].value for row in cells]

    labels = column(label_ref)
    stats = significant_rates(users, "device", "converted").set_index("label").loc[labels]
    k = np.round(stats["rate"] * stats["n"]).astype(int)
    lo, hi = proportion_confint(k, stats["n"], method="wilson")
    np.testing.assert_allclose(column(plus_ref), hi - stats["rate"], atol=1e-9)
    np.testing.assert_allclose(column(minus_ref), stats["rate"] - lo, atol=1e-9)
    np.testing.assert_allclose(column(line_ref), [users["converted"].mean()] * len(labels), atol=1e-12)


def test_a_date_dimension_gets_a_line_chart(tmp_path):
    users = make_users(2000, seed=3)
    path = report(users, by="signup_date", metrics="converted:rate", crosstabs=[]).to_excel(tmp_path / "d.xlsx")
    xml = chart_xml(path)
    assert "<lineChart>" in xml and "<barChart>" not in xml and "<errBars>" in xml


def test_main_picks_the_headline_metric(tmp_path):
    users = make_users(1500, seed=5)
    csv = tmp_path / "u.csv"
    users.to_csv(csv, index=False)
    out = tmp_path / "r.xlsx"
    done = subprocess.run([sys.executable, "-m", "xlseg.cli", "report", str(csv), "-o", str(out), "--by", "device",
                           "--metric", "converted:rate", "--metric", "sessions:mean", "--main", "sessions:mean",
                           "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "sessions mean by device" in chart_xml(out)
    caption = load_workbook(out)["device"].cell(4, 1).value
    assert "sessions mean" in caption and "converted rate" not in caption
    with pytest.raises(XlsegError, match=r"^the main metric revenue:sum is not one of the report's metrics"):
        report(users, by="device", metrics="converted:rate", main="revenue:sum")
    bad = subprocess.run([sys.executable, "-m", "xlseg.cli", "report", str(csv), "-o", str(out), "--by", "device",
                          "--main", "nope:mean", "--quiet"], capture_output=True, text=True)
    assert bad.returncode == 2 and "main metric" in bad.stderr and "Traceback" not in bad.stderr
