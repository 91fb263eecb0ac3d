"""CSV cells that a spreadsheet would run as formulas are neutralised; numbers are not."""

from __future__ import annotations

import pytest

from services.chassis.exports import spreadsheet_cell, spreadsheet_row


@pytest.mark.parametrize("value", [
    "=HYPERLINK(\"http://x\",\"clic\")", "+33 6 12", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)",
    "\t=1+1", "\r=1+1", "\uff1d1+1",
])
def test_a_formula_becomes_text(value):
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12", "+5", "-3,5", "12", "Accueil", "", 42, -7, None])
def test_plain_values_and_numbers_are_kept(value):
    assert spreadsheet_cell(value) == value


def test_rows_of_both_shapes():
    assert spreadsheet_row({"title": "=1", "n": 3}) == {"title": "'=1", "n": 3}
    assert spreadsheet_row(["@x", "-4"]) == ["'@x", "-4"]
