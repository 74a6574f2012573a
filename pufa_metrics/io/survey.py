"""Read survey exports as they come: 问卷星 (wjx), KoboToolbox, ODK, or a plain table.

Awareness and support surveys in Chinese towns are mostly run on 问卷星 and exported to Excel;
some programmes use KoboToolbox or ODK. :func:`read_survey` turns any of these exports into

- ``responses``: the canonical columns of ``schema.RESPONSES`` (``response_id, village_id,
  village_name, date, gender, age, age_group, weight, source_file, source_row``), then one ``str``
  column per survey item;
- ``codebook``: one row per item ``[item, text, domain, positive, negative, missing, correct,
  options, kind]``, guessed from the wording and the answers, overridden item by item by a
  codebook file the analyst corrects (:func:`write_codebook` / :func:`read_codebook`). Positive
  answers follow ``pufa.toml`` ``[survey]`` by the top-2 rule on the item's own levels
  (:func:`classify_levels`); ``negative`` stays empty unless the file gives 否定答案, and the
  rates then take ``[survey]``'s negative lists;
- ``rejected``: rows that could not be loaded, with the reason (``schema.REJECTED`` columns).

Items
-----
- 问卷星: a question header ``4、您是否知道《民法典》？`` becomes item ``q4`` (its text goes to the
  codebook). Kobo / ODK: the field name without its group prefix (``grp/q1`` and ``grp-q1`` give
  ``q1``); headers that are labels rather than names are numbered ``q1, q2, …``.
- Single choice (``kind="single"``): the answer label. 问卷星 "按序号" exports give option numbers;
  they become labels when the codebook file lists the options (选项), else they stay numbers and a
  warning says so.
- Multiple choice (``kind="multiple"``): one item per option, named ``<item>_<option>``
  (``q7_网络``, ``q3_lecture``), valued :data:`SELECTED` (选中) or :data:`NOT_SELECTED` (未选中);
  positive is ``("选中",)``, so each option's rate is the share that chose it, and the domain is
  ``other`` unless the codebook file gives one. It is read from a ``A┋B`` (问卷星) or
  space-separated (Kobo/ODK) cell, or from one 0/1 column per option (问卷星 按序号
  ``第7题(网络)`` or ``7(网络)``, SPSS-style ``Q7_1``, Kobo ``grp/q3/a``); when both are present
  the 0/1 columns win and a disagreement is reported. Options are named by label (not position)
  because a text export only shows the options someone chose, so the two 问卷星 exports of one
  survey give the same items. An option text may hold brackets (``第8题(ACG文化(动漫、游戏等))``):
  the label runs to the last ``)``. ``Q7_1`` columns are labelled by the codebook's options of
  ``q7`` (option 1, 2, …); without them they keep their number and a warning says so.
- Matrix (``kind="matrix"``): one item per row, ``q8_1, q8_2, …`` in column order. 问卷星 heads
  only the first row ``8、题干—行1``; the columns after it headed by a bare row label belong to
  the same question.
- Free text (填空, ``kind="text"``): kept as text, ``domain="other"`` and ``positive=()``: not a
  rate item.
- Demographic questions (您所在的村（社区）, 性别, 年龄/年龄段) fill the canonical columns, not
  items; 性别 is written 男/女 (male/female too). Age groups written as text (``"18-29岁"``,
  ``"60岁及以上"``) are kept as written, so that they match the population margins the analyst
  rakes to; a numeric age fills ``age`` and ``age_group`` is derived from it as ``18-29``,
  ``30-44``, ``45-59``, ``60+`` (``<18`` below). Answered by option number (按序号), the village,
  性别 and 年龄段 answers become labels through the codebook's options; without them the numbers
  are kept (never guessed) and a warning says so.

Columns
-------
Every column of the export is accounted for in ``SurveyResult.columns``: used (as a canonical
column or as items) or not used, with the reason ``personal data removed``, ``metadata``,
``empty`` or ``unknown header``.

Privacy
-------
IP addresses, phone numbers, names, ID numbers, addresses, WeChat/QQ, device and GPS fields never
leave the reader: such columns are dropped by header, and any item column where a value looks like
a mobile number, an 18-digit ID number with a valid GB 11643 check digit, an IPv4 address, a GPS
point, a street address or a labelled name is dropped too (the detectors live in
:mod:`pufa_metrics.privacy`, shared with the ledger reader; see :func:`find_personal_data`). Such
values in a demographic answer are emptied; what is left in the kept text (an address typed as the
village) is masked, and a response id holding personal data is replaced by its salted hash. Text
typed into an "其他〖…〗" box of a choice question is removed, and so are free-text answers to a
question known only by a variable name (``Q1`` with no codebook wording: it may ask for the
name). The ``warnings`` table of :func:`read_survey_result` names each removal (column, kind,
number of cells, and a reason ending in ``[pii:<kind>:<action>:<cells>]``), never the values.

Files are read by :func:`pufa_metrics.io.workbook.read_raw`, so a broken export gets the ledger
reader's specific message; villages are matched by :func:`pufa_metrics.io.villages.match_villages`.

Assumptions not checked against a vendor document: 问卷星 writes ``(跳过)`` for a question skipped
by logic and ``(空)`` for an empty answer; its "按序号" layout writes ``-3`` for skipped and ``-2``
for empty; ODK ``SubmissionDate`` carries a time zone and is converted to China time (UTC+8).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook

from .. import privacy
from .._common import atomic_path
from ..config import Settings
from ..privacy import find_personal_data
from ..schema import (
    NOT_SELECTED,
    SELECTED,
    coerce,
    empty_frame,
    match_header,
    normalize_header,
)
from .problems import LedgerError
from .villages import build_register, check_villages, match_villages
from .workbook import read_raw

#: Rate domains of a codebook; items that fit none get ``"other"`` and are not rate items.
DOMAINS: tuple[str, ...] = ("awareness", "knowledge", "support", "satisfaction")

OTHER = "other"

#: Question kinds in the codebook.
KINDS: tuple[str, ...] = ("single", "multiple", "matrix", "text")

#: Columns of the codebook frame, in order.
CODEBOOK_COLUMNS: tuple[str, ...] = (
    "item", "text", "domain", "positive", "negative", "missing", "correct", "options", "kind",
)

#: Columns of a codebook that hold lists of answers (tuples in a frame, 、-joined in a file).
_LIST_COLUMNS: tuple[str, ...] = ("positive", "negative", "missing", "options")

#: How :func:`classify_levels` classes an answer level.
LEVEL_CLASSES: tuple[str, ...] = ("positive", "negative", "missing", "unclassified")

#: Answers of yes/no form that fit every domain: they never tell the domain by themselves.
_YES_NO = frozenset({"是", "否", "有", "没有", "无", "不是"})

#: Columns of the warnings table: those of ``schema.REJECTED`` (as io.py's warnings; ``value``
#: always empty: a warning never carries a cell's value) plus a short ``code``.
WARNING_COLUMNS: tuple[str, ...] = (
    "table", "source_file", "source_row", "column", "value", "reason", "code",
)

FORMATS: tuple[str, ...] = ("auto", "wjx", "kobo", "odk", "plain")

#: Columns of ``SurveyResult.columns``: what became of each column of the export.
COLUMN_RECORD_COLUMNS: tuple[str, ...] = ("source_file", "column", "used_as", "reason")

#: Reasons a column of the export is not used.
PERSONAL_REMOVED = "personal data removed"

METADATA = "metadata"

EMPTY = "empty"

UNKNOWN_HEADER = "unknown header"

_SKIPPED = "(跳过)"

_SKIP_MARKERS = ("(跳过)", "（跳过）", "-3")

_BLANK_MARKERS = ("(空)", "（空）", "-2")

_DONT_KNOW = ("不知道", "不清楚", "说不清")

_CST = timezone(timedelta(hours=8))

_PERSONAL_EXACT = privacy.PERSONAL_EXACT

_GPS_PART = privacy.GPS_PART

_OPINION_WORDS = privacy.OPINION_WORDS

_VILLAGE_WORDS = privacy.VILLAGE_WORDS

#: Kinds that empty a demographic answer (an address in the village answer is masked later,
#: after the village is matched, so that "大岭村3组12号" still counts for 大岭村).
_DEMOGRAPHIC_KINDS = ("id_number", "mobile", "ipv4", "geopoint", "name")


def _personal_header(text: str, *, question: bool) -> bool:
    """Whether a header names personal data (questions: unless worded as an opinion)."""
    return privacy.asks_for_personal_data(text, question=question)


def _personal_masks(values: pd.Series) -> dict[str, pd.Series]:
    """Per kind of personal data, which values contain it (same index as ``values``)."""
    return privacy.personal_masks(values)


def _cells(series: pd.Series) -> int:
    """Non-empty cells of a column (what a removal record counts)."""
    text = series.astype("str").str.strip()
    return int((text.notna() & text.ne("")).sum())


@dataclass(frozen=True)
class SurveyResult:
    """Everything :func:`read_survey_result` learnt from one export.

    Attributes
    ----------
    responses, codebook, rejected : pandas.DataFrame
        As returned by :func:`read_survey`.
    warnings : pandas.DataFrame
        Columns of ``schema.REJECTED`` plus ``code``: dropped personal-data columns, unmapped
        option numbers, knowledge items without a correct answer, … One row per column
        concerned; ``value`` and ``source_row`` stay empty (column names only, never values).
    stats : dict
        ``{table, source_file, sheet, data_rows, loaded, rejected, non_data}`` with
        ``loaded + rejected + non_data == data_rows``.
    format : str
        The layout read: ``wjx``, ``kobo``, ``odk`` or ``plain``.
    columns : pandas.DataFrame
        One row per column of the export, in file order: ``source_file``, ``column`` (the
        header; masked when the header itself holds personal data), ``used_as`` (the canonical
        column or the items it became, ``", "``-joined; NaN when not used) and ``reason`` (why
        not used: :data:`PERSONAL_REMOVED`, :data:`METADATA`, :data:`EMPTY` or
        :data:`UNKNOWN_HEADER`; NaN when used).
    """

    responses: pd.DataFrame
    codebook: pd.DataFrame
    rejected: pd.DataFrame
    warnings: pd.DataFrame
    stats: dict[str, Any]
    format: str
    columns: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(COLUMN_RECORD_COLUMNS), dtype="str")
    )


@dataclass
class _Question:
    """One question of an export, before its values are read."""

    key: str  # item name (q4, q1, …)
    text: str
    kind: str = "auto"  # single / multiple / matrix / text / auto
    column: str | None = None  # single/text column, or the multiple-choice summary column
    options: list[tuple[str, str]] = field(default_factory=list)  # (label, 0/1 column)
    rows: list[tuple[str, str]] = field(default_factory=list)  # matrix (row label, column)
    sep: str = "┋"
    role: str = "item"  # item / village / village_id / gender / age / weight
    indexed: bool = False  # options labelled by number (Q6_1 …) until the codebook names them
    unworded: bool = False  # a bare variable name (Q1) that no codebook puts into words


@dataclass
class _Plan:
    """How the columns of an export are used."""

    questions: list[_Question] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # response_id/date/review/validation
    personal: list[str] = field(default_factory=list)  # dropped by header
    ignored: dict[str, str] = field(default_factory=dict)  # not used: column -> reason


class _Notes:
    """Collects warnings (column names and reasons, never values) and what each column became."""

    def __init__(self, source_file: str) -> None:
        self.source_file = source_file
        self.rows: list[tuple[str, str, str]] = []
        self.used: dict[str, list[str]] = {}  # column -> canonical columns or items
        self.unused: dict[str, str] = {}  # column -> reason

    def add(self, column: str, code: str, message: str) -> None:
        self.rows.append((column, message, code))

    def use(self, column: str | None, name: str) -> None:
        """Record that ``column`` fills the canonical column or item ``name``."""
        if column is not None and name not in self.used.setdefault(column, []):
            self.used[column].append(name)

    def skip(self, column: str, reason: str) -> None:
        """Record that ``column`` is not used, and why (the first reason given stays)."""
        self.unused.setdefault(column, reason)

    def columns(self, headers: list[str]) -> pd.DataFrame:
        """One row per header: what it became (``used_as``) or why it is not used.

        A header nothing was recorded for is reported (warning ``column_ignored``) as an
        unknown header: no column is left out without a word.
        """
        for header in headers:  # one pass over the columns
            if not self.used.get(header) and header not in self.unused:
                self.skip(header, UNKNOWN_HEADER)
                self.add(header, "column_ignored", _ignored_why(UNKNOWN_HEADER))
        used = [", ".join(self.used[h]) if self.used.get(h) else np.nan for h in headers]
        reason = [
            np.nan if self.used.get(h) else self.unused.get(h, UNKNOWN_HEADER) for h in headers
        ]
        return pd.DataFrame({
            "source_file": self.source_file, "column": headers, "used_as": used,
            "reason": reason,
        }, columns=list(COLUMN_RECORD_COLUMNS)).astype("str")

    def removed(self, column: str, code: str, kind: str, action: str, cells: int,
                why: str) -> None:
        """A removal of personal data: kind, action and cell count (never the values)."""
        self.add(column, code, privacy.removal_reason(kind, action, cells, why=why))

    def frame(self) -> pd.DataFrame:
        body = pd.DataFrame(self.rows, columns=["column", "reason", "code"], dtype="str")
        out = coerce(body.assign(table="responses", source_file=self.source_file), "rejected")
        return out[list(WARNING_COLUMNS)]


def _ignored_why(reason: str) -> str:
    """The warning text for a column that is not loaded."""
    return f"{reason}: not a survey question; not loaded（非问卷题目，未导入）"


def _clean(series: pd.Series) -> pd.Series:
    """Strip text, turn blanks and 问卷星's (空) into NaN and unify the (跳过) marker."""
    s = series.astype("str").str.strip()
    s = s.mask(s.eq("") | s.isin(_BLANK_MARKERS[:2]))
    return s.mask(s.eq("（跳过）"), _SKIPPED)


