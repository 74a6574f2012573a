"""Excel output that is safe to open: atomic writes, text never run as a formula.

A cell value starting with ``=``, ``+``, ``-`` or ``@`` is stored as text, so a ledger value such as
``=HYPERLINK(...)`` copied into an output can never run in Excel (CSV/formula injection).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@")


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, tuple):
        return "、".join(map(str, value))
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


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
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers = dict(headers or {})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(str(name)[:31])
        data = frame.reset_index() if index else frame
        columns = [headers.get(str(c), str(c)) for c in data.columns]
        widths = [_display_width(c) for c in columns]
        for j, text in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j, value=text)
            cell.font = Font(bold=True)
        for i, row in enumerate(data.itertuples(index=False), start=2):
            for j, value in enumerate(row, start=1):
                value = _cell_value(value)
                cell = ws.cell(row=i, column=j, value=value)
                if isinstance(value, str):
                    if value.startswith(_FORMULA_START):
                        cell.data_type = "s"
                    widths[j - 1] = max(widths[j - 1], _display_width(value))
                elif value is not None:
                    widths[j - 1] = max(widths[j - 1], len(str(value)))
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(
                max(width + 2, 8), 60
            )
        ws.freeze_panes = "A2"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
