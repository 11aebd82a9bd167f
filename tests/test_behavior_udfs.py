"""The behavioural formulas (SEG_RETENTION, SEG_LIFECYCLE, SEG_RFM, SEG_ENGAGEMENT, SEG_ACTIVITY): registered
through xlwings' real decorators (the VBA *Import Functions* writes), called as Excel calls them (COM values
through ``xlwings.conversion``), and compared with the Python API on the same table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_behavior import make_events
from test_udfs import assert_excel_types, excel_rows, message, spilled_frame
from xlwings_stubs import (
    MISSING,
    call_like_excel,
    com_values,
    real_xlwings_decorators,
    vba_module,
    windows_value_engine,
)

import xlseg

MODULE = "xlseg.excel.udfs"
SIGNATURES = {
    "SEG_RETENTION": "events, Optional user, Optional time, Optional period, Optional options",
    "SEG_LIFECYCLE": "events, Optional user, Optional time, Optional period, Optional options",
    "SEG_RFM": "events, user, time, value, Optional options",
    "SEG_ENGAGEMENT": "events, Optional user, Optional time, Optional window, Optional options",
    "SEG_ACTIVITY": "events, Optional user, Optional time, Optional value, Optional options",
}


@pytest.fixture(scope="module")
def udfs():
    with real_xlwings_decorators(MODULE) as modules, windows_value_engine():
        yield modules[MODULE]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return make_events(seed=3, users=60)


@pytest.fixture(scope="module")
def cells(events):
    return com_values(excel_rows(events))


def same(spilled: list[list[object]], expected: pd.DataFrame) -> None:
    assert_excel_types(spilled)
    assert spilled[0] == list(expected.columns)
    got = spilled_frame(spilled)
    for column in expected.columns:
        want, have = expected[column], got[column]
        if pd.api.types.is_numeric_dtype(want.dtype):
            np.testing.assert_allclose(have.to_numpy(float, na_value=np.nan),
                                       want.to_numpy(float, na_value=np.nan), rtol=1e-12, err_msg=column)
        elif pd.api.types.is_datetime64_any_dtype(want.dtype):
            assert [None if pd.isna(v) else pd.Timestamp(v).tz_localize(None) for v in have] == \
                [None if pd.isna(v) else v for v in want], column
        else:
            assert have.astype(str).tolist() == want.astype(str).tolist(), column


def test_vba_declares_every_function(udfs):
    vba = vba_module(udfs, MODULE)
    for name, arguments in SIGNATURES.items():
        assert f"Function {name}({arguments})" in vba
        info = getattr(udfs, name).__xlfunc__
        assert info["category"] == "xlseg" and 40 < len(info["ret"]["doc"]) <= 255, name
        assert all(len(a["doc"]) <= 255 and not a["doc"].startswith("Positional") for a in info["args"])
        assert info["args"][0]["options"]["ndim"] == 2 and info["ret"]["options"]["index"] is False


def test_formulas_spill_what_the_api_returns(udfs, cells, events):
    same(call_like_excel(udfs.SEG_RETENTION, cells, "user_id", "time", "week", "mode=on_or_after; counts"),
         xlseg.retention(events, "user_id", "time", period="week", mode="on_or_after", counts=True))
    same(call_like_excel(udfs.SEG_LIFECYCLE, cells, MISSING, MISSING, MISSING, [["as_of", dt.datetime(2024, 4, 1)]]),
         xlseg.lifecycle(events, "user_id", "time", as_of="2024-04-01"))
    same(call_like_excel(udfs.SEG_RFM, cells, "user_id", "time", "revenue", MISSING),
         xlseg.rfm(events, "user_id", "time", "revenue"))
    from xlseg.behavior.rfm import rfm_summary

    same(call_like_excel(udfs.SEG_RFM, cells, "user_id", "time", "revenue", "summary; as_of=45383"),  # 2024-04-01
         rfm_summary(xlseg.rfm(events, "user_id", "time", "revenue", as_of="2024-04-01")))
    same(call_like_excel(udfs.SEG_ENGAGEMENT, cells, "user_id", "time", 14, MISSING),
         xlseg.engagement(events, "user_id", "time", window=14))
    summary = call_like_excel(udfs.SEG_ENGAGEMENT, cells, "user_id", "time", MISSING, "summary")
    expected = xlseg.engagement(events, "user_id", "time").attrs["summary"]
    assert [row[0] for row in summary[1:]] == list(expected)
    assert summary[2][1] == expected["WAU (last 7 days)"]
    same(call_like_excel(udfs.SEG_ACTIVITY, cells, "user_id", "time", "revenue", MISSING),
         xlseg.activity(events, "user_id", "time", "revenue"))


@pytest.mark.parametrize(("args", "text"), [
    (("user_id", "time", MISSING, "mode=sometimes"), "mode 'sometimes' not understood"),
    (("user_id", "time", MISSING, "windw=3"), "seg_retention does not take the option 'windw'"),
    (("user_id", "nope", MISSING, MISSING), "column 'nope' not found"),
    (("user_id", "time", "year", MISSING), "period 'year' not understood"),
])
def test_bad_arguments_are_one_sentence_in_the_cell(udfs, cells, args, text):
    assert text in message(call_like_excel(udfs.SEG_RETENTION, cells, *args)).lower()


def test_rfm_errors(udfs, cells):
    assert "4th argument" in message(call_like_excel(udfs.SEG_RFM, cells, "user_id", "time", MISSING, MISSING))
    no_dates = com_values([["user_id", "amount"], ["a", 1], ["b", 2]])
    assert "no date column found among 'user_id', 'amount'" in message(
        call_like_excel(udfs.SEG_LIFECYCLE, no_dates, MISSING, MISSING, MISSING, MISSING)).lower()


def test_zoned_times_and_the_tz_option(udfs):
    rows = [["user_id", "ts"], ["a", "2024-01-31T23:30:00Z"], ["a", "2024-02-01T10:00:00Z"],
            ["b", "2024-01-05T08:00:00Z"], ["b", "2024-02-29T22:30:00Z"]]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    for options, tz in ((MISSING, None), ("tz=Europe/Berlin", "Europe/Berlin")):
        same(call_like_excel(udfs.SEG_LIFECYCLE, com_values(rows), MISSING, MISSING, MISSING, options),
             xlseg.lifecycle(frame, "user_id", "ts", tz=tz))
    berlin = spilled_frame(call_like_excel(udfs.SEG_LIFECYCLE, com_values(rows), MISSING, MISSING, MISSING,
                                           "tz=Europe/Berlin"))
    assert berlin["new"].tolist() == [1, 1]  # a's first activity is on Feb 1 in Berlin