def _drop_fill_in(series: pd.Series) -> tuple[pd.Series, int]:
    """Remove text typed into "其他〖…〗" boxes; say in how many cells there was some."""
    has = series.str.contains("〖", regex=False, na=False)
    if not has.any():
        return series, 0
    return series.str.replace(r"〖[^〗]*〗?", "", regex=True).str.strip(), int(has.sum())

_FILL_IN_WHY = "text typed in 其他〖…〗 was removed（已删除“其他”中填写的文字）"


def _first_seen(values: pd.Series) -> list[str]:
    """Distinct non-missing values in order of first appearance, skip markers left out."""
    v = values.dropna()
    v = v[~v.isin(_SKIP_MARKERS + _BLANK_MARKERS)]
    return v.drop_duplicates().astype("str").tolist()

#: Columns of every responses frame: an item never takes one of these names.
_CANONICAL_COLUMNS = frozenset({
    "response_id", "village_id", "village_name", "date", "gender", "age", "age_group", "weight",
    "source_file", "source_row",
})


def _unique(name: str, taken: dict[str, Any]) -> str:
    """``name``, or ``name#2``, ``name#3`` … when it is taken (or a canonical column)."""
    candidate, k = name, 1
    while candidate in taken or candidate in _CANONICAL_COLUMNS:
        k += 1
        candidate = f"{name}#{k}"
    return candidate


def _is_identifier(name: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name) is not None


def _slug(label: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(label)))


def _question_words(text: str) -> str:
    """Header text folded for matching cues (NFKC, no spaces, no trailing colon)."""
    return normalize_header(text).rstrip(":：")


def _read_raw(path: Path) -> tuple[pd.DataFrame, str | None, list[str]]:
    """All cells of the first sheet as text (NaN when empty), indexed by row number in the file.

    The bytes are read by the ledger reader (:func:`pufa_metrics.io.workbook.read_raw`), so a
    survey file that is empty, truncated, password protected, an HTML page or UTF-16 text gets
    the same specific message (a :class:`~pufa_metrics.io.LedgerError` naming the file and the
    fix).
    """
    sheets = read_raw(path, path.name)
    first = sheets[0]
    raw = first.grid
    if not raw.notna().to_numpy().any():
        raise LedgerError(
            path.name,
            "文件中没有任何内容（空表）；请导出含答卷的文件",
            "the file is empty (no cell has a value); export the answers again",
        )
    return raw, first.name, [str(s.name) for s in sheets[1:]]


