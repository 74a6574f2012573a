"""Read ledgers as offices really keep them, and load or save the whole :class:`Dataset`.

A 司法所 ledger is an Excel sheet (or a CSV) made for people: a title and a "填报单位" line above
the header, two-level merged headers, units in brackets (参加人数（人次）), dates in half a dozen
spellings, counts like "约50" or "1.2万", a 合计 row and a "注：" line at the bottom. This module
turns such files into the canonical tables of :mod:`pufa_metrics.schema` and **loses nothing**:
every row below the header is either loaded, rejected (one row in ``rejected`` per problem, with
file, Excel row number, column, value and reason) or recognised as non-data (blank, totals,
notes), so that for every file::

    loaded + rejected + non_data == data_rows

Rows above the header (title, 填报单位) are counted separately as ``preamble_rows``. Things that
are not row losses (an unknown topic kept as written, an approximate count, a year taken from the
sheet name, merged cells filled down, a personal-data column dropped) go to a ``warnings`` table
with the same columns as ``rejected``.

Hostile input: a file that cannot be read at all (empty, truncated, password protected, a web
page, an image or a ZIP named .xlsx, an unclosed quote, no header in the first 30 rows, a required
column missing …) raises :class:`LedgerError` naming the file and what to fix; in
:func:`load_dataset` it is recorded (``files`` status ``error``) and the other files are still
read. Large files are read fast: .xlsx cells by python-calamine (Rust), or by openpyxl's
read-only mode when calamine is not installed, might read a workbook differently or
``PUFA_XLSX_ENGINE=openpyxl`` is set; CSV without quotes by pandas' C parser. Files over 50,000
rows show a progress bar on stderr when it is a terminal (or ``PUFA_PROGRESS=1``).

Privacy (:mod:`pufa_metrics.privacy`): columns whose header names personal data (姓名, 身份证号,
联系电话, 住址 …) are dropped (a name column is first hashed into ``person_id``); in every text that
is kept, mobile and ID numbers, IP addresses, street addresses and labelled names are masked as
``[已隐去]``; identifiers holding personal data are replaced by their salted hash; the same goes for
values quoted in ``rejected``, ``warnings`` and error messages. Each removal is a warning whose
reason ends in ``[pii:<kind>:<action>:<cells>]``; :meth:`Dataset.removed_personal_data` sums them
up.

Public entry points: :func:`read_ledger` (one file, one table), :func:`load_dataset` (a folder)
and :class:`Dataset` (``to_parquet`` / ``from_parquet`` / ``reconciliation`` / ``summary``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io as _stdio
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import privacy, schema
from .config import RAW_DIR, Settings

__all__ = ["Dataset", "LedgerError", "load_dataset", "read_ledger"]

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

#: Tables read by this module's ledger reader (surveys go through ``survey_io``).
LEDGER_TABLES: tuple[str, ...] = (
    "villages",
    "events",
    "sites",
    "cadres",
    "legal_literates",
    "adviser_visits",
)

_HEADER_SCAN_ROWS = 30
#: Counts and numbers above this are rejected: no 普法 event reaches 10 million people, and a
#: mobile or ID number typed into a count column must not load as a figure.
_MAX_COUNT = 10_000_000
#: Above this many unused (or header-less) columns in a sheet, one warning sums them up.
_MAX_COLUMN_WARNINGS = 20
_MIN_DATE = pd.Timestamp("2000-01-01")
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000
_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
_EXCEL_ORIGIN_1904 = pd.Timestamp("1904-01-01")
_DATE = schema.DATE

#: Sheets that hold summaries or instructions: skipped (and reported) when they do not match.
_SKIP_SHEETS = ("汇总", "说明", "统计", "目录", "封面", "填表说明", "填报说明", "示例", "样表")

#: Header variants not (yet) in schema.py; see the report to the lead.
_EXTRA_ALIASES: dict[str, dict[str, str]] = {}

#: Headers of a plain sequence-number column (not data: a row holding only it is blank).
_SEQ_HEADERS = frozenset({"序号", "序", "no", "no.", "序列号"})

#: Canonical columns parsed as approximate-able counts whose approx flag has a column.
_APPROX_COLUMNS = {"attendees": "attendees_approx", "materials": "materials_approx"}

#: A blank cell in these columns rejects the row (the row is unusable without it).
_REQUIRED_VALUES: dict[str, tuple[str, ...]] = {
    "villages": ("village_id", "village_name"),
    "events": ("date", "topic"),
    "sites": ("site_name", "level"),
    "cadres": ("person_id", "department", "year"),
    "legal_literates": ("person_id", "village_id"),
    "adviser_visits": ("date", "village_id"),
}

_LABEL_ZH = {
    "event_id": "编号",
    "date": "日期",
    "village_id": "村（社区）编码",
    "village_name": "村（社区）",
    "topic": "宣传内容",
    "title": "活动名称",
    "site_name": "阵地名称",
    "level": "级别",
    "person_id": "人员编号",
    "department": "单位",
    "year": "年度",
    "population": "常住人口",
}

_TOTALS = re.compile(r"^(?:合计|小计|总计|共计|累计|总数)")
_NOTE = re.compile(
    r"^(?:注\d*|备注|说明|填表说明|填报说明|填报人|填表人|制表人?|审核人?|负责人|单位负责人|"
    r"分管领导|联系人|联系电话|填报日期|填表日期|制表日期|填报时间|报送日期)[:：]"
)
_EXCEL_ERROR = re.compile(r"^#(?:N/A|DIV/0!|REF!|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!)$")
_DATA_LIKE = re.compile(r"^[\d\s.\-/:年月日]+$")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
#: Patterns given to pandas as text (not compiled) run in pyarrow (RE2) on whole columns: they
#: avoid \s and \d, whose RE2 meaning differs, so pandas need not fall back to Python's re.
_INT_FLOAT = r"^(-?[0-9]+)\.0+$"
_WHITE = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES_TEXT = f"[{_WHITE}]+"  # every character str.isspace() accepts
_SPACES = re.compile(_SPACES_TEXT)
_VILLAGE_SUFFIX = re.compile(r"(?:村民委员会|村委会|居民委员会|居委会|委员会|社区|村)+$")
#: A leading town name in a village cell: 水寨镇七都村 → 七都村 (at least one character before
#: 镇/乡/街道 and one after, so 镇文化广场 stays as it is).
_TOWN_PREFIX = re.compile(r"^.+?(?:镇|乡|街道)(?=.)")
_SEPARATORS = r"[、,，;；/／|]+"
_TOWN_WORDS = ("全镇", "镇区", "镇政府", "镇级", "街道", "圩镇")
_TOWN_END = re.compile(r"(?:镇|广场|公园)$")
#: Identifier columns: a value holding personal data is replaced by its salted hash (joins on
#: the identifier keep working); every other text column has the personal part masked.
_ID_COLUMNS = ("event_id", "site_id", "village_id", "person_id", "response_id")

# Dates (applied to NFKC text with runs of spaces collapsed).
_D_FULL = re.compile(
    r"^(?P<y>\d{4}|\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?(?:\D|$)"
)
_D_MDY = re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})(?:\D|$)")
_D_YMD8 = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)$")
_D_SERIAL = re.compile(r"^(?P<n>\d{5})(?:\.\d+)?$")
_D_NOYEAR = re.compile(r"^(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?(?:[^\d/.]|$)")
_D_YM = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$")
_D_Y = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*年?度?$")

# Counts.
_UNITS = r"人次|人|份|本|册|条|块|张|幅|场|次|期|个|名|户|件|套|起|元"
_COUNT = re.compile(
    r"^(?P<pre>约|大约|近|逾|超过|超|共计|共|约计|累计)?"
    r"(?P<num>\d+(?:\.\d+)?)?"
    r"(?P<cn>[一二两三四五六七八九十])?"
    r"(?P<mult>[万千百])?"
    r"(?P<post>余|多|左右|以上|来|许)?"
    rf"(?P<unit>{_UNITS})?"
    r"(?P<post2>左右|以上|余|多)?$"
)
_RANGE = re.compile(rf"^(?P<a>\d+)\s*[-~至到]\s*(?P<b>\d+)\s*(?:{_UNITS})?$")
_NEGATIVE = re.compile(r"^[-−]\s*\d")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}
_MULT = {"万": 10000, "千": 1000, "百": 100}
_NA_TOKENS = frozenset({"-", "--", "—", "——", "–", "/", "\\", "n/a", "na", "不详", "暂无"})
_ZERO_TOKENS = frozenset({"无", "零", "0"})
_FLOAT = re.compile(
    r"^(?P<pre>约)?(?P<num>[-−]?\d+(?:\.\d+)?)\s*(?P<unit>学时|小时|课时|分|h|°|度|个学时)?$"
)
_SCORE_NA = frozenset({"缺考", "免考", "未考", "未参加", "未参考", "无"})

_TRUE = frozenset({"是", "√", "✓", "✔", "有", "合格", "通过", "y", "yes", "true", "1", "参加",
                   "已参加", "参考", "已参考", "已考", "持有", "已取得"})
_FALSE = frozenset({"否", "×", "✗", "✘", "x", "无", "不合格", "未通过", "n", "no", "false", "0",
                    "未参加", "未参考", "缺考", "没有", "未取得"})

_LEVEL_TOWN = re.compile(r"^(?:镇|乡|街道|县|town)")
_LEVEL_VILLAGE = re.compile(r"^(?:村|社区|居|行政村|village)")

_KIND_COMMUNITY = re.compile(r"社区|居委|居民委员会|community")
_KIND_VILLAGE = re.compile(r"村|village")

_GEO_SUFFIXES = (".geojson", ".gpkg", ".shp")
_SHP_COMPANIONS = (".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml")
_TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

#: File-name keywords → table, most specific first (the first table with a hit wins).
_NAME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("geometry", ("村界", "boundaries", "boundary")),
    ("legal_literates", ("法律明白人", "legal_literates", "legal-literates")),
    ("adviser_visits", ("法律顾问", "adviser", "advisor")),
    ("codebook", ("codebook", "编码表", "题目")),
    ("responses", ("问卷", "survey", "responses")),
    ("cadres", ("cadres", "学法", "干部")),
    ("sites", ("sites", "阵地")),
    ("villages", ("villages", "基本信息", "register")),
    ("events", ("events", "台账", "活动")),
    ("villages", ("村居", "村(社区)")),
)

_DATASET_TABLES = (
    "villages",
    "events",
    "event_topics",
    "sites",
    "responses",
    "codebook",
    "cadres",
    "legal_literates",
    "adviser_visits",
)
_MANIFEST = "dataset.json"
#: A marker file written by ``pufa sample``: the data in that folder is synthetic.
_SYNTHETIC_MARKER = ".synthetic"
_FILES_COLUMNS = {
    "table": "str",
    "source_file": "str",
    "sheet": "str",
    "preamble_rows": "int64",
    "data_rows": "int64",
    "loaded": "int64",
    "rejected": "int64",
    "non_data": "int64",
    "status": "str",
    "message": "str",
}


class LedgerError(ValueError):
    """A file that cannot be read at all; the message names the file and what to fix.

    The message is in Chinese and English. ``file`` holds the file name.
    """

    def __init__(self, file: str, zh: str, en: str) -> None:
        # the message quotes cells (e.g. the headers seen): personal data is masked first
        zh, en = privacy.mask_text(zh), privacy.mask_text(en)
        self.file, self.zh, self.en = file, zh, en
        super().__init__(f"{file}: {zh} / {en}")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _empty_problems() -> pd.DataFrame:
    return schema.empty_frame("rejected")


def _problems(rows: Iterable, column: str | None, values: Iterable | None, reason) -> pd.DataFrame:
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


def _scrub_problems(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Mask personal data quoted in a problems table (value, reason, column); record it.

    The records name the list (``where``) and the kind and number of cells, never a value.
    """
    if frame.empty:
        return frame, []
    clean, removed = privacy.scrub(frame, skip=("table", "source_file"))
    removed = removed[removed["column"] == "value"]
    label = f"({where})"
    return clean, _removal_warnings(removed.assign(column=label), {})


def _finish_problems(parts: list[pd.DataFrame], *, table: str, source_file: str) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_problems()
    out = pd.concat(parts, ignore_index=True)
    out["table"] = table
    out["source_file"] = source_file
    return schema.coerce(out, "rejected")[list(schema.REJECTED.columns)]


