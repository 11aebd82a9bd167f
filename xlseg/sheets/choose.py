"""Auto mode: pick the breakdowns, metrics and crosstabs a report shows, from the column roles, with reasons.

Rules (each choice comes with a one-line reason for the Summary sheet):

* **dimensions**: text dimensions with 2–:data:`MAX_LEVELS` distinct values, smallest first is not imposed —
  table order is kept; text dimensions with up to :data:`MAX_TOP_LEVELS` values are shown as their top
  :data:`TOP_N` + "Other"; more distinct values are skipped (say ``--by col --top N`` to include them).
  The first date column by month (by week when it spans less than three months). The first numeric metric
  in quartiles (``q4``), when it has more than :data:`FEW_VALUES` distinct values.
* **metrics**: every flag (up to 3) as a rate; numeric metrics (up to 3) as a mean. Means and rates get
  intervals, lift and a test against the rest in every breakdown.
* **crosstab**: the two chosen text dimensions with the fewest values, as a heatmap of users and of the
  main metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from xlseg.io.codes import code_numbers
from xlseg.schema import Role, Table

MAX_LEVELS = 15
MAX_TOP_LEVELS = 200
TOP_N = 10
FEW_VALUES = 20
MAX_BREAKDOWNS = 6
MAX_FLAGS = 3
MAX_MEANS = 3


@dataclass
class Choice:
    """One breakdown: its ``by`` items (engine form: names or dimension dicts) and why it was chosen."""

    by: list[object]
    why: str

    @property
    def columns(self) -> list[str]:
        """The column names of the dimensions."""
        return [str(d["column"]) if isinstance(d, dict) else str(d) for d in self.by]


@dataclass
class Plan:
    """What a report computes: breakdowns, metrics and crosstabs, plus the reasons for the Summary sheet."""

    breakdowns: list[Choice] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)
    crosstabs: list[tuple[list[object], list[object]]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def distinct_count(series: pd.Series) -> int:
    """Distinct non-missing values (categories actually present for category columns)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return int(series.cat.remove_unused_categories().cat.categories.size)
    return int(series.nunique(dropna=True))


def choose_dimensions(table: Table) -> tuple[list[Choice], list[str]]:
    """Auto-mode breakdowns for ``table`` and notes on the columns skipped."""
    choices: list[Choice] = []
    skipped: list[str] = []
    frame = table.frame
    for column in table.columns_with(Role.DIMENSION):
        n = distinct_count(frame[column])
        if n < 2:
            skipped.append(f"'{column}' skipped: only {n} distinct value.")
        elif n <= MAX_LEVELS:
            kind = "a column of number codes" if code_numbers(frame[column]) is not None else "a text column"
            choices.append(Choice([column], f"'{column}': {kind} with {n} values."))
        elif n <= MAX_TOP_LEVELS:
            choices.append(Choice([{"column": column, "top": TOP_N}],
                                  f"'{column}': its {TOP_N} largest of {n:,} values, the rest as Other."))
        else:
            skipped.append(f"'{column}' skipped: {n:,} distinct values (use --by {column} --top 10).")
    dates = table.columns_with(Role.DATE)
    if dates:
        column = dates[0]
        values = frame[column].dropna()
        span = (values.max() - values.min()).days if len(values) else 0
        period = "month" if span >= 90 else "week"
        choices.append(Choice([{"column": column, "bins": period}], f"'{column}' by {period}: the date column."))
    metrics = [c for c in table.columns_with(Role.METRIC) if distinct_count(frame[c]) > FEW_VALUES]
    if metrics:
        column = metrics[0]
        choices.append(Choice([{"column": column, "bins": "q4"}],
                              f"'{column}' in quartiles (4 groups of about equal size): the first numeric column."))
    if len(choices) > MAX_BREAKDOWNS:
        skipped.append(_left_out([_subject(extra) for extra in choices[MAX_BREAKDOWNS:]]))
        choices = choices[:MAX_BREAKDOWNS]
    return choices, skipped


LISTED_LEFT_OUT = 8  # columns named in the one "left out" line; the rest are counted


def _left_out(subjects: list[str]) -> str:
    """One Summary line for the breakdowns beyond the auto-mode limit (a wide table has dozens)."""
    named = ", ".join(subjects[:LISTED_LEFT_OUT])
    more = len(subjects) - LISTED_LEFT_OUT
    rest = f" and {more} more" if more > 0 else ""
    return f"Left out: {named}{rest}: at most {MAX_BREAKDOWNS} breakdowns in auto mode (name others with --by)."


def _subject(choice: Choice) -> str:
    """What a choice's reason is about: ``'device'`` of ``"'device': a text column with 3 values."``.

    The reason follows the last ``": "`` (reasons hold none), so a column name with a colon stays whole.
    """
    return choice.why.rsplit(": ", 1)[0]


def choose_metrics(table: Table) -> tuple[list[tuple[str, str]], list[str]]:
    """Auto-mode metrics: flags as rates, numeric metrics as means; with one reason line each."""
    flags = table.columns_with(Role.FLAG)[:MAX_FLAGS]
    means = table.columns_with(Role.METRIC)[:MAX_MEANS]
    pairs = [(c, "rate") for c in flags] + [(c, "mean") for c in means]
    reasons = []
    if flags:
        reasons.append(f"Rates of the yes/no column(s) {_quoted(flags)}: the share of users with the flag set.")
    if means:
        reasons.append(f"Means of the numeric column(s) {_quoted(means)}.")
    if not pairs:
        reasons.append("No yes/no or numeric columns: the report counts users per segment.")
    return pairs, reasons


def choose_crosstab(choices: list[Choice], table: Table) -> list[tuple[list[object], list[object]]]:
    """The two plain text dimensions with the fewest values, as one crosstab (rows = the larger)."""
    plain = [c for c in choices if len(c.by) == 1 and isinstance(c.by[0], str)]
    if len(plain) < 2:
        return []
    ranked = sorted(plain, key=lambda c: distinct_count(table.frame[c.columns[0]]))[:2]
    small, large = ranked
    return [([large.by[0]], [small.by[0]])]


def auto_plan(table: Table, by: list[Choice] | None, metrics: list[tuple[str, str]] | None,
              crosstabs: list[tuple[list[object], list[object]]] | None) -> Plan:
    """Fill in what the caller left out (``None``) with auto-mode choices, recording every reason."""
    plan = Plan()
    if by is None:
        plan.breakdowns, skipped = choose_dimensions(table)
        plan.reasons += ["Breakdowns chosen automatically from the column roles:"]
        plan.reasons += [f"  • {c.why}" for c in plan.breakdowns] + [f"  • {s}" for s in skipped]
    else:
        plan.breakdowns = by
        plan.reasons.append("Breakdowns as requested: " + "; ".join(" × ".join(c.columns) for c in by) + ".")
    if metrics is None:
        plan.metrics, reasons = choose_metrics(table)
        plan.reasons += reasons
    else:
        plan.metrics = metrics
        plan.reasons.append("Metrics as requested: " + ", ".join(f"{c} {a}" for c, a in metrics) + ".")
    if crosstabs is None:
        plan.crosstabs = choose_crosstab(plan.breakdowns, table) if by is None else []
        for rows, cols in plan.crosstabs:
            plan.reasons.append(f"Heatmap of {_name(rows)} × {_name(cols)}: the two dimensions with the fewest"
                                " values.")
    else:
        plan.crosstabs = crosstabs
    return plan


def _name(items: list[object]) -> str:
    return " / ".join(str(i["column"]) if isinstance(i, dict) else str(i) for i in items)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
