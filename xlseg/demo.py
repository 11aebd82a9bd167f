"""Built-in demo data: a realistic, deterministic table of app users.

Used by ``xlseg demo``, the tests and the benchmarks. The table has effects strong enough that a
5,000-row sample shows significant differences for a few segments and none for others:

- ``geography``: 12 countries with a Zipf-like skew (the largest about 35 % of users, a long tail).
- ``session_length``: Brazil watches about twice as long as everyone else; Japan and the United Kingdom
  somewhat longer, India somewhat shorter; desktop and tablet sessions are longer than mobile ones.
- ``converted``: rare (about 5 %); mobile converts about twice as often as desktop, Pro users about three
  times as often as Free users, Basic users in between. Geography has no effect on conversion.
- ``revenue``: 0.0 for non-converters, lognormal for converters (Pro pays more).

Everything is vectorized numpy driven by ``np.random.default_rng(seed)``: 10 million rows take a few
seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Countries in order of size, with a multiplier on typical session length (1.0 = no effect).
COUNTRIES: tuple[tuple[str, float], ...] = (
    ("United States", 1.00),
    ("India", 0.85),
    ("Brazil", 2.00),  # the long-watching country
    ("United Kingdom", 1.15),
    ("Germany", 1.00),
    ("Indonesia", 1.00),
    ("Mexico", 1.00),
    ("France", 1.00),
    ("Philippines", 1.00),
    ("Japan", 1.30),
    ("Canada", 1.00),
    ("Nigeria", 1.00),
)
#: Zipf exponent for country sizes; with 12 countries the largest gets about 35 % of users.
ZIPF_EXPONENT = 1.1

#: device -> (share of users, session-length multiplier, conversion multiplier)
DEVICES: dict[str, tuple[float, float, float]] = {
    "Mobile": (0.55, 1.00, 1.50),
    "Desktop": (0.33, 1.30, 0.75),
    "Tablet": (0.12, 1.45, 1.00),
}
#: plan -> (share of users, sessions multiplier, conversion multiplier, revenue multiplier)
PLANS: dict[str, tuple[float, float, float, float]] = {
    "Free": (0.70, 1.00, 1.00, 1.0),
    "Basic": (0.20, 1.40, 1.50, 1.3),
    "Pro": (0.10, 2.00, 3.00, 2.5),
}
BASE_CONVERSION = 0.032  # before device/plan multipliers; overall rate comes out near 5 %
SESSION_MEDIAN_MINUTES = 6.0
SESSION_SIGMA = 0.75
SIGNUP_START = np.datetime64("2024-01-01")
SIGNUP_DAYS = 548  # about 18 months: 2024-01-01 .. 2025-07-01
FIRST_USER_ID = 100_001


def _labels(codes: np.ndarray, names: list[str]) -> pd.Series:
    """Turn integer codes into a column of pandas' default string dtype, fast.

    Goes through a pyarrow dictionary array when pyarrow is installed (0.2 s for 10M rows instead of
    2 s through Python objects); the result dtype is the same either way.
    """
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dev/parquet extra
        return pd.Series(np.asarray(names, dtype=object)[codes], dtype="str")
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32, copy=False)), pa.array(names, type=pa.large_string())
    )
    series = pd.Series(dictionary.cast(pa.large_string()).to_pandas())
    return series.astype("str")  # no-op when already pandas' default str dtype


def _pick(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Draw ``n`` category codes with probabilities ``weights`` (normalized here)."""
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int8)