def _isin(s: pd.Series, values: Iterable) -> pd.Series:
    """``s.isin(values)`` for text, through pyarrow's hash lookup (pandas' is slow on large sets).

    Missing values are never in. Same index as ``s``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    left = pa.array(s.astype("str"), type=pa.large_string(), from_pandas=True)
    right = pa.array(pd.Series(list(values), dtype="str"), type=pa.large_string(),
                     from_pandas=True)
    hit = pc.fill_null(pc.is_in(left, value_set=right, skip_nulls=True), False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=s.index, dtype=bool)


def _per_distinct(s: pd.Series, func) -> pd.Series:
    """``func`` (text → text, element-wise) run once per distinct value, then spread back."""
    text = s.astype("str")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    if len(uniques) + 1 >= 0.5 * len(text):
        return func(text)
    if not len(uniques):
        return text
    done = func(pd.Series(np.asarray(uniques, dtype=object), dtype="str")).astype("str")
    taken = done.iloc[np.where(codes < 0, 0, codes)].set_axis(s.index)  # an Arrow take
    return taken.where(codes >= 0)


def _nfkc(s: pd.Series) -> pd.Series:
    """NFKC (full-width to half-width), once per distinct value."""
    return _per_distinct(s, lambda t: t.str.normalize("NFKC"))


def _norm_text(s: pd.Series) -> pd.Series:
    """NFKC, runs of white space collapsed to one space, stripped; empty → NaN."""
    out = _nfkc(s).str.replace(_SPACES_TEXT, " ", regex=True).str.strip()
    return out.where(out != "")


def _nospace(s: pd.Series) -> pd.Series:
    out = _nfkc(s).str.replace(_SPACES_TEXT, "", regex=True)
    return out.where(out != "")


def _year_in(text: object) -> int | None:
    """The one 20xx year a text names, or None (none, or several different ones)."""
    if not isinstance(text, str):
        return None
    years = set(_YEAR_IN_TEXT.findall(unicodedata.normalize("NFKC", text)))
    return int(years.pop()) if len(years) == 1 else None


def _col_letter(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _salt(settings: Settings) -> str:
    return privacy.salt_of(settings)


def _hash_ids(salt: str, group: pd.Series, name: pd.Series) -> pd.Series:
    """First 12 hex digits of sha256(salt + group + name), computed once per distinct pair."""
    g = _nospace(group).fillna("")
    n = _nospace(name).fillna("")
    return privacy.salted_hash(g + n, salt=salt)


def _removal_warnings(removed: pd.DataFrame, header_of: dict[str, str], why: str = ""
                      ) -> list[pd.DataFrame]:
    """Warning rows for a :func:`privacy.scrub` result (column, kind, count; never a value)."""
    out = []
    for column, kind, action, cells in removed.itertuples(index=False):  # a few records
        out.append(_problems([pd.NA], header_of.get(column, column), [pd.NA],
                             privacy.removal_reason(kind, action, int(cells), why=why)))
    return out


# --------------------------------------------------------------------------------------------
# Raw reading: every sheet as a grid of text cells
# --------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str | None
    grid: pd.DataFrame  # str cells (NaN = empty); index = 1-based row numbers; columns 0..m-1
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1
    formulas: pd.DataFrame | None = None  # formula text where no cached value exists
    origin: pd.Timestamp = _EXCEL_ORIGIN


def _to_grid(rows: list, index: Iterable[int] | None = None) -> pd.DataFrame:
    """Python cell values → a frame of stripped text cells (NaN for empty).

    Rows may have different lengths (they are padded); an empty list gives one empty cell.
    """
    if not len(rows):
        rows = [[None]]
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = max(int(lengths.max()), 1)
    if (lengths < width).any():  # ragged rows (CSV lines, streamed sheets): pad them
        pad = (None,) * width
        rows = [r if len(r) == width else (*r, *pad[len(r):]) for r in rows]
    frame = pd.DataFrame(rows, dtype=object)
    if frame.shape[1] == 0:
        frame = pd.DataFrame({0: [None] * len(frame)}, dtype=object)
    if index is not None and len(rows):
        frame.index = pd.Index(list(index), dtype="int64")
    else:
        frame.index = pd.RangeIndex(1, len(frame) + 1)
    frame.columns = range(frame.shape[1])
    if frame.shape[1] > _WIDE:  # a wide sheet: the text work on one flat array of cells
        arr = frame.to_numpy(dtype=object)
        present = ~pd.isna(arr)
        cells = pd.Series(arr[present], dtype=object).astype("str").str.strip()
        cells = cells.str.replace(_INT_FLOAT, r"\1", regex=True)
        flat = np.full(arr.shape, None, dtype=object)
        flat[present] = cells.where(cells != "").to_numpy(dtype=object, na_value=None)
        return pd.DataFrame(flat, index=frame.index, columns=frame.columns).astype("str")
    empty = pd.Series(np.nan, index=frame.index, dtype="str")
    filled = frame.notna().to_numpy().any(axis=0)
    out = {}
    for j in frame.columns:  # loop over columns (empty ones cost nothing)
        if not filled[j]:
            out[j] = empty
            continue
        col = frame[j].astype("str").str.strip()
        col = col.str.replace(_INT_FLOAT, r"\1", regex=True)
        out[j] = col.where(col != "")
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


#: Files above this many rows get a progress bar (when stderr is a terminal or it is forced).
_PROGRESS_MIN_ROWS = 50_000


def _progress_on(progress: bool | None) -> bool:
    """Whether a progress bar may be shown: the argument, else ``PUFA_PROGRESS``, else a TTY."""
    if progress is not None:
        return bool(progress)
    env = os.environ.get("PUFA_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    return sys.stderr.isatty()


class _Progress:
    """A tqdm bar on stderr for a large file, or a no-op (small file, not a terminal, off)."""

    def __init__(self, total: int | None, desc: str, progress: bool | None,
                 unit: str = "rows", size: int | None = None) -> None:
        self.bar = None
        size = total if size is None else size
        if size is not None and size >= _PROGRESS_MIN_ROWS and _progress_on(progress):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                            dynamic_ncols=True, mininterval=0.5, unit_scale=unit == "rows")

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _read_raw(path: Path, name: str, *, progress: bool | None = None) -> list[_Sheet]:
    """Every sheet of a workbook, or the one grid of a CSV file.

    Raises :class:`LedgerError` with a specific message for a file that is empty, a ZIP archive
    that is not a workbook, a password-protected or damaged workbook, an HTML page saved as
    .xls, or neither a spreadsheet nor text.
    """
    if path.stat().st_size == 0:
        raise LedgerError(name, "文件是空的（0 字节）；请重新导出或复制该文件",
                          "the file is empty (0 bytes); export or copy it again")
    magic = _magic(path)
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, name, progress=progress)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(path, name, encrypted_xlsx=suffix in (".xlsx", ".xlsm"))
    if suffix in (".csv", ".tsv", ".txt"):
        return [_read_csv(path, name, progress=progress)]
    head = path.read_bytes()[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        raise LedgerError(
            name,
            "这是网页（HTML）格式，只是扩展名为 .xls；请用 Excel 打开并另存为 .xlsx",
            "this is a web page (HTML) saved with an Excel extension; open it in Excel and "
            "save it as .xlsx",
        )
    if head.startswith(b"%pdf"):
        kind = ("这是 PDF 文件", "this is a PDF file")
    elif head[:2] in (b"\xff\xd8", b"\x89p") or head.startswith((b"gif8", b"bm")):
        kind = ("这是图片文件", "this is an image")
    else:
        kind = ("不是 Excel 文件（.xlsx/.xls），也不是 CSV",
                "not an Excel workbook (.xlsx/.xls) or a CSV file")
    raise LedgerError(
        name,
        f"{kind[0]}，只是扩展名为 {suffix or '（无）'}；请用 Excel 打开原台账并另存为 .xlsx",
        f"{kind[1]}, named {suffix or '(no extension)'}; open the original ledger in Excel and "
        "save it as .xlsx",
    )


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _col_index(letters: bytes) -> int:
    """0-based column of an Excel column name (A → 0, AA → 26)."""
    j = 0
    for ch in letters:  # at most three letters
        j = j * 26 + (ch - 64)
    return j - 1


def _xlsx_sheet_info(zf: zipfile.ZipFile, member: str) -> tuple[bool, list]:
    """Whether a worksheet XML holds formulas, and its merged ranges (r0, c0, r1, c1)."""
    return _xlsx_sheet_info_bytes(zf.read(member))


def _xlsx_sheet_info_bytes(data: bytes) -> tuple[bool, list]:
    """Whether worksheet XML (or its part after the cells) holds formulas; its merged ranges."""
    merges = []
    for a, r0, b, r1 in _MERGE.findall(data):  # merged ranges (few)
        c0 = _col_index(a)
        merges.append((int(r0), c0, int(r1 or r0), _col_index(b) if b else c0))
    return bool(_FORMULA.search(data)), merges


def _check_workbook_zip(path: Path, name: str) -> zipfile.ZipFile:
    """Open the ZIP of an .xlsx; a ZIP that is no workbook gets a specific message."""
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LedgerError(
            name,
            "文件已损坏或不完整（可能没有下载或复制完整）；"
            "请从原件重新复制，或在 Excel 中打开后另存",
            f"the file is damaged or truncated ({type(exc).__name__}: {exc}); copy it again "
            "from the original, or open it in Excel and save it again",
        ) from exc
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        zf.close()
        other = ("Word 文档", "a Word document") if "word/document.xml" in names else (
            ("WPS/OpenDocument 文件", "an OpenDocument (.ods/.odt) file")
            if "content.xml" in names else ("ZIP 压缩包", "a ZIP archive"))
        raise LedgerError(
            name,
            f"这是{other[0]}，不是 Excel 工作簿；请解压或用 Excel 另存为 .xlsx 后放入文件夹",
            f"this is {other[1]}, not an Excel workbook; unzip it, or save it from Excel as "
            ".xlsx, and put the ledger in the folder",
        )
    return zf


def _read_xlsx(path: Path, name: str, *, progress: bool | None = None) -> list[_Sheet]:
    """Every worksheet of an .xlsx as text grids, read by python-calamine or else by openpyxl.

    python-calamine (Rust) reads a large ledger several times faster than openpyxl (200,000
    rows: about 5 s instead of 15–28 s; see benchmarks/README.md) and gives the same grid:
    cells are converted to what openpyxl returns (dates as datetimes, error values, Excel's row
    and column numbers, trailing empty rows and columns). A workbook calamine might read
    differently (see :func:`_calamine_sheets`), or that makes it fail, is read by openpyxl,
    which also gives the clear message for a damaged file.
    """
    zf = _check_workbook_zip(path, name)
    try:
        sheets = None
        if _xlsx_engine() == "calamine":
            sheets, _why = _calamine_sheets(path, zf, name, progress)
        if sheets is None:
            sheets = _openpyxl_sheets(path, zf, name, progress)
    finally:
        zf.close()
    if not sheets:
        raise LedgerError(name, "工作簿中没有工作表", "the workbook has no worksheet")
    return sheets


def _formula_cells(grid: pd.DataFrame, fgrid: pd.DataFrame) -> pd.DataFrame | None:
    """The formula text (from a formula-reading pass) of cells with a formula but no value."""
    fgrid = fgrid.reindex(index=grid.index, columns=grid.columns)
    text = fgrid.astype("str")
    is_formula = text.apply(  # column-wise
        lambda c: c.str.startswith("=") | c.str.contains("Formula object", regex=False)
    ).fillna(False).astype(bool)
    missing = is_formula & grid.isna()
    return fgrid.where(missing) if missing.to_numpy().any() else None


def _openpyxl_sheets(path: Path, zf: zipfile.ZipFile, name: str,
                     progress: bool | None) -> list[_Sheet]:
    """Every worksheet, streamed by openpyxl in read-only mode (constant memory per row).

    The sheet's own size claim (``<dimension>``) is ignored, so rows beyond a wrong claim are
    still read; merged ranges and formulas come from the sheet XML.
    """
    import openpyxl

    damaged = (
        "文件已损坏或不完整（可能没有下载或复制完整）；请从原件重新复制，或在 Excel 中打开后另存",
        "the file is damaged or truncated; copy it again from the original, or open it in Excel "
        "and save it again",
    )
    wb = wbf = None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        members = {ws.title: str(getattr(ws, "_worksheet_path", "")).lstrip("/")
                   for ws in wb.worksheets}
        info = {t: _xlsx_sheet_info(zf, m) if m in zf.namelist() else (False, [])
                for t, m in members.items()}
        if any(has for has, _ in info.values()):
            wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
        origin = _EXCEL_ORIGIN_1904 if getattr(wb, "epoch", None) and wb.epoch.year == 1904 else (
            _EXCEL_ORIGIN
        )
        sheets = []
        for ws in wb.worksheets:  # loop over sheets (few)
            has_formulas, merges = info[ws.title]
            rows = _sheet_rows(ws, name, progress)
            grid = _to_grid(rows)
            del rows
            formulas = None
            if wbf is not None and has_formulas:
                formulas = _formula_cells(grid, _to_grid(_sheet_rows(wbf[ws.title], name, False)))
            sheets.append(_Sheet(ws.title, grid, merges, formulas, origin))
    except LedgerError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged files, even while streaming
        raise LedgerError(name, damaged[0], f"{damaged[1]} ({type(exc).__name__}: {exc})") from exc
    finally:
        for book in (wb, wbf):
            if book is not None:
                book.close()
    return sheets


def _sheet_rows(ws: Any, name: str, progress: bool | None) -> list:
    """All rows of a read-only worksheet as tuples of values, from row 1, with a progress bar."""
    claimed = ws.max_row
    ws.reset_dimensions()  # a wrong <dimension> claim must not cut the data short
    bar = _Progress(claimed, f"{name} [{ws.title}]", progress)
    rows = []
    try:
        for k, row in enumerate(ws.iter_rows(values_only=True), start=1):  # streamed rows
            rows.append(row)
            if k % 10000 == 0:
                bar.update(10000)
    finally:
        bar.close()
    return rows


# -- the calamine reader ----------------------------------------------------------------------

#: Which library reads the cells of an .xlsx: ``"calamine"`` or ``"openpyxl"``. ``None`` (the
#: default) means the ``PUFA_XLSX_ENGINE`` environment variable when it says ``openpyxl``, else
#: calamine when python-calamine is installed. Tests set it to compare the two readers.
_XLSX_ENGINE: str | None = None

#: Largest Excel date serial Python can hold (9999-12-31); beyond it openpyxl gives ``#VALUE!``.
_EXCEL_SERIAL_MAX = 2958465
_XML_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")


def _xlsx_engine() -> str:
    """The engine that reads .xlsx cells now (see :data:`_XLSX_ENGINE`)."""
    choice = _XLSX_ENGINE or os.environ.get("PUFA_XLSX_ENGINE", "")
    if choice.strip().lower() == "openpyxl":
        return "openpyxl"
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _calamine_format_kind(code: str) -> str:
    """``date``, ``timedelta`` or ``other``: how calamine reads numbers shown with ``code``.

    A port of calamine's ``detect_custom_number_format`` (calamine 0.37), so that a format on
    which calamine and openpyxl disagree can be found before reading.
    """
    escaped = quoted = hms = ap = False
    brackets = 0
    prev = " "
    for s in code:  # the characters of one number format (short)
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif quoted:
            quoted = s != '"'
        elif s == '"':
            quoted = True
        elif s == ";":
            return "other"
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return "timedelta"
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif (s in "pm/PM" and ap or s in "dmhysDMHYS" and not ap) and brackets == 0:
            return "date"
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return "other"


def _openpyxl_format_kind(code: str | None) -> str:
    """``date``, ``timedelta`` or ``other``: how openpyxl reads numbers shown with ``code``."""
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format

    if not is_date_format(code):
        return "other"
    return "timedelta" if is_timedelta_format(code) else "date"


def _xlsx_styles(zf: zipfile.ZipFile) -> tuple[bool, list[int]]:
    """Whether calamine and openpyxl read every cell style alike; the styles showing dates.

    The styles are positions in ``cellXfs`` (a cell's ``s``) whose number format openpyxl (and
    calamine) read as a date, time or duration.
    """
    import xml.etree.ElementTree as ET

    from openpyxl.styles.numbers import BUILTIN_FORMATS

    if "xl/styles.xml" not in zf.namelist():
        return True, False
    root = ET.fromstring(zf.read("xl/styles.xml"))
    custom = {f.get("numFmtId"): f.get("formatCode") or ""
              for f in root.iterfind("{*}numFmts/{*}numFmt")}
    agree, dated = True, set()
    xfs = [xf.get("numFmtId", "0") for xf in root.iterfind("{*}cellXfs/{*}xf")]
    for fid in set(xfs):  # distinct number formats in use (a handful)
        if fid in custom:
            ours, theirs = _openpyxl_format_kind(custom[fid]), _calamine_format_kind(custom[fid])
        else:
            number = int(fid) if fid.isdigit() else -1
            ours = _openpyxl_format_kind(BUILTIN_FORMATS.get(number))
            theirs = ("date" if 14 <= number <= 22 or number in (45, 47)
                      else "timedelta" if number == 46 else "other")
        agree &= ours == theirs
        if ours != "other":
            dated.add(fid)
    return agree, [i for i, fid in enumerate(xfs) if fid in dated]


def _after_column(j: int) -> bytes:
    """A regex for Excel column letters right of 0-based column ``j`` (any column for -1)."""
    if j < 0:
        return rb"[A-Z]{1,3}"
    name = _col_letter(j)
    alts = [f"{name[:i]}[{chr(ord(ch) + 1)}-Z]{'[A-Z]' * (len(name) - i - 1)}"
            for i, ch in enumerate(name) if ch != "Z"]  # at most three letters
    if len(name) < 3:
        alts.append(f"[A-Z]{{{len(name) + 1},3}}")
    return f"(?:{'|'.join(alts)})".encode() if alts else rb"(?!)"


def _cell_positions(letters: list[bytes], numbers: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """0-based (rows, columns) of cell references split into letters (``b"AB"``) and row."""
    if not letters:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.array(numbers).astype(np.int64) - 1
    codes, distinct = pd.factorize(pd.Series(letters, dtype=object))
    cols = np.array([_col_index(b) for b in distinct], dtype=np.int64)  # few distinct columns
    return rows, cols[codes]


@dataclass
class _SheetXml:
    """What the cell values alone do not tell, from one worksheet's XML."""

    height: int  # rows openpyxl yields: the last <row> element's number
    width: int  # columns openpyxl yields: the rightmost cell element (values or not)
    merges: list
    errors: list  # (row, column, text) of error cells, 0-based
    formulas: tuple[np.ndarray, np.ndarray]  # 0-based positions of formula cells


def _scan_sheet_xml(data: bytes, last_col: int, dated: list[int]) -> _SheetXml | str:
    """Positions calamine does not report, from the raw XML; a reason string when unsure.

    ``last_col`` is the 0-based last column of calamine's cells (-1: none); ``dated`` lists the
    cell styles that show dates, times or durations (see :func:`_xlsx_styles`).
    """
    head = re.match(rb"(?:<\?[^>]*\?>)?\s*<(\w+:)?worksheet\b", data)
    if head is None:
        return "no <worksheet> root"
    p = head.group(1) or b""
    ep = re.escape(p)
    if (re.search(rb"<" + ep + rb"c(?:>|/>| (?!r=\"))", data)
            or re.search(rb"<" + ep + rb"row(?:>|/>| (?!r=\"))", data)):
        return "a cell or row without a leading r= attribute"
    if not data[-200:].rstrip().endswith(b"</" + p + b"worksheet>"):
        return "the sheet XML is cut short"
    types = set(re.findall(rb't="([de])"', data))  # ISO-dated and error cells (rare)
    if b"d" in types:
        return "ISO-dated cells (t=\"d\")"
    if _XML_ESCAPE.search(data):
        return "_xHHHH_ escapes (calamine decodes them, openpyxl keeps them)"
    # values that are no plain number (text of formulas and errors, or damage), and integers
    # calamine reads otherwise: from 2**53 (9.007e15) on they lose digits as floats and print
    # as 1e+16 from 10**16; -0 (openpyxl: int 0). One pass over the values; few matches.
    texts = re.findall(rb"<" + ep + rb"v>(?!(?!-?(?:\d{17}|9\d{15})\d*<|-0<)[-+]?(?:\d+\.?\d*|"
                       rb"\.\d+)(?:[eE][-+]?\d+)?<|<)([^<]*)", data)
    if any(re.fullmatch(rb"-?(?:\d{17,}|9\d{15})|-0", v) for v in texts):  # few
        return "an integer beyond float precision, or -0"
    if texts and len(texts) > data.count(b't="str"') + data.count(b't="e"'):
        return "a number cell whose value is not a number"
    found = re.findall(rb"<" + ep + rb'row r="(\d+)"[^>]*?(/?)>', data)
    numbers, closed = zip(*found, strict=True) if found else ((), ())
    row_numbers = np.array(numbers).astype(np.int64) if numbers else np.zeros(0, np.int64)
    if (np.diff(row_numbers) <= 0).any():
        return "rows out of order"
    if len(found) - closed.count(b"/") != data.count(b"</" + p + b"row>"):
        return "a row element left open"
    height = int(row_numbers[-1]) if len(row_numbers) else 0
    tail = data[max(data.rfind(b"sheetData>"), 0):]
    _, merges = _xlsx_sheet_info_bytes(tail)
    errors = []
    if b"e" in types:
        pattern = (rb"<" + ep + rb'c r="([A-Z]+)(\d+)"[^>]*? t="e"[^>]*>\s*(?:<' + ep
                   + rb"f\b[^>]*?(?:/>|>[^<]*</" + ep + rb"f>)\s*)?(?:<" + ep + rb"v>([^<]*)</"
                   + ep + rb"v>)?")
        found = re.findall(pattern, data)
        if len(found) != data.count(b't="e"'):
            return "error cells not all understood"
        letters, numbers, texts = zip(*found, strict=True) if found else ((), (), ())
        rows, cols = _cell_positions(list(letters), list(numbers))
        errors = [(r, c, v.decode() or None)  # error cells (few)
                  for r, c, v in zip(rows.tolist(), cols.tolist(), texts, strict=True)]
    formulas = _cell_positions([], [])
    if re.search(rb"<" + ep + rb"f[ >/]", data):
        found = re.findall(rb"<" + ep + rb'c r="([A-Z]+)(\d+)"[^>]*>\s*<' + ep + rb"f\b", data)
        formulas = _cell_positions([c for c, _ in found], [r for _, r in found])
    # openpyxl's rows reach the last cell element, values or not (a border, a fill)
    found = re.findall(rb"<" + ep + rb'c r="(' + _after_column(last_col) + rb")\d", data)
    width = max([last_col + 1, *(_col_index(c) + 1 for c in set(found))])  # few distinct
    if dated and re.search(rb" s=\"(?:" + "|".join(map(str, dated)).encode() + rb')"', data):
        # date cells outside 1899-12-30 … 9999-12-31: openpyxl gives old datetimes or #VALUE!,
        # calamine a time of day, the number, or a Rust panic (far beyond the range)
        pattern = (rb"<" + ep + rb'c r="[A-Z]+\d+"[^>]*? s="(?:'
                   + "|".join(map(str, dated)).encode() + rb')"[^>]*>\s*(?:<' + ep
                   + rb"f\b[^>]*?(?:/>|>[^<]*</" + ep + rb"f>)\s*)?<" + ep + rb"v>([^<]*)<")
        found = pd.Series(re.findall(pattern, data), dtype=object).str.decode("latin-1")
        values = pd.to_numeric(found, errors="coerce")  # text (a formula's) is no date
        if ((values < 0) | (values >= _EXCEL_SERIAL_MAX)).any():
            return "a date cell before 1900 or after 9999"
    return _SheetXml(height, width, merges, errors, formulas)