def _table(raw: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Header row → column names; data rows indexed by their row number in the file.

    Returns the data (blank rows removed), the number of data rows below the header and the
    number of blank ones.
    """
    filled = raw.notna() & raw.astype("str").apply(lambda c: c.str.strip().ne(""))
    counts = filled.sum(axis=1).to_numpy()
    if counts.max(initial=0) == 0:
        return pd.DataFrame(), 0, 0
    head = int(np.argmax(counts >= max(2, int(0.5 * counts.max())))) if counts.max() > 1 else 0
    headers = raw.iloc[head].astype("str").str.strip().where(raw.iloc[head].notna(), "")
    below = filled.iloc[head + 1 :].any(axis=1).to_numpy()
    last = int(np.flatnonzero(below)[-1]) + 1 if below.any() else 0  # trailing blanks left out
    body = raw.iloc[head + 1 : head + 1 + last]
    keep = headers.ne("").to_numpy() | filled.iloc[head + 1 :].any(axis=0).to_numpy()
    names: list[str] = []
    taken: set[str] = set()
    for pos, name in enumerate(headers.tolist()):  # one pass over the columns
        name = name or f"列{pos + 1}"
        unique, k = name, 1
        while unique in taken:  # a repeated header gets #2, #3 …
            k += 1
            unique = f"{name}#{k}"
        taken.add(unique)
        names.append(unique)
    data = body.loc[:, keep].copy()
    data.columns = [n for n, k in zip(names, keep) if k]
    data.index = pd.Index(body.index.astype("int64"), name="source_row")
    blank = ~below[:last]
    return data.loc[~blank], len(body), int(blank.sum())

_WJX_QUESTION = re.compile(r"^\s*(\d+)\s*[、.．]\s*(.*)$", re.S)

#: A 0/1 option column (or a matrix row) of question N: ``第6题(运动)`` or ``6(运动)``. The label
#: runs to the last bracket: ``第8题(ACG文化(动漫、游戏等))`` is option ``ACG文化(动漫、游戏等)``.
_WJX_OPTION = re.compile(r"^\s*(?:第\s*)?(\d+)\s*题?\s*[(（](.*)[)）]\s*$", re.S)

#: SPSS-style variable names: ``Q6`` (question 6) and ``Q6_1`` (its option or row 1).
_SPSS_NAME = re.compile(r"^\s*[Qq](\d+)(?:_(\d+))?\s*$")

#: Headers of 问卷星's own metadata columns (folded), which tell a 问卷星 export.
_WJX_META_NAMES = frozenset({"序号", "提交答卷时间", "所用时间", "来自ip", "来源"})

_WJX_ROW_SEP = re.compile(r"\s*(?:——|—|―|--)\s*")

_WJX_META = {
    "序号": "response_id",
    "答卷编号": "response_id",
    "提交答卷时间": "date",
    "所用时间": "",
    "来源": "",
    "来源详情": "",
    "总分": "",
    "答题时间": "",
}

_KOBO_META = frozenset({
    "start", "end", "today", "audit", "__version__", "_version_", "instanceid",
    "deprecatedid", "_id", "_uuid", "_submission_time", "_validation_status", "_notes",
    "_status", "_tags", "_index", "_parent_index", "_parent_table_name", "_xform_id_string",
    "_attachments", "_media_all_received", "_total_media", "_media_count",
})

_ODK_META = frozenset({
    "submissiondate", "key", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "reviewstate", "deviceid", "edits", "formversion",
    "meta-instanceid", "instanceid", "start", "end", "today", "parent_key",
})

_ZERO_ONE = frozenset({"0", "1"})


def _detect_format(headers: list[str]) -> str:
    norm = {normalize_header(h) for h in headers}
    if norm & {"key", "submissiondate", "meta-instanceid"}:
        return "odk"
    if norm & {"_uuid", "_submission_time", "_index"}:
        return "kobo"
    wjx_q = sum(bool(_WJX_QUESTION.match(h) or _WJX_OPTION.match(h)) for h in headers)
    spss = sum(bool(_SPSS_NAME.match(h)) for h in headers)
    if wjx_q >= 2 or ((wjx_q or spss >= 2) and norm & _WJX_META_NAMES):
        return "wjx"
    grouped = sum("/" in h for h in headers)
    if grouped >= max(2, 0.3 * len(headers)):
        return "kobo"
    return "plain"


def _zero_one(data: pd.DataFrame, columns: list[str], *, need_zero: bool = True) -> bool:
    """All answers in these columns are 0/1 (skip markers aside), with at least one 0."""
    values = pd.concat([data[c] for c in columns]).dropna().astype("str").str.strip()
    seen = set(values.unique()) - set(_SKIP_MARKERS) - set(_BLANK_MARKERS) - {""}
    return bool(seen) and seen <= _ZERO_ONE and ("0" in seen or not need_zero)


def _plan_wjx(data: pd.DataFrame, book: dict[str, dict[str, Any]]) -> _Plan:
    """Plan a 问卷星 export (按选项文本 or 按序号), or one with SPSS-style names ``Q6_1``.

    Questions are ``N、题干`` columns; ``第N题(选项)`` / ``N(选项)`` / ``QN_k`` columns are the 0/1
    options of a multiple-choice question N, or the rows of a matrix; columns headed by a bare
    label right after a ``N、题干—行`` column are further rows of that matrix.
    """
    plan = _Plan()
    stems: dict[int, list[tuple[str, str]]] = {}
    parens: dict[int, list[tuple[str, str]]] = {}
    indexed: set[int] = set()
    order: list[int] = []
    matrix: int | None = None  # the matrix whose bare row labels may follow
    for column in data.columns:  # one pass over the columns
        number, follows = None, None
        role = _WJX_META.get(column.strip(), None)
        option = _WJX_OPTION.match(column)
        question = _WJX_QUESTION.match(column)
        spss = _SPSS_NAME.match(column)
        if role is not None:
            if role and role not in plan.meta:
                plan.meta[role] = column
            else:
                plan.ignored[column] = METADATA
        elif normalize_header(column) in ("weight", "权重"):
            plan.questions.append(_Question("weight", column, column=column, role="weight"))
        elif option and ("〖" in column or "〗" in column):
            plan.ignored[column] = PERSONAL_REMOVED  # "其他" fill-in text box: never kept
        elif option:
            number = int(option.group(1))
            parens.setdefault(number, []).append((option.group(2).strip(), column))
        elif question:
            number = int(question.group(1))
            text = question.group(2).strip()
            stems.setdefault(number, []).append((text, column))
            follows = number if len(_WJX_ROW_SEP.split(text)) > 1 else None
        elif spss:
            number = int(spss.group(1))
            if spss.group(2) is None:
                text = book.get(f"q{number}", {}).get("text") or ""
                stems.setdefault(number, []).append((text, column))
            else:  # labelled by the codebook's options later, or kept as a number
                parens.setdefault(number, []).append((str(int(spss.group(2))), column))
                indexed.add(number)
        elif matrix is not None and not _personal_header(column, question=True):
            label = re.sub(r"#\d+$", "", column).strip()  # _table numbers a repeated header
            stems[matrix].append((label, column))
            follows = matrix
        elif _personal_header(column, question=False):
            plan.personal.append(column)
        else:
            plan.ignored[column] = UNKNOWN_HEADER
        matrix = follows
        if number is not None and number not in order:
            order.append(number)
    for number in order:  # one pass over the questions
        plan.questions.append(_wjx_question(
            number, stems.get(number, []), parens.get(number, []), data, book,
            indexed=number in indexed,
        ))
    return plan


def _wjx_question(
    number: int, stem_cols: list[tuple[str, str]], paren_cols: list[tuple[str, str]],
    data: pd.DataFrame, book: dict[str, dict[str, Any]], *, indexed: bool,
) -> _Question:
    """Question ``q<number>`` from its ``N、…`` columns and its ``第N题(…)`` / ``QN_k`` columns.

    Parameters
    ----------
    number : int
        The question number.
    stem_cols, paren_cols : list of (text, column)
        ``N、题干`` columns (several: matrix rows) and option / row columns.
    data : pandas.DataFrame
        The answers, to tell 0/1 option columns from matrix rows.
    book : dict
        The codebook file's entries; its ``kind`` decides when given.
    indexed : bool
        Whether the option columns are numbered (``Q6_1``) rather than labelled.

    Returns
    -------
    _Question
        A multiple-choice, matrix or single question (``kind="auto"`` unless declared).
    """
    key = f"q{number}"
    declared_kind = book.get(key, {}).get("kind")
    if paren_cols:
        text = stem_cols[0][0] if stem_cols else (book.get(key, {}).get("text") or f"第{number}题")
        columns = [c for _, c in paren_cols]
        multiple = declared_kind == "multiple" or (
            declared_kind != "matrix" and _zero_one(data, columns)
        )
        if multiple:
            return _Question(key, text, "multiple", column=stem_cols[0][1] if stem_cols else None,
                             options=paren_cols, indexed=indexed)
        return _Question(key, text, "matrix", rows=paren_cols)
    if len(stem_cols) > 1:
        rows = []
        stem_text = ""
        for text, column in stem_cols:
            parts = _WJX_ROW_SEP.split(text)
            stem_text = stem_text or (parts[0] if len(parts) > 1 else "")
            rows.append((parts[-1], column))
        return _Question(key, stem_text or f"第{number}题", "matrix", rows=rows)
    text, column = stem_cols[0]
    return _Question(key, text or column.strip(), declared_kind or "auto", column=column,
                     unworded=not text)

_PERSONAL_FIELD = re.compile(
    r"(?:^|_)(?:name|phone|mobile|tel|telephone|idcard|id_card|id_number|address|wechat|email|qq)"
    r"(?:$|_)"
)

_PLACE_FIELD = re.compile(r"village|town|county|cun|site|org|school|unit|dept")


def _personal_name(column: str, sep: str, *, field: bool = True) -> bool:
    """A Kobo/ODK field or metadata column that identifies a person or a place.

    By exact name (``phonenumber``, ``deviceid``, ``SubmitterName`` …), a GPS part
    (``-Latitude`` …) or an English field name such as ``resp_name`` or ``phone``
    (``village_name`` is not personal; not checked when ``field`` is False).
    """
    norm = normalize_header(column)
    last = norm.rsplit(sep, 1)[-1].rsplit("/", 1)[-1]
    if norm in _PERSONAL_EXACT or last in _PERSONAL_EXACT or _GPS_PART.search(last):
        return True
    return field and bool(_PERSONAL_FIELD.search(last) and not _PLACE_FIELD.search(last))


def _plan_fields(
    data: pd.DataFrame, *, sep: str, meta_names: frozenset[str], id_order: tuple[str, ...],
    date_order: tuple[str, ...], state: tuple[str, str],
) -> _Plan:
    """Kobo (``/`` groups) and ODK (``-`` groups): fields named by their last path segment."""
    plan = _Plan()
    headers = list(data.columns)
    header_set = set(headers)
    fields: list[str] = []
    meta: list[str] = []
    for column in headers:  # one pass over the columns
        norm = normalize_header(column)
        last = norm.rsplit(sep, 1)[-1]
        option = "/" in column and (
            column.rsplit("/", 1)[0] in header_set or _zero_one(data, [column], need_zero=False)
        )  # a select_multiple 0/1 column: "wechat" is then a channel, not a WeChat id
        if _personal_name(column, sep, field=not option):
            plan.personal.append(column)
        elif (
            norm in meta_names or last in meta_names or last.startswith("_")
            or norm.split(sep, 1)[0] in ("meta", "formhub")
        ):
            meta.append(column)
            for role, names in (("response_id", id_order), ("date", date_order)):
                if norm in names:
                    current = plan.meta.get(role)
                    rank = names.index(norm)
                    if current is None or rank < names.index(normalize_header(current)):
                        plan.meta[role] = column
            if norm == state[0]:
                plan.meta[state[1]] = column
        else:
            fields.append(column)
    chosen = set(plan.meta.values())
    plan.ignored.update({c: METADATA for c in meta if c not in chosen})
    # select_multiple 0/1 columns: "<field>/<option>" next to the "<field>" summary column, or
    # several 0/1 columns sharing a parent that is not itself a column.
    parents: dict[str, list[str]] = {}
    for column in fields:
        if "/" in column:
            parents.setdefault(column.rsplit("/", 1)[0], []).append(column)
    option_of: dict[str, str] = {}
    for parent, columns in parents.items():
        if parent in header_set or (len(columns) > 1 and _zero_one(data, columns)):
            option_of.update({c: parent for c in columns})
    bases = [c for c in fields if c not in option_of]
    bases += [p for p in dict.fromkeys(option_of.values()) if p not in header_set]
    lasts = {c: c.rsplit(sep, 1)[-1] for c in bases}
    labels = not all(_is_identifier(n) for n in lasts.values())
    counts = pd.Series(list(lasts.values()), dtype="str").value_counts()
    made: dict[str, _Question] = {}
    for column in fields:  # one pass over the columns
        base = option_of.get(column, column)
        if base not in made:
            key = f"q{len(made) + 1}" if labels else (
                re.sub(r"[/\-]", "_", base) if counts.get(lasts[base], 0) > 1 else lasts[base]
            )
            made[base] = _Question(
                key, lasts[base], "auto", column=base if base in header_set else None, sep=" ",
            )
            plan.questions.append(made[base])
        if column in option_of:
            made[base].kind = "multiple"
            made[base].options.append((column.rsplit("/", 1)[-1], column))
    return plan


def _plan_kobo(data: pd.DataFrame, book: dict[str, dict[str, Any]]) -> _Plan:
    return _plan_fields(
        data, sep="/", meta_names=_KOBO_META,
        id_order=("_uuid", "_id", "_index", "meta/instanceid", "instanceid"),
        date_order=("_submission_time", "end", "today"),
        state=("_validation_status", "validation"),
    )


def _plan_odk(data: pd.DataFrame, book: dict[str, dict[str, Any]]) -> _Plan:
    return _plan_fields(
        data, sep="-", meta_names=_ODK_META,
        id_order=("key", "meta-instanceid", "instanceid"),
        date_order=("submissiondate", "end", "today"),
        state=("reviewstate", "review"),
    )


def _plan_plain(data: pd.DataFrame, book: dict[str, dict[str, Any]]) -> _Plan:
    plan = _Plan()
    for column in data.columns:  # one pass over the columns
        canonical = match_header(column, "responses")
        if normalize_header(column) in ("village", "村"):
            canonical = "village_name"
        if canonical in ("response_id", "date"):
            if canonical in plan.meta:
                plan.ignored[column] = METADATA  # a second id or date column
            else:
                plan.meta[canonical] = column
        elif canonical in ("source_file", "source_row"):
            plan.ignored[column] = METADATA  # the reader writes its own
        elif canonical is not None:
            role = {"village_name": "village"}.get(canonical, canonical)
            plan.questions.append(_Question(canonical, column, column=column, role=role))
        elif _personal_header(column, question=True) or _personal_name(column, "/"):
            plan.personal.append(column)
        else:
            plan.questions.append(
                _Question(str(column).strip(), str(column).strip(), "auto", column=column)
            )
    return plan

_PLANNERS = {"wjx": _plan_wjx, "kobo": _plan_kobo, "odk": _plan_odk, "plain": _plan_plain}

_SCALES: dict[str, frozenset[str]] = {
    "awareness": frozenset({
        "知道", "听说过", "不知道", "了解", "比较了解", "非常了解", "一般了解", "不了解",
        "不太了解", "完全不了解", "没听说过", "从未听说", "听说过但不了解",
    }),
    "support": frozenset({
        "支持", "比较支持", "非常支持", "不太支持", "不支持", "非常不支持", "无所谓", "一般",
    }),
    "satisfaction": frozenset({
        "满意", "比较满意", "非常满意", "基本满意", "一般", "不太满意", "不满意", "非常不满意",
    }),
}

_KNOWLEDGE_WORDS = re.compile(
    r"应该怎么做|应当怎么做|该怎么办|怎么办|正确的是|正确的做法|错误的是|下列|以下哪|哪一项|哪项"
)

_DOMAIN_WORDS = (
    ("satisfaction", re.compile(r"满意")),
    ("support", re.compile(r"支持|赞成|认同")),
    ("awareness", re.compile(r"知道|听说|了解|知晓")),
)

_FREE_TEXT_WORDS = re.compile(r"建议|意见|请填写|请写出|请简述|请说明|填空|请输入|其他想法")

_DEMOGRAPHIC = (
    ("village_id", re.compile(r"^village_?id$|村编码|村居编码")),
    ("village", _VILLAGE_WORDS),
    ("gender", re.compile(r"性别|^gender$|^sex$")),
    ("age", re.compile(r"年龄|^age(_?group)?$|^agegroup$")),
    ("weight", re.compile(r"^weight$|^权重$")),
)

_DOMAIN_LABELS = {
    "awareness": "知晓", "knowledge": "知识", "support": "支持", "satisfaction": "满意",
    OTHER: "其他",
}

_DOMAIN_READ = {
    **{v: k for k, v in _DOMAIN_LABELS.items()}, **{k: k for k in _DOMAIN_LABELS},
    "知晓率": "awareness", "知晓度": "awareness", "知晓题": "awareness", "知识题": "knowledge",
    "答题": "knowledge", "知识测试": "knowledge", "支持度": "support", "满意度": "satisfaction",
    "满意率": "satisfaction",
}

_KIND_LABELS = {"single": "单选", "multiple": "多选", "matrix": "矩阵", "text": "填空"}

_KIND_READ = {
    **{v: k for k, v in _KIND_LABELS.items()}, **{k: k for k in _KIND_LABELS},
    "单选题": "single", "多选题": "multiple", "矩阵题": "matrix", "矩阵单选": "matrix",
    "矩阵单选题": "matrix", "矩阵量表题": "matrix", "量表题": "single", "下拉框": "single",
    "填空题": "text", "文本": "text", "问答": "text",
}

_CODEBOOK_HEADERS = {
    "item": ("item", "题号", "变量", "变量名", "题目编号"),
    "text": ("text", "题目", "问题", "题干"),
    "domain": ("domain", "类别", "维度"),
    "positive": ("positive", "肯定答案", "正向答案", "计为知晓的答案"),
    "negative": ("negative", "否定答案", "负向答案", "计为不知晓的答案"),
    "missing": ("missing", "无效答案", "缺失答案"),
    "correct": ("correct", "正确答案"),
    "options": ("options", "选项"),
    "kind": ("kind", "题型"),
    # optional, kept only when the file has it: the law an item asks about (issue #18)
    "topic": ("topic", "所涉法律", "法律", "主题"),
    # one row per option (题号, 选项序号, 选项文本): the options of an item are gathered
    "option_number": ("option_number", "选项序号", "选项编号", "选项代码", "选项值"),
    "option_text": ("option_text", "选项文本", "选项内容", "选项标签", "选项名称"),
}

_CODEBOOK_ZH = {
    "item": "题号", "text": "题目", "domain": "类别", "positive": "肯定答案",
    "negative": "否定答案", "missing": "无效答案", "correct": "正确答案", "options": "选项",
    "kind": "题型",
}


def _scales(settings: Settings) -> dict[str, frozenset[str]]:
    """The answer words of each rate domain: the built-in scales and ``[survey]``'s lists.

    Yes/no words (是/否, 有/没有) fit every domain and are left out: such an item takes its
    domain from its wording (您是否知道… → awareness), else it is ``other``.
    """
    return {
        domain: (scale | frozenset(settings.positive_answers(domain))
                 | frozenset(settings.negative_answers(domain))) - _YES_NO
        for domain, scale in _SCALES.items()
    }


def _guess_domain(
    text: str, answers: list[str], missing: tuple[str, ...],
    scales: dict[str, frozenset[str]] | None = None,
) -> str:
    """Guess the domain (awareness, support, satisfaction, knowledge or other).

    Answers that all belong to one scale (知道/听说过/不知道, 支持…, 满意…; ``scales``, default
    the built-in ones) decide; when several scales fit (only 一般 seen) the wording picks one.
    Otherwise knowledge wording (应该怎么做, 正确的是, 下列…) gives knowledge, then 满意 / 支持 /
    知道·了解·听说 wording, else other.
    """
    words = _question_words(text)
    seen = set(answers) - set(missing) - set(_SKIP_MARKERS)
    scales = _SCALES if scales is None else scales
    fits = [d for d, scale in scales.items() if seen and seen <= scale | {"不清楚", "说不清"}]
    worded = [d for d, pattern in _DOMAIN_WORDS if pattern.search(words)]
    if len(fits) == 1:
        return fits[0]
    if fits:
        return next((d for d in worded if d in fits), fits[0])
    if _KNOWLEDGE_WORDS.search(words):
        return "knowledge"
    return worded[0] if worded else OTHER


def _split_list(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ()
    if isinstance(value, (tuple, list, np.ndarray)):
        parts = [str(v) for v in value]
    else:
        text = str(value)
        parts = re.split(r"[|｜]", text) if re.search(r"[|｜]", text) else text.split("、")
    return tuple(p.strip() for p in parts if p.strip())


def _norm_item(value: object) -> str | None:
    """Codebook item name as the reader names items ("4", "第4题", "Q4" → "q4")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    if (m := re.fullmatch(r"第?(\d+)题?", text)) is not None:
        return f"q{int(m.group(1))}"
    if (m := re.fullmatch(r"[Qq](\d+)(.*)", text)) is not None:
        return f"q{int(m.group(1))}{m.group(2)}"
    return text


def _codebook_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS))
    for column in ("item", "text", "domain", "correct", "kind"):
        frame[column] = frame[column].astype("str")
    for column in _LIST_COLUMNS:
        frame[column] = pd.Series(
            [tuple(v) for v in frame[column]], index=frame.index, dtype="object"
        )
    return frame


