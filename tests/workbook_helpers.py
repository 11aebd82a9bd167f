"""Helpers for tests that read written workbooks back with openpyxl."""

from __future__ import annotations

import pandas as pd


def table_frame(ws, name: str) -> pd.DataFrame:
    """An Excel table of ``ws`` as a DataFrame (header row → columns), plus the grand-total row that sits
    right under the table (outside it, so that =SUM(table[users]) counts each user once)."""
    rows = [[c.value for c in row] for row in ws[ws.tables[name].ref]]
    assert "Total" not in {row[0] for row in rows[1:]}
    first, last = ws.tables[name].ref.split(":")
    below = int("".join(ch for ch in last if ch.isdigit())) + 1
    start_col = ws[first].column
    total = [ws.cell(below, start_col + j).value for j in range(len(rows[0]))]
    if isinstance(total[0], str) and (total[0] == "Total" or total[0].startswith("Total (all")):
        rows.append(total)  # "Total (all)" when a real segment is called Total
    return pd.DataFrame(rows[1:], columns=rows[0])