def make_users(n: int = 5000, seed: int = 42) -> pd.DataFrame:
    """Return a deterministic table of ``n`` app users.

    Args:
        n: number of rows (users); 0 gives an empty table with the same columns and dtypes.
        seed: seed for ``np.random.default_rng``; the same ``(n, seed)`` always gives the same frame.

    Returns:
        A DataFrame with columns ``user_id`` (int64, unique, increasing with signup date),
        ``geography``, ``device``, ``plan`` (pandas' default ``str`` dtype), ``signup_date``
        (``datetime64[ns]``, days over about 18 months, more signups recently), ``sessions`` (int64,
        at least 1), ``session_length`` (float64 minutes), ``converted`` (bool) and ``revenue``
        (float64, 0.0 unless converted). No missing values. See the module docstring for the effects.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)

    country_names = [name for name, _ in COUNTRIES]
    zipf = 1.0 / np.arange(1, len(COUNTRIES) + 1) ** ZIPF_EXPONENT
    geo = _pick(rng, n, zipf)
    device = _pick(rng, n, np.array([v[0] for v in DEVICES.values()]))
    plan = _pick(rng, n, np.array([v[0] for v in PLANS.values()]))

    # Signups grow over time (density rising towards the end); rows come in signup order, like an export.
    days = np.floor(SIGNUP_DAYS * rng.random(n) ** (1 / 1.6)).astype(np.int16)
    days.sort(kind="stable")  # radix sort for int16: fast at 10M rows
    signup = SIGNUP_START + days.astype("timedelta64[D]")
    tenure = 1.0 - days / SIGNUP_DAYS  # 1 for the first signups, ~0 for the latest

    plan_sessions = np.array([v[1] for v in PLANS.values()])[plan]
    mean_sessions = 4.0 * plan_sessions * (0.5 + tenure)
    shape = 1.5  # negative binomial dispersion: long right tail
    sessions = 1 + rng.negative_binomial(shape, shape / (shape + mean_sessions))

    geo_len = np.array([m for _, m in COUNTRIES])[geo]
    dev_len = np.array([v[1] for v in DEVICES.values()])[device]
    log_len = np.log(SESSION_MEDIAN_MINUTES * geo_len * dev_len) + SESSION_SIGMA * rng.standard_normal(n)
    session_length = np.round(np.exp(log_len), 2)

    dev_conv = np.array([v[2] for v in DEVICES.values()])[device]
    plan_conv = np.array([v[2] for v in PLANS.values()])[plan]
    converted = rng.random(n) < BASE_CONVERSION * dev_conv * plan_conv

    plan_rev = np.array([v[3] for v in PLANS.values()])[plan]
    spend = np.exp(np.log(25.0 * plan_rev) + 0.8 * rng.standard_normal(n))
    revenue = np.where(converted, np.round(spend, 2), 0.0)

    return pd.DataFrame(
        {
            "user_id": np.arange(FIRST_USER_ID, FIRST_USER_ID + n, dtype=np.int64),
            "geography": _labels(geo, country_names),
            "device": _labels(device, list(DEVICES)),
            "plan": _labels(plan, list(PLANS)),
            "signup_date": signup.astype("datetime64[ns]"),
            "sessions": sessions.astype(np.int64),
            "session_length": session_length.astype(np.float64),
            "converted": converted,
            "revenue": revenue.astype(np.float64),
        }
    )


#: Mean days a user stays active after signup, per plan (Free, Basic, Pro): paying users stay longer.
ACTIVE_SPAN_DAYS = (45.0, 80.0, 150.0)


def make_activity(users: pd.DataFrame | None = None, seed: int = 42) -> pd.DataFrame:
    """Return a deterministic activity log (one row per session) consistent with ``users`` (:func:`make_users`).

    Each user has exactly ``sessions`` rows: the first on the signup day, the others spread over an active span
    after signup (longer for Basic and Pro plans, cut at the end of the signup window, 2025-07-01), denser early
    on, so later months show churn. Each converted user has one ``purchase`` row whose ``amount`` is their
    ``revenue`` (other rows are ``session`` rows with amount 0), so amounts per user add up to the user table.

    Columns: ``user_id`` (int64), ``time`` (datetime64[ns], to the second), ``event`` (str), ``amount`` (float64),
    sorted by time.
    """
    users = make_users(seed=seed) if users is None else users
    rng = np.random.default_rng(seed + 1)
    n = len(users)
    end = SIGNUP_START + np.timedelta64(SIGNUP_DAYS, "D")
    signup = users["signup_date"].to_numpy().astype("datetime64[D]")
    room = (end - signup).astype(np.int64)
    plan = pd.Categorical(users["plan"], categories=list(PLANS)).codes
    span = np.minimum(rng.exponential(np.asarray(ACTIVE_SPAN_DAYS)[plan]), room - 1)
    counts = users["sessions"].to_numpy(dtype=np.int64)
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    offset = np.floor(rng.random(len(owner)) ** 1.5 * (span[owner] + 1)).astype(np.int64)
    offset[starts] = 0  # the first session is on the signup day
    seconds = rng.integers(0, 86_400, len(owner))
    time = (signup[owner] + offset.astype("timedelta64[D]")).astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    amount = np.zeros(len(owner))
    event = np.zeros(len(owner), dtype=np.int8)
    buyers = np.flatnonzero(users["converted"].to_numpy(dtype=bool))
    rows = starts[buyers] + np.floor(rng.random(len(buyers)) * counts[buyers]).astype(np.int64)
    amount[rows] = users["revenue"].to_numpy()[buyers]
    event[rows] = 1
    order = np.argsort(time, kind="stable")
    return pd.DataFrame({
        "user_id": users["user_id"].to_numpy()[owner][order],
        "time": time[order].astype("datetime64[ns]"),
        "event": _labels(event[order], ["session", "purchase"]),
        "amount": amount[order],
    })
