"""Tables for download: CSV text that a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "spreadsheet_safe_csv"]

# OWASP "CSV injection": a cell starting with one of these may be run as a formula by a spreadsheet
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _neutralised(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def spreadsheet_safe_csv(table: pd.DataFrame) -> str:
    """The table as CSV text (no index) in which no text cell or header can start a formula.

    Text cells and column names that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return get a leading single quote, so a spreadsheet shows them as text. Cells of numeric
    columns (``-5.2`` included) are written as they are. Lines end in CRLF (RFC 4180), so a cell
    holding a lone carriage return is quoted instead of splitting its row in two.

    Parameters
    ----------
    table
        The table to write; it is not modified.

    Returns
    -------
    str
        CSV text, as :meth:`pandas.DataFrame.to_csv` writes it with ``index=False`` and CRLF line ends.
    """
    safe = table.copy()
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if _is_text(column):
            safe.isetitem(position, column.astype(object).map(_neutralised))
    safe.columns = [_neutralised(name) for name in safe.columns]
    return safe.to_csv(index=False, lineterminator="\r\n")
