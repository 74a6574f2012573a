"""The reader's problem lists and its one error.

:class:`LedgerError` is a file that cannot be read at all (the message names the file and the fix,
in Chinese and English). Every other problem is a row of a ``rejected`` or ``warnings`` table
(columns of ``schema.REJECTED``); the helpers here build, finish and scrub such tables, so that no
value quoted in them carries personal data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pandas as pd

from .. import privacy, schema


class LedgerError(ValueError):
    """A file that cannot be read at all; the message names the file and what to fix.

    The message is in Chinese and English. ``file`` holds the file name.
    """

    def __init__(self, file: str, zh: str, en: str) -> None:
        # the message quotes cells (e.g. the headers seen): personal data is masked first
        zh, en = privacy.mask_text(zh), privacy.mask_text(en)
        self.file, self.zh, self.en = file, zh, en
        super().__init__(f"{file}: {zh} / {en}")


def empty_problems() -> pd.DataFrame:
    """An empty problems table (columns of ``schema.REJECTED``)."""
    return schema.empty_frame("rejected")


def problem_rows(rows: Iterable, column: str | None, values: Iterable | None,
                 reason) -> pd.DataFrame:
    """Problem rows (source_row, column, value, reason) for one column."""
    rows = list(rows)
    n = len(rows)
    if values is None:
        values = [pd.NA] * n
    out = pd.DataFrame(
        {
            "source_row": pd.array(rows, dtype="Int64"),
            "column": pd.Series([column] * n, dtype="str"),
            "value": pd.Series(list(values), dtype="object").astype("str"),
        }
    )
    if isinstance(reason, pd.Series):
        out["reason"] = reason.astype("str").to_numpy()
    else:
        out["reason"] = pd.Series([reason] * n, dtype="str")
    return out


def scrub_problems(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Mask personal data quoted in a problems table (value, reason, column); record it.

    The records name the list (``where``) and the kind and number of cells, never a value.
    """
    if frame.empty:
        return frame, []
    clean, removed = privacy.scrub(frame, skip=("table", "source_file"))
    removed = removed[removed["column"] == "value"]
    label = f"({where})"
    return clean, removal_warnings(removed.assign(column=label), {})


def finish_problems(parts: list[pd.DataFrame], *, table: str, source_file: str) -> pd.DataFrame:
    """Concatenate problem parts of one file, stamped with its table and file name."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_problems()
    out = pd.concat(parts, ignore_index=True)
    out["table"] = table
    out["source_file"] = source_file
    return schema.coerce(out, "rejected")[list(schema.REJECTED.columns)]


def removal_warnings(removed: pd.DataFrame, header_of: dict[str, str], why: str = ""
                      ) -> list[pd.DataFrame]:
    """Warning rows for a :func:`privacy.scrub` result (column, kind, count; never a value)."""
    out = []
    for column, kind, action, cells in removed.itertuples(index=False):  # a few records
        out.append(problem_rows([pd.NA], header_of.get(column, column), [pd.NA],
                             privacy.removal_reason(kind, action, int(cells), why=why)))
    return out


def internal_error(source: str, exc: BaseException) -> LedgerError:
    """A file that made the reader fail unexpectedly: reported like a bad file, never raised."""
    return LedgerError(
        source,
        f"读取此文件时程序出错（{type(exc).__name__}）；其他文件已正常读取。请将此文件反馈给维护者",
        f"the reader failed on this file ({type(exc).__name__}: {exc}); the other files were "
        "read. Please report this file to the maintainers",
    )


def error_problem(table: str | None, source: str, message: str) -> pd.DataFrame:
    """One problem row without a row number: a whole file (or a note about it)."""
    prob = problem_rows([pd.NA], None, [pd.NA], message)
    prob["table"] = table if table else "unknown"
    prob["source_file"] = source
    return schema.coerce(prob, "rejected")


def concat_problems(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate problems tables of several files (empty parts left out)."""
    parts = [schema.coerce(p, "rejected")[list(schema.REJECTED.columns)] for p in parts if len(p)]
    if not parts:
        return schema.empty_frame("rejected")
    return pd.concat(parts, ignore_index=True)


#: The column accounting of every file read (``Dataset.columns``): one row per source column,
#: ``used_as`` the canonical column (or item) it became, else empty with the ``reason``.
COLUMN_RECORDS = {
    "table": "str",
    "source_file": "str",
    "sheet": "str",
    "column": "str",
    "header": "str",
    "used_as": "str",
    "reason": "str",
}


def empty_typed(dtypes: dict[str, str]) -> pd.DataFrame:
    """An empty frame with these columns and dtypes."""
    return _empty_typed(tuple(dtypes.items())).copy()


@functools.cache
def _empty_typed(dtypes: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    # built once per set of columns (constructing typed empty columns is slow, copying is not)
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes})


def empty_column_records() -> pd.DataFrame:
    """An empty column-accounting table (columns of :data:`COLUMN_RECORDS`)."""
    return empty_typed(COLUMN_RECORDS)