def _calamine_cells(rows: list, xml: _SheetXml) -> np.ndarray | str:
    """Calamine's values as openpyxl gives them, on openpyxl's grid; a reason when unsure."""
    arr = np.array(rows, dtype=object) if rows else np.empty((0, 0), dtype=object)
    if arr.ndim != 2:
        return "ragged rows"
    kinds = np.frompyfunc(type, 1, 1)(arr)
    is_date = np.equal(kinds, dt.date)  # a date (not a datetime): openpyxl gives datetimes
    if is_date.any():
        days = np.array(arr[is_date].tolist(), dtype="datetime64[D]")
        arr[is_date] = days.astype("datetime64[us]").astype(object)
    # openpyxl's grid: down to the last <row> element, right to the last cell element
    height, width = max(xml.height, arr.shape[0]), max(xml.width, arr.shape[1])
    if (height, width) != arr.shape:
        grown = np.full((height, max(width, 1)), None, dtype=object)
        grown[:arr.shape[0], :arr.shape[1]] = arr
        arr = grown
    for r, c, text in xml.errors:  # error cells (few): calamine reads them as empty
        if r >= arr.shape[0] or c >= arr.shape[1] or arr[r, c] not in ("", None):
            return "an error cell calamine did not leave empty"
        arr[r, c] = text
    return arr


