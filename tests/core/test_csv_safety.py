"""Spreadsheet formula injection (OWASP): text cells a spreadsheet would run as a formula
get a leading quote; other text and numbers are written as they are."""

import pyarrow as pa

from segmentation_pipeline.core.csv_safety import neutralize_cell, neutralize_formulas


def test_text_cells_starting_with_a_formula_trigger_get_a_quote():
    cells = pa.array(
        ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Acme", "a=b", None],
        type=pa.large_string(),
    )
    assert neutralize_formulas(cells).to_pylist() == [
        "'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "Acme", "a=b", None,
    ]  # fmt: skip


def test_text_without_triggers_is_returned_untouched():
    cells = pa.array(["Acme", "", None])
    assert neutralize_formulas(cells) is cells


def test_one_cell():
    assert neutralize_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralize_cell("Tier 1") == "Tier 1"
    assert neutralize_cell(-5) == -5  # a number is not a formula
    assert neutralize_cell(None) is None
