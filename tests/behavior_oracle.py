"""Independent plain-pandas implementations of the behavioural definitions (issue 11), for the tests.

Written from the definitions with pandas Periods, groupby and Python sets; they share no code with
``xlseg.behavior`` (no integer period codes, no bitmaps, no searchsorted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}


def label(p: pd.Period, period: str) -> str:
    if period == "week":
        iso = p.start_time.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return str(p)


def prepared(ev: pd.DataFrame, user: str, time: str, as_of: str | None) -> tuple[pd.DataFrame, pd.Timestamp]:
    ev = ev.dropna(subset=[user, time]).copy()
    ev["day"] = pd.to_datetime(ev[time]).dt.normalize()
    stop = pd.Timestamp(as_of) if as_of else ev["day"].max() + pd.Timedelta(days=1)
    return ev[ev["day"] < stop], stop


def retention(ev, user, time, period="month", mode="on", counts=False, as_of=None) -> pd.DataFrame:
    ev, stop = prepared(ev, user, time, as_of)
    freq = FREQ[period]
    ev["p"] = ev["day"].dt.to_period(freq)
    last = (stop - pd.Timedelta(days=1)).to_period(freq)
    active = ev.groupby(user)["p"].apply(set).to_dict()
    cohort = {u: min(ps) for u, ps in active.items()}
    cohorts = sorted(set(cohort.values()))
    width = (last - cohorts[0]).n + 1
    rows, tot_num, tot_den = [], [0] * width, [0] * width
    for c in cohorts:
        members = [u for u in cohort if cohort[u] == c]
        row = {"cohort": label(c, period), "users": len(members)}
        for n in range(width):
            target = c + n
            if target > last:
                row[f"{period.capitalize()} {n}"] = np.nan
                continue
            if mode == "on":
                k = sum(target in active[u] for u in members)
            else:
                k = sum(any(p >= target for p in active[u]) for u in members)
            tot_num[n] += k
            tot_den[n] += len(members)
            row[f"{period.capitalize()} {n}"] = k if counts else k / len(members)
        rows.append(row)
    all_row = {"cohort": "All", "users": len(cohort)}
    for n in range(width):
        all_row[f"{period.capitalize()} {n}"] = tot_num[n] if counts else tot_num[n] / tot_den[n]
    return pd.DataFrame(rows + [all_row])


def lifecycle(ev, user, time, period="month", as_of=None) -> pd.DataFrame:
    ev, stop = prepared(ev, user, time, as_of)
    freq = FREQ[period]
    ev["p"] = ev["day"].dt.to_period(freq)
    last = (stop - pd.Timedelta(days=1)).to_period(freq)
    users_in = ev.groupby("p")[user].apply(set).to_dict()
    first = ev.groupby(user)["p"].min().to_dict()
    rows, t = [], ev["p"].min()
    while t <= last:
        now, before = users_in.get(t, set()), users_in.get(t - 1, set())
        new = {u for u in now if first[u] == t}
        returning = now & before
        resurrecting = now - before - new
        dormant = before - now
        rows.append({"period": label(t, period), "new": len(new), "returning": len(returning),
                     "resurrecting": len(resurrecting), "dormant": -len(dormant), "active": len(now),
                     "quick_ratio": (len(new) + len(resurrecting)) / len(dormant) if dormant else np.nan})
        t += 1
    return pd.DataFrame(rows)


GRID = [  # segment, R scores, F scores (the table)
    ("Champions", {5}, {4, 5}), ("Loyal Customers", {3, 4}, {4, 5}), ("Potential Loyalists", {4, 5}, {2, 3}),
    ("New Customers", {5}, {1}), ("Promising", {4}, {1}), ("Need Attention", {3}, {3}),
    ("About To Sleep", {3}, {1, 2}), ("At Risk", {1, 2}, {3, 4}), ("Can't Lose Them", {1, 2}, {5}),
    ("Hibernating", {1, 2}, {1, 2}),
]


def rfm(ev, user, time, value, as_of=None) -> pd.DataFrame:
    ev, stop = prepared(ev, user, time, as_of)
    g = ev.groupby(user, sort=False)
    out = pd.DataFrame({
        "recency_days": (stop - g["day"].max()).dt.days,
        "frequency": g.size(),
        "monetary": g[value].sum(),  # pandas skips NaN
    })

    def score(col: pd.Series) -> pd.Series:
        cuts = [col.quantile(q) for q in (0.2, 0.4, 0.6, 0.8)]  # pandas' linear interpolation
        return col.map(lambda x: 1 + sum(c < x for c in cuts))

    out["R"] = 6 - score(out["recency_days"])
    out["F"] = score(out["frequency"])
    out["M"] = score(out["monetary"])
    pairs = zip(out["R"], out["F"], strict=True)
    out["segment"] = [next(name for name, rs, fs in GRID if r in rs and f in fs) for r, f in pairs]
    return out.reset_index()


def engagement(ev, user, time, window=28, as_of=None) -> pd.DataFrame:
    ev, stop = prepared(ev, user, time, as_of)
    inside = ev[ev["day"] >= stop - pd.Timedelta(days=window)]
    days = inside.groupby(user)["day"].nunique()
    total = len(days)
    rows = []
    for k in range(1, window + 1):
        rows.append({"days_active": k, "users": int((days == k).sum()), "share": (days == k).sum() / total,
                     "share_at_least": (days >= k).sum() / total})
    return pd.DataFrame(rows)
