"""Checks and small pieces shared by the in-memory and the pushed-down step 1 of the scan and the gap
(:mod:`xlseg.insight.scan`, :mod:`xlseg.insight.gap`, :mod:`xlseg.insight.pushdown`), so both read the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlseg.engine.binning import Segments
from xlseg.engine.kernels import Moments
from xlseg.errors import XlsegError, did_you_mean
from xlseg.spec import Dimension

MAX_SEGMENTS = 200  # per dimension: more would make tens of thousands of pairs of tiny segments


def check_scan_metric(column: str, agg: str) -> None:
    """The scan compares means and rates only."""
    if agg not in ("mean", "rate"):
        raise XlsegError(f"the scan compares means and rates; use {column}:mean or {column}:rate")


def check_gap_metric(column: str, agg: str) -> None:
    """The gap is split for means and rates only."""
    if agg not in ("mean", "rate"):
        raise XlsegError(f"the gap is split for means and rates; use {column}:mean or {column}:rate")


def check_dimensions(dimensions: Sequence[Dimension], column: str) -> None:
    """The metric is not one of the dimensions."""
    if any(d.column == column for d in dimensions):
        raise XlsegError(f"'{column}' is the metric; scan by other columns")


def check_segments(dimensions: Sequence[Dimension], segments: Sequence[Segments]) -> None:
    """At most :data:`MAX_SEGMENTS` segments per dimension."""
    for dimension, found in zip(dimensions, segments, strict=True):
        if len(found.labels) > MAX_SEGMENTS:
            raise XlsegError(f"'{dimension.column}' has {len(found.labels):,} segments; scan columns with at most "
                             f"{MAX_SEGMENTS} (keep the largest: by=[{{'column': '{dimension.column}', 'top': 20}}])")


def label_code(groups: Segments, label: str, column: str) -> int:
    """The segment code of group ``label`` in ``groups`` (exact, else ignoring case)."""
    labels = [str(x) for x in groups.labels]
    if label in labels:
        return labels.index(label)
    folded = [x.casefold() for x in labels]
    if label.casefold() in folded:
        return folded.index(label.casefold())
    raise XlsegError(f"'{label}' is not a value of '{column}'{did_you_mean(label, labels)}")


def halves(both: Moments, width: int) -> tuple[Moments, Moments]:
    """Moments indexed ``group × width + segment`` (two groups) split into group A's and group B's."""
    assert both.m2 is not None
    half = [slice(0, width), slice(width, 2 * width)]
    return tuple(Moments(both.count[h], both.total[h], both.m2[h]) for h in half)  # type: ignore[return-value]


@dataclass
class GapStatistics:
    """The gap's step 1: per-segment moments in group A and in group B, and what the notes say.

    Attributes:
        a, b: count, sum and m2 of the metric per segment in each group.
        segments: the segments of the ``by`` column (labels in order).
        dimension: the ``by`` dimension as segmented (with its bins).
        agg: ``"rate"`` or ``"mean"``.
        notes: notes of the input(s).
        left_out: rows in neither group (one-table form).
        missing: rows of the two groups without a metric value.
    """

    a: Moments
    b: Moments
    segments: Segments
    dimension: Dimension
    agg: str
    notes: list[str]
    left_out: int
    missing: int
