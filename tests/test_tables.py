"""CSV downloads: text a spreadsheet would run as a formula is quoted, numbers and plain text are not."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from geo.tables import spreadsheet_safe_csv

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False)


@pytest.mark.parametrize("cell", DANGEROUS)
def test_spreadsheet_safe_csv__formula_text_gets_a_leading_quote(cell):
    table = pd.DataFrame({"name": [cell], "distance_km": [1.5]})
    back = _read(spreadsheet_safe_csv(table))
    assert back.loc[0, "name"] == "'" + cell
    assert back.loc[0, "distance_km"] == 1.5


def test_spreadsheet_safe_csv__numbers_and_plain_text_are_unchanged():
    table = pd.DataFrame(
        {
            "feature_id": ["a-1", "b 2"],
            "name": ["Khorgos", "Ürümqi = big"],
            "distance_km": [-5.2, 0.0],
            "count": np.array([-3, 7], dtype="int64"),
            "inside": [True, False],
        }
    )
    text = spreadsheet_safe_csv(table)
    assert text == table.to_csv(index=False, lineterminator="\r\n")
    assert "-5.2" in text and "'-" not in text
    pd.testing.assert_frame_equal(_read(text), table)


def test_spreadsheet_safe_csv__string_and_category_columns_and_headers():
    table = pd.DataFrame(
        {
            "=bad header": pd.Series(["=1+1", None, "ok"], dtype="string"),
            "kind": pd.Categorical(["-x", "-x", "city"]),
            "mixed": pd.Series(["@a", -4, np.nan], dtype=object),
        }
    )
    back = pd.read_csv(io.StringIO(spreadsheet_safe_csv(table)))
    assert list(back.columns) == ["'=bad header", "kind", "mixed"]
    assert back["'=bad header"].tolist()[::2] == ["'=1+1", "ok"]
    assert pd.isna(back.loc[1, "'=bad header"])
    assert back["kind"].tolist() == ["'-x", "'-x", "city"]
    assert back["mixed"].tolist()[:2] == ["'@a", "-4"]


def test_spreadsheet_safe_csv__a_carriage_return_inside_a_cell_cannot_start_a_new_row():
    table = pd.DataFrame({"name": ["Almaty\r=1+1", "\r=2+2"], "n": [1, 2]})
    text = spreadsheet_safe_csv(table)
    assert '"Almaty\r=1+1"' in text
    back = _read(text)
    assert back["name"].tolist() == ["Almaty\r=1+1", "'\r=2+2"]
    assert back["n"].tolist() == [1, 2]


def test_spreadsheet_safe_csv__leaves_the_input_alone():
    table = pd.DataFrame({"name": ["=1+1"]})
    spreadsheet_safe_csv(table)
    assert table.loc[0, "name"] == "=1+1"
