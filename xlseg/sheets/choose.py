"""Auto mode: pick the breakdowns, metrics and crosstabs a report shows, from the column roles, with reasons.

Rules (each choice comes with a one-line reason for the Summary sheet):

* **dimensions**: :func:`xlseg.engine.auto.choose_dimensions` (shared with the segment scan).
* **metrics**: every flag (up to 3) as a rate; numeric metrics (up to 3) as a mean. Means and rates get
  intervals, lift and a test against the rest in every breakdown.
* **crosstab**: the two chosen text dimensions with the fewest values, as a heatmap of users and of the
  main metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlseg.engine.auto import Choice, choose_dimensions, distinct_count
from xlseg.schema import Role, Table

__all__ = ["Choice", "Plan", "auto_plan", "choose_crosstab", "choose_dimensions", "choose_metrics", "distinct_count"]

MAX_FLAGS = 3
MAX_MEANS = 3


@dataclass
class Plan:
    """What a report computes: breakdowns, metrics and crosstabs, plus the reasons for the Summary sheet."""

    breakdowns: list[Choice] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)
    crosstabs: list[tuple[list[object], list[object]]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


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