def read_codebook(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a codebook file (Excel or CSV) the analyst wrote or corrected.

    Headers may be Chinese or English: 题号/item, 题目/text, 类别/domain, 肯定答案/positive,
    否定答案/negative, 无效答案/missing, 正确答案/correct, 选项/options, 题型/kind; only 题号 is
    required. A 否定答案 list is exact: an answer of the item in none of 肯定答案, 否定答案 and
    无效答案 is unclassified (left blank, ``pufa.toml`` ``[survey]``'s lists apply). Lists are
    separated by ``、`` (or ``|`` when an answer itself contains ``、``). Domains may be written
    知晓/知识/支持/满意/其他 or in English; kinds 单选/多选/矩阵/填空 or in English. Item names
    ``4``, ``第4题`` and ``Q4`` all mean ``q4``. An optional 所涉法律/法律/主题/topic column
    (the law an item asks about, for :func:`pufa_metrics.exposure_effect`) is kept as ``topic``
    when the file has it.

    A codebook may also list one option per row (题号, 题目, 题型, 选项序号, 选项文本): the rows
    of an item are gathered, its options ordered by 选项序号, which must run 1, 2, … n (answer
    ``k`` of a 按序号 export is the k-th option). An SPSS syntax file (``.sps``) is read for
    its ``VARIABLE LABELS`` and ``VALUE LABELS``: ``Q4`` is item ``q4`` with the value labels
    of codes 1…n as its options (negative codes such as ``-3`` 跳过 are left out); ``Q6_1 …
    Q6_6`` labelled ``'6、题干:选项'`` with value labels 0/1 are the multiple-choice item ``q6``
    whose options are the labels' option parts, and with other value labels a matrix ``q6``.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx``/``.xls`` (first sheet, or the one named 编码表) or ``.csv`` file, or an
        SPSS ``.sps`` syntax file.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CODEBOOK_COLUMNS` (and ``topic`` when the file has it); lists as
        tuples, blank cells as NaN or ``()``.

    Raises
    ------
    ValueError
        When the file has no item column, repeats an item, has an unknown domain or kind, or
        numbers an item's options other than 1, 2, … n.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codebook.csv"
    >>> _ = path.write_text("题号,类别,肯定答案\n4,知晓,知道、听说过\n", encoding="utf-8")
    >>> book = read_codebook(path)
    >>> book.loc[0, ["item", "domain", "positive"]].tolist()
    ['q4', 'awareness', ('知道', '听说过')]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"'path' {str(path)!r} does not exist（编码表文件不存在）")
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".sps"):
        raise ValueError(
            f"'path' should be an .xlsx, .xls or .csv codebook (or SPSS .sps), got "
            f"{path.name!r}（编码表应为 Excel、CSV 或 SPSS 语法文件）"
        )
    frame = _sps_frame(path) if path.suffix.lower() == ".sps" else _codebook_sheet(path)
    dup = frame["item"][frame["item"].duplicated()].tolist()
    if dup:
        raise ValueError(f"codebook {path.name!r} lists items more than once: {dup}（题号重复）")
    out = pd.DataFrame({"item": frame["item"]})
    for column in ("text", "domain", "correct", "kind"):
        values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        out[column] = values.astype("str").str.strip().replace("", np.nan)
    for column, mapping, allowed in (
        ("domain", _DOMAIN_READ, _DOMAIN_LABELS), ("kind", _KIND_READ, _KIND_LABELS),
    ):
        given = out[column].str.lower()
        mapped = given.map(mapping)
        bad = given.notna() & mapped.isna()
        if bad.any():
            raise ValueError(
                f"codebook {path.name!r}: {column} {sorted(set(out.loc[bad, column]))} of items "
                f"{out.loc[bad, 'item'].tolist()} not understood; use one of "
                f"{list(allowed)} or {list(allowed.values())}（类别/题型无法识别）"
            )
        out[column] = mapped.astype("str")
    for column in _LIST_COLUMNS:
        values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        out[column] = pd.Series([_split_list(v) for v in values], index=out.index, dtype="object")
    book = _codebook_frame(out[list(CODEBOOK_COLUMNS)].to_dict("records"))
    if "topic" in frame:  # optional column (所涉法律): only a codebook that has it carries it
        book["topic"] = frame["topic"].astype("str").str.strip().replace("", np.nan).to_numpy()
    return book


def _codebook_sheet(path: Path) -> pd.DataFrame:
    """The codebook columns of an Excel or CSV codebook, under their English names.

    Parameters
    ----------
    path : pathlib.Path
        The file (first sheet, or the one named 编码表).

    Returns
    -------
    pandas.DataFrame
        One row per item (option rows gathered), ``item`` normalised, other cells as written.
    """
    sheets = read_raw(path, path.name)  # specific errors for broken files
    chosen = next((sh for sh in sheets if sh.name == "编码表"), sheets[0])
    grid = chosen.grid
    filled = grid.notna().any(axis=1).to_numpy()
    if not filled.any():
        raise LedgerError(path.name, "编码表是空的", "the codebook is empty")
    head = int(np.argmax(filled))
    headers = [("" if pd.isna(h) else str(h)) for h in grid.iloc[head].tolist()]
    raw = grid.iloc[head + 1 :].set_axis(range(len(headers)), axis=1)
    raw.columns = [h or f"列{j + 1}" for j, h in enumerate(headers)]
    raw = raw.loc[:, ~pd.Index(raw.columns).duplicated()].reset_index(drop=True)
    lookup = {normalize_header(a): c for c, aliases in _CODEBOOK_HEADERS.items() for a in aliases}
    found: dict[str, str] = {}
    for header in raw.columns:  # one pass over the columns
        column = lookup.get(normalize_header(header))
        if column and column not in found:
            found[column] = header
    if "item" not in found:
        raise ValueError(
            f"codebook {path.name!r} has no 题号/item column; its headers are "
            f"{[str(h) for h in raw.columns]}（编码表缺少“题号”列）"
        )
    frame = pd.DataFrame({c: raw[h] for c, h in found.items()})
    items = frame["item"].map(_norm_item)
    frame = frame.loc[items.notna()].assign(item=items[items.notna()]).reset_index(drop=True)
    if "option_text" in frame:
        frame = _gather_option_rows(frame, path.name)
    return frame


def _gather_option_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row per item from a codebook written one row per option (选项序号, 选项文本).

    Parameters
    ----------
    frame : pandas.DataFrame
        The codebook's columns under their English names, ``item`` already normalised; has
        ``option_text`` and maybe ``option_number``.
    name : str
        The file name, for messages.

    Returns
    -------
    pandas.DataFrame
        One row per item in order of first appearance: the first non-blank value of each other
        column, and ``options`` the option texts in option-number order (row order when the
        numbers are not given).

    Raises
    ------
    ValueError
        When an item's option numbers are not whole numbers, repeat, or are not 1, 2, … n
        (the reader maps answer k to the k-th option, so a gap would shift every label).
    """
    text = frame["option_text"].astype("str").str.strip().replace("", np.nan)
    given = text.notna()
    if "option_number" in frame:
        number = pd.to_numeric(frame["option_number"], errors="coerce")
    else:  # row order within the item
        number = frame.loc[given].groupby("item", sort=False).cumcount().add(1)
        number = number.reindex(frame.index)
    bad = given & (number.isna() | (number % 1 != 0))
    if bad.any():
        raise ValueError(
            f"codebook {name!r}: option numbers of items {sorted(set(frame.loc[bad, 'item']))} "
            "are not whole numbers（选项序号应为整数）"
        )
    options: dict[str, tuple[str, ...]] = {}
    for item, group in frame.loc[given].assign(_n=number, _t=text).groupby("item", sort=False):
        numbers = group["_n"].astype("int64").tolist()
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError(
                f"codebook {name!r}: the option numbers of item {item!r} are {numbers}, not "
                f"1 to {len(numbers)}（选项序号应从1连续编号且不重复）"
            )
        options[item] = tuple(group.sort_values("_n", kind="stable")["_t"])
    rest = [c for c in frame.columns if c not in ("item", "option_number", "option_text")]
    out = frame.groupby("item", sort=False)[rest].first().reset_index() if rest else (
        frame[["item"]].drop_duplicates().reset_index(drop=True)
    )
    listed = out["options"] if "options" in out else pd.Series([()] * len(out), index=out.index)
    out["options"] = [options.get(item, lst) for item, lst in zip(out["item"], listed)]
    return out


#: Tokens of SPSS syntax: quoted labels, numbers, names and the punctuation that matters.
_SPS_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|-?\d+(?:\.\d+)?|[^\s'"/.()]+|[/.()]""")


def _sps_unquote(token: str) -> str:
    """The text of a quoted SPSS label (``'it''s'`` → ``it's``)."""
    return token[1:-1].replace(token[0] * 2, token[0])


def _sps_commands(text: str) -> list[list[str]]:
    """SPSS syntax split into commands (each a list of tokens; the ending ``.`` dropped)."""
    commands: list[list[str]] = [[]]
    for token in _SPS_TOKEN.findall(text):  # one pass over the tokens
        if token == ".":
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _sps_names(tokens: list[str], order: list[str], name: str) -> list[str]:
    """Variable names of a ``VALUE LABELS`` group, ``Q6_1 TO Q6_6`` spelt out."""
    names: list[str] = []
    for pos, token in enumerate(tokens):  # a handful of names
        if token.upper() == "TO" or (pos and tokens[pos - 1].upper() == "TO"):
            continue
        if pos + 2 < len(tokens) and tokens[pos + 1].upper() == "TO":
            last = tokens[pos + 2]
            if token in order and last in order:
                names += order[order.index(token): order.index(last) + 1]
                continue
            head, tail = re.match(r"(.*?)(\d*)$", token), re.match(r"(.*?)(\d*)$", last)
            if not (head and tail and head[1] == tail[1] and head[2] and tail[2]):
                raise ValueError(f"codebook {name!r}: cannot spell out {token} TO {last}"
                                 "（无法展开 TO 变量列表）")
            names += [f"{head[1]}{k}" for k in range(int(head[2]), int(tail[2]) + 1)]
        else:
            names.append(token)
    return names


def _sps_labels(text: str, name: str) -> tuple[dict[str, str], dict[str, dict[int, str]]]:
    """Variable labels and value labels (code → label) of SPSS syntax; other commands skipped."""
    variables: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    for command in _sps_commands(text):  # a few commands
        words = [t.upper() for t in command[:3]]
        if words[0] in ("VARIABLE", "VAR") and words[1:2] and words[1].startswith("LAB"):
            body, labels = command[2:], "variable"
        elif words[:1] == ["ADD"] and words[1:2] == ["VALUE"]:
            body, labels = command[3:], "value"
        elif words[0] in ("VALUE", "VAL") and words[1:2] and words[1].startswith("LAB"):
            body, labels = command[2:], "value"
        else:
            continue
        groups: list[list[str]] = [[]]
        for token in body:  # split at "/"
            if token == "/":
                groups.append([])
            else:
                groups[-1].append(token)
        for group in filter(None, groups):  # one group per variable (list)
            if labels == "variable":
                variables[group[0]] = _sps_unquote(group[1]) if len(group) > 1 else ""
                continue
            first = next((i for i, t in enumerate(group) if t[0] in "'\"-0123456789"),
                         len(group))
            pairs = dict(zip(group[first::2], group[first + 1::2]))
            codes = {int(float(k)): _sps_unquote(v) for k, v in pairs.items()
                     if k[0] not in "'\"" and v[0] in "'\""}
            for var in _sps_names(group[:first], list(variables), name):
                values.setdefault(var, {}).update(codes)
    return variables, values


def _sps_options(codes: dict[int, str], variable: str, name: str) -> tuple[str, ...]:
    """The labels of codes 1 … n in order (negative codes, e.g. -3 跳过, left out)."""
    kept = sorted(k for k in codes if k >= 0)
    if kept != list(range(1, len(kept) + 1)):
        raise ValueError(
            f"codebook {name!r}: the value labels of {variable} have codes {kept}, not 1 to "
            f"{len(kept)}; answer k is read as the k-th option（值标签编码应从1连续编号）"
        )
    return tuple(codes[k] for k in kept)


def _sps_frame(path: Path) -> pd.DataFrame:
    """Codebook rows (item, text, kind, options) from an SPSS syntax file.

    Parameters
    ----------
    path : pathlib.Path
        A ``.sps`` file (UTF-8, with or without a byte-order mark, or GBK).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``Q4`` → ``q4`` (single when it has value labels), ``Q6_1 …`` → one
        ``q6`` row, multiple choice when every value label is 0 or 1 (options: the part of each
        variable label after its last ``:``), else a matrix (options: the value labels).
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gbk", errors="replace")
    variables, values = _sps_labels(text, path.name)
    members: dict[str, list[str]] = {}
    for var in dict.fromkeys([*variables, *values]):  # one pass over the variables
        m = _SPSS_NAME.match(var)
        members.setdefault(f"q{int(m.group(1))}" if m else var, []).append(var)
    rows = []
    for item, group in members.items():  # one pass over the items
        parts = [re.split(r"[:：](?=[^:：]*$)", variables.get(v, "")) for v in group]
        numbered = _WJX_QUESTION.match(parts[0][0])
        stem = numbered.group(2) if numbered else parts[0][0]
        first = _SPSS_NAME.match(group[0])
        sub = len(group) > 1 or bool(first and first.group(2))
        codes = values.get(group[0], {})
        row = {"item": item, "text": stem or np.nan, "kind": np.nan, "options": ()}
        if sub and codes and all(
            {k for k in values.get(v, {}) if k >= 0} <= {0, 1} for v in group
        ):
            row.update(kind="multiple", options=tuple(p[-1] for p in parts))
        elif codes:
            row.update(kind="matrix" if sub else "single",
                       options=_sps_options(codes, group[0], path.name))
        rows.append(row)
    if not rows:
        raise LedgerError(path.name, "SPSS 语法文件中没有变量标签或值标签",
                          "the SPSS syntax file has no VARIABLE LABELS or VALUE LABELS")
    return pd.DataFrame(rows, columns=["item", "text", "kind", "options"])


def _as_codebook(codebook: object) -> pd.DataFrame | None:
    if codebook is None:
        return None
    if isinstance(codebook, pd.DataFrame):
        if "item" not in codebook.columns:
            raise ValueError(
                f"'codebook' frame needs an 'item' column; columns are {list(codebook.columns)}"
            )
        rows = codebook.copy()
        rows["item"] = rows["item"].map(_norm_item)
        for column in CODEBOOK_COLUMNS:
            if column not in rows:
                rows[column] = np.nan
        for column, mapping in (("domain", _DOMAIN_READ), ("kind", _KIND_READ)):
            given = rows[column].astype("str").str.strip()
            rows[column] = given.str.lower().map(mapping).fillna(given)
        for column in _LIST_COLUMNS:
            rows[column] = [_split_list(v) for v in rows[column]]
        return _codebook_frame(rows.loc[rows["item"].notna(), list(CODEBOOK_COLUMNS)]
                               .to_dict("records"))
    if isinstance(codebook, (str, os.PathLike)):
        return read_codebook(codebook)
    raise TypeError(
        f"'codebook' should be a path to a codebook file, a DataFrame or None, "
        f"got {type(codebook).__name__}"
    )


def _declared(book: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Item → the fields the codebook file fills (blank cells left out)."""
    if book is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for row in book.to_dict("records"):  # one pass over the codebook's items
        given = {
            k: v for k, v in row.items()
            if k != "item" and not (isinstance(v, float) and np.isnan(v)) and v != ()
        }
        out[row["item"]] = given
    return out


def write_codebook(codebook: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a codebook to an Excel file the analyst can correct and pass back.

    Headers are Chinese (题号, 题目, 类别, 肯定答案, 无效答案, 正确答案, 选项, 题型), lists are
    joined with ``、`` (``|`` when an answer contains ``、``), domains and kinds are written in
    Chinese, the header row is frozen and column widths fit the text. A second sheet 说明 explains
    each column. The file is written to a temporary name and then moved into place, so a crash
    never leaves half a file. :func:`read_codebook` gives the same frame back.

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``item``, ``text``, ``domain``, ``positive`` and optionally ``missing``,
        ``correct``, ``options``, ``kind``.
    path : str or path-like
        Where to write; must end in ``.xlsx``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> book = pd.DataFrame({"item": ["q4"], "text": ["您是否知道民法典？"],
    ...                      "domain": ["awareness"], "positive": [("知道", "听说过")]})
    >>> path = write_codebook(book, pathlib.Path(tempfile.mkdtemp()) / "编码表.xlsx")
    >>> back = read_codebook(path)
    >>> back.loc[0, ["item", "domain", "positive", "missing"]].tolist()
    ['q4', 'awareness', ('知道', '听说过'), ()]
    """
    if not isinstance(codebook, pd.DataFrame):
        raise TypeError(f"'codebook' should be a DataFrame, got {type(codebook).__name__}")
    missing = [c for c in ("item", "text", "domain", "positive") if c not in codebook.columns]
    if missing:
        raise ValueError(
            f"'codebook' has no column {missing}; columns are {list(codebook.columns)}"
            "（编码表缺少必要列）"
        )
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"'path' should end in .xlsx, got {path.name!r}（应保存为 .xlsx 文件）")
    out = pd.DataFrame(index=codebook.index)
    for column in CODEBOOK_COLUMNS:
        values = codebook[column] if column in codebook else pd.Series(np.nan, index=out.index)
        if column in _LIST_COLUMNS:
            lists = [_split_list(v) for v in values]
            out[column] = [
                ("|" if any("、" in p for p in parts) else "、").join(parts) for parts in lists
            ]
        elif column == "domain":
            out[column] = values.map(lambda v: _DOMAIN_LABELS.get(v, v))
        elif column == "kind":
            out[column] = values.map(lambda v: _KIND_LABELS.get(v, v))
        else:
            out[column] = values
    out = out.astype("str").rename(columns=_CODEBOOK_ZH)
    notes = pd.DataFrame({
        "列": list(_CODEBOOK_ZH.values()),
        "说明": [
            "题号，如 q4；矩阵题每行 q8_1、q8_2；多选题每个选项 q7_选项",
            "题目原文",
            "知晓 / 知识 / 支持 / 满意 / 其他（其他不计算比率）",
            "计为肯定（知晓、支持、满意）的答案，用“、”分隔；留空按 pufa.toml [survey] 前两级规则",
            "计为否定（不知晓等）的答案；留空按 pufa.toml [survey] 的否定答案。未列入任何一类的"
            "答案不计为否定，该题标为“需核定答案分类”",
            "视为未作答的答案，不计入分母",
            "知识题的正确答案；填写后肯定答案即为正确答案",
            "答案选项，按序号导出时第1个选项对应1，依此类推",
            "单选 / 多选 / 矩阵 / 填空",
        ],
        "column": list(_CODEBOOK_ZH),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        book = Workbook()
        for title, frame in (("编码表", out), ("说明", notes)):
            sheet = book.active if title == "编码表" else book.create_sheet(title)
            sheet.title = title
            cells = frame.astype("object").where(frame.notna() & frame.ne(""), None)
            for row in [list(frame.columns), *cells.to_numpy().tolist()]:  # one row per item
                sheet.append(row)
            sheet.freeze_panes = "A2"
            for pos, column in enumerate(frame.columns):  # a handful of columns
                text = pd.concat([pd.Series([column], dtype="str"), frame[column].fillna("")])
                width = (text.str.len() + text.str.count(r"[\u2e80-\uffff]")).max()
                letter = sheet.cell(row=1, column=pos + 1).column_letter
                sheet.column_dimensions[letter].width = float(min(max(width + 2, 8), 60))
        book.save(tmp)
    return path


def _multiple_items(
    q: _Question, data: pd.DataFrame, declared_options: tuple[str, ...], notes: _Notes,
) -> tuple[dict[str, pd.Series], list[str]]:
    """Option items (选中/未选中) of a multiple-choice question; also the option labels."""
    index = data.index
    from_summary = pd.DataFrame(index=index)
    skipped = pd.Series(False, index=index)
    answered = pd.Series(False, index=index)
    labels: list[str] = list(declared_options)
    if q.column is not None:
        s, had_fill = _drop_fill_in(_clean(data[q.column]))
        if had_fill:
            notes.removed(q.column, "fill_in_removed", "fill_in", "dropped", had_fill,
                          _FILL_IN_WHY)
        skipped = s.eq(_SKIPPED) | s.eq("-3")
        present = s.notna() & ~skipped
        parts = (
            s[present].str.replace(r"\s*┋\s*", "┋", regex=True)
            if q.sep == "┋" else s[present].str.replace(r"\s+", " ", regex=True)
        )
        from_summary = parts.str.get_dummies(sep=q.sep).reindex(index, fill_value=0)
        seen = parts.str.split(q.sep).explode().str.strip()
        labels += [v for v in seen[seen.ne("")].drop_duplicates() if v not in labels]
        answered = present
    if q.options:
        cols = pd.DataFrame({c: _clean(data[c]).str.lower() for _, c in q.options})
        ones = cols.isin(["1", "true"])
        zero_one = cols.isin(["0", "1", "true", "false"])
        skipped_cols = cols.isin(_SKIP_MARKERS).any(axis=1)
        labels += [label for label, _ in q.options if label not in labels]
        if q.column is not None:
            both = answered & zero_one.all(axis=1)
            summary = from_summary.reindex(columns=[lab for lab, _ in q.options], fill_value=0)
            differ = (summary[both].to_numpy() != ones[both].to_numpy()).any(axis=1).sum()
            if differ:
                notes.add(q.column or q.key, "multiple_mismatch",
                          f"{int(differ)} rows: the summary column and the 0/1 option columns "
                          "disagree; the 0/1 columns are used（多选汇总列与选项列不一致）")
        answered = zero_one.any(axis=1)
        skipped = skipped_cols & ~answered
        from_summary = pd.DataFrame(
            ones.to_numpy().astype(int), index=index, columns=[lab for lab, _ in q.options]
        )
    items: dict[str, pd.Series] = {}
    for label in labels:  # a handful of options
        chosen = from_summary[label] if label in from_summary else pd.Series(0, index=index)
        value = np.where(chosen.to_numpy() == 1, SELECTED, NOT_SELECTED)
        series = pd.Series(value, index=index, dtype="str").where(answered)
        items[_unique(f"{q.key}_{_slug(label)}", items)] = series.mask(skipped, _SKIPPED)
    return items, labels


def _label_options(q: _Question, options: tuple[str, ...], notes: _Notes) -> _Question:
    """Name numbered option columns (``Q6_1`` is option 1 of q6) by the codebook's options.

    Parameters
    ----------
    q : _Question
        A multiple-choice question whose option labels are the numbers ``"1"``, ``"2"`` ….
    options : tuple of str
        The codebook's options of the question, option 1 first.
    notes : _Notes
        Where a column whose number the codebook does not list is reported (it keeps its
        number: an option is never guessed).

    Returns
    -------
    _Question
        A copy with the option labels replaced.
    """
    named: list[tuple[str, str]] = []
    for number, column in q.options:  # a handful of options
        k = int(number)
        if 1 <= k <= len(options):
            named.append((options[k - 1], column))
            continue
        named.append((number, column))
        notes.add(column, "option_numbers",
                  f"the codebook lists no option {k} of {q.key}; the option is named by its "
                  "number（编码表未给出该选项，按序号命名）")
    return replace(q, options=named, indexed=False)


def _looks_multiple(s: pd.Series, sep: str, text: str) -> bool:
    """A 问卷星 ``A┋B`` cell, or a Kobo/ODK space-separated list of choice names.

    Kobo and ODK write a select_multiple answer as choice names separated by spaces; without
    the form, a column counts as one when some answer has a space, every word is a choice name
    (letters, digits, ``_ . -``) and there are at most 20 distinct words. A codebook file can say
    otherwise (题型 单选/多选/填空).
    """
    values = s.dropna()
    values = values[~values.isin(_SKIP_MARKERS)]
    if values.empty:
        return False
    if sep == "┋":
        return bool(values.str.contains("┋", regex=False).any() or "多选" in text)
    if _FREE_TEXT_WORDS.search(_question_words(text)) or not values.str.contains(r"\s").any():
        return False
    words = values.str.split().explode()
    return bool(words.str.fullmatch(r"[A-Za-z_][\w.\-]*").all() and words.nunique() <= 20)


def _numbers_to_labels(
    s: pd.Series, options: tuple[str, ...], column: str, notes: _Notes, *,
    counts_positive: bool = True,
) -> tuple[pd.Series, bool]:
    """按序号 answers (1, 2, …) → option labels when the codebook lists the options.

    ``-3`` (跳过) becomes ``(跳过)`` and ``-2`` (empty) NaN. Also says whether the answers stay
    option numbers (no options to map them with: a warning says so; ``counts_positive`` False
    leaves the rate remark out of it, for a demographic answer).
    """
    values = s.dropna()
    values = values[~values.isin(_SKIP_MARKERS + _BLANK_MARKERS)]
    if values.empty or not values.str.fullmatch(r"\d+").all() or values.isin(options).all():
        return s, False
    s = s.mask(s.eq("-3"), _SKIPPED).mask(s.eq("-2"))
    if not options:
        notes.add(column, "option_numbers",
                  "answers are option numbers and the codebook lists no options; they are "
                  "kept as numbers" + (" and no answer counts as positive" if counts_positive
                                       else "") + "（按序号导出但编码表未给出选项，保留序号）")
        return s, True
    lookup = pd.Series(list(options), index=[str(i + 1) for i in range(len(options))])
    mapped = s.map(lookup)
    unmapped = s.notna() & s.ne(_SKIPPED) & mapped.isna()
    if unmapped.any():
        notes.add(column, "option_number_unknown",
                  f"{int(unmapped.sum())} answers are option numbers beyond the codebook's "
                  f"{len(options)} options; they are kept as numbers"
                  "（序号超出编码表选项，保留序号）")
    return mapped.fillna(s).astype("str"), False


def _age_groups(age: pd.Series) -> pd.Series:
    groups = pd.cut(
        age.astype("float64"), bins=[-np.inf, 18, 30, 45, 60, np.inf], right=False,
        labels=["<18", "18-29", "30-44", "45-59", "60+"],
    )
    return groups.astype("str").where(age.notna())


def _gender(s: pd.Series) -> pd.Series:
    t = s.str.normalize("NFKC").str.strip()
    lookup = {"男": "男", "男性": "男", "male": "男", "m": "男", "女": "女", "女性": "女",
              "female": "女", "f": "女"}
    return t.str.lower().map(lookup).fillna(t).astype("str")


def _dates(s: pd.Series, column: str, notes: _Notes) -> pd.Series:
    text = s.str.strip()
    aware = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    if aware.any():
        stamp = pd.to_datetime(text[aware], utc=True, errors="coerce", format="ISO8601")
        out[aware] = stamp.dt.tz_convert(_CST).dt.tz_localize(None).astype("datetime64[us]")
    if (~aware).any():
        out[~aware] = pd.to_datetime(text[~aware], errors="coerce", format="mixed")
    bad = out.isna() & s.notna()
    if bad.any():
        notes.add(column, "bad_date",
                  f"{int(bad.sum())} dates could not be read and were left empty（日期无法识别）")
    return out.astype("datetime64[us]")

_UNKNOWN_VILLAGE = "unknown village 未知村（社区）"

_AMBIGUOUS_VILLAGE = "ambiguous village name 村（社区）名称对应多个村"


def _match_villages(
    names: pd.Series, register: pd.DataFrame,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Register id and name for each answer; the reason (NaN when matched).

    Uses :func:`pufa_metrics.io.villages.match_villages`: by id, by full name, by name without its
    村/村委会/社区/居委会 suffix, by name after a leading town (水寨镇七都村), or by the start of
    the name (大岭村3组). A town-level answer or several villages count as unknown here: a
    respondent lives in one village of the register.
    """
    reg = build_register(register)
    match = match_villages(names, None, reg, names.index)
    status = match["status"]
    matched = status.isin(["matched", "prefix"])
    found = match["village_id"].where(matched).astype("str")
    matched_name = match["village_name"].where(matched).astype("str")
    reason = pd.Series(np.nan, index=names.index, dtype="str")
    reason = reason.mask(status.isin(["unknown", "unknown_id", "several", "town"]),
                         _UNKNOWN_VILLAGE)
    reason = reason.mask(status.eq("ambiguous"), _AMBIGUOUS_VILLAGE)
    return found, matched_name, reason


def _reject(
    source_file: str, rows: pd.Index, column: str, values: pd.Series | None, reason: str,
) -> pd.DataFrame:
    """Rejected rows, one per problem (``values`` None: the cell was empty)."""
    return pd.DataFrame({
        "table": "responses", "source_file": source_file, "source_row": rows.to_numpy(),
        "column": column, "value": np.nan if values is None else values.to_numpy(),
        "reason": reason,
    })


def _demographics(
    plan: _Plan, data: pd.DataFrame, declared: dict[str, dict[str, Any]], notes: _Notes,
) -> tuple[dict[str, pd.Series], list[_Question]]:
    """Canonical columns from the demographic questions; the questions left are items.

    Also drops questions that ask for personal data (您的联系电话, 姓名 …), by their header or
    by the codebook's wording of them (an SPSS-style ``Q1`` says nothing by itself). Village,
    性别 and 年龄段 answers given as option numbers become labels through the codebook's
    options; without options they stay numbers and a warning says so.
    """
    canon: dict[str, pd.Series] = {}
    questions: list[_Question] = []
    for q in plan.questions:  # one pass over the questions (a handful of columns)
        words = _question_words(q.text)
        role = q.role
        if role == "item" and q.kind in ("auto", "single") and not _OPINION_WORDS.search(words):
            role = next((name for name, pattern in _DEMOGRAPHIC if pattern.search(words)
                         or pattern.search(normalize_header(q.key))), "item")
        if role == "item":
            texts = (q.text, declared.get(q.key, {}).get("text"))
            if q.column is not None and not q.options and any(
                isinstance(t, str) and _personal_header(t, question=True) for t in texts
            ):
                plan.personal.append(q.column)
                notes.skip(q.column, PERSONAL_REMOVED)
                notes.removed(q.column, "personal_data_column", "header", "dropped",
                              _cells(data[q.column]),
                              "the question asks for personal data（个人信息题）")
            else:
                questions.append(q)
            continue
        s = _clean(data[q.column])
        age_group = role == "age" and (_AGE_GROUP_WORDS.search(words) is not None
                                       or _option_numbers_like(s))
        if declared.get(q.key, {}).get("options"):
            s, _ = _numbers_to_labels(s, declared[q.key]["options"], q.column, notes)
        elif role in ("village", "gender") or age_group:
            s, _ = _numbers_to_labels(s, (), q.column, notes, counts_positive=False)
        masks = _personal_masks(s)
        for kind in _DEMOGRAPHIC_KINDS:  # a handful of kinds
            if masks[kind].any():
                notes.removed(q.column, "personal_data_values", kind, "emptied",
                              int(masks[kind].sum()),
                              "cells that look like personal data were emptied"
                              "（疑似个人信息的单元格已清空）")
        hit = np.logical_or.reduce([masks[kind].to_numpy() for kind in _DEMOGRAPHIC_KINDS])
        if hit.any():
            s = s.mask(hit)
        filled = _demographic_columns(role, s, age_group=age_group)
        canon.update(filled)
        notes.use(q.column, ", ".join(filled))
        if role == "village":
            plan.meta["village"] = q.column
    return canon, questions


#: Wording of an age-group question: its answers are groups (or option numbers), never ages.
_AGE_GROUP_WORDS = re.compile(r"年龄段|年龄组|年龄层|age_?group")


def _option_numbers_like(s: pd.Series) -> bool:
    """Whether answers to an age question are option numbers (1, 2, … of a 按序号 export).

    A 问卷星 按序号 export writes ``2、请问您的年龄?`` answered ``4`` for its 4th option
    (25~29岁), not for an age of 4: answers that are whole numbers from at most 2 up to at most
    15 are option numbers (a survey of residents or students has no such ages). Seen on a real
    问卷星 export (gasongjian/reportgen ``357_357_2.xls``: 204 answers, all read as age < 18).
    """
    values = s.dropna()
    values = values[~values.isin(_SKIP_MARKERS + _BLANK_MARKERS)]
    if values.empty or not values.str.fullmatch(r"\d{1,2}").all():
        return False
    numbers = values.astype(int)
    return bool(numbers.min() <= 2 and numbers.max() <= 15)


def _demographic_columns(role: str, s: pd.Series, *, age_group: bool) -> dict[str, pd.Series]:
    """The canonical column(s) one demographic answer fills.

    Parameters
    ----------
    role : str
        ``village``, ``village_id``, ``gender``, ``age`` or ``weight``.
    s : pandas.Series
        The cleaned answers.
    age_group : bool
        Whether the question asks for an age group (年龄段): the answers are kept as written.

    Returns
    -------
    dict of str to pandas.Series
        ``village_name``; ``gender``; ``age`` and ``age_group`` (a numeric age) or
        ``age_group`` alone (groups kept as written); else ``{role: s}``.
    """
    if role == "age":
        number = s.str.extract(r"^(\d{1,3})(?:岁|周岁)?$")[0]
        if not age_group and s.notna().any() and number.notna().sum() == s.notna().sum():
            age = pd.to_numeric(number).astype("Int64")
            age = age.where((age >= 0) & (age <= 120))
            return {"age": age, "age_group": _age_groups(age)}
        return {"age_group": s}  # kept as written, to match the analyst's population margins
    if role == "gender":
        return {"gender": _gender(s)}
    if role == "village":
        return {"village_name": s}
    return {role: s}  # village_id, weight


def _kind_of(s: pd.Series, text: str) -> str:
    """Single choice or free text (填空), when neither the layout nor the codebook says.

    Free text when the wording asks for it (建议, 意见, 请填写 …), answers are long, or most
    answers differ.
    """
    answered = s.dropna()
    distinct = answered.nunique()
    long_text = bool(len(answered)) and answered.str.len().mean() > 20
    free = _FREE_TEXT_WORDS.search(_question_words(text)) or long_text or (
        distinct > 10 and distinct > 0.5 * len(answered)
    )
    return "text" if free else "single"


def _items(
    questions: list[_Question], data: pd.DataFrame, declared: dict[str, dict[str, Any]],
    notes: _Notes, settings: Settings,
) -> tuple[dict[str, pd.Series], list[dict[str, Any]]]:
    """Item columns and their guessed codebook rows, in question order."""
    missing_answers = settings.missing_answers
    scales = _scales(settings)
    items: dict[str, pd.Series] = {}
    rows: list[dict[str, Any]] = []
    for q in questions:  # one pass over the questions (a handful of columns)
        entry = declared.get(q.key, {})
        stem = entry.get("text", q.text)
        kind = entry.get("kind", q.kind)
        if q.kind in ("multiple", "matrix") and kind not in ("multiple", "matrix"):
            kind = q.kind  # the layout shows it; the codebook cannot undo it
        if kind == "multiple" or (
            kind == "auto" and q.column is not None
            and _looks_multiple(_clean(data[q.column]), q.sep, q.text)
        ):
            if q.indexed:
                q = _label_options(q, entry.get("options", ()), notes)
            found, labels = _multiple_items(q, data, entry.get("options", ()), notes)
            option_column = dict(q.options)
            for label, (name, series) in zip(labels, found.items()):
                name = _unique(name, items)
                items[name] = series
                notes.use(option_column.get(label), name)
                notes.use(q.column, name)
                rows.append({
                    "item": name, "text": f"{stem} — {label}", "domain": OTHER,
                    "positive": (SELECTED,), "negative": (NOT_SELECTED,),
                    "missing": missing_answers, "correct": np.nan,
                    "options": (SELECTED, NOT_SELECTED), "kind": "multiple", "_base": q.key,
                    "_numbers": False,
                })
            continue
        parts = [(f"{q.key}_{i + 1}", f"{stem} — {label}", column)
                 for i, (label, column) in enumerate(q.rows)] or [(q.key, stem, q.column)]
        for name, text, column in parts:  # one, or a handful of matrix rows
            s = _clean(data[column])
            s_kind = "matrix" if q.rows else (_kind_of(s, text) if kind == "auto" else kind)
            if s_kind != "text":
                s, had_fill = _drop_fill_in(s)
                if had_fill:
                    notes.removed(column, "fill_in_removed", "fill_in", "dropped", had_fill,
                                  _FILL_IN_WHY)
            if q.unworded and s_kind == "text" and not s.dropna().str.fullmatch(r"-?\d+").all():
                notes.removed(column, "unworded_free_text", "header", "dropped", _cells(s),
                              "free-text answers to a question no codebook puts into words "
                              "may be names or addresses; give the codebook to load them"
                              "（题目文字未知的填空题可能含个人信息，未导入；请提供编码表）")
                notes.skip(column, PERSONAL_REMOVED)
                continue
            personal = find_personal_data(s)
            if personal:
                notes.removed(column, "personal_data_values", personal, "dropped", _cells(s),
                              "the whole question is dropped: its answers look like personal "
                              "data（已删除整题：答案疑似个人信息）")
                notes.skip(column, PERSONAL_REMOVED)
                continue
            own = declared.get(name, {})
            base = entry if name != q.key else {}
            options = own.get("options", base.get("options", ()))
            s, unmapped = _numbers_to_labels(s, options, column, notes)
            correct = own.get("correct", base.get("correct", np.nan))
            if isinstance(correct, str) and correct.isdigit() and correct not in options and (
                1 <= int(correct) <= len(options)
            ):
                correct = options[int(correct) - 1]  # 正确答案 given as an option number
            name = _unique(name, items)
            items[name] = s.astype("str")
            notes.use(column, name)
            seen = _first_seen(s)
            rows.append({
                "item": name, "text": text,
                "domain": OTHER if s_kind == "text" else _guess_domain(text, seen,
                                                                        missing_answers, scales),
                "positive": (), "negative": (), "missing": missing_answers, "correct": correct,
                "options": tuple(options) or (tuple(seen) if s_kind != "text" else ()),
                "kind": s_kind, "_base": q.key if name != q.key else None,
                "_numbers": unmapped,
            })
    return items, rows


def _canonical(
    data: pd.DataFrame, plan: _Plan, canon: dict[str, pd.Series],
    register: pd.DataFrame | None, path: Path, notes: _Notes,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The canonical columns of every row, and the rows to reject (one frame per problem)."""
    index = data.index
    source_file = path.name
    rejected: list[pd.DataFrame] = []
    made_ids = pd.Series(index.astype("str"), index=index, dtype="str").radd(f"{path.stem}-")
    id_column = plan.meta.get("response_id")
    response_id = made_ids
    if id_column is not None:
        response_id = _clean(data[id_column]).fillna(made_ids)
        dup = response_id.duplicated(keep="first")
        if dup.any():
            rejected.append(_reject(source_file, index[dup], id_column, response_id[dup],
                                    "duplicate response_id 答卷编号重复"))
    for key, reason, pattern in (
        ("review", "review state Rejected", r"^rejected$"),
        ("validation", "validation status Not approved", r"not[_ ]?approved"),
    ):
        if key in plan.meta:
            state = _clean(data[plan.meta[key]])
            bad = state.str.lower().str.contains(pattern, regex=True, na=False)
            if bad.any():
                rejected.append(_reject(source_file, index[bad], plan.meta[key], state[bad],
                                        reason))
    date = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    if "date" in plan.meta:
        date = _dates(_clean(data[plan.meta["date"]]), plan.meta["date"], notes)

    nothing = pd.Series(np.nan, index=index, dtype="str")
    village_name = canon.get("village_name", nothing)
    village_id = canon.get("village_id", nothing)
    if "village" in plan.meta:
        column = plan.meta["village"]
        blank = village_name.isna() & village_id.isna()
        if blank.any():
            rejected.append(_reject(source_file, index[blank], column, None,
                                    "missing village 缺少村（社区）"))
        if register is not None:
            found, matched_name, reason = _match_villages(village_name, register)
            for text in reason.dropna().unique():  # at most two reasons
                bad = reason.eq(text)
                rejected.append(_reject(source_file, index[bad], column, village_name[bad],
                                        text))
            village_id = village_id.fillna(found)
            village_name = matched_name.fillna(village_name)
    elif "village_id" not in canon:
        notes.add("", "no_village_column",
                  "the export has no village question; village_id is empty"
                  "（问卷中没有村（社区）题）")
    if register is not None and "village_id" in canon:
        unknown = village_id.notna() & ~village_id.isin(register["village_id"].astype("str"))
        if unknown.any():
            rejected.append(_reject(source_file, index[unknown], "village_id",
                                    village_id[unknown], "unknown village 未知村（社区）"))
    weight = pd.Series(1.0, index=index)
    if "weight" in canon:
        weight = pd.to_numeric(canon["weight"], errors="coerce")
        bad = ~(weight > 0) | ~np.isfinite(weight)
        if bad.any():
            rejected.append(_reject(source_file, index[bad], "weight", canon["weight"][bad],
                                    "invalid weight 权重无效"))
    responses = pd.DataFrame({
        "response_id": response_id,
        "village_id": village_id,
        "village_name": village_name,
        "date": date,
        "gender": canon.get("gender", nothing),
        "age": canon.get("age", pd.Series(pd.NA, index=index, dtype="Int64")),
        "age_group": canon.get("age_group", nothing),
        "weight": weight,
        "source_file": source_file,
        "source_row": index.to_numpy(),
    }, index=index)
    return coerce(responses, "responses"), rejected


def read_survey_result(
    path: str | os.PathLike[str],
    *,
    codebook: str | os.PathLike[str] | pd.DataFrame | None = None,
    format: str = "auto",
    villages: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> SurveyResult:
    """Read one survey export; like :func:`read_survey` with warnings, stats and columns.

    The :class:`SurveyResult` also says what became of each column of the export (``columns``).
    See :func:`read_survey` for the arguments; ``settings`` defaults to ``Settings.load()``
    (positive and missing answers come from its ``[survey]`` section).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"'path' should be a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"'path' {str(path)!r} is not a file（问卷文件不存在）")
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv", ".txt"):
        raise ValueError(
            f"'path' should be an .xlsx, .xls or .csv export, got {path.name!r}"
            "（问卷导出文件应为 Excel 或 CSV）"
        )
    if format not in FORMATS:
        raise ValueError(f"'format' should be one of {list(FORMATS)}, got {format!r}")
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings, got {type(settings).__name__}")
    settings = settings if settings is not None else Settings.load()
    register = None if villages is None else check_villages(villages)
    book = _as_codebook(codebook)
    declared = _declared(book)
    source_file = path.name
    notes = _Notes(source_file)

    raw, sheet, other_sheets = _read_raw(path)
    data, data_rows, non_data = _table(raw)
    headers = list(data.columns)  # for the column record; a leaky header is masked below
    named = pd.Series(list(data.columns), dtype="str")
    leaky = privacy.personal_masks(named)
    leaky_any = np.logical_or.reduce([m.to_numpy() for m in leaky.values()]) if len(named) \
        else np.zeros(0, dtype=bool)
    if leaky_any.any():  # a header that is itself personal data (a phone typed as a header)
        for pos in np.flatnonzero(leaky_any):  # a few columns
            kind = next(k for k, m in leaky.items() if m.iloc[pos])
            headers[pos] = privacy.mask_text(named.iloc[pos])
            notes.skip(headers[pos], PERSONAL_REMOVED)
            notes.removed(headers[pos], "personal_data_column", kind,
                          "dropped", _cells(data.iloc[:, pos]),
                          "the header itself holds personal data（表头本身含个人信息）")
        data = data.loc[:, ~leaky_any]
    for name in other_sheets:
        notes.add(name, "sheet_ignored",
                  "only the first sheet is read; repeat groups are not loaded"
                  "（仅读取第一个工作表）")
    fmt = _detect_format(list(data.columns)) if format == "auto" else format
    plan = _PLANNERS[fmt](data, declared)
    _report_plan(plan, data, notes)

    canon, questions = _demographics(plan, data, declared, notes)
    items, rows = _items(questions, data, declared, notes, settings)
    codebook_out = _finish_codebook(rows, declared, settings, notes)
    known = set(codebook_out["item"]) | {q.key for q in plan.questions}
    for item in declared:
        if item not in known:
            notes.add(item, "codebook_item_unknown",
                      "the codebook lists an item the export does not have"
                      "（编码表中的题号在问卷中不存在）")

    responses, rejected_parts = _canonical(data, plan, canon, register, path, notes)
    if items:
        item_frame = pd.DataFrame(
            {name: items[name].astype("str") for name in codebook_out["item"]}, index=data.index
        )
        responses = pd.concat([responses, item_frame], axis=1)
    rejected = (
        coerce(pd.concat(rejected_parts, ignore_index=True), "rejected")
        if rejected_parts else empty_frame("rejected")
    )
    bad_rows = pd.Index(rejected["source_row"].dropna().astype("int64").unique())
    responses = responses.loc[~responses.index.isin(bad_rows)].reset_index(drop=True)
    rejected = rejected.sort_values(["source_row"], kind="stable").reset_index(drop=True)
    if sheet is not None:  # a CSV has no sheet
        rejected["sheet"] = rejected["sheet"].fillna(sheet)
    # a last pass: personal data left in what is kept (an address typed as the village, a phone
    # as the answer id) is masked, or hashed in identifiers; in rejected rows it is masked
    responses, removed = privacy.scrub(responses, ids=("response_id", "village_id"),
                                       skip=("source_file",), salt=privacy.salt_of(settings))
    for column, kind, action, cells in removed.itertuples(index=False):  # a few records
        notes.removed(column, "personal_data_values", kind, action, int(cells),
                      "found in the loaded answers（已读入的答卷中发现）")
    rejected, removed = privacy.scrub(rejected, skip=("table", "source_file"))
    for _column, kind, action, cells in removed[removed["column"] == "value"].itertuples(
            index=False):  # a few records
        notes.removed("(rejected rows 未导入行)", "personal_data_values", kind, action,
                      int(cells), "quoted in the rejected rows（未导入行中）")
    stats = {
        "table": "responses", "source_file": source_file, "sheet": sheet,
        "data_rows": int(data_rows), "loaded": len(responses), "rejected": len(bad_rows),
        "non_data": int(non_data),
    }
    columns = notes.columns(headers)
    warnings = notes.frame()
    if sheet is not None and "sheet" in warnings.columns:
        warnings = warnings.assign(sheet=warnings["sheet"].fillna(sheet))
    return SurveyResult(responses, codebook_out, rejected, warnings, stats, fmt, columns)


#: ``used_as`` of the metadata columns a plan uses.
_META_USE = {"review": "review_state", "validation": "validation_status"}


def _report_plan(plan: _Plan, data: pd.DataFrame, notes: _Notes) -> None:
    """Record (and warn about) the columns a plan leaves out, and the metadata it uses.

    Parameters
    ----------
    plan : _Plan
        From a planner: personal columns, columns not used (with the reason) and metadata roles.
    data : pandas.DataFrame
        The answers, to tell an empty column from an unknown one.
    notes : _Notes
        Receives a warning per personal or ignored column (metadata is recorded, not warned
        about: every export has it) and the column record.
    """
    for column in plan.personal:
        notes.skip(column, PERSONAL_REMOVED)
        notes.removed(column, "personal_data_column", "header", "dropped", _cells(data[column]),
                      "the header names personal data（表头为个人信息）")
    for column, why in plan.ignored.items():
        if why == UNKNOWN_HEADER and not _cells(data[column]):
            why = EMPTY
        notes.skip(column, why)
        if why != METADATA:
            notes.add(column, "column_ignored", _ignored_why(why))
    for role, column in plan.meta.items():
        notes.use(column, _META_USE.get(role, role))


def classify_levels(levels: pd.DataFrame, *, settings: Settings | None = None) -> pd.DataFrame:
    """Class each answer level of each item by ``[survey]``'s lists and the top-2 rule.

    docs/domain.md counts the top two levels of a scale as positive (知晓率 = (知道 + 听说过) /
    有效回答, 满意率 = (满意 + 比较满意) / …). Which levels those are depends on the item's own
    scale, so the rule is applied per item: ``[survey] positive_<domain>`` lists the levels that
    can count as positive, highest first, and an item counts the ``top_levels`` (default 2)
    highest of those it offers. On the 6-level 非常了解/比较了解/了解/一般/不太了解/不了解 that is
    非常了解 and 比较了解 (了解 is the third level and counts as negative); on 了解/不太了解/不了解
    it is 了解 alone (the only positive level, hence the top); on 知道/听说过/不知道 it is 知道 and
    听说过; on 是/否 it is 是. Neutral levels (一般, 无所谓) are never positive: they are answers,
    so they stay in the denominator.

    Parameters
    ----------
    levels : pandas.DataFrame
        One row per (item, level): columns ``item``, ``domain`` and ``answer``. List every level
        the item offers (its options, else the distinct answers given).
    settings : Settings, optional
        ``[survey]`` lists and ``top_levels``; default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``levels`` with ``ladder_rank`` (Int64: place on ``positive_<domain>``,
        1 = highest; NA when not on it), ``item_rank`` (Int64: dense rank of that place among
        the item's levels, 1 = the item's top) and ``level_class``: ``positive`` (item_rank ≤
        ``top_levels``), ``negative`` (in ``negative_<domain>``, or a positive level below the
        item's top ones), ``missing`` (in ``missing``) or ``unclassified`` (none of these).

    Raises
    ------
    TypeError
        When ``levels`` is not a DataFrame or ``settings`` not a Settings.
    ValueError
        When a column is missing.

    Examples
    --------
    >>> levels = pd.DataFrame({
    ...     "item": ["q1"] * 6 + ["q2"] * 3,
    ...     "domain": "awareness",
    ...     "answer": ["非常了解", "比较了解", "了解", "一般", "不太了解", "不了解",
    ...                "了解", "不太了解", "不了解"]})
    >>> out = classify_levels(levels, settings=Settings())
    >>> out.groupby("item")["level_class"].agg(list).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'q1': ['positive', 'positive', 'negative', 'negative', 'negative', 'negative'],
     'q2': ['positive', 'negative', 'negative']}
    """
    if not isinstance(levels, pd.DataFrame):
        raise TypeError(f"'levels' should be a DataFrame, got {type(levels).__name__}")
    absent = [c for c in ("item", "domain", "answer") if c not in levels.columns]
    if absent:
        raise ValueError(
            f"'levels' has no column {absent}; columns are {list(levels.columns)}"
            "（缺少列 item/domain/answer）"
        )
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings, got {type(settings).__name__}")
    settings = settings if settings is not None else Settings.load()
    domains = sorted({k.split("_", 1)[1] for k in settings.survey
                      if k.startswith(("positive_", "negative_"))})
    ladder = pd.DataFrame(
        [(d, a, r) for d in domains for r, a in enumerate(settings.positive_answers(d), 1)],
        columns=["domain", "answer", "ladder_rank"],
    ).drop_duplicates(["domain", "answer"])
    negative = pd.DataFrame(
        [(d, a) for d in domains for a in settings.negative_answers(d)],
        columns=["domain", "answer"],
    ).drop_duplicates()
    key = levels["domain"].astype("str") + "\x1f" + levels["answer"].astype("str").str.strip()
    rank = key.map(pd.Series(
        ladder["ladder_rank"].to_numpy(), index=ladder["domain"] + "\x1f" + ladder["answer"]
    )).astype("Int64")
    item_rank = rank.groupby(levels["item"].to_numpy()).rank(method="dense").astype("Int64")
    is_missing = levels["answer"].astype("str").str.strip().isin(settings.missing_answers)
    is_negative = key.isin(negative["domain"] + "\x1f" + negative["answer"])
    top = item_rank.le(settings.top_levels).fillna(False).to_numpy(dtype=bool)
    below = item_rank.gt(settings.top_levels).fillna(False).to_numpy(dtype=bool)
    out = levels.copy()
    out["ladder_rank"] = rank.array
    out["item_rank"] = item_rank.array
    out["level_class"] = pd.array(np.select(
        [is_missing.to_numpy(), top, below | is_negative.to_numpy()],
        ["missing", "positive", "negative"], "unclassified",
    ), dtype="str")
    return out


#: Prefixes of a "fairly" level (比较了解) and of the levels above it (非常了解 …).
_FAIRLY = r"^(?:比较|较)"
_STRONG = ("非常", "很", "十分", "完全")


def _scale_rule(rows: list[dict[str, Any]], settings: Settings, notes: _Notes) -> None:
    """Fill ``positive`` of the rows marked ``_rule`` by the top-2 rule, in place.

    Each item's levels are its options (declared, else the answers seen). An item whose levels
    come from the answers alone and whose top level is a 比较… level with no 非常/很/十分/完全…
    level seen, while a lower level also counts, gets a warning: nobody may have chosen the top
    level of a 非常…/比较…/… scale, and then the second level counted here is really the third.
    """
    ruled = [r for r in rows if r.get("_rule")]
    if not ruled:
        return
    levels = pd.DataFrame(
        [(r["item"], r["domain"], a) for r in ruled for a in r["options"]],
        columns=["item", "domain", "answer"],
    )
    out = classify_levels(levels, settings=settings)
    pos = out[out["level_class"].eq("positive")].sort_values(["item_rank"], kind="stable")
    chosen = pos.groupby("item", sort=False)["answer"].agg(tuple)
    for r in ruled:  # one pass over the items that follow pufa.toml
        r["positive"] = chosen.get(r["item"], ())
    from_answers = {r["item"] for r in ruled if not r["_declared_options"]}
    fairly = pos[pos["item"].isin(from_answers) & pos["item_rank"].eq(1)
                 & pos["answer"].str.contains(_FAIRLY)]
    stem = fairly["item"] + "\x1f" + fairly["answer"].str.replace(_FAIRLY, "", regex=True)
    offered = set(out["item"] + "\x1f" + out["answer"])
    strong_seen = np.logical_or.reduce(
        [stem.str.replace("\x1f", "\x1f" + p, regex=False).isin(offered) for p in _STRONG]
    ) if len(stem) else np.zeros(0, dtype=bool)
    several = fairly["item"].map(pos["item"].value_counts()).gt(1).to_numpy()
    for item, answer in fairly.loc[~strong_seen & several, ["item", "answer"]].itertuples(
            index=False):  # a few items at most
        stem_text = re.sub(_FAIRLY, "", answer)
        notes.add(item, "scale_top_unseen",
                  f"positive answers {'、'.join(chosen[item])} were decided from the answers "
                  f"given; if the questionnaire also offered 非常{stem_text}, it and {answer} are "
                  f"the top two levels: list the options (选项) or 肯定答案 in the codebook"
                  f"（按已有答案判定肯定答案为{'、'.join(chosen[item])}；若问卷另有“非常{stem_text}”"
                  f"选项而无人选择，请在编码表中填写选项或肯定答案）")


def _finish_codebook(
    rows: list[dict[str, Any]], declared: dict[str, dict[str, Any]], settings: Settings,
    notes: _Notes,
) -> pd.DataFrame:
    """Apply the codebook file item by item, then positives, missing and knowledge checks.

    Positive answers the codebook file does not give follow ``[survey]`` by the top-2 rule
    (:func:`classify_levels`). Negative answers stay as the file gives them; left empty, the
    rates take them from ``[survey]`` (:func:`pufa_metrics.survey.unclassified_answers`).
    """
    out = []
    for row in rows:  # one pass over the items
        base = declared.get(row.pop("_base") or "", {})
        numbers = row.pop("_numbers")
        own = declared.get(row["item"], {})
        shared = ("domain",) if row["kind"] == "multiple" else (
            "domain", "positive", "negative", "missing", "correct", "options"
        )
        given = {**{k: v for k, v in base.items() if k in shared}, **own}
        if row["kind"] == "multiple":
            given.pop("options", None)
        row.update({k: v for k, v in given.items() if k != "kind"})
        domain = row["domain"]
        correct = row["correct"]
        has_correct = isinstance(correct, str) and correct != ""
        if has_correct and "domain" not in given:
            domain = row["domain"] = "knowledge"
        row["_rule"] = False
        row["_declared_options"] = "options" in given
        if "positive" not in given:
            if row["kind"] == "multiple":
                row["positive"] = (SELECTED,)
            elif domain == "knowledge":
                row["positive"] = (correct,) if has_correct else ()
            elif domain in ("awareness", "support", "satisfaction") and not numbers:
                row["_rule"] = True  # the top-2 rule on the item's levels, below
            else:
                row["positive"] = ()
        if "missing" not in given and domain == "knowledge":
            row["missing"] = tuple(m for m in row["missing"] if m not in _DONT_KNOW)
        if domain == "knowledge" and not has_correct and "positive" not in given:
            notes.add(row["item"], "knowledge_without_correct",
                      "knowledge item without a correct answer: fill 正确答案 in the codebook"
                      "（知识题未给出正确答案，请在编码表“正确答案”列填写）")
        if has_correct and row["options"] and correct not in row["options"]:
            notes.add(row["item"], "correct_not_an_option",
                      "the correct answer is not among the answers seen or declared"
                      "（正确答案不在选项中）")
        if not has_correct:
            row["correct"] = np.nan
        out.append(row)
    _scale_rule(out, settings, notes)
    for row in out:  # drop the helper fields
        row.pop("_rule")
        row.pop("_declared_options")
    return _codebook_frame(out)


def read_survey(
    path: str | os.PathLike[str],
    *,
    codebook: str | os.PathLike[str] | pd.DataFrame | None = None,
    format: str = "auto",
    villages: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    r"""Read a survey export (问卷星, KoboToolbox, ODK or a plain table) into canonical frames.

    Parameters
    ----------
    path : str or path-like
        The export: ``.xlsx``/``.xls`` (first sheet) or ``.csv`` (UTF-8 or GBK; ``,``, ``;`` or
        tab separated).
    codebook : str, path-like or DataFrame, optional
        A codebook file (see :func:`read_codebook`) or frame. Each item it lists wins over the
        guess, field by field (blank cells keep the guess); an entry for ``q8`` applies to every
        row ``q8_1, q8_2, …`` of a matrix. Its options (选项) turn 按序号 option numbers into
        labels; its correct answer (正确答案) makes an item a knowledge item.
    format : {"auto", "wjx", "kobo", "odk", "plain"}
        The layout. ``auto``: 问卷星 when headers look like ``N、…`` next to 问卷星 metadata
        (序号, 提交答卷时间, 来自IP …); ODK when ``KEY``/``SubmissionDate``/``meta-instanceID`` is
        a header; Kobo when ``_uuid``/``_submission_time``/``_index`` is, or headers are
        ``/``-grouped; else a plain table (``response_id``, a village column, one column per
        item).
    villages : pandas.DataFrame, optional
        The village register (``village_id``, ``village_name``). Answers to the village question
        are matched to it tolerating 村/村委会/社区/居委会 suffixes, full-width characters and
        spaces; an answer that matches no village is rejected. Without it ``village_id`` stays
        empty and ``village_name`` is kept as written.

    Returns
    -------
    responses : pandas.DataFrame
        Canonical columns ``response_id, village_id, village_name, date, gender, age, age_group,
        weight, source_file, source_row`` (dtypes of ``schema.RESPONSES``), then one ``str``
        column per item in question order. ``weight`` is 1.0 unless the export has weights.
    codebook : pandas.DataFrame
        ``[item, text, domain, positive, negative, missing, correct, options, kind]``: ``domain``
        in awareness/knowledge/support/satisfaction (``other`` when none fits: not a rate item);
        ``positive``/``missing`` tuples from ``pufa.toml`` ``[survey]`` unless the codebook file
        says otherwise (positive: the item's top two levels, :func:`classify_levels`);
        ``negative`` as the file gives it, else empty (``[survey]``'s lists apply when rates are
        computed); for a knowledge item ``positive = (correct,)`` and 不知道/不清楚 count as
        answered and wrong.
    rejected : pandas.DataFrame
        ``schema.REJECTED`` columns, one row per problem: unknown or missing village, ODK
        review state Rejected, Kobo validation Not approved, duplicate response id, bad weight.

    Raises
    ------
    FileNotFoundError
        When ``path`` is not a file.
    TypeError, ValueError
        When an argument has the wrong type or value, or the codebook file is malformed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "问卷.csv"
    >>> _ = path.write_text(
    ...     "序号,提交答卷时间,来自IP,1、您所在的村（社区）：,2、您是否知道《民法典》？\n"
    ...     "1,2025/11/03 10:21:33,113.96.1.23(广东-梅州),大岭村,知道\n"
    ...     "2,2025/11/03 11:02:09,113.96.1.24(广东-梅州),罗湖,不知道\n", encoding="utf-8")
    >>> villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["大岭村", "罗湖村"]})
    >>> responses, codebook, rejected = read_survey(path, villages=villages)
    >>> responses[["response_id", "village_id", "village_name", "q2"]].values.tolist()
    [['1', 'V1', '大岭村', '知道'], ['2', 'V2', '罗湖村', '不知道']]
    >>> codebook.loc[0, ["item", "domain", "kind"]].tolist()
    ['q2', 'awareness', 'single']
    >>> "来自IP" in responses.columns, len(rejected)
    (False, 0)
    """
    result = read_survey_result(path, codebook=codebook, format=format, villages=villages)
    return result.responses, result.codebook, result.rejected


def score_knowledge(responses: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Score knowledge items as ``correct`` / ``incorrect`` / ``dont_know``.

    Every codebook item of domain ``knowledge`` with a correct answer is scored: the correct
    answer gives ``correct``, 不知道/不清楚/说不清 give ``dont_know`` (answered, not correct), an
    answer listed in ``missing`` or empty gives NaN, anything else ``incorrect``.

    Parameters
    ----------
    responses : pandas.DataFrame
        From :func:`read_survey`; needs ``response_id`` and the item columns.
    codebook : pandas.DataFrame
        Columns ``item``, ``domain``, ``correct`` and optionally ``missing``.

    Returns
    -------
    pandas.DataFrame
        ``response_id`` and one ``str`` column per scored item, in codebook order.

    Examples
    --------
    >>> responses = pd.DataFrame({"response_id": ["1", "2", "3", "4"],
    ...                           "q10": ["拨打110", "转账", "不知道", None]})
    >>> codebook = pd.DataFrame({"item": ["q10"], "domain": ["knowledge"],
    ...                          "correct": ["拨打110"], "missing": [("未作答",)]})
    >>> score_knowledge(responses, codebook)["q10"].tolist()
    ['correct', 'incorrect', 'dont_know', nan]
    """
    for name, frame in (("responses", responses), ("codebook", codebook)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name!r} should be a DataFrame, got {type(frame).__name__}")
    for column in ("item", "domain", "correct"):
        if column not in codebook.columns:
            raise ValueError(
                f"'codebook' has no column {column!r}; columns are {list(codebook.columns)}"
            )
    if "response_id" not in responses.columns:
        raise ValueError(
            f"'responses' has no column 'response_id'; columns are {list(responses.columns)}"
        )
    rules = codebook[codebook["domain"].eq("knowledge") & codebook["correct"].notna()]
    out = pd.DataFrame({"response_id": responses["response_id"]})
    for row in rules.to_dict("records"):  # one pass over the knowledge items
        item = row["item"]
        if item not in responses.columns:
            raise ValueError(f"codebook item {item!r} is not a column of 'responses'")
        answer = responses[item].astype("str").str.strip()
        missing = set(_split_list(row.get("missing", ()))) - set(_DONT_KNOW)
        no_answer = answer.isna() | answer.eq("") | answer.isin(missing)
        scored = np.select(
            [answer.eq(str(row["correct"])).to_numpy(), answer.isin(_DONT_KNOW).to_numpy()],
            ["correct", "dont_know"], "incorrect",
        )
        out[item] = pd.Series(scored, index=responses.index, dtype="str").mask(no_answer)
    return out
