"""Excel name rules: sheet names and table/defined names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlseg.sheets.names import (
    NameBook,
    clean_sheet_name,
    clean_table_name,
    column_letter,
    column_number,
    is_valid_sheet_name,
    is_valid_table_name,
    looks_like_cell_reference,
)


@pytest.mark.parametrize("name", ["A1", "a1", "XFD100", "XFD1048576", "R1C1", "r2c3", "R", "C", "R10", "C7", "$B$2"])
def test_cell_references_are_recognised(name):
    assert looks_like_cell_reference(name)
    assert not is_valid_table_name(name)
    cleaned = clean_table_name(name)
    assert is_valid_table_name(cleaned) and cleaned != name


@pytest.mark.parametrize("name", ["XFE1", "A1048577", "device", "RC_x", "geography_device", "Q1_2024"])
def test_names_that_are_not_cell_references(name):
    assert not looks_like_cell_reference(name)


def test_column_letters_round_trip():
    for n in (1, 26, 27, 702, 703, 16384):
        assert column_number(column_letter(n)) == n
    assert column_letter(16384) == "XFD"


def test_sheet_name_rules():
    hostile = "seg[1]:*?/\\ a label column far too long for a sheet"
    cleaned = clean_sheet_name(hostile)
    assert is_valid_sheet_name(cleaned)
    assert len(cleaned) <= 31
    assert not any(ch in cleaned for ch in "[]:*?/\\")
    assert clean_sheet_name("'quoted'") == "quoted"
    assert clean_sheet_name("History") != "History"
    assert clean_sheet_name("a\x01b\nc") == "ab c"
    assert clean_sheet_name("") == "Sheet"
    assert clean_sheet_name("x" * 30 + " '") == "x" * 30


def test_name_book_makes_names_unique_ignoring_case():
    book = NameBook(sheets=["Summary"], tables=["device"])
    assert book.sheet("summary") == "summary (2)"
    assert book.sheet("SUMMARY") == "SUMMARY (3)"
    long = "y" * 40
    first, second = book.sheet(long), book.sheet(long)
    assert len(first) == len(second) == 31 and first.casefold() != second.casefold()
    assert book.table("Device") == "Device_2"
    assert book.table("A1") == "T_A1"
    assert book.table("1st place") == "T_1st_place"
    assert book.table("Print_Area") == "T_Print_Area"
    assert book.table("") == "Table"


@given(st.text(max_size=60))
def test_any_text_becomes_a_valid_sheet_and_table_name(text):
    book = NameBook()
    assert is_valid_sheet_name(book.sheet(text))
    assert is_valid_table_name(book.table(text))


def test_shortened_sheet_names_stay_distinguishable():
    """Before: both became 'acquisition_channel_detail ×' and 'acquisition_channel_detail × (2)'."""
    book = NameBook()
    texts = ["acquisition_channel_detail × device", "acquisition_channel_detail × plan",
             "session_length (q4) × geography × plan", "session_length (q4) × geography × device"]
    names = [book.sheet(t) for t in texts]
    assert names[0] == "acquisition_channel_de\u2026× device" and names[1].endswith("× plan")
    assert all(is_valid_sheet_name(n) and len(n) <= 31 for n in names)
    assert not any(re.search(r" \(\d+\)$", n) for n in names)
    # different long texts that share start and end still differ by more than a counter
    a, b = "x" * 20 + " first " + "z" * 20, "x" * 20 + " other " + "z" * 20
    first, second = book.sheet(a), book.sheet(b)
    assert first != second and re.search(r"~[0-9a-f]{4}$", second) and not second.endswith(")")
