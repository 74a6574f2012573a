"""Excel output that is safe to open: atomic writes, text never run as a formula.

A cell value starting with ``=``, ``+``, ``-`` or ``@`` is stored as text, so a ledger value such as
``=HYPERLINK(...)`` copied into an output can never run in Excel (CSV/formula injection).
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_FORMULA_START = ("=", "+", "-", "@")


def display_width(text: str) -> int:
    """Columns a text takes in Excel: wide (CJK, full-width) characters count twice.

    Examples
    --------
    >>> display_width("大岭村"), display_width("SZ01")
    (6, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell_value(value: Any) -> Any:
    """A Python value for an Excel writer: blanks for missing, 、-joined tuples, 是/否 for booleans.

    Examples
    --------
    >>> [cell_value(v) for v in (("宪法", "禁毒"), True, np.int64(3), float("nan"))]
    ['宪法、禁毒', '是', 3, None]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_cell(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write one cell; text starting with = + - @ is stored as text, never run as a formula."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
    return cell


def _column_width(column: pd.Series) -> int:
    """The widest value of a column as Excel shows it (distinct values measured once)."""
    if column.empty:
        return 0
    if column.dtype.kind in "biufcmM":
        lengths = column.dropna().astype("str").str.len()
        return int(lengths.max()) if len(lengths) else 0
    shown = pd.Series(pd.unique(column.map(cell_value, na_action="ignore").dropna()))
    if shown.empty:
        return 0
    return int(shown.astype("str").map(display_width).max())


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    headers: Mapping[str, str] | None = None,
    index: bool = False,
) -> Path:
    """Write frames to an .xlsx, one sheet each: frozen header, fitted widths, formula-safe text.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name → frame.
    path : path-like
        The .xlsx to write; written to a temporary file first, then renamed into place.
    headers : mapping, optional
        Column name → header shown (e.g. Chinese headers).
    index : bool
        Write the index as the first column(s).

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> d = tempfile.mkdtemp()
    >>> p = write_workbook({"表": pd.DataFrame({"值": ["=1+1", "ok"]})}, f"{d}/a.xlsx")
    >>> ws = openpyxl.load_workbook(p)["表"]
    >>> ws["A2"].value, ws["A2"].data_type, ws.freeze_panes
    ('=1+1', 's', 'A2')
    """
    import xlsxwriter

    headers = dict(headers or {})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        # xlsxwriter streams rows (constant memory): a sheet of a million cells costs seconds,
        # where openpyxl took a minute. Text is always text (never a formula, number or link).
        wb = xlsxwriter.Workbook(tmp, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": "yyyy-mm-dd",
            "nan_inf_to_errors": True,
        })
        bold = wb.add_format({"bold": True})
        for name, frame in sheets.items():
            ws = wb.add_worksheet(str(name)[:31])
            data = frame.reset_index() if index else frame
            columns = [headers.get(str(c), str(c)) for c in data.columns]
            widths = [max(display_width(text), _column_width(data.iloc[:, j]))
                      for j, text in enumerate(columns)]
            for j, width in enumerate(widths):  # a few dozen columns
                ws.set_column(j, j, min(max(width + 2, 8), 60))
            ws.freeze_panes(1, 0)
            ws.write_row(0, 0, columns, bold)
            values = [[cell_value(v) for v in data.iloc[:, j].tolist()]
                      for j in range(data.shape[1])]  # column by column
            for i, row in enumerate(zip(*values, strict=True), start=1):  # row by row
                ws.write_row(i, 0, row)
        wb.close()
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