def _calamine_sheets(path: Path, zf: zipfile.ZipFile, name: str,
                     progress: bool | None) -> tuple[list[_Sheet] | None, str]:
    """Every worksheet read by python-calamine, or (None, why) to let openpyxl read the file.

    The sheet list, names, order and date system are openpyxl's own (its workbook parser reads
    only ``workbook.xml``); the values are calamine's, converted to openpyxl's types. The file
    is left to openpyxl when calamine fails on it or when the two could differ: number formats
    the two classify differently, ``_xHHHH_`` escapes (calamine decodes them), integers beyond
    float precision, ISO-dated cells, cells or rows without a reference, rows out of order,
    date cells before 1900 or after 9999; and damage openpyxl stops at (sheet XML cut short, a
    row left open, text in a number cell, any error or panic of calamine), so that it gives its
    message. Formula text for formulas without a saved result still comes from openpyxl.
    """
    try:
        from openpyxl.reader.excel import ExcelReader
        from python_calamine import CalamineWorkbook
    except ImportError as exc:
        return None, f"not installed: {exc}"
    wbf = None
    try:
        agree, dated = _xlsx_styles(zf)
        if not agree:
            return None, "a number format calamine and openpyxl classify differently"
        if "xl/sharedStrings.xml" in zf.namelist():
            strings = zf.read("xl/sharedStrings.xml")
            if not re.search(rb"</(?:\w+:)?sst>\s*$", strings[-100:]):
                return None, "the shared strings are cut short"
            if _XML_ESCAPE.search(strings):
                return None, "_xHHHH_ escapes in shared strings"
            del strings
        reader = ExcelReader(path, read_only=True, data_only=True)
        try:
            reader.read_manifest()
            reader.read_workbook()
            book = [(sheet.name, rel.target.lstrip("/"))
                    for sheet, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
            origin = _EXCEL_ORIGIN_1904 if reader.wb.epoch.year == 1904 else _EXCEL_ORIGIN
        finally:
            reader.archive.close()
        if not book or len({t.casefold() for t, _ in book}) < len(book):
            return None, "no worksheet, or two with the same name"
        sheets = []
        with CalamineWorkbook.from_path(path) as wb:
            for title, member in book:  # loop over sheets (few)
                sheet = wb.get_sheet_by_name(title)
                end = sheet.end
                xml = _scan_sheet_xml(zf.read(member), end[1] if end else -1, dated)
                if isinstance(xml, str):
                    return None, f"{title}: {xml}"
                bar = _Progress(xml.height, f"{name} [{title}]", progress)
                rows = sheet.to_python(skip_empty_area=False)
                del sheet
                cells = _calamine_cells(rows, xml)
                del rows
                bar.update(xml.height)
                bar.close()
                if isinstance(cells, str):
                    return None, f"{title}: {cells}"
                grid = _to_grid(cells)
                del cells
                formulas = None
                r, c = xml.formulas
                if len(r) and grid.isna().to_numpy()[r, c].any():  # formulas without a value
                    if wbf is None:
                        import openpyxl

                        wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
                    formulas = _formula_cells(grid, _to_grid(_sheet_rows(wbf[title], name, False)))
                sheets.append(_Sheet(title, grid, xml.merges, formulas, origin))
    except BaseException as exc:  # anything calamine cannot read goes to openpyxl, even a
        # Rust panic (pyo3's PanicException derives from BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        if wbf is not None:
            wbf.close()
    return sheets, ""


_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _read_xls(path: Path, name: str, *, encrypted_xlsx: bool) -> list[_Sheet]:
    import xlrd

    password = (
        "工作簿设置了密码保护；请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后另存",
        "the workbook is password protected; remove the password in Excel (File → Info → "
        "Protect Workbook) and save it again",
    )
    quiet = _stdio.StringIO()  # xlrd writes its warnings about damaged files here, not to stdout
    if _ENCRYPTION_STREAM in path.read_bytes()[:1 << 20]:  # an encrypted .xlsx is a CFB file
        raise LedgerError(name, password[0], password[1])
    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True, logfile=quiet)
        except NotImplementedError:
            book = xlrd.open_workbook(str(path), logfile=quiet)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors …
        if "encrypt" in str(exc).lower():
            raise LedgerError(name, password[0], password[1]) from exc
        if encrypted_xlsx:
            raise LedgerError(
                name,
                f"{password[0]}（或文件已损坏）",
                f"{password[1]} (or the file is damaged: {type(exc).__name__}: {exc})",
            ) from exc
        raise LedgerError(
            name,
            "文件已损坏或不完整；请从原件重新复制，或在 Excel 中打开后另存为 .xlsx",
            f"the file is damaged or truncated ({type(exc).__name__}: {exc}); copy it again "
            "from the original, or open it in Excel and save it as .xlsx",
        ) from exc
    origin = _EXCEL_ORIGIN_1904 if book.datemode == 1 else _EXCEL_ORIGIN
    sheets = []
    for sh in book.sheets():
        n, m = sh.nrows, sh.ncols
        if n == 0 or m == 0:
            sheets.append(_Sheet(sh.name, _to_grid([[None]]), [], None, origin))
            continue
        values = pd.DataFrame([sh.row_values(i) for i in range(n)], dtype=object)
        types = np.array([sh.row_types(i) for i in range(n)], dtype=np.int64)
        is_date = types == xlrd.XL_CELL_DATE
        empty = (types == xlrd.XL_CELL_EMPTY) | (types == xlrd.XL_CELL_BLANK)
        is_bool = types == xlrd.XL_CELL_BOOLEAN
        is_error = types == xlrd.XL_CELL_ERROR
        cells = values.mask(empty, None)
        if is_date.any():
            nums = pd.DataFrame(np.where(is_date, values, np.nan)).apply(
                pd.to_numeric, errors="coerce"
            )
            for j in np.flatnonzero(is_date.any(axis=0)):  # loop over date columns
                stamps = origin + pd.to_timedelta(nums[j], unit="D")
                text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
                cells[j] = cells[j].mask(is_date[:, j], text)
        if is_bool.any():
            cells = cells.mask(is_bool, values.astype(bool).astype(str))
        if is_error.any():
            codes = pd.DataFrame(values).where(is_error)
            cells = cells.mask(
                is_error, codes.map(lambda v: xlrd.error_text_from_code.get(v, "#ERROR"),
                                    na_action="ignore")
            )
        grid = _to_grid(cells.to_numpy().tolist())
        merges = [(r0 + 1, c0, r1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
        sheets.append(_Sheet(sh.name, grid, merges, None, origin))
    return sheets


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when text looks like UTF-16 without a BOM (NUL every other byte)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _read_csv_fast(text: str, delimiter: str, name: str, progress: bool | None = None
                   ) -> pd.DataFrame | None:
    """The grid of a CSV without quotes, read by pandas' C parser; None when it has quotes.

    Without a quote character every line is one row, so the line numbers are simply 1..n (a
    quoted cell may span lines: those files go through the csv module, which counts lines).
    """
    if '"' in text or "\r" in text.replace("\r\n", "\n") or "\x00" in text:
        return None
    body = (text[:-1] if text.endswith("\n") else text).encode("utf-8")
    raw = np.frombuffer(body, dtype=np.uint8)
    newline = np.flatnonzero(raw == 10)
    if len(newline) + 1 < _PROGRESS_MIN_ROWS:  # small files: the csv module is fast enough
        return None
    line_of = np.searchsorted(newline, np.flatnonzero(raw == ord(delimiter)))
    width = int(np.bincount(line_of, minlength=1).max()) + 1  # most fields on a line
    del raw
    bar = _Progress(len(newline) + 1, name, progress)
    try:  # bytes, not a StringIO: pandas re-encodes a text stream chunk by chunk, slowly
        chunks = []
        with pd.read_csv(
            _stdio.BytesIO(body), sep=delimiter, header=None, names=range(width), dtype="str",
            encoding="utf-8", na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE,
            engine="c", chunksize=200_000,
        ) as reader:
            for chunk in reader:  # chunks of 200,000 rows, for the progress bar
                chunks.append(chunk)
                bar.update(len(chunk))
        frame = pd.concat(chunks, ignore_index=True)
    except (ValueError, pd.errors.ParserError):  # anything unusual: the careful path
        return None
    finally:
        bar.close()
    if len(frame) != len(newline) + 1:
        return None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    out = {}
    for j in frame.columns:  # loop over columns
        col = frame[j].str.strip()
        col = col.str.replace(_INT_FLOAT, r"\1", regex=True)
        out[j] = col.where(col != "")
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _closed_quotes(text: str, delimiter: str) -> bool:
    """Whether the csv module, in strict mode, reads the text to its end (no open quote)."""
    try:
        for _ in csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" not in str(exc)
    return True


def _read_csv(path: Path, name: str, *, progress: bool | None = None) -> _Sheet:
    """A CSV (or TSV / semicolon-separated) file as one grid; index = line number of each row.

    Encodings: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 (with a BOM, or without one
    when every other byte is NUL). The delimiter is whichever of ``,`` tab ``;`` is most frequent
    in the first five lines (ties: comma).
    """
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif (utf16 := _utf16_without_bom(data)) is not None:
        encodings = (utf16,)
    else:
        encodings = ("utf-8-sig", "utf-8", "gb18030")
    text = None
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise LedgerError(
            name,
            "无法识别文本编码（可能不是文本文件）；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
            "unknown text encoding (or not a text file); save it from Excel as "
            "'CSV UTF-8 (Comma delimited)'",
        )
    del data
    head = "\n".join(text[:65536].splitlines()[:5])  # the first lines decide (ties: comma)
    delimiter = max((",", "\t", ";"), key=head.count)
    fast = _read_csv_fast(text, delimiter, name, progress)
    if fast is not None:
        return _Sheet(None, fast)
    bar = _Progress(text.count("\n") + 1, name, progress)
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in reader:  # the csv module's streaming parser
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) % 10000 == 0:
                bar.update(10000)
    except csv.Error as exc:
        raise LedgerError(
            name,
            f"CSV 文件格式错误（第 {reader.line_num} 行附近，引号不配对？）；"
            "请在 Excel 中打开后另存",
            f"malformed CSV file near line {reader.line_num} ({exc}); open it in Excel and save "
            "it again",
        ) from exc
    finally:
        bar.close()
    if not rows:
        raise LedgerError(name, "文件是空的", "the file is empty")
    end = np.asarray(ends, dtype=np.int64)
    starts = np.r_[1, end[:-1] + 1]
    if len(end) and end[-1] > starts[-1] and not _closed_quotes(text, delimiter):
        raise LedgerError(
            name,
            f"第 {starts[-1]} 行有一个引号（\"）没有配对，其后 {end[-1] - starts[-1]} 行都被并入了"
            "一个单元格；请补上或删去这个引号",
            f"a quote (\") opened on line {starts[-1]} is never closed, so the "
            f"{end[-1] - starts[-1]} lines after it became one cell; close or remove the quote",
        )
    del text
    return _Sheet(None, _to_grid(rows, index=starts.tolist()))


def _fill_merges(
    sheet: _Sheet, head: int | None = None
) -> tuple[pd.DataFrame, list[tuple[int, int, int, int]]]:
    """Fill every merged range with its top-left value; return the grid and the ranges used.

    With ``head``, only the first ``head`` rows are returned (enough to find the header).
    """
    grid = sheet.grid.iloc[:head].copy() if head is not None else sheet.grid.copy()
    if not sheet.merges or grid.empty:
        return grid, []
    last_row, last_col = int(grid.index.max()), grid.shape[1] - 1
    used = []
    for r0, c0, r1, c1 in sheet.merges:  # loop over merged ranges (few)
        r1, c1 = min(r1, last_row), min(c1, last_col)
        if r0 > last_row or c0 > last_col or (r0 == r1 and c0 == c1):
            continue
        value = grid.at[r0, c0]
        if pd.isna(value):
            continue
        grid.loc[r0:r1, c0:c1] = value
        used.append((r0, c0, r1, c1))
    return grid, used


# --------------------------------------------------------------------------------------------
# Header detection
# --------------------------------------------------------------------------------------------


def _match(name: object, table: str) -> str | None:
    """Canonical column for a header (schema aliases plus this module's extras)."""
    if not isinstance(name, str) or not name.strip():
        return None
    return _match_cached(name, table)


@functools.lru_cache(maxsize=4096)
def _match_cached(name: str, table: str) -> str | None:
    mapping = _alias_map(table)
    for cand in schema.header_candidates(name):
        if cand in mapping:
            return mapping[cand]
    return None


@functools.cache
def _alias_map(table: str) -> dict[str, str]:
    mapping = dict(_EXTRA_ALIASES.get(table, {}))
    mapping.update(schema.alias_map(table))  # schema's aliases win
    return mapping


@functools.lru_cache(maxsize=4096)
def _is_personal(name: object) -> bool:
    return privacy.is_personal_header(name)


def _is_seq(name: object) -> bool:
    return isinstance(name, str) and schema.normalize_header(name) in _SEQ_HEADERS


@dataclass
class _Header:
    row: int  # Excel row of the (first) header line
    depth: int  # 1 or 2 header lines
    names: list[str | None]  # flattened header text per column, as written
    parents: list[str | None]
    children: list[str | None]
    score: int


def _cell(x: object) -> str | None:
    return x if isinstance(x, str) else None


def _numeric_columns(table: str) -> set[str]:
    return {c for c, d in schema.TABLES[table].columns.items() if d in ("Int64", "float64")}


def _score(
    names: list[str | None],
    table: str,
    parents: list[str | None] | None = None,
    children: list[str | None] | None = None,
) -> int:
    """Distinct canonical columns a header names (sub-columns of a count count once)."""
    numeric = _numeric_columns(table)
    cols = set()
    for j, name in enumerate(names):
        col = _match(name, table)
        if col is None and parents is not None and children[j] is not None:
            parent = _match(parents[j], table)
            col = parent if parent in numeric else None
        if col is not None:
            cols.add(col)
    return len(cols)


def _flatten(top: list[str | None], sub: list[str | None], table: str):
    """Flatten a two-line header, or None when ``sub`` is not a sub-header line."""
    n = len(top)
    tf = list(top)
    for j in range(1, n):  # implicit spans (no merge information): parent spreads right
        if tf[j] is None and sub[j] is not None:
            tf[j] = tf[j - 1]
    diff = [j for j in range(n) if sub[j] is not None and sub[j] != tf[j]]
    if not diff:
        return None
    for j in diff:
        if _DATA_LIKE.match(sub[j]):
            return None
        p = tf[j]
        if p is None:
            continue
        spans = (j > 0 and tf[j - 1] == p) or (j + 1 < n and tf[j + 1] == p)
        if not spans:
            return None
    names, parents, children = [], [], []
    for j in range(n):
        p, c = tf[j], sub[j]
        if c is None or c == p:
            name, c = p, None
        elif p is None:
            name = c
        else:
            name = c if _match(c, table) is not None else p + c
        names.append(name)
        parents.append(p)
        children.append(c)
    return names, parents, children


def _find_header(grid: pd.DataFrame, table: str) -> _Header | None:
    best: _Header | None = None
    rows = grid.index[:_HEADER_SCAN_ROWS]
    values = grid.iloc[: len(rows) + 1].to_numpy(dtype=object)
    for pos, r in enumerate(rows):  # ≤ 30 rows
        top = [_cell(x) for x in values[pos]]
        s1 = _score(top, table)
        cands = [_Header(int(r), 1, top, top, [None] * len(top), s1)]
        if pos + 1 < len(values):
            sub = [_cell(x) for x in values[pos + 1]]
            flat = _flatten(top, sub, table)
            if flat is not None:
                s2 = _score(flat[0], table, flat[1], flat[2])
                if s2 >= s1 and s2 > 0 and (s2 > _score(sub, table) or s1 >= 1):
                    cands.insert(0, _Header(int(r), 2, flat[0], flat[1], flat[2], s2))
        for cand in cands:
            if best is None or cand.score > best.score:
                best = cand
    if best is None or best.score < 2:
        return None
    return best


# --------------------------------------------------------------------------------------------
# Cell parsers (whole columns at a time)
# --------------------------------------------------------------------------------------------


def _on_distinct(parse):
    """Run a column parser on the distinct cell values only, then spread the results back.

    Ledgers repeat the same date, count or yes/no many times; parsing each distinct text
    once keeps the regex work proportional to the vocabulary, not to the rows.
    """

    @functools.wraps(parse)
    def wrapper(raw: pd.Series, **kwargs):
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        if len(uniques) + 1 >= 0.5 * len(raw):
            return parse(raw, **kwargs)
        distinct = pd.Series([*uniques, np.nan], dtype="str")
        codes = np.where(codes < 0, len(uniques), codes)
        results = parse(distinct, **kwargs)
        return tuple(r.iloc[codes].set_axis(raw.index) for r in results)

    return wrapper


@_on_distinct
def _parse_dates(
    raw: pd.Series,
    *,
    year: int | None,
    today: pd.Timestamp,
    partial: bool = False,
    origin: pd.Timestamp = _EXCEL_ORIGIN,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse a column of date cells.

    Returns the dates (datetime64[us]), a reason per cell (NaN when fine), a mask of dates whose
    year was inferred, and a mask of partial dates (year or year-month only).
    """
    text = _norm_text(raw)
    idx = text.index
    y = pd.Series(np.nan, index=idx)
    m = pd.Series(np.nan, index=idx)
    d = pd.Series(np.nan, index=idx)
    serial = pd.Series(np.nan, index=idx)
    noyear = pd.Series(False, index=idx)
    part = pd.Series(False, index=idx)
    todo = text.notna()
    for pattern in (_D_FULL, _D_YMD8, _D_MDY):
        g = text[todo].str.extract(pattern)
        hit = g["y"].notna()
        hit_idx = g.index[hit]
        yy = pd.to_numeric(g.loc[hit, "y"])
        y[hit_idx] = yy.where(g.loc[hit, "y"].str.len() > 2, yy + 2000)  # 21-9-9 is 2021
        m[hit_idx] = pd.to_numeric(g.loc[hit, "m"])
        d[hit_idx] = pd.to_numeric(g.loc[hit, "d"])
        todo[hit_idx] = False
    g = text[todo].str.extract(_D_SERIAL)
    num = pd.to_numeric(g["n"], errors="coerce")
    hit_idx = num.index[num.between(_SERIAL_MIN, _SERIAL_MAX)]
    serial[hit_idx] = num[hit_idx]
    todo[hit_idx] = False
    g = text[todo].str.extract(_D_NOYEAR)
    hit_idx = g.index[g["m"].notna()]
    m[hit_idx] = pd.to_numeric(g.loc[hit_idx, "m"])
    d[hit_idx] = pd.to_numeric(g.loc[hit_idx, "d"])
    noyear[hit_idx] = True
    if year is not None:
        y[hit_idx] = year
    todo[hit_idx] = False
    for pattern, has_month in ((_D_YM, True), (_D_Y, False)):
        g = text[todo].str.extract(pattern)
        hit_idx = g.index[g["y"].notna()]
        y[hit_idx] = pd.to_numeric(g.loc[hit_idx, "y"])
        m[hit_idx] = pd.to_numeric(g.loc[hit_idx, "m"]) if has_month else 1
        d[hit_idx] = 1
        part[hit_idx] = True
        todo[hit_idx] = False

    dates = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce"
    ).astype(_DATE)
    from_serial = (origin + pd.to_timedelta(np.floor(serial), unit="D")).astype(_DATE)
    dates = dates.where(serial.isna(), from_serial)

    reason = pd.Series(np.nan, index=idx, dtype="str")
    bad = todo & text.notna()
    reason[bad] = (
        "cannot read a date 无法识别的日期; write it like 2021-09-09, 2021年9月9日 or 2021.9.9"
    )
    no_year = noyear & y.isna()
    reason[no_year] = (
        "date without a year 日期缺少年份; the sheet name, title or file name gives none"
    )
    invalid = text.notna() & ~bad & ~no_year & dates.isna()
    reason[invalid] = "not a valid date 日期无效"
    if not partial:
        reason[part & reason.isna()] = "incomplete date 日期不完整; year, month and day are needed"
    early = dates.notna() & (dates < _MIN_DATE) & reason.isna()
    reason[early] = "date before 2000 日期早于2000年"
    late = dates.notna() & (dates > today) & reason.isna()
    reason[late] = f"date after today 日期晚于今天 ({today.date()})"
    dates = dates.where(reason.isna())
    return dates, reason, noyear & reason.isna(), part & reason.isna()


@_on_distinct
def _parse_counts(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse count cells: ``50``, ``50人``, ``５０``, ``约50``, ``300余人``, ``1.2万``, ``千余``.

    Returns (Int64 values, approx mask, reason per cell or NaN).
    """
    text = _nospace(raw)
    text = text.str.replace(r"(?<=\d),(?=\d{3}(?:\D|$))", "", regex=True)
    idx = text.index
    value = pd.Series(np.nan, index=idx)
    approx = pd.Series(False, index=idx)
    reason = pd.Series(np.nan, index=idx, dtype="str")
    lower = text.str.lower()
    na_tok = lower.isin(_NA_TOKENS)
    zero_tok = text.isin(_ZERO_TOKENS)
    value[zero_tok] = 0
    todo = text.notna() & ~na_tok & ~zero_tok

    neg = todo & text.str.match(_NEGATIVE).fillna(False).astype(bool)
    reason[neg] = "negative count 数量为负数"
    todo &= ~neg

    g = text[todo].str.extract(_COUNT)
    ok = g["num"].notna() | g["cn"].notna() | g["mult"].notna()
    ok &= ~(g["num"].notna() & g["cn"].notna())
    gi = g[ok]
    base = pd.to_numeric(gi["num"], errors="coerce")
    base = base.fillna(gi["cn"].map(_CN_DIGITS).astype("float64")).fillna(1.0)
    mult = gi["mult"].map(_MULT).astype("float64").fillna(1.0)
    value[gi.index] = base * mult
    approx[gi.index] = (
        gi["pre"].notna() | gi["post"].notna() | gi["post2"].notna() | gi["mult"].notna()
    )
    todo[gi.index] = False

    r = text[todo].str.extract(_RANGE)
    hit = r["a"].notna()
    value[r.index[hit]] = pd.to_numeric(r.loc[hit, "a"])
    approx[r.index[hit]] = True
    todo[r.index[hit]] = False

    reason[todo] = "cannot read a number 无法识别的数字"
    frac = value.notna() & ((value - value.round()).abs() > 1e-9)
    reason[frac] = "not a whole number 不是整数"
    huge = value.notna() & (value > _MAX_COUNT) & reason.isna()
    reason[huge] = (f"implausible count 数量不合理 (more than {_MAX_COUNT:,}; a phone or ID "
                    "number typed here? 是否误填了电话或证件号？)")
    value = value.where(reason.isna())
    out = pd.array(value.round(), dtype="Int64")
    return pd.Series(out, index=idx), approx & value.notna(), reason


@_on_distinct
def _parse_floats(raw: pd.Series, *, allow_negative: bool, na_words=frozenset()):
    """Parse decimal cells (hours, scores, coordinates); returns (float64, reason)."""
    text = _nospace(raw)
    idx = text.index
    reason = pd.Series(np.nan, index=idx, dtype="str")
    na = text.str.lower().isin(_NA_TOKENS) | text.isin(na_words)
    g = text.str.extract(_FLOAT)
    num = pd.to_numeric(g["num"].str.replace("−", "-"), errors="coerce")
    reason[text.notna() & ~na & num.isna()] = "cannot read a number 无法识别的数字"
    if not allow_negative:
        reason[num < 0] = "negative number 数字为负数"
    reason[(num.abs() > _MAX_COUNT) & reason.isna()] = (
        f"implausible number 数字不合理 (more than {_MAX_COUNT:,}; a phone or ID number typed "
        "here? 是否误填了电话或证件号？)")
    return num.where(reason.isna() & ~na).astype("float64"), reason


@_on_distinct
def _parse_bools(raw: pd.Series, *, certificate: bool = False) -> tuple[pd.Series, pd.Series]:
    """是/否, √/×, 有/无, 合格/不合格, Y/N … → boolean; a certificate number counts as True."""
    text = _nospace(raw).str.lower()
    idx = text.index
    truth = pd.Series(pd.NA, index=idx, dtype="boolean")
    truth[text.isin(_TRUE)] = True
    truth[text.isin(_FALSE)] = False
    other = text.notna() & truth.isna() & ~text.isin(_NA_TOKENS)
    reason = pd.Series(np.nan, index=idx, dtype="str")
    if certificate:
        truth[other] = True
        if other.any():  # a column of certificate numbers: blank means no certificate
            truth[text.isna()] = False
    else:
        reason[other] = (
            "cannot read yes/no 无法识别的是/否 (expected 是/否, √/×, 有/无, 合格/不合格)"
        )
    return truth, reason


@_on_distinct
def _parse_years(raw: pd.Series, *, today: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    text = _nospace(raw)
    year = pd.to_numeric(text.str.extract(r"(?<!\d)((?:19|20)\d{2})(?!\d)")[0], errors="coerce")
    reason = pd.Series(np.nan, index=text.index, dtype="str")
    reason[text.notna() & year.isna()] = "cannot read a year 无法识别的年份"
    reason[(year < _MIN_DATE.year) | (year > today.year)] = (
        f"year outside 2000–{today.year} 年份超出范围"
    )
    return pd.Series(pd.array(year.where(reason.isna()), dtype="Int64"), index=text.index), reason


def _split_map(
    raw: pd.Series, mapper, known: Iterable[str]
) -> tuple[pd.Series, pd.DataFrame]:
    """Split cells on 、,，;；/ and map each part with ``mapper``, once per distinct cell.

    Returns the canonical parts joined with "、" per cell, and the distinct values not in
    ``known`` with the first row they appear in.
    """
    text = raw.astype("str")
    cells = text.dropna().unique()
    joined_of, parts_of = {}, {}
    for cell in cells:  # distinct cells (a handful of forms or audiences)
        parts = [p.strip() for p in re.split(_SEPARATORS, unicodedata.normalize("NFKC", cell))]
        canon = list(dict.fromkeys(c for c in (mapper(p) for p in parts if p) if c))
        joined_of[cell] = "、".join(canon) if canon else np.nan
        parts_of[cell] = canon
    joined = text.map(joined_of).astype("str")
    known = set(known)
    unknown_cells = {c: [p for p in v if p not in known] for c, v in parts_of.items()}
    first = text.dropna().drop_duplicates()
    rows, values = [], []
    for row, cell in zip(first.index, first, strict=True):  # distinct cells again
        for value in unknown_cells[cell]:
            if value not in values:
                rows.append(row)
                values.append(value)
    return joined, pd.DataFrame({"row": rows, "value": values})


def _topics_in_titles(titles: pd.Series) -> pd.DataFrame:
    """Known topics (or aliases) found inside title text, in the order they appear."""
    text = _nfkc(titles).str.replace(_SPACES_TEXT, "", regex=True)
    keys = {t: t for t in schema.TOPICS if t != "其他"}
    keys.update(
        {unicodedata.normalize("NFKC", k).strip("《》"): v for k, v in schema.TOPIC_ALIASES.items()}
    )
    found = []
    for key, topic in keys.items():  # loop over the vocabulary (~90 words)
        pos = text.str.find(key)
        hit = pos[pos >= 0]
        if len(hit):
            found.append(
                pd.DataFrame({"row": hit.index, "pos": hit.to_numpy(), "len": -len(key),
                              "value": topic})
            )
    if not found:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "value": pd.Series(dtype="str")})
    out = pd.concat(found, ignore_index=True).sort_values(["row", "pos", "len"], kind="stable")
    return out.drop_duplicates(["row", "value"])[["row", "value"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Village register matching
# --------------------------------------------------------------------------------------------


def _strip_suffix(s: pd.Series) -> pd.Series:
    out = s.str.replace(_VILLAGE_SUFFIX.pattern, "", regex=True)
    return out.where(out != "")


@dataclass
class _Register:
    ids: dict[str, str]
    names: dict[str, str]
    keys: dict[str, str]
    ambiguous: frozenset[str]
    name_of: dict[str, str]
    town_words: tuple[str, ...]
    prefix: re.Pattern | None


def _check_villages(villages: object, argument: str = "villages") -> pd.DataFrame:
    if not isinstance(villages, pd.DataFrame):
        raise TypeError(
            f"{argument!r} should be a pandas DataFrame (the village register), "
            f"got {type(villages).__name__}"
        )
    missing = [c for c in ("village_id", "village_name") if c not in villages.columns]
    if missing:
        raise ValueError(
            f"{argument!r} has no column {missing[0]!r}; expected the register's village_id and "
            f"village_name, got columns {list(villages.columns)}"
        )
    return villages


def _register(villages: pd.DataFrame) -> _Register:
    ids = villages["village_id"].astype("str")
    names = villages["village_name"].astype("str")
    nid = _nospace(ids)
    nname = _nospace(names)
    key = _strip_suffix(nname)
    counts = key.value_counts()
    ambiguous = frozenset(counts.index[counts > 1])
    ok = key.notna() & ~key.isin(ambiguous)
    towns: list[str] = []
    if "town" in villages.columns:
        for t in _nospace(villages["town"].astype("str")).dropna().unique():
            towns.append(t)
            short = re.sub(r"(?:镇|乡|街道)$", "", t)
            if len(short) >= 2:
                towns.append(short)
    full = sorted(set(nname.dropna()), key=len, reverse=True)
    prefix = None
    if full and len(full) <= 5000:
        prefix = re.compile("^(" + "|".join(re.escape(n) for n in full) + ")")
    valid = nid.notna()
    return _Register(
        ids=dict(zip(nid[valid], ids[valid], strict=True)),
        names=dict(zip(nname[nname.notna()], ids[nname.notna()], strict=True)),
        keys=dict(zip(key[ok], ids[ok], strict=True)),
        ambiguous=ambiguous,
        name_of=dict(zip(ids, names, strict=True)),
        town_words=tuple(_TOWN_WORDS) + tuple(towns),
        prefix=prefix,
    )


def _match_villages(
    names: pd.Series | None, ids: pd.Series | None, reg: _Register | None, index: pd.Index
) -> pd.DataFrame:
    """Match village cells to the register.

    Returns a frame (same index) with ``village_id``, ``village_name`` and ``status`` in
    {blank, matched, prefix, town, unknown, unknown_id, several, ambiguous, unmatched}
    (``unmatched``: no register given).
    """
    out = pd.DataFrame(
        {
            "village_id": pd.Series(np.nan, index=index, dtype="str"),
            "village_name": pd.Series(np.nan, index=index, dtype="str"),
            "status": pd.Series("blank", index=index, dtype="str"),
        }
    )
    nothing = pd.Series(np.nan, index=index, dtype="str")
    written = _norm_text(names) if names is not None else nothing
    nn = _nospace(names) if names is not None else nothing
    if ids is not None:
        nid = _nospace(ids)
        if reg is None:
            out["village_id"] = nid
            out.loc[nid.notna(), "status"] = "matched"
        else:
            hit = nid.map(reg.ids)
            out["village_id"] = hit
            out.loc[hit.notna(), "status"] = "matched"
            out.loc[nid.notna() & hit.isna(), "status"] = "unknown_id"
    out["village_name"] = written
    todo = out["status"].eq("blank") & nn.notna()
    if reg is None:
        out.loc[todo, "status"] = "unmatched"
        return out
    sub = nn[todo]
    key = _strip_suffix(sub)
    hit = sub.map(reg.ids).fillna(sub.map(reg.names)).fillna(key.map(reg.keys))
    if hit.isna().any():  # 水寨镇七都村: the village after a leading town name
        free = sub[hit.isna()].str.replace(_TOWN_PREFIX.pattern, "", regex=True)
        hit = hit.fillna(free.map(reg.names)).fillna(_strip_suffix(free).map(reg.keys))
    found = hit[hit.notna()]
    out.loc[found.index, "village_id"] = found
    out.loc[found.index, "status"] = "matched"
    rest = sub[hit.isna()]
    amb = rest[_strip_suffix(rest).isin(reg.ambiguous)]
    out.loc[amb.index, "status"] = "ambiguous"
    rest = rest.drop(amb.index)
    if len(rest):
        parts = rest.str.split(_SEPARATORS, regex=True).explode()
        parts = parts[parts.notna() & (parts != "")]
        pk = _strip_suffix(parts)
        pmatch = parts.map(reg.names).fillna(pk.map(reg.keys)).fillna(parts.map(reg.ids))
        n_parts = parts.groupby(level=0).size()
        n_hit = pmatch.notna().groupby(level=0).sum()
        several = n_parts.index[(n_parts >= 2) & (n_hit == n_parts)]
        out.loc[several, "status"] = "several"
        rest = rest.drop(several)
    if reg.prefix is not None and len(rest):
        pre = rest.str.extract(reg.prefix)[0]
        pid = pre.map(reg.names)
        pid = pid[pid.notna()]
        out.loc[pid.index, "village_id"] = pid
        out.loc[pid.index, "status"] = "prefix"
        rest = rest.drop(pid.index)
    if len(rest):
        town = pd.Series(False, index=rest.index)
        for word in reg.town_words:  # a handful of words
            town |= rest.str.contains(word, regex=False)
        town |= rest.str.contains(_TOWN_END, regex=True)
        out.loc[town.index[town], "status"] = "town"
        out.loc[town.index[~town], "status"] = "unknown"
    matched = out["status"].isin(["matched", "prefix"])
    out.loc[matched, "village_name"] = out.loc[matched, "village_id"].map(reg.name_of)
    return out


# --------------------------------------------------------------------------------------------
# One sheet → canonical rows
# --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    table: str
    source_file: str
    stem: str
    reg: _Register | None
    today: pd.Timestamp
    settings: Settings
    progress: bool | None = None


@dataclass
class _SheetResult:
    frame: pd.DataFrame
    problems: list[pd.DataFrame]
    warnings: list[pd.DataFrame]
    topics: pd.DataFrame | None
    stats: dict[str, Any]


def _missing_column_error(ctx: _Context, column: str, found: list, extra: str = "") -> LedgerError:
    spec = schema.TABLES[ctx.table]
    accepted = list(spec.accepted_headers(column))
    if column == "person_id":
        accepted.append("姓名 (hashed into person_id)")
    if column == "village_id":
        accepted += list(spec.accepted_headers("village_name"))
    if column == "year":
        accepted.append("a year (20xx) in the sheet name, title or file name")
    shown = "、".join(str(a) for a in accepted)
    headers = "、".join(str(h) for h in found if h) or "(none)"
    label = _LABEL_ZH.get(column, column)
    return LedgerError(
        ctx.source_file,
        f"缺少必需的列“{label}”（{column}）{extra}；可接受的表头：{shown}；文件中的表头：{headers}",
        f"required column '{column}' is missing{extra}; accepted headers: {shown}; "
        f"headers found: {headers}",
    )


def _choose_columns(header: _Header, table: str):
    """Map header columns to canonical columns.

    Returns (primary: canonical → [positions], groups: canonical → [positions] to be summed,
    personal positions, unused (position, name) pairs, seq position or None).
    """
    primary: dict[str, list[int]] = {}
    groups: dict[str, list[int]] = {}
    personal: list[int] = []
    unused: list[tuple[int, str]] = []
    seq = None
    numeric = _numeric_columns(table)
    for j, name in enumerate(header.names):  # loop over columns
        if name is None:
            continue
        child = header.children[j]
        if _is_personal(name) or (child is not None and _is_personal(child)):
            personal.append(j)
            continue
        if _is_seq(name):
            seq = j if seq is None else seq
            continue
        col = _match(name, table)
        if col is None and header.depth == 2 and child is not None:
            parent_col = _match(header.parents[j], table)
            if parent_col in numeric:
                groups.setdefault(parent_col, []).append(j)
                continue
        if col is None:
            unused.append((j, name))
            continue
        primary.setdefault(col, []).append(j)
    for col in list(groups):
        if col in primary:  # a plain column wins over summed sub-columns
            unused += [(j, header.names[j]) for j in groups.pop(col)]
    return primary, groups, personal, unused, seq


#: Above this many columns, grids are handled as one flat array of cells, not column by column.
_WIDE = 64


def _squeeze(s: pd.Series) -> pd.Series:
    """White space removed; empty → NaN."""
    return s.str.replace(_SPACES_TEXT, "", regex=True).replace("", np.nan)


def _first_cells(data: pd.DataFrame) -> pd.Series:
    """Each row's first non-empty cell (NaN for a blank row)."""
    if data.shape[1] > _WIDE:  # a wide sheet: one pass over the cell array
        arr = data.to_numpy(dtype=object, na_value=None)
        present = ~pd.isna(arr)
        first = arr[np.arange(len(arr)), present.argmax(axis=1)]
        return pd.Series(first, index=data.index, dtype="str").where(present.any(axis=1))
    first = pd.Series(np.nan, index=data.index, dtype="str")
    for j in reversed(list(data.columns)):  # loop over (a few) columns
        first = data[j].fillna(first)
    return first


def _classify_rows(data: pd.DataFrame, header: _Header, seq: int | None,
                   table: str) -> pd.Series:
    """Reason per row for non-data rows (blank, totals, note, repeated header), else NaN.

    Totals and notes are recognised by the row's first non-empty cell only, so that a data row
    mentioning 合计 or 注 in some later cell is never dropped; a repeated header row has at least
    half of the table's known headers (and at least two) in their own columns.
    """
    reason = pd.Series(np.nan, index=data.index, dtype="str")
    if data.empty:
        return reason
    content = data.drop(columns=[seq]) if seq is not None else data
    blank = ~content.notna().any(axis=1)
    first = _nfkc(_squeeze(_first_cells(data)))
    totals = first.str.match(_TOTALS.pattern).fillna(False).astype(bool)
    note = first.str.match(_NOTE).fillna(False).astype(bool)
    known = [(j, schema.normalize_header(n)) for j, n in zip(data.columns, header.names,
                                                             strict=False)
             if n and _match(n, table) is not None]
    same = pd.Series(0, index=data.index)
    for j, name in known:  # loop over the table's known columns (a handful)
        folded = _per_distinct(_squeeze(data[j]), lambda t: t.str.normalize("NFKC").str.lower())
        same += folded.eq(name).fillna(False).astype(int)
    repeated = same >= max(2, (len(known) + 1) // 2)
    reason[repeated] = "repeated header row 重复的表头行"
    reason[note] = "note row 注释行"
    reason[totals] = "totals row 合计行"
    reason[blank] = "blank row 空行"
    return reason


def _title_year(preamble: pd.DataFrame) -> int | None:
    """The year named by the title rows (rows naming a 填报/制表 date are left out)."""
    if preamble.empty:
        return None
    texts = preamble.apply(lambda c: c.fillna(""), axis=0).astype("str").agg(" ".join, axis=1)
    texts = texts[~texts.str.contains(r"填报|填表|制表|报送|日期|时间", regex=True)]
    return _year_in(" ".join(texts.tolist()))


def _read_sheet(sheet: _Sheet, ctx: _Context, *, multi: bool) -> _SheetResult | None:
    """Parse one sheet; None when no header of the table is found."""
    grid, merges = _fill_merges(sheet)
    header = _find_header(grid, ctx.table)
    if header is None:
        return None
    table = ctx.table
    spec = schema.TABLES[table]
    problems: list[pd.DataFrame] = []
    warns: list[pd.DataFrame] = []

    def warn(rows, column, values, reason) -> None:
        warns.append(_problems(rows, column, values, reason))

    primary, groups, personal, unused, seq = _choose_columns(header, table)
    header_end = header.row + header.depth - 1
    found_headers = [n for n in header.names if n]

    # -- the data block: every row below the header, trailing blank rows left out ---------------
    below = grid.loc[grid.index > header_end]
    nonblank = below.notna().any(axis=1)
    last = nonblank[nonblank].index.max() if nonblank.any() else header_end
    data = below.loc[below.index <= last]
    preamble = grid.loc[grid.index < header.row]

    # -- year for dates written without one: sheet name, then title, then file name ------------
    year, year_from = None, ("", "")
    for source, found in ((("sheet name", "工作表名"), _year_in(sheet.name)),
                          (("title", "标题"), _title_year(preamble)),
                          (("file name", "文件名"), _year_in(Path(ctx.source_file).name))):
        if found is not None:
            year, year_from = found, source
            break

    name_col = None
    if "person_id" in spec.columns and "person_id" not in primary:
        for j in personal:
            if schema.normalize_header(header.children[j] or header.names[j]) in ("姓名", "名字"):
                name_col = j
                break

    # -- required columns ------------------------------------------------------------------------
    has = set(primary) | set(groups)
    for col in spec.required:
        if col in has:
            continue
        if col == "village_id" and "village_name" in has:
            continue
        if col == "topic" and "title" in has:
            continue
        if col == "person_id" and name_col is not None:
            continue
        if col == "year" and year is not None:
            continue
        extra = " (and no title column 活动名称 to find topics in)" if col == "topic" else ""
        raise _missing_column_error(ctx, col, found_headers, extra)

    # -- what is not read: personal data, unused and header-less columns, merged fill-down -----
    for j in personal:
        cells = int(data[j].notna().sum())
        if j == name_col:
            warn([pd.NA], header.names[j], [pd.NA], privacy.removal_reason(
                "name", "hashed", cells, why="names hashed into person_id, then dropped "
                "姓名经加盐哈希生成 person_id 后删除"))
        else:
            warn([pd.NA], header.names[j], [pd.NA], privacy.removal_reason(
                "header", "dropped", cells, why="the column is not read 该列不读取"))
    filled = data.notna().any(axis=0)
    spare = [(j, name) for j, name in unused if filled[j]]
    if len(spare) <= _MAX_COLUMN_WARNINGS:
        for _j, name in spare:  # a few columns
            warn([pd.NA], name, [pd.NA], "column not used 未使用的列")
    else:
        warn([pd.NA], f"{len(spare)} columns", [pd.NA],
             f"{len(spare)} columns not used 列未使用, e.g. "
             + "、".join(str(n) for _, n in spare[:5]))
    nameless = [j for j in range(grid.shape[1]) if header.names[j] is None and filled[j]]
    if len(nameless) <= _MAX_COLUMN_WARNINGS:
        for j in nameless:  # a few columns
            warn([pd.NA], _col_letter(j), [pd.NA],
                 "column without a header ignored 无表头的列未读取")
    else:
        warn([pd.NA], f"{_col_letter(nameless[0])}–{_col_letter(nameless[-1])}", [pd.NA],
             f"{len(nameless)} columns without a header ignored 无表头的列未读取 "
             f"({_col_letter(nameless[0])}–{_col_letter(nameless[-1])}); delete them or give "
             "them a header 请删除或补上表头")
    if data.empty or not data.notna().to_numpy().any():
        warn([pd.NA], None, [pd.NA],
             "no data rows under the header 表头下没有数据行; the sheet adds nothing")
    for r0, c0, r1, c1 in merges:  # merged ranges running down across data rows (few)
        if r1 > r0 and r1 > header_end:
            start = max(r0, header_end + 1)
            for j in range(c0, c1 + 1):
                warn([start], header.names[j] or _col_letter(j), [grid.at[r0, c0]],
                     f"merged cells filled down 合并单元格已向下填充: rows {start}–{r1}")

    nondata = _classify_rows(data, header, seq, table)
    bar = _Progress(len(spec.columns) + 4, f"{ctx.source_file}: 检查 checking", ctx.progress,
                    unit="step", size=len(data))
    rows = data.loc[nondata.isna()]
    idx = rows.index

    # -- cell checks on used columns: formulas without a saved result, Excel error values -------
    used = sorted({j for v in (*primary.values(), *groups.values()) for j in v})
    formulas = sheet.formulas.reindex(index=idx) if sheet.formulas is not None else None
    for j in used:  # loop over columns
        if formulas is not None and j in formulas.columns:
            cells = formulas[j].dropna()
            if len(cells):
                problems.append(_problems(
                    cells.index, header.names[j], cells.to_numpy(),
                    "formula without a saved result 公式没有计算结果; open the file in Excel and "
                    "save it again 请在 Excel 中打开并重新保存",
                ))
        err = rows[j].str.match(_EXCEL_ERROR.pattern).fillna(False).astype(bool)
        if err.any():
            problems.append(_problems(idx[err], header.names[j], rows[j][err].to_numpy(),
                                      "Excel error value 单元格错误值; fix the formula in Excel "
                                      "请在 Excel 中修正公式"))
            rows[j] = rows[j].mask(err)  # reported once, not again as an unreadable value

    # -- column values -----------------------------------------------------------------------------
    out = pd.DataFrame(index=idx)
    out["source_file"] = ctx.source_file
    out["source_row"] = pd.array(idx, dtype="Int64")
    header_of: dict[str, str] = {}
    flagged: dict[str, pd.Series] = {}

    def column(col: str) -> pd.Series | None:
        positions = primary.get(col)
        if not positions:
            return None
        s = rows[positions[0]]
        for j in positions[1:]:  # a second column with the same meaning fills the blanks
            s = s.fillna(rows[j])
        header_of[col] = header.names[positions[0]]
        return s

    def add_problems(col: str, raw: pd.Series, reason: pd.Series, where: str | None = None):
        bad = reason.notna()
        flagged[col] = flagged.get(col, pd.Series(False, index=idx)) | bad
        if bad.any():
            problems.append(_problems(idx[bad], where or header_of.get(col, col),
                                      raw[bad].to_numpy(), reason[bad]))

    special = {"source_file", "source_row", "topic", "form", "audience", "attendees_approx",
               "materials_approx", "year", "kind", "level", "group"}
    if table != "villages":
        special |= {"village_id", "village_name"}
    approx_masks: dict[str, pd.Series] = {}
    for col, dtype in spec.columns.items():  # loop over the table's columns
        bar.update(1)
        if col in special:
            continue
        if col in groups:  # two-level header: sub-columns of one count are summed
            total = pd.Series(pd.array([pd.NA] * len(idx), dtype="Int64"), index=idx)
            any_approx = pd.Series(False, index=idx)
            for j in groups[col]:
                vals, approx, reason = _parse_counts(rows[j])
                add_problems(col, rows[j], reason, where=header.names[j])
                total = (total.fillna(0) + vals.fillna(0)).where(total.notna() | vals.notna())
                any_approx |= approx
            header_of[col] = header.parents[groups[col][0]]
            out[col] = total
            approx_masks[col] = any_approx
            warn([pd.NA], header_of[col], [pd.NA],
                 f"sub-columns summed into {col} 子列已相加: "
                 + "、".join(header.names[j] for j in groups[col]))
            continue
        raw = column(col)
        if raw is None:
            continue
        if dtype == _DATE:
            vals, reason, inferred, partial = _parse_dates(
                raw, year=year, today=ctx.today, partial=table == "sites", origin=sheet.origin
            )
            add_problems(col, raw, reason)
            if inferred.any():
                first = idx[inferred.to_numpy()][0]
                warn([first], header_of[col], [raw[first]],
                     f"year {year} taken from the {year_from[0]} 年份取自{year_from[1]} "
                     f"({int(inferred.sum())} dates written without a year)")
            if partial.any():
                warn(idx[partial.to_numpy()], header_of[col], raw[partial].to_numpy(),
                     "partial date read as the first day 日期不完整，按当月（年）第一天计")
            out[col] = vals
        elif dtype == "Int64":
            vals, approx, reason = _parse_counts(raw)
            add_problems(col, raw, reason)
            out[col] = vals
            approx_masks[col] = approx
        elif dtype == "float64":
            vals, reason = _parse_floats(
                raw, allow_negative=col in ("lon", "lat"),
                na_words=_SCORE_NA if col == "exam_score" else frozenset(),
            )
            add_problems(col, raw, reason)
            out[col] = vals
        elif dtype == "boolean":
            vals, reason = _parse_bools(raw, certificate=col == "enforcement_cert")
            add_problems(col, raw, reason)
            out[col] = vals
        elif dtype in ("str", "object"):
            out[col] = _norm_text(raw)
    for col, mask in approx_masks.items():
        if col in _APPROX_COLUMNS:
            out[_APPROX_COLUMNS[col]] = mask
        if mask.any():
            shown = column(col) if col in primary else out[col].astype("str")
            warn(idx[mask.to_numpy()], header_of.get(col, col), shown[mask].to_numpy(),
                 f"approximate figure 约数, flagged and read as {col} = "
                 + out.loc[mask, col].astype("str"))

    # -- village cells, matched to the register ------------------------------------------------
    bar.update(1)
    vstatus = None
    if table != "villages" and "village_name" in spec.columns:
        vname, vid = column("village_name"), column("village_id")
        if vname is not None or vid is not None:
            match = _match_villages(vname, vid, ctx.reg, idx)
            out["village_id"] = match["village_id"]
            out["village_name"] = match["village_name"]
            vstatus = match["status"]
            name_header = header_of.get("village_name", header_of.get("village_id"))
            shown = vname if vname is not None else vid
            for code, where, values, reason in (
                ("unknown", name_header, shown,
                 "unknown village 未知村（社区）: {v}; expected one of the register"),
                ("unknown_id", header_of.get("village_id"), vid,
                 "unknown village id 未知村（社区）编码: {v}; expected one of the register"),
                ("ambiguous", name_header, shown,
                 "ambiguous village name 村名不唯一: {v}; several villages of the register match,"
                 " write the full name or the id"),
                ("several", name_header, shown,
                 "several villages in one cell 一格中有多个村: {v}; write one row per village"),
            ):
                bad = vstatus.eq(code)
                if bad.any():
                    flagged["village_id"] = flagged.get("village_id",
                                                        pd.Series(False, index=idx)) | bad
                    v = values[bad]
                    problems.append(_problems(idx[bad.to_numpy()], where, v.to_numpy(),
                                              v.map(lambda x, r=reason: r.format(v=x))))
            pre = vstatus.eq("prefix")
            if pre.any():
                first = shown[pre].drop_duplicates()
                warn(first.index, name_header, first.to_numpy(),
                     "village matched by the start of the name 按名称开头匹配村: "
                     + out.loc[first.index, "village_name"])

    # -- table-specific columns --------------------------------------------------------------------
    bar.update(1)
    topics = None
    if table == "events":
        topics = _events_columns(out, column, header_of, warn, idx, ctx,
                                 sheet.name if multi else None)
    elif table == "sites":
        _sites_columns(out, column, header_of, add_problems, warn, idx, ctx,
                       sheet.name if multi else None)
    elif table == "villages":
        _villages_columns(out, column, header_of, warn, idx)
    if table in ("cadres", "legal_literates"):
        _people_columns(out, rows, column, header_of, add_problems, warn, idx, ctx, name_col,
                        year, year_from)
    if table == "legal_literates":
        group = column("group")
        if group is not None:
            joined, unknown = _split_map(
                group, lambda v: _SPACES.sub("", v), schema.LEGAL_LITERATE_GROUPS
            )
            out["group"] = joined
            for row, value in zip(unknown["row"], unknown["value"], strict=True):  # distinct
                warn([row], header_of["group"], [value],
                     "unknown group kept as written 未知身份类别，按原样保留")

    # -- required values: a blank cell in a required column rejects the row -------------------
    bar.update(1)
    for col in _REQUIRED_VALUES[table]:
        if col == "village_id":
            if vstatus is None:
                continue
            town = vstatus.eq("town") & ~flagged.get(col, pd.Series(False, index=idx))
            if town.any():
                shown = column("village_name")[town]
                problems.append(_problems(
                    idx[town.to_numpy()], header_of.get("village_name"), shown.to_numpy(),
                    "not a village 不是村（社区）: " + shown
                    + "; this table needs one of the register's villages"))
            blank = vstatus.eq("blank")
            reason = "no village 缺少村（社区）"
        elif col in out.columns:
            blank = out[col].isna()
            reason = f"no {col.replace('_', ' ')} 缺少{_LABEL_ZH.get(col, col)}"
        else:
            continue
        blank &= ~flagged.get(col, pd.Series(False, index=idx))
        if blank.any():
            where = header_of.get(col, header_of.get("village_name", col))
            shown = (column("village_name") if col == "village_id" and "village_name" in primary
                     else pd.Series(np.nan, index=idx, dtype="str"))
            problems.append(_problems(idx[blank.to_numpy()], where, shown[blank].to_numpy(),
                                      reason))

    # -- drop the rejected rows ----------------------------------------------------------------
    prob = pd.concat(problems, ignore_index=True) if problems else _empty_problems()
    bad_rows = pd.Index(prob["source_row"].dropna().astype("int64").unique())
    keep = ~idx.isin(bad_rows)
    out = out.loc[keep]
    if topics is not None:
        topics = topics[topics["row"].isin(out.index)]
        topics = pd.DataFrame({"source_row": topics["row"].to_numpy(),
                               "topic": topics["topic"].to_numpy()})

    # -- personal data in what is kept: masked in text, hashed in identifiers ------------------
    bar.update(1)
    out, removed = privacy.scrub(out, ids=_ID_COLUMNS, skip=("source_file",),
                                 salt=_salt(ctx.settings))
    if topics is not None and len(topics):  # every topic of an event, not only the first
        masked, cells = privacy.mask_personal_data(topics["topic"])
        topics = topics.assign(topic=masked)
        removed = pd.concat(
            [removed[removed["column"] != "topic"],
             pd.DataFrame({"column": "topic", "kind": list(cells),
                           "action": "masked", "cells": list(cells.values())})],
            ignore_index=True,
        )
    warns.extend(_removal_warnings(removed, header_of))
    n_nondata = int(nondata.notna().sum())
    stats = {
        "table": table,
        "source_file": ctx.source_file,
        "sheet": sheet.name,
        "preamble_rows": int(len(preamble)),
        "data_rows": int(len(data)),
        "loaded": int(len(out)),
        "rejected": int(len(bad_rows)),
        "non_data": n_nondata,
    }
    bar.close()
    return _SheetResult(out, [prob] if len(prob) else [], warns, topics, stats)


def _events_columns(out, column, header_of, warn, idx, ctx, sheet_label):
    # event id: the ledger's 编号, else "file stem:row" ("file stem:sheet:row" for workbooks
    # with several data sheets)
    prefix = f"{ctx.stem}:{sheet_label}:" if sheet_label is not None else f"{ctx.stem}:"
    generated = prefix + pd.Series(idx, index=idx).astype("str")
    if "event_id" in out.columns:
        out["event_id"] = out["event_id"].fillna(generated)
    else:
        out["event_id"] = generated
    # topics: split with schema.split_topics once per distinct cell
    raw = column("topic")
    if raw is None:
        raw = pd.Series(np.nan, index=idx, dtype="str")
    cells = {u: schema.split_topics(u) for u in raw.dropna().unique()}  # distinct cells
    parts = raw.map(cells).explode().dropna()
    topics = pd.DataFrame({"row": parts.index.to_numpy(), "value": parts.astype("str").to_numpy()})
    missing = ~idx.isin(topics["row"])
    if missing.any() and "title" in out.columns:
        found = _topics_in_titles(out.loc[missing, "title"].dropna())
        if len(found):
            topics = pd.concat([topics, found], ignore_index=True)
            warn([found["row"].iloc[0]], header_of.get("title", "title"), [pd.NA],
                 f"topic taken from the title 宣传内容取自活动名称 ({found['row'].nunique()} rows)")
    order = pd.Series(np.arange(len(idx)), index=idx)
    topics = topics.assign(_o=topics["row"].map(order)).sort_values("_o", kind="stable")
    topics = topics.drop_duplicates(["row", "value"])
    out["topic"] = topics.drop_duplicates("row").set_index("row")["value"].reindex(idx)
    unknown = topics[~topics["value"].isin(list(schema.TOPICS))].drop_duplicates("value")
    for row, value in zip(unknown["row"], unknown["value"], strict=True):  # distinct topics
        warn([row], header_of.get("topic", "topic"), [value],
             "unknown topic kept as written 未知宣传内容，按原样保留")
    # forms and audiences: canonical values, several in a cell joined with 、
    for col, mapper, known, label in (
        ("form", schema.canonical_form, schema.FORMS, "活动形式"),
        ("audience", schema.canonical_audience, schema.AUDIENCES, "参加对象"),
    ):
        raw = column(col)
        if raw is None:
            continue
        joined, unknown = _split_map(raw, mapper, known)
        out[col] = joined
        for row, value in zip(unknown["row"], unknown["value"], strict=True):
            warn([row], header_of[col], [value],
                 f"unknown {col} kept as written 未知{label}，按原样保留")
    return pd.DataFrame({"row": topics["row"].to_numpy(),
                         "topic": topics["value"].astype("str").to_numpy()})


def _sites_columns(out, column, header_of, add_problems, warn, idx, ctx, sheet_label):
    prefix = f"{ctx.stem}:{sheet_label}:" if sheet_label is not None else f"{ctx.stem}:"
    generated = prefix + pd.Series(idx, index=idx).astype("str")
    if "site_id" in out.columns:
        out["site_id"] = out["site_id"].fillna(generated)
    else:
        out["site_id"] = generated
    raw = column("level")
    level = pd.Series(np.nan, index=idx, dtype="str")
    written = pd.Series(False, index=idx)
    if raw is not None:
        text = _nospace(raw).str.lower()
        written = text.notna()
        level[text.str.match(_LEVEL_TOWN).fillna(False).astype(bool)] = "town"
        level[text.str.match(_LEVEL_VILLAGE).fillna(False).astype(bool)] = "village"
        reason = pd.Series(np.nan, index=idx, dtype="str")
        reason[written & level.isna()] = "unknown level 未知级别 (expected 镇级 or 村级)"
        add_problems("level", raw, reason)
    blank = ~written
    if blank.any() and "village_id" in out.columns:
        inferred = pd.Series(np.where(out["village_id"].notna(), "village", "town"), index=idx)
        level = level.where(~blank, inferred)
        warn(idx[blank.to_numpy()], header_of.get("level", "level"), None,
             "level inferred from the village column 级别按所属村推断")
    out["level"] = level


def _villages_columns(out, column, header_of, warn, idx):
    name = out["village_name"] if "village_name" in out.columns else pd.Series(
        np.nan, index=idx, dtype="str")
    community = name.str.contains(_KIND_COMMUNITY).fillna(False).astype(bool)
    from_name = pd.Series(np.where(community, "community", "village"), index=idx).where(
        name.notna())
    raw = column("kind")
    if raw is None:
        out["kind"] = from_name.astype("str")
        return
    text = _nospace(raw).str.lower()
    kind = pd.Series(np.nan, index=idx, dtype="str")
    kind[text.str.contains(_KIND_VILLAGE).fillna(False).astype(bool)] = "village"
    kind[text.str.contains(_KIND_COMMUNITY).fillna(False).astype(bool)] = "community"
    odd = text.notna() & kind.isna()
    if odd.any():
        warn(idx[odd.to_numpy()], header_of["kind"], raw[odd].to_numpy(),
             "unknown kind, taken from the name 类型无法识别，按名称推断")
    out["kind"] = kind.fillna(from_name).astype("str")


def _people_columns(out, rows, column, header_of, add_problems, warn, idx, ctx, name_col, year,
                    year_from):
    table = ctx.table
    if "person_id" not in out.columns and name_col is not None:
        group = out["department"] if table == "cadres" else out.get("village_id")
        if group is None:
            group = pd.Series(np.nan, index=idx, dtype="str")
        names = rows[name_col]
        out["person_id"] = _hash_ids(_salt(ctx.settings), group, names).where(names.notna())
    raw = column("year")
    if raw is not None:
        vals, reason = _parse_years(raw, today=ctx.today)
        add_problems("year", raw, reason)
        if year is not None:
            vals = vals.fillna(year)
        out["year"] = vals
    elif year is not None:
        out["year"] = pd.Series(pd.array([year] * len(idx), dtype="Int64"), index=idx)
        if len(idx):
            warn([idx[0]], "year", [str(year)],
                 f"year {year} taken from the {year_from[0]} 年度取自{year_from[1]}")


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


@dataclass
class ReadResult:
    """What :func:`_read_table` found in one file.

    Attributes
    ----------
    frame : pandas.DataFrame
        Canonical rows (``schema.coerce``) with ``source_file`` and ``source_row``.
    rejected, warnings : pandas.DataFrame
        One row per problem, columns of ``schema.REJECTED``.
    stats : dict
        ``{table, source_file, sheet, preamble_rows, data_rows, loaded, rejected, non_data}``
        with ``loaded + rejected + non_data == data_rows``.
    event_topics : pandas.DataFrame or None
        ``(event_id, topic)`` pairs for the loaded events (events only).
    sheets : list of dict
        The same statistics per sheet read.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    warnings: pd.DataFrame
    stats: dict[str, Any]
    event_topics: pd.DataFrame | None = None
    sheets: list[dict[str, Any]] = field(default_factory=list)


def _check_table(table: object) -> str:
    if not isinstance(table, str) or table not in LEDGER_TABLES:
        hint = (
            "; survey tables are read by pufa_metrics.survey_io.read_survey"
            if table in ("responses", "codebook")
            else ""
        )
        raise ValueError(f"'table' should be one of {list(LEDGER_TABLES)}, got {table!r}{hint}")
    return table


def _read_table(
    path: str | os.PathLike,
    *,
    table: str,
    sheet: str | int | None = None,
    villages: pd.DataFrame | None = None,
    settings: Settings | None = None,
    today: pd.Timestamp | str | None = None,
    source_name: str | None = None,
    progress: bool | None = None,
) -> ReadResult:
    """Read one ledger file into a :class:`ReadResult` (frame, rejected, warnings, stats).

    Same arguments as :func:`read_ledger`, plus ``today`` (dates after it are rejected; default
    today), ``source_name`` (the ``source_file`` written into the rows; ``load_dataset``
    passes the path relative to its folder) and ``progress`` (see :func:`load_dataset`).
    """
    table = _check_table(table)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"'path' should be a file path (str or Path), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"'path': no such file {str(path)!r}（文件不存在）")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise TypeError(f"'sheet' should be a sheet name, a 0-based index or None, got {sheet!r}")
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings object, got {type(settings).__name__}")
    reg = _register(_check_villages(villages)) if villages is not None else None
    settings = settings if settings is not None else Settings.load()
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    source = source_name or path.name
    stem = source[: -len(path.suffix)] if path.suffix and source.endswith(path.suffix) else source
    ctx = _Context(table, source, stem, reg, today, settings, progress)

    sheets = _read_raw(path, source, progress=progress)
    names = [s.name for s in sheets]
    if sheet is not None:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                raise ValueError(f"'sheet' index {sheet} is out of range; {source} has {names}")
            sheets = [sheets[sheet]]
        elif sheet not in names:
            raise ValueError(f"'sheet' {sheet!r} not found in {source}; its sheets are {names}")
        else:
            sheets = [sheets[names.index(sheet)]]

    if not any(s.grid.notna().to_numpy().any() for s in sheets):
        raise LedgerError(
            source,
            "工作簿是空的（所有工作表都没有内容）；请把台账内容放进去，或删除这个文件",
            "the workbook is empty (no sheet holds a value); put the ledger in it or remove "
            "the file",
        )
    matching = [s for s in sheets
                if _find_header(_fill_merges(s, _HEADER_SCAN_ROWS + 1)[0], table) is not None]
    if not matching:
        raise _no_header_error(ctx, sheets)
    skipped = [s.name for s in sheets if s not in matching]
    multi = len(matching) > 1
    results: list[_SheetResult] = []
    for s in matching:  # loop over sheets (few)
        try:
            results.append(_read_sheet(s, ctx, multi=multi))
        except LedgerError as exc:
            if multi and s.name is not None and any(w in s.name for w in _SKIP_SHEETS):
                skipped.append(s.name)  # a summary sheet that looks like a ledger: skip it
                continue
            if s.name is not None and len(sheets) > 1:
                raise LedgerError(source, f"工作表“{s.name}”：{exc.zh}",
                                  f"sheet '{s.name}': {exc.en}") from exc
            raise
    warn_parts: list[pd.DataFrame] = []
    for name in skipped:
        warn_parts.append(_problems([pd.NA], None, [name],
                                    f"sheet skipped 已跳过工作表: no {table} header 无对应表头"))

    frame = pd.concat([r.frame.assign(_sheet=i) for i, r in enumerate(results)],
                      ignore_index=True)
    problems = [p.assign(_sheet=i) for i, r in enumerate(results) for p in r.problems]
    sheet_stats = [dict(r.stats) for r in results]
    for r in results:
        warn_parts += r.warnings
    frame, dup = _drop_duplicate_keys(frame, table)
    if len(dup):
        problems.append(dup)
        counts = dup["_sheet"].value_counts()
        for i, n in counts.items():
            sheet_stats[int(i)]["rejected"] += int(n)
            sheet_stats[int(i)]["loaded"] -= int(n)

    event_topics = None
    if table == "events":
        pairs = pd.concat(
            [r.topics.assign(_sheet=i) for i, r in enumerate(results)], ignore_index=True
        )
        ids = frame[["_sheet", "source_row", "event_id"]].astype({"source_row": "int64"})
        pairs = pairs.astype({"source_row": "int64"}).merge(ids, on=["_sheet", "source_row"])
        event_topics = schema.coerce(
            pairs[["event_id", "topic"]].drop_duplicates().reset_index(drop=True), "event_topics"
        )
    frame = schema.coerce(frame.drop(columns="_sheet"), table)[list(schema.TABLES[table].columns)]
    rejected = _finish_problems(problems, table=table, source_file=source)
    rejected = rejected.sort_values("source_row", kind="stable").reset_index(drop=True)
    warnings = _finish_problems(warn_parts, table=table, source_file=source)
    rejected, notes = _scrub_problems(rejected, "rejected rows 未导入行")
    warnings, more = _scrub_problems(warnings, "warnings 提示")
    if notes or more:
        warnings = pd.concat(
            [warnings, _finish_problems(notes + more, table=table, source_file=source)],
            ignore_index=True,
        )
    stats = {
        "table": table,
        "source_file": source,
        "sheet": ", ".join(str(s["sheet"]) for s in sheet_stats if s["sheet"] is not None)
        or None,
        **{k: sum(s[k] for s in sheet_stats)
           for k in ("preamble_rows", "data_rows", "loaded", "rejected", "non_data")},
    }
    return ReadResult(frame.reset_index(drop=True), rejected, warnings, stats, event_topics,
                      sheet_stats)


def _no_header_error(ctx: _Context, sheets: list[_Sheet]) -> LedgerError:
    spec = schema.TABLES[ctx.table]
    seen: list[str] = []
    for s in sheets[:3]:
        grid, _ = _fill_merges(s, _HEADER_SCAN_ROWS + 1)
        seen += grid.iloc[:_HEADER_SCAN_ROWS].stack().dropna().astype(str).tolist()
    needed = "; ".join(f"{c}: " + "、".join(spec.accepted_headers(c)) for c in spec.required)
    return LedgerError(
        ctx.source_file,
        f"找不到“{spec.label_zh}”的表头行（前 {_HEADER_SCAN_ROWS} 行中至少要有两个可识别的列名）；"
        f"必需的列及可接受的表头：{needed}",
        f"no header row of table '{ctx.table}' in the first {_HEADER_SCAN_ROWS} rows (at least two "
        f"known column names are needed); required columns and accepted headers: {needed}; "
        "cells seen: " + "、".join(dict.fromkeys(seen[:60])),
    )


def _key_columns(table: str) -> tuple[str, ...]:
    return {
        "villages": ("village_id",),
        "events": ("event_id",),
        "sites": ("site_id",),
        "cadres": ("person_id", "year"),
        # One row per person per year: county rosters re-certify the same 法律明白人 each year.
        # A roster without a year column falls back to person_id alone (see below).
        "legal_literates": ("person_id", "year"),
    }.get(table, ())


def _drop_duplicate_keys(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reject later rows repeating a key (event_id, site_id, village_id, (person_id, year)).

    Key columns absent from the frame are left out (a roster with no year: person_id alone).
    A row needs its first key (the id) to be a duplicate; a blank year is a value of its own,
    so the same person twice with no year is a duplicate, but not next to a dated row.
    Returns the frame without them and their problems (with ``_sheet`` when the frame has it).
    """
    keys = [k for k in _key_columns(table) if k in frame.columns]
    none = _empty_problems().assign(_sheet=pd.Series(dtype="int64"))
    if not keys or frame.empty:
        return frame, none
    valid = frame[keys[0]].notna()
    dup = frame.duplicated(keys, keep="first") & valid
    if not dup.any():
        return frame, none
    grouped = frame.groupby(keys, dropna=False, sort=False)
    first_file = grouped["source_file"].transform("first")[dup]
    first_row = grouped["source_row"].transform("first")[dup].astype("str")
    sub = frame[dup]
    label = " + ".join(keys)
    value = sub[keys[0]].astype("str")
    for k in keys[1:]:
        value = value + " / " + sub[k].astype("str").fillna("")
    where = pd.Series(
        np.where(first_file == sub["source_file"], "row " + first_row,
                 first_file + " row " + first_row),
        index=sub.index,
    )
    prob = _problems(sub["source_row"], label, value.to_numpy(),
                     f"duplicate {label} 编号重复: same as " + where)
    prob["table"] = table
    prob["source_file"] = sub["source_file"].to_numpy()
    prob["_sheet"] = sub["_sheet"].to_numpy() if "_sheet" in sub.columns else 0
    return frame[~dup], prob


def read_ledger(
    path: str | os.PathLike,
    *,
    table: str,
    sheet: str | int | None = None,
    villages: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Read one ledger file (.xlsx, .xls or .csv) into a canonical table.

    The header row is found by content among the first 30 rows (title and 填报单位 rows above
    it are skipped), two-level merged headers are flattened, and every cell is parsed the way
    offices write it: dates as ``2021-09-09``, ``2021/9/9``, ``2021.9.9``, ``2021年9月9日``, Excel
    dates and serial numbers, or ``9月9日`` with the year taken from the sheet name, title or file
    name; counts as ``50``, ``50人``, ``５０``, ``约50``, ``300余人``, ``1.2万``, ``千余`` (the
    approximate ones flagged in ``attendees_approx`` / ``materials_approx``).

    Parameters
    ----------
    path : str or Path
        The file. CSV files may be UTF-8 (with or without BOM), GB18030/GBK or UTF-16.
    table : str
        One of ``villages``, ``events``, ``sites``, ``cadres``, ``legal_literates``,
        ``adviser_visits``.
    sheet : str or int, optional
        Read only this sheet (name or 0-based position). By default every sheet whose header
        matches the table is read and the rows concatenated.
    villages : pandas.DataFrame, optional
        The village register (``village_id``, ``village_name``, optionally ``town``). With it,
        village cells are matched by id or by name (tolerant of 村/村委会/社区/居委会 suffixes,
        full-width characters and spaces) and unknown villages are rejected; without it the
        names stay in ``village_name`` and ``village_id`` stays empty.
    settings : Settings, optional
        Used for the salt that hashes names into ``person_id``; default ``Settings.load()``.

    Returns
    -------
    frame : pandas.DataFrame
        The canonical columns of ``schema.TABLES[table]`` in canonical dtypes, with
        ``source_file`` (file name) and ``source_row`` (row number as Excel shows it; the line
        number for CSV).
    rejected : pandas.DataFrame
        One row per problem (columns of ``schema.REJECTED``): file, row, column, value, reason.

    Raises
    ------
    LedgerError
        The file cannot be read at all (not a spreadsheet, password protected, truncated, no
        header, a required column missing); the message names the file and what to fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "台账.csv").write_text(
    ...     "水寨镇2021年普法活动台账\n"
    ...     "日期,村（社区）,宣传内容,参加人数（人次）\n"
    ...     "2021年9月9日,大岭村委会,民法典、反诈,约50\n"
    ...     "9月10日,外镇某村,禁毒,30\n"
    ...     "合计,,,80\n", encoding="utf-8-sig")
    >>> register = pd.DataFrame({"village_id": ["V01"], "village_name": ["大岭村"]})
    >>> events, rejected = read_ledger(folder / "台账.csv", table="events", villages=register)
    >>> events[["date", "village_id", "topic", "attendees", "attendees_approx"]].astype(str
    ...     ).values.tolist()
    [['2021-09-09', 'V01', '民法典', '50', 'True']]
    >>> rejected[["source_row", "reason"]].values.tolist()
    [[4, 'unknown village 未知村（社区）: 外镇某村; expected one of the register']]
    """
    result = _read_table(path, table=table, sheet=sheet, villages=villages, settings=settings)
    return result.frame, result.rejected


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


def _empty_files() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _FILES_COLUMNS.items()})


@dataclass(eq=False, repr=False)
class Dataset:
    """Every canonical table of one town, with what was rejected and why.

    Attributes
    ----------
    villages, events, event_topics, sites, responses, codebook, cadres : pandas.DataFrame
        Canonical tables (empty frames when absent).
    legal_literates, adviser_visits : pandas.DataFrame or None
        Optional tables.
    geometry : geopandas.GeoDataFrame or None
        ``village_id`` and ``geometry`` in EPSG:4326.
    rejected, warnings : pandas.DataFrame
        One row per problem (columns of ``schema.REJECTED``); warnings are not row losses.
    files : pandas.DataFrame
        One row per file read: table, source_file, sheet, preamble_rows, data_rows, loaded,
        rejected, non_data, status, message.

    Examples
    --------
    >>> ds = Dataset(villages=pd.DataFrame({"village_id": ["V01"], "village_name": ["大岭村"],
    ...                                     "population": [1200]}))
    >>> print(ds.summary().splitlines()[1])
      villages              1 rows
    """

    villages: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("villages"))
    events: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("events"))
    event_topics: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("event_topics"))
    sites: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("sites"))
    responses: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("responses"))
    codebook: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("codebook"))
    cadres: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("cadres"))
    legal_literates: pd.DataFrame | None = None
    adviser_visits: pd.DataFrame | None = None
    geometry: Any = None
    rejected: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("rejected"))
    warnings: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("rejected"))
    files: pd.DataFrame = field(default_factory=_empty_files)
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.summary()

    def reconciliation(self) -> pd.DataFrame:
        """One row per file: ``loaded + rejected + non_data == data_rows`` (and its status)."""
        return self.files.copy()

    def removed_personal_data(self) -> pd.DataFrame:
        """What personal data the readers removed, per file and column (never a value).

        Read from the removal records in :attr:`warnings` (reasons ending in
        ``[pii:<kind>:<action>:<cells>]``, see :func:`pufa_metrics.privacy.removal_reason`).

        Returns
        -------
        pandas.DataFrame
            ``[table, source_file, column, kind, action, cells, kind_zh, action_zh]``:
            ``kind`` in ``header`` (a whole column dropped by its header, e.g. 身份证号),
            ``name``, ``id_number``, ``mobile``, ``ipv4``, ``geopoint``, ``address``, ``fill_in``;
            ``action`` in ``dropped``, ``masked``, ``hashed``, ``emptied``; ``cells`` the
            number of cells concerned.

        Examples
        --------
        >>> from pufa_metrics import privacy
        >>> w = schema.coerce(pd.DataFrame({"table": ["events"], "source_file": ["a.csv"],
        ...     "column": ["备注"], "reason": [privacy.removal_reason("mobile", "masked", 2)]}),
        ...     "rejected")
        >>> Dataset(warnings=w).removed_personal_data()[["column", "kind", "cells"]
        ...     ].values.tolist()
        [['备注', 'mobile', 2]]
        """
        return privacy.removal_summary(self.warnings)

    def summary(self) -> str:
        """A short text summary: rows per table, files read, rejected rows and warnings."""
        lines = ["pufa_metrics Dataset"]
        for name in (*_DATASET_TABLES, "geometry"):
            frame = getattr(self, name)
            if frame is None:
                continue
            lines.append(f"  {name:<18}{len(frame):>5} rows")
        files = self.files
        n_err = int((files["status"] != "ok").sum()) if len(files) else 0
        n_rows = int(self.rejected["source_row"].notna().sum()) if len(self.rejected) else 0
        lines.append(
            f"  files: {len(files)} ({n_err} not ok); rejected problems: {len(self.rejected)} "
            f"({n_rows} with a row number); warnings: {len(self.warnings)}"
        )
        removed = self.removed_personal_data()
        if len(removed):
            lines.append(
                f"  personal data removed 已移除个人信息: {int(removed['cells'].sum())} cells in "
                f"{removed['source_file'].nunique()} files (see removed_personal_data())"
            )
        return "\n".join(lines)

    # -- Parquet --------------------------------------------------------------------------------
    def to_parquet(self, path: str | os.PathLike, *, settings: Settings | None = None) -> Path:
        """Write every table to ``path`` as Parquet, atomically, with no personal data.

        Everything is written into a temporary sibling directory which then replaces ``path``,
        so a failure part-way leaves the previous output intact. Files in ``path`` that are not
        part of a dataset (e.g. ``.gitkeep``) are kept.

        Personal data is checked once more on the way out (the readers already removed it, so
        this only matters for a Dataset built by hand): text is masked and identifiers holding
        personal data are replaced by their salted hash (:func:`pufa_metrics.privacy.scrub`),
        each removal recorded in the written ``warnings``. The object itself is not changed.

        Parameters
        ----------
        path : str or Path
            The output folder (``data/processed``).
        settings : Settings, optional
            For the salt of the hash (``PUFA_SALT`` or ``[privacy] salt``); default the
            built-in salt unless ``PUFA_SALT`` is set.

        Returns
        -------
        Path
            The output directory.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"'path' should be a folder path, got {type(path).__name__}")
        target = Path(path)
        if target.exists() and not target.is_dir():
            raise ValueError(f"'path' should be a folder, got the file {str(target)!r}")
        salt = privacy.salt_of(settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        _recover(target)
        frames: dict[str, pd.DataFrame] = {}
        found: list[pd.DataFrame] = []
        for name in (*_DATASET_TABLES, "rejected", "warnings", "files"):
            frame = getattr(self, name)
            if frame is None:
                continue
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"Dataset.{name} should be a DataFrame or None, got {type(frame).__name__}"
                )
            lists = name in ("rejected", "warnings", "files")
            frame, removed = privacy.scrub(
                frame, ids=() if lists else _ID_COLUMNS, salt=salt,
                skip=("table", "source_file", "reason") if name == "warnings" else (
                    "table", "source_file"),
            )
            frames[name] = frame
            if len(removed):
                found += [_problems([pd.NA], column, [pd.NA], privacy.removal_reason(
                    kind, action, int(cells), why="found when saving 保存时发现")).assign(
                        table=name, source_file="")
                    for column, kind, action, cells in removed.itertuples(index=False)]
        if found:
            frames["warnings"] = _concat_problems([frames["warnings"], *found])
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            manifest = {"format": "pufa_metrics.Dataset", "version": 1, "tables": {},
                        "meta": dict(self.meta)}
            for name, frame in frames.items():
                tuples = [
                    c for c in frame.columns
                    if frame[c].dtype == object
                    and frame[c].map(lambda v: isinstance(v, tuple)).any()
                ]
                frame.to_parquet(tmp / f"{name}.parquet")
                manifest["tables"][name] = {"file": f"{name}.parquet", "tuple_columns": tuples}
            if self.geometry is not None:
                self.geometry.to_parquet(tmp / "geometry.parquet")
                manifest["tables"]["geometry"] = {"file": "geometry.parquet", "tuple_columns": []}
            (tmp / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
            ours = {f"{n}.parquet" for n in (*_DATASET_TABLES, "rejected", "warnings", "files",
                                              "geometry")} | {_MANIFEST}
            _swap_in(tmp, target, ours)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def from_parquet(cls, path: str | os.PathLike) -> Dataset:
        """Read a dataset written by :meth:`to_parquet` (dtypes and tuples restored)."""
        folder = Path(path)
        _recover(folder)
        manifest_path = folder / _MANIFEST
        if not manifest_path.is_file():
            raise ValueError(
                f"'path' {str(folder)!r} is not a saved Dataset (no {_MANIFEST}); write one with "
                "Dataset.to_parquet or `pufa build`（不是已保存的数据集目录）"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        values: dict[str, Any] = {}
        for name, info in manifest["tables"].items():
            file = folder / info["file"]
            if name == "geometry":
                import geopandas as gpd

                values[name] = gpd.read_parquet(file)
                continue
            frame = pd.read_parquet(file)
            for col in info.get("tuple_columns", []):
                frame[col] = frame[col].map(
                    lambda v: tuple(v.tolist() if hasattr(v, "tolist") else v),
                    na_action="ignore",
                ).astype(object)
            values[name] = frame
        return cls(**values, meta=dict(manifest.get("meta", {})))


def _recover(target: Path) -> None:
    """Put back the previous output if a crash hit between the two renames of :func:`_swap_in`.

    ``_swap_in`` moves the old folder aside (``.<name>.old-…``) and then moves the new one in; a
    process killed between the two leaves no ``target`` but a complete old copy, which is
    restored here (the newest one holding a manifest).
    """
    if target.exists():
        return
    olds = [p for p in target.parent.glob(f".{target.name}.old-*") if (p / _MANIFEST).is_file()]
    if olds:
        newest = max(olds, key=lambda p: p.stat().st_mtime)
        os.replace(newest, target)


def _swap_in(tmp: Path, target: Path, ours: set[str]) -> None:
    """Replace ``target`` by ``tmp``; keep entries of the old target that are not ours."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{tmp.name[-8:]}"
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)
        raise
    for entry in old.iterdir():  # foreign files (.gitkeep, notes) move over
        if entry.name not in ours:
            shutil.move(str(entry), str(target / entry.name))
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# A folder
# --------------------------------------------------------------------------------------------


def _classify_by_name(rel: str) -> str | None:
    name = unicodedata.normalize("NFKC", Path(rel).name).lower()
    if name.endswith(_GEO_SUFFIXES):
        return "geometry"
    for table, words in _NAME_KEYWORDS:
        if any(w.lower() in name for w in words):
            return table
    return None


def _internal_error(source: str, exc: BaseException) -> LedgerError:
    """A file that made the reader fail unexpectedly: reported like a bad file, never raised."""
    return LedgerError(
        source,
        f"读取此文件时程序出错（{type(exc).__name__}）；其他文件已正常读取。请将此文件反馈给维护者",
        f"the reader failed on this file ({type(exc).__name__}: {exc}); the other files were "
        "read. Please report this file to the maintainers",
    )


def _classify_by_headers(path: Path, name: str) -> tuple[str | None, str]:
    """The one ledger table whose required headers a file matches, else (None, why)."""
    try:
        sheets = _read_raw(path, name)
    except LedgerError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - an unreadable file fits no table
        return None, str(_internal_error(name, exc))
    fits = []
    for table in LEDGER_TABLES:
        spec = schema.TABLES[table]
        for s in sheets:
            grid, _ = _fill_merges(s, _HEADER_SCAN_ROWS + 1)
            h = _find_header(grid, table)
            if h is None:
                continue
            cols = {_match(n, table) for n in h.names}
            ok = all(
                c in cols
                or (c == "village_id" and "village_name" in cols)
                or (c == "topic" and "title" in cols)
                or (c == "person_id" and any(_is_personal(n) for n in h.names))
                for c in spec.required
            )
            if ok:
                fits.append((h.score, table))
                break
    if not fits:
        return None, "no table's required headers found 未匹配任何表的必需列"
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][0] == fits[1][0]:
        return None, f"headers fit several tables 表头可对应多张表: {fits[0][1]}, {fits[1][1]}"
    return fits[0][1], ""


def _list_files(folder: Path) -> list[tuple[str, Path]]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith((".", "~$", "__")) for part in rel.parts) or not p.is_file():
            continue
        low = p.name.lower()
        if low.startswith("readme") or low.endswith((".md", ".txt", ".rst")):
            continue
        out.append((rel.as_posix(), p))
    stems_shp = {rel.rsplit(".", 1)[0] for rel, _ in out if rel.lower().endswith(".shp")}
    return [
        (rel, p)
        for rel, p in out
        if not (p.suffix.lower() in _SHP_COMPANIONS and rel.rsplit(".", 1)[0] in stems_shp)
    ]


def _file_row(stats: dict | None, *, table, source, status="ok", message="") -> dict:
    row = {
        "table": table,
        "source_file": source,
        "sheet": None,
        "preamble_rows": 0,
        "data_rows": 0,
        "loaded": 0,
        "rejected": 0,
        "non_data": 0,
    }
    if stats:
        row.update({k: stats.get(k, row.get(k)) for k in row})
    row["status"] = status
    row["message"] = message
    return row


def _error_problem(table: str | None, source: str, message: str) -> pd.DataFrame:
    prob = _problems([pd.NA], None, [pd.NA], message)
    prob["table"] = table if table else "unknown"
    prob["source_file"] = source
    return schema.coerce(prob, "rejected")


def _qualify_colliding_ids(frames: list[pd.DataFrame], topics: list[pd.DataFrame | None],
                           key: str, warn_parts: list[pd.DataFrame], table: str):
    """Ids repeated across files: prefix the later file's ids with its name (and warn)."""
    seen: set[str] = set()
    for i, frame in enumerate(frames):
        ids = frame[key].dropna()
        clash = _isin(ids, seen)
        if clash.any():
            source = frame["source_file"].iloc[0]
            stem = source.rsplit(".", 1)[0]
            old = frame[key]
            frames[i] = frame.assign(**{key: (stem + ":" + old.astype(str)).where(old.notna())})
            if topics[i] is not None:
                mapping = dict(zip(old, frames[i][key], strict=True))
                topics[i] = topics[i].assign(event_id=topics[i]["event_id"].map(mapping))
            prob = _problems([pd.NA], key, [pd.NA],
                             f"{key} repeats another file's; prefixed with the file name "
                             f"编号与其他文件重复，已加文件名前缀 ({int(clash.sum())} ids)")
            prob["table"] = table
            prob["source_file"] = source
            warn_parts.append(prob)
            ids = frames[i][key].dropna()
        seen.update(ids.tolist())
    return frames, topics


def _cross_ledger_duplicates(events: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Events repeated in another ledger (same date, village, first topic and title or attendees).

    Returns a mask of rows to drop and their problems; the first ledger (by name) keeps the event.
    """
    drop = pd.Series(False, index=events.index)
    parts = []
    base = events.assign(_v=events["village_id"].fillna("\x00"))
    for extra in ("title", "attendees"):  # two rules
        sub = base[base[extra].notna() & base["date"].notna() & base["topic"].notna() & ~drop]
        if sub.empty:
            continue
        keys = ["date", "_v", "topic", extra]
        first_file = sub.groupby(keys, sort=False)["source_file"].transform("first")
        first_row = sub.groupby(keys, sort=False)["source_row"].transform("first")
        dup = sub.duplicated(keys, keep="first") & (sub["source_file"] != first_file)
        if dup.any():
            hit = sub[dup]
            reason = (
                "duplicate of " + first_file[dup] + " row " + first_row[dup].astype(str)
                + " 与" + first_file[dup] + "第" + first_row[dup].astype(str) + "行重复"
            )
            prob = _problems(hit["source_row"], extra, hit[extra].astype(str).to_numpy(), reason)
            prob["table"] = "events"
            prob["source_file"] = hit["source_file"].to_numpy()
            parts.append(prob)
            drop[hit.index] = True
    probs = pd.concat(parts, ignore_index=True) if parts else _empty_problems()
    return drop, probs


def _read_geometry(path: Path, source: str, reg: _Register | None):
    try:
        import geopandas as gpd
    except ImportError as exc:  # pragma: no cover - the geo extra is installed in the project
        raise LedgerError(source, "读取村界需要安装 geopandas（pip install pufa_metrics[geo]）",
                          "reading boundaries needs geopandas: pip install 'pufa_metrics[geo]'"
                          ) from exc
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise LedgerError(source, "无法读取村界文件（GeoJSON/GeoPackage/Shapefile）",
                          f"cannot read the boundary file ({type(exc).__name__}: {exc})") from exc
    warn_parts = []
    if gdf.crs is None:
        warn_parts.append(_problems([pd.NA], "geometry", [pd.NA],
                                    "no coordinate system given, EPSG:4326 assumed 未注明坐标系"))
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    idx = pd.RangeIndex(1, len(gdf) + 1)
    props = {schema.normalize_header(c): c for c in gdf.columns if c != gdf.geometry.name}
    id_col = next((props[k] for k in ("village_id", "id", "code", "村编码", "村居编码")
                   if k in props), None)
    name_col = next((props[k] for k in ("village_name", "name", "名称", "村名", "村(社区)")
                     if k in props), None)
    if id_col is None and name_col is None:
        raise LedgerError(source, "村界要素缺少 village_id 或 village_name 属性",
                          "features have no village_id or village_name property")
    ids = gdf[id_col].astype("str").set_axis(idx) if id_col else None
    names = gdf[name_col].astype("str").set_axis(idx) if name_col else None
    match = _match_villages(names, ids, reg, idx)
    status = match["status"]
    empty = pd.Series(gdf.geometry.is_empty.to_numpy() | gdf.geometry.isna().to_numpy(), index=idx)
    probs = []
    bad = status.isin(["unknown", "unknown_id", "ambiguous", "several", "town", "blank"])
    if bad.any():
        shown = (ids if ids is not None else names)[bad]
        probs.append(_problems(idx[bad], id_col or name_col, shown.to_numpy(),
                               "unknown village 未知村（社区）: " + shown.astype(str)
                               + "; expected one of the register"))
    if (empty & ~bad).any():
        probs.append(_problems(idx[empty & ~bad], "geometry", None, "empty geometry 无边界"))
    ok = ~bad & ~empty
    vid = match["village_id"]
    dup = vid.duplicated(keep="first") & ok
    if dup.any():
        probs.append(_problems(idx[dup], "village_id", vid[dup].to_numpy(),
                               "duplicate village_id 编号重复"))
    ok &= ~dup
    out = gpd.GeoDataFrame(
        {"village_id": vid[ok].astype("str").to_numpy()},
        geometry=gdf.geometry.to_numpy()[ok.to_numpy()],
        crs=gdf.crs,
    )
    n_rej = int((~ok).sum())
    stats = {"table": "geometry", "source_file": source, "sheet": None, "preamble_rows": 0,
             "data_rows": len(gdf), "loaded": int(ok.sum()), "rejected": n_rej, "non_data": 0}
    rejected = _finish_problems(probs, table="geometry", source_file=source)
    warnings = _finish_problems(warn_parts, table="geometry", source_file=source)
    return out, rejected, warnings, stats


def load_dataset(
    path: str | os.PathLike = RAW_DIR,
    *,
    settings: Settings | None = None,
    progress: bool | None = None,
) -> Dataset:
    r"""Read every recognised ledger in a folder into a :class:`Dataset`.

    Files are assigned to tables by the ``[files]`` globs of ``pufa.toml``, else by keywords in
    their names (``events``/台账/活动 → events; ``villages``/村居/基本信息/村（社区） → villages;
    ``sites``/阵地; 问卷/``survey``/``responses``; ``codebook``/编码表/题目; ``cadres``/学法/干部;
    法律明白人; 法律顾问/``adviser``; ``*.geojson``/``*.gpkg``/``*.shp``/村界 → geometry), else by
    which table's required headers they match. The village register is read first and every
    other table is matched against it. Several ledgers of one table are concatenated (files in
    name order); an event repeated in a later ledger (same date, village and first topic, and the
    same title or attendance) is rejected as a duplicate of the first. A file that cannot be read
    is recorded (``files`` status ``error`` and a row in ``rejected`` without a row number) and
    the other files are still read. README, .md and .txt files and hidden files are ignored.

    Parameters
    ----------
    path : str or Path
        The folder, searched recursively; default ``data/raw``. ``source_file`` is the path
        relative to it.
    settings : Settings, optional
        Default ``Settings.load()`` (the project's ``pufa.toml``).
    progress : bool, optional
        Show a progress bar (on stderr) while a large file (more than 50,000 rows) is read.
        Default: only when stderr is a terminal, or when the environment variable
        ``PUFA_PROGRESS=1`` forces it (``PUFA_PROGRESS=0`` turns it off).

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "villages.csv").write_text(
    ...     "村编码,村（社区）,常住人口\nV01,大岭村,1200\nV02,公园社区,3400\n", encoding="utf-8")
    >>> _ = (folder / "events_2021.csv").write_text(
    ...     "日期,地点,宣传内容\n2021-09-09,公园,宪法\n2021-09-10,全镇,禁毒\n", encoding="utf-8")
    >>> ds = load_dataset(folder)
    >>> ds.events[["village_id", "village_name", "topic"]].fillna("").values.tolist()
    [['V02', '公园社区', '宪法'], ['', '全镇', '禁毒']]
    >>> ds.reconciliation()[["source_file", "data_rows", "loaded"]].values.tolist()
    [['events_2021.csv', 2, 2], ['villages.csv', 2, 2]]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"'path' should be a folder path, got {type(path).__name__}")
    folder = Path(path)
    if not folder.is_dir():
        state = "is a file" if folder.exists() else "does not exist"
        raise ValueError(
            f"'path' should be a folder of ledgers, got {str(folder)!r}, which {state}"
            "（应为存放台账的文件夹）"
        )
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings object, got {type(settings).__name__}")
    settings = settings if settings is not None else Settings.load()
    today = pd.Timestamp.today().normalize()

    file_rows: list[dict] = []
    rejected_parts: list[pd.DataFrame] = []
    warn_parts: list[pd.DataFrame] = []
    by_table = _assign_files(folder, settings, file_rows, warn_parts)

    def record_error(table: str, rel: str, exc: Exception) -> None:
        message = privacy.mask_text(str(exc))
        file_rows.append(_file_row(None, table=table, source=rel, status="error",
                                   message=message))
        rejected_parts.append(_error_problem(table, rel, message))

    # -- ledgers: the register first, then every other table matched against it ----------------
    values: dict[str, Any] = {}
    stats_of: dict[str, dict] = {}
    topics_all = schema.empty_frame("event_topics")
    register = None
    for table in LEDGER_TABLES:
        results: list[ReadResult] = []
        for rel, p in by_table.get(table, []):
            try:
                res = _read_table(p, table=table, villages=register, settings=settings,
                                  today=today, source_name=rel, progress=progress)
            except LedgerError as exc:
                record_error(table, rel, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one broken file never stops the others
                record_error(table, rel, _internal_error(rel, exc))
                continue
            results.append(res)
            rejected_parts.append(res.rejected)
            warn_parts.append(res.warnings)
            stats_of[rel] = dict(res.stats)
        if not results:
            if table == "villages" and by_table:
                warn_parts.append(_error_problem("villages", "", (
                    "no village register read 未读取到村（社区）基本信息表; village names are kept "
                    "as written and not matched"
                )))
            continue
        frames = [r.frame for r in results]
        topics = [r.event_topics for r in results]
        key = {"events": "event_id", "sites": "site_id"}.get(table)
        if key:
            frames, topics = _qualify_colliding_ids(frames, topics, key, warn_parts, table)
        frame = pd.concat(frames, ignore_index=True)
        frame, dup = _drop_duplicate_keys(frame, table)
        drops = [dup]
        if table == "events":
            again, probs = _cross_ledger_duplicates(frame)
            drops.append(probs)
            frame = frame[~again]
            kept = frame["event_id"]
            pairs = [t for t in topics if t is not None]
            if pairs:
                topics_all = pd.concat(pairs, ignore_index=True)
                topics_all = topics_all[_isin(topics_all["event_id"], kept)].reset_index(
                    drop=True)
        for prob in drops:
            if len(prob):
                rejected_parts.append(prob)
                for src, n in prob["source_file"].value_counts().items():
                    stats_of[src]["rejected"] += int(n)
                    stats_of[src]["loaded"] -= int(n)
        frame = frame.reset_index(drop=True)
        values[table] = frame
        if table == "villages":
            register = frame
    for st in stats_of.values():
        file_rows.append(_file_row(st, table=st["table"], source=st["source_file"]))

    # -- surveys (pufa_metrics.survey_io) ------------------------------------------------------
    if by_table.get("responses") or by_table.get("codebook"):
        _load_surveys(by_table.get("responses", []), by_table.get("codebook", []), register,
                      settings, values, file_rows, rejected_parts, warn_parts)

    # -- village boundaries --------------------------------------------------------------------
    geoms = []
    reg = _register(register) if register is not None else None
    for rel, p in by_table.get("geometry", []):
        try:
            gdf, rej, wrn, st = _read_geometry(p, rel, reg)
        except LedgerError as exc:
            record_error("geometry", rel, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken file never stops the others
            record_error("geometry", rel, _internal_error(rel, exc))
            continue
        geoms.append(gdf)
        rejected_parts.append(rej)
        warn_parts.append(wrn)
        file_rows.append(_file_row(st, table="geometry", source=rel))
    if geoms:
        import geopandas as gpd

        merged = gpd.GeoDataFrame(pd.concat(geoms, ignore_index=True), crs=4326)
        values["geometry"] = merged[~merged["village_id"].duplicated()].reset_index(drop=True)

    # a last pass over every list a user sees: nothing personal is quoted in a problem or message
    rejected, notes = _scrub_problems(_concat_problems(rejected_parts), "rejected rows 未导入行")
    warnings, more = _scrub_problems(_concat_problems(warn_parts), "warnings 提示")
    if notes or more:
        extra = _finish_problems(notes + more, table="unknown", source_file="")
        warnings = pd.concat([warnings, extra], ignore_index=True)
    files = _files_frame(file_rows)
    files["message"] = files["message"].map(privacy.mask_text, na_action="ignore").astype("str")
    return Dataset(
        villages=values.get("villages", schema.empty_frame("villages")),
        events=values.get("events", schema.empty_frame("events")),
        event_topics=topics_all,
        sites=values.get("sites", schema.empty_frame("sites")),
        responses=values.get("responses", schema.empty_frame("responses")),
        codebook=values.get("codebook", schema.empty_frame("codebook")),
        cadres=values.get("cadres", schema.empty_frame("cadres")),
        legal_literates=values.get("legal_literates"),
        adviser_visits=values.get("adviser_visits"),
        geometry=values.get("geometry"),
        rejected=rejected,
        warnings=warnings,
        files=files,
        meta={"synthetic": (folder / _SYNTHETIC_MARKER).is_file()},
    )


def _assign_files(folder: Path, settings: Settings, file_rows: list[dict],
                  warn_parts: list[pd.DataFrame]) -> dict[str, list[tuple[str, Path]]]:
    """Files of a folder grouped by table ([files] globs, then name keywords, then headers)."""
    known = (*LEDGER_TABLES, "responses", "codebook", "geometry")
    for table in settings.files:
        if table not in known:
            raise ValueError(
                f"settings [files] names an unknown table {table!r}; known tables are "
                f"{list(known)}（[files] 中的表名无效）"
            )
    by_table: dict[str, list[tuple[str, Path]]] = {}
    for rel, p in _list_files(folder):
        table = next((t for t, globs in settings.files.items()
                      if any(fnmatch(rel, g) or fnmatch(p.name, g) for g in globs)), None)
        table = table or _classify_by_name(rel)
        why = ""
        if table is None and p.suffix.lower() in _TABLE_SUFFIXES:
            table, why = _classify_by_headers(p, rel)
        elif table is None:
            why = f"unsupported file type 不支持的文件类型 ({p.suffix or 'no extension'})"
        if table is None:
            file_rows.append(_file_row(None, table="unknown", source=rel, status="unrecognised",
                                       message=why))
            warn_parts.append(
                _error_problem(None, rel, f"file fits no table 无法识别的文件: {why}")
            )
            continue
        by_table.setdefault(table, []).append((rel, p))
    return by_table


def _concat_problems(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [schema.coerce(p, "rejected")[list(schema.REJECTED.columns)] for p in parts if len(p)]
    if not parts:
        return schema.empty_frame("rejected")
    return pd.concat(parts, ignore_index=True)


def _files_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_files()
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["source_file"], kind="stable").reset_index(drop=True)
    return frame[list(_FILES_COLUMNS)].astype(_FILES_COLUMNS)


def _load_surveys(survey_files, codebook_files, register, settings, values, file_rows,
                  rejected_parts, warn_parts) -> None:
    try:
        from . import survey_io
    except ImportError as exc:
        message = (
            "问卷读取模块 pufa_metrics.survey_io 不可用 / the survey reader "
            f"pufa_metrics.survey_io is not available ({exc})"
        )
        for rel, _ in [*survey_files, *codebook_files]:
            file_rows.append(_file_row(None, table="responses", source=rel, status="error",
                                       message=message))
            rejected_parts.append(_error_problem("responses", rel, message))
        return
    for rel, _ in codebook_files[1:]:
        warn_parts.append(_error_problem("codebook", rel,
                                         "more than one codebook; only the first is used "
                                         "多个编码表，只使用第一个"))
    codebook, codebook_error = None, None
    if codebook_files:  # checked once: a broken codebook is one error, not one per survey file
        rel, p = codebook_files[0]
        try:
            survey_io.read_codebook(p)
            codebook = p
        except Exception as exc:  # noqa: BLE001 - reported, the surveys are read without it
            error = exc if isinstance(exc, ValueError) else _internal_error(rel, exc)
            codebook_error = privacy.mask_text(str(error))
            file_rows.append(_file_row(None, table="codebook", source=rel, status="error",
                                       message=codebook_error))
            rejected_parts.append(_error_problem("codebook", rel, codebook_error))
    responses, codebooks = [], []
    for rel, p in survey_files:
        try:
            res = survey_io._read_survey(p, codebook=codebook, villages=register,
                                         settings=settings)
        except Exception as exc:  # noqa: BLE001 - LedgerError, input errors, or a reader bug
            error = exc if isinstance(exc, ValueError) else _internal_error(rel, exc)
            message = privacy.mask_text(str(error))
            file_rows.append(_file_row(None, table="responses", source=rel, status="error",
                                       message=message))
            rejected_parts.append(_error_problem("responses", rel, message))
            continue
        responses.append(res.responses)
        codebooks.append(res.codebook)
        rejected_parts.append(res.rejected)
        warn_parts.append(res.warnings)
        file_rows.append(_file_row(dict(res.stats), table="responses", source=rel))
    for k, (rel, _) in enumerate(codebook_files):
        if k == 0 and codebook_error is not None:
            continue
        used = "used as the codebook 用作问卷编码表" if survey_files and k == 0 else (
            "codebook without survey responses 没有问卷数据，编码表未使用" if not survey_files
            else "a second codebook, not used 多余的编码表，未使用")
        file_rows.append(_file_row(None, table="codebook", source=rel, status="ok",
                                   message=used))
    if responses:
        frames = [r.copy() for r in responses]
        seen: set[str] = set()
        for i, frame in enumerate(frames):  # response ids repeated across files
            ids = frame["response_id"].dropna().astype(str)
            if _isin(ids, seen).any():
                source = str(frame["source_file"].iloc[0])
                stem = source.rsplit(".", 1)[0]
                frames[i] = frame.assign(response_id=stem + ":" + frame["response_id"].astype(str))
                warn_parts.append(_error_problem(
                    "responses", source, "response_id repeats another file's; prefixed with the "
                    "file name 答卷编号与其他文件重复，已加文件名前缀"))
            seen.update(frames[i]["response_id"].dropna().astype(str).tolist())
        values["responses"] = pd.concat(frames, ignore_index=True)
        book = pd.concat(codebooks, ignore_index=True)
        values["codebook"] = book.drop_duplicates("item").reset_index(drop=True)
