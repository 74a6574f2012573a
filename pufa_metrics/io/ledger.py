"""Read one ledger as offices really keep it (:func:`read_ledger`), sheet by sheet.

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

Public entry point: :func:`read_ledger` (one file, one table); a folder is read by
:func:`pufa_metrics.io.dataset.load_dataset`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import privacy, schema
from ..config import Settings
from .cells import (
    DATE,
    SCORE_NA,
    SPACES,
    col_letter,
    hash_ids,
    nfkc,
    norm_text,
    nospace,
    parse_bools,
    parse_counts,
    parse_dates,
    parse_floats,
    parse_years,
    per_distinct,
    split_map,
    squeeze,
    topics_in_titles,
    year_in,
)
from .headers import HEADER_SCAN_ROWS, Header, canonical_column, choose_columns, find_header
from .problems import (
    COLUMN_RECORDS,
    LedgerError,
    empty_column_records,
    empty_problems,
    finish_problems,
    problem_rows,
    removal_warnings,
    scrub_problems,
)
from .villages import Register, build_register, check_villages, match_villages
from .workbook import WIDE, Progress, Sheet, fill_merges, read_raw

#: Tables read by this module's ledger reader (surveys go through :mod:`pufa_metrics.io.survey`).
LEDGER_TABLES: tuple[str, ...] = (
    "villages",
    "events",
    "sites",
    "cadres",
    "legal_literates",
    "adviser_visits",
)

#: Above this many unused (or header-less) columns in a sheet, one warning sums them up.
_MAX_COLUMN_WARNINGS = 20

#: Sheets that hold summaries or instructions: skipped (and reported) when they do not match.
_SKIP_SHEETS = ("汇总", "说明", "统计", "目录", "封面", "填表说明", "填报说明", "示例", "样表")

#: Sheets of the blank templates (`pufa template`) that hold instructions or drop-down lists:
#: skipped without a warning when no ledger header is on them (a filled template then reads
#: with no warning at all).
_QUIET_SHEETS = frozenset({"填表说明", "填报说明", "下拉选项"})

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
#: A register's row for the whole area (statistics tables put it first): 全镇, 全乡, 全街道,
#: 河口镇合计, 河口镇 (a village-level unit never ends in 镇, 乡 or 街道).
_AREA_TOTAL = re.compile(
    r"^(?:全|本)(?:镇|乡|街道|县|区|市)|^\S{0,12}(?:镇|乡|街道|街道办事处|苏木)(?:合计|总计|小计)?$"
)
#: The breakdown rows of a statistics table (其中：居委会, #村委会): parts of a total.
_OF_WHICH = re.compile(r"^(?:其中|#|内[:：])")

_NOTE = re.compile(
    r"^(?:注\d*|备注|说明|填表说明|填报说明|填报人|填表人|制表人?|审核人?|负责人|单位负责人|"
    r"分管领导|联系人|联系电话|填报日期|填表日期|制表日期|填报时间|报送日期)[:：]"
)

_EXCEL_ERROR = re.compile(r"^#(?:N/A|DIV/0!|REF!|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!)$")

#: Identifier columns: a value holding personal data is replaced by its salted hash (joins on
#: the identifier keep working); every other text column has the personal part masked.
ID_COLUMNS = ("event_id", "site_id", "village_id", "person_id", "response_id")

_LEVEL_TOWN = re.compile(r"^(?:镇|乡|街道|县|town)")

_LEVEL_VILLAGE = re.compile(r"^(?:村|社区|居|行政村|village)")

#: Headers of an events ledger's level column (镇级 / 村级): read, not stored.
_EVENT_LEVEL_HEADERS = frozenset({"级别", "活动级别", "层级", "活动层级"})

#: Title headers that may hold the topic instead (the reader decides by content).
_TITLE_OR_TOPIC = frozenset({"活动主题", "宣传主题", "主题"})

_KIND_COMMUNITY = re.compile(r"社区|居委|居民委员会|community")

_KIND_VILLAGE = re.compile(r"村|village")


@dataclass
class _Context:
    table: str
    source_file: str
    stem: str
    reg: Register | None
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
    columns: pd.DataFrame


def _missing_column_error(ctx: _Context, column: str, found: list, extra: str = "",
                          hints: list[tuple[str, str]] | None = None) -> LedgerError:
    """The error for a required column missing.

    ``hints`` are (header, why) of the sheet's columns that may be it, best first: the message
    asks "did you mean …" and gives the pufa.toml ``[columns]`` line that maps the best one
    (read back by :func:`columns_hints`).
    """
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
    zh_hint = en_hint = ""
    if hints:
        line = columns_toml_line(ctx.table, column, hints[0][0])
        zh_hint = ("；是否为：" + "、".join(f"“{h}”（{why}）" for h, why in hints)
                   + f"？如是，请在 pufa.toml 中加上 {line}")
        en_hint = ("; did you mean: " + ", ".join(f"'{h}' ({why})" for h, why in hints)
                   + f"? if so, add to pufa.toml {line}")
    return LedgerError(
        ctx.source_file,
        f"缺少必需的列“{label}”（{column}）{extra}；可接受的表头：{shown}；文件中的表头：{headers}"
        + zh_hint,
        f"required column '{column}' is missing{extra}; accepted headers: {shown}; "
        f"headers found: {headers}" + en_hint,
    )


def columns_toml_line(table: str, column: str, header: str) -> str:
    """The pufa.toml ``[columns]`` line mapping ``header`` to ``column`` of ``table``.

    Examples
    --------
    >>> columns_toml_line("events", "topic", "宣讲篇目")
    '[columns] topic = ["宣讲篇目"]'
    >>> columns_toml_line("villages", "population", "常住人口数")
    '[columns.villages] population = ["常住人口数"]'
    """
    section = "[columns]" if table == "events" else f"[columns.{table}]"
    return f"{section} {column} = [{json.dumps(header, ensure_ascii=False)}]"


_TOML_HINT = re.compile(r'(\[columns(?:\.[a-z_]+)?\]) ([a-z_]+) = \[("(?:[^"\\]|\\.)*")\]')


def columns_hints(messages) -> str:
    """The pufa.toml lines the "did you mean" of missing-column errors propose, as one snippet.

    ``messages``: error messages (e.g. ``Dataset.files["message"]``); headers proposed for the
    same column are listed together. Empty when no message proposes one.

    Examples
    --------
    >>> print(columns_hints(['a.xlsx: … add to pufa.toml [columns] topic = ["宣讲篇目"]',
    ...                      'b.xlsx: [columns] date = ["举办日"] / [columns] date = ["举办日"]']))
    [columns]
    topic = ["宣讲篇目"]
    date = ["举办日"]
    """
    sections: dict[str, dict[str, list[str]]] = {}
    for message in messages:  # a few error messages
        for section, column, header in _TOML_HINT.findall(str(message)):
            headers = sections.setdefault(section, {}).setdefault(column, [])
            if header not in headers:
                headers.append(header)
    lines: list[str] = []
    for section in sorted(sections, key=lambda x: (x != "[columns]", x)):  # [columns] first
        lines.append(section)
        lines += [f"{col} = [{', '.join(hs)}]" for col, hs in sections[section].items()]
    return "\n".join(lines)


def _first_cells(data: pd.DataFrame) -> pd.Series:
    """Each row's first non-empty cell (NaN for a blank row)."""
    if data.shape[1] > WIDE:  # a wide sheet: one pass over the cell array
        arr = data.to_numpy(dtype=object, na_value=None)
        present = ~pd.isna(arr)
        first = arr[np.arange(len(arr)), present.argmax(axis=1)]
        return pd.Series(first, index=data.index, dtype="str").where(present.any(axis=1))
    first = pd.Series(np.nan, index=data.index, dtype="str")
    for j in reversed(list(data.columns)):  # loop over (a few) columns
        first = data[j].fillna(first)
    return first


def _classify_rows(data: pd.DataFrame, header: Header, seq: int | None,
                   table: str, name_col: int | None = None) -> pd.Series:
    """Reason per row for non-data rows (blank, totals, note, repeated header), else NaN.

    Totals and notes are recognised by the row's first non-empty cell (the 序号 column left
    out) only, so that a data row mentioning 合计 or 注 in some later cell is never dropped; a
    repeated header row has at least half of the table's known headers (and at least two) in
    their own columns. In a register (``table="villages"``) the name cell (``name_col``) also
    marks the rows of a statistics table that are no village: the area's total (全镇, 全  镇,
    全乡, 全街道, 河口镇合计, or the town's own name) and its breakdowns (其中：…, #…).
    """
    reason = pd.Series(np.nan, index=data.index, dtype="str")
    if data.empty:
        return reason
    content = data.drop(columns=[seq]) if seq is not None else data
    blank = ~content.notna().any(axis=1)
    first = nfkc(squeeze(_first_cells(data)))
    totals = first.str.match(_TOTALS.pattern).fillna(False).astype(bool)
    if seq is not None:  # 序号 filled on the totals row too: the cell after it
        after = nfkc(squeeze(_first_cells(content)))
        totals |= after.str.match(_TOTALS.pattern).fillna(False).astype(bool)
    if table == "villages":
        # the name cell decides (a 所属镇 column before it names the town on every row);
        # without a known name column, the first cell (after 序号)
        if name_col is not None:
            cells = [nfkc(squeeze(data[name_col]))]
        else:
            cells = [first] + ([after] if seq is not None else [])
        for cell in cells:  # one or two columns
            totals |= cell.str.match(_AREA_TOTAL.pattern).fillna(False).astype(bool)
            of_which = cell.str.match(_OF_WHICH.pattern).fillna(False).astype(bool)
            reason[of_which] = "breakdown row 其中/#分项行 (part of a total, not a village)"
    note = first.str.match(_NOTE).fillna(False).astype(bool)
    known = [(j, schema.normalize_header(n)) for j, n in zip(data.columns, header.names,
                                                             strict=False)
             if n and canonical_column(n, table) is not None]
    same = pd.Series(0, index=data.index)
    for j, name in known:  # loop over the table's known columns (a handful)
        folded = per_distinct(squeeze(data[j]), lambda t: t.str.normalize("NFKC").str.lower())
        same += folded.eq(name).fillna(False).astype(int)
    repeated = same >= max(2, (len(known) + 1) // 2)
    reason[repeated] = "repeated header row 重复的表头行"
    reason[note] = "note row 注释行"
    reason[totals] = "totals row 合计行"
    reason[blank] = "blank row 空行"
    return reason


def title_text(preamble: pd.DataFrame) -> str | None:
    """The title of a sheet: the first row above the header that holds text (masked), or None.

    Examples
    --------
    >>> title_text(pd.DataFrame([[None, None], ["河口镇2024年普法活动台账"] * 2]))
    '河口镇2024年普法活动台账'
    """
    if preamble.empty:
        return None
    rows = preamble.astype("object").apply(  # a few title rows; a merged title once
        lambda r: " ".join(dict.fromkeys(str(v).strip() for v in r
                                         if pd.notna(v) and str(v).strip())), axis=1)
    rows = rows[rows.ne("")]
    return None if rows.empty else privacy.mask_text(str(rows.iloc[0]))


_NO_TOPIC_COLUMN = (
    "no topic column 无宣传内容列 (nor 活动名称): events loaded without topics; required-topic "
    "coverage is not assessed for their villages 各村必讲主题覆盖情况计为未评估"
)


def _title_year(preamble: pd.DataFrame) -> int | None:
    """The year named by the title rows (rows naming a 填报/制表 date are left out)."""
    if preamble.empty:
        return None
    texts = preamble.apply(lambda c: c.fillna(""), axis=0).astype("str").agg(" ".join, axis=1)
    texts = texts[~texts.str.contains(r"填报|填表|制表|报送|日期|时间", regex=True)]
    return year_in(" ".join(texts.tolist()))


_DERIVED_ID_RULE = (
    "the name without spaces, 村民委员会/村委会 → 村, 居民委员会/居委会 → 社区, and 'town/' in "
    "front when the register has a town column 名称去空格，村委会记为村、居委会记为社区，"
    "有所属镇时前加“镇/”"
)
_CJK_SPACE = r"(?<=[\u3400-\u9fff])[\s\u3000]+(?=[\u3400-\u9fff])"


def _register_hits(cells: pd.Series, reg: Register) -> tuple[pd.Series, pd.Series]:
    """Which cells name a register village by name, and which by id (matched once per text)."""
    distinct = pd.Series(cells.unique(), dtype="str")
    by_name = match_villages(distinct, None, reg, distinct.index)["status"]
    by_id = match_villages(None, distinct, reg, distinct.index)["status"]
    hit_name = cells.map(dict(zip(distinct, by_name.isin(["matched", "prefix"]), strict=True)))
    hit_id = cells.map(dict(zip(distinct, by_id.eq("matched"), strict=True)))
    return hit_name.astype(bool), hit_id.astype(bool)


def _clean_unit_names(names: pd.Series) -> pd.Series:
    """Village names as a person reads them: spaces between Chinese characters removed.

    Statistics tables indent names (ASCII or full-width spaces) and space them out to align
    columns (``大 布 村``); the name is ``大布村``.
    """
    return per_distinct(norm_text(names),
                        lambda t: t.str.replace(_CJK_SPACE, "", regex=True)).where(names.notna())


def derive_village_ids(names: pd.Series, towns: pd.Series | None = None) -> pd.Series:
    """Stable village ids for a register without a code column, made from the names.

    The rule (documented in the data contract): the name with every space removed (NFKC), its
    committee suffix shortened (村民委员会/村委会 → 村, 社区居民委员会/居民委员会/居委会 → 社区),
    and ``town/`` in front when the register gives the town. The same register always gives the
    same ids, and ledgers that only name villages match them by name as usual.

    Parameters
    ----------
    names : pandas.Series
        Village names as written in the register.
    towns : pandas.Series, optional
        The register's town column (所属镇), same index.

    Returns
    -------
    pandas.Series
        ``str`` ids (NaN where the name is blank), same index.

    Examples
    --------
    >>> names = pd.Series(["大 布 村", "大布村民委员会", "新街社区居委会", "新街居委会"])
    >>> derive_village_ids(names)
    0      大布村
    1      大布村
    2     新街社区
    3     新街社区
    dtype: str
    >>> derive_village_ids(pd.Series(["石龙村"]), pd.Series(["河口镇"])).tolist()
    ['河口镇/石龙村']
    """
    key = nospace(names)
    key = key.str.replace(r"(?:村民委员会|村委会|村委)$", "村", regex=True)
    key = key.str.replace(r"(?:社区)?(?:居民委员会|居委会)$", "社区", regex=True)
    if towns is not None:
        town = nospace(towns.reindex(names.index))
        key = key.where(town.isna(), town + "/" + key)
    return key.where(names.notna() & key.notna()).astype("str")


def _rows_naming_topics(cells: pd.Series, vocab: schema.TopicVocabulary,
                        limit: int = 5000) -> tuple[int, int]:
    """(rows naming a known topic, filled rows) among the first ``limit`` filled cells.

    Each distinct cell is read once.
    """
    filled = cells.dropna().head(limit)
    if not len(filled):
        return 0, 0
    counts = filled.value_counts()
    hit = [any(t in schema.TOPICS for t in vocab.split(u)) for u in counts.index]  # distinct
    return int(counts[hit].sum()), int(len(filled))


class SheetReader:
    """Read one sheet of one ledger into canonical rows, step by step.

    Each step is a method; they share the sheet's layout (header, data rows, column positions)
    and two lists a user sees in the end: ``problems`` (rows rejected, with the reason) and
    ``warnings`` (what was noticed but is no loss). :meth:`read` runs the steps in order.

    Parameters
    ----------
    sheet : Sheet
        The grid of text cells (see :func:`pufa_metrics.io.workbook.read_raw`).
    ctx : _Context
        The file being read: table, file name, register, today, settings.
    multi : bool
        Whether the file has several data sheets (generated ids then name the sheet).
    """

    def __init__(self, sheet: Sheet, ctx: _Context, *, multi: bool) -> None:
        self.sheet, self.ctx, self.multi = sheet, ctx, multi
        self.table = ctx.table
        self.spec = schema.TABLES[ctx.table]
        self.problems: list[pd.DataFrame] = []
        self.warnings: list[pd.DataFrame] = []
        self.header_of: dict[str, str] = {}  # canonical column -> the header as written
        self.flagged: dict[str, pd.Series] = {}  # canonical column -> rows already rejected
        self.year: int | None = None
        self.year_from = ("", "")
        self.name_col: int | None = None
        self.topics_unrecorded = False  # an events sheet with no topic (nor title) column
        self.derived_ids = False  # a register without a code column: ids made from names
        self.village_unclear: str | None = None  # why the village column could not be told
        self.columns = empty_column_records()

    # -- problems and warnings -------------------------------------------------------------
    def warn(self, rows, column, values, reason) -> None:
        """Add warning rows (not a loss): rows, the column's header, values and the reason."""
        self.warnings.append(problem_rows(rows, column, values, reason))

    def reject(self, col: str, raw: pd.Series, reason: pd.Series, where: str | None = None
               ) -> None:
        """Reject the rows whose ``reason`` is set, quoting ``raw``; remember them for ``col``."""
        bad = reason.notna()
        self.flagged[col] = self._flagged(col) | bad
        if bad.any():
            self.problems.append(problem_rows(self.idx[bad], where or self.header_of.get(col, col),
                                              raw[bad].to_numpy(), reason[bad]))

    def _flagged(self, col: str) -> pd.Series:
        return self.flagged.get(col, pd.Series(False, index=self.idx))

    def column(self, col: str) -> pd.Series | None:
        """The raw cells of a canonical column (a second column of the same meaning fills gaps)."""
        positions = self.primary.get(col)
        if not positions:
            return None
        s = self.rows[positions[0]]
        for j in positions[1:]:  # a second column with the same meaning fills the blanks
            s = s.fillna(self.rows[j])
        self.header_of[col] = self.header.names[positions[0]]
        return s

    # -- the steps ---------------------------------------------------------------------------
    def read(self) -> _SheetResult | None:
        """Run every step; None when the sheet has no header of the table."""
        grid, merges = fill_merges(self.sheet)
        header = find_header(grid, self.table,
                             aliases=self.ctx.settings.header_aliases(self.table))
        if header is None:
            return None
        self._layout(grid, header)
        self._find_year()
        self._find_village_column()
        self._choose_event_columns()
        self._check_required_columns()
        self.columns = self._account_columns()
        self._note_unread_columns(merges)
        nondata = _classify_rows(self.data, header, self.seq, self.table,
                                 name_col=self.primary.get("village_name", [None])[0])
        bar = Progress(len(self.spec.columns) + 4, f"{self.ctx.source_file}: 检查 checking",
                       self.ctx.progress, unit="step", size=len(self.data))
        self.rows = self.data.loc[nondata.isna()]
        self.idx = self.rows.index
        self._check_cells()
        self.out = pd.DataFrame(index=self.idx)
        self.out["source_file"] = self.ctx.source_file
        self.out["source_row"] = pd.array(self.idx, dtype="Int64")
        self._parse_columns(bar)
        bar.update(1)
        self.vstatus = self._match_village_cells()
        bar.update(1)
        topics = self._table_columns()
        bar.update(1)
        self._check_required_values()
        bar.update(1)
        result = self._finish(nondata, topics)
        bar.close()
        return result

    def _layout(self, grid: pd.DataFrame, header: Header) -> None:
        """The header's columns, the data block below it and the preamble above it."""
        self.grid, self.header = grid, header
        (self.primary, self.groups, self.personal, self.unused,
         self.seq) = choose_columns(header, self.table)
        self.header_end = header.row + header.depth - 1
        below = grid.loc[grid.index > self.header_end]
        nonblank = below.notna().any(axis=1)
        last = nonblank[nonblank].index.max() if nonblank.any() else self.header_end
        self.data = below.loc[below.index <= last]  # trailing blank rows left out
        self.preamble = grid.loc[grid.index < header.row]

    def _find_year(self) -> None:
        """The year for dates written without one: sheet name, then title, then file name."""
        for source, found in ((("sheet name", "工作表名"), year_in(self.sheet.name)),
                              (("title", "标题"), _title_year(self.preamble)),
                              (("file name", "文件名"), year_in(Path(self.ctx.source_file).name))):
            if found is not None:
                self.year, self.year_from = found, source
                return

    def _find_village_column(self) -> None:
        """A ledger with no recognised village column: find the column that names villages.

        Each column not otherwise used is matched against the register (by name and by id).
        The one whose cells mostly (at least half of the filled cells) name register villages
        is the village column, with a warning naming it; when several columns do, or one
        does only in part, the reader cannot tell and every row is rejected with that reason
        (never loaded as a town-wide event). A ledger none of whose columns name a village of
        the register stays town-wide.
        """
        if (self.table == "villages" or "village_name" not in self.spec.columns
                or "village_name" in self.primary or "village_id" in self.primary
                or self.ctx.reg is None):
            return
        reg, data, names = self.ctx.reg, self.data, self.header.names
        candidates = [(j, name) for j, name, _why in self.unused]
        candidates += [(j, col_letter(j)) for j in range(self.grid.shape[1]) if names[j] is None]
        found = []
        for j, label in candidates:  # loop over a few columns
            cells = data[j].dropna()
            if not len(cells) or cells.nunique() > 5000:
                continue
            hit_name, hit_id = _register_hits(cells, reg)
            share = max(hit_name.mean(), hit_id.mean())
            if share > 0:
                kind = "village_id" if hit_id.mean() > hit_name.mean() else "village_name"
                found.append((share, j, label, kind, int(max(hit_name.sum(), hit_id.sum())),
                              len(cells)))
        if not found:
            return
        found.sort(key=lambda f: -f[0])
        share, j, label, kind, hits, filled = found[0]
        listed = "、".join(f"{f[2]} ({f[4]}/{f[5]})" for f in found)
        if share >= 0.5 and not (len(found) > 1 and found[1][0] >= 0.5):
            self.primary[kind] = [j]
            self.unused = [u for u in self.unused if u[0] != j]
            if names[j] is None:
                self.header.names[j] = label
            self.warn([pd.NA], label, [pd.NA],
                      f"village column found by content 按内容识别出村（社区）列: {label} "
                      f"({hits} of {filled} cells name villages of the register "
                      "个单元格为登记村名)")
            return
        self.village_unclear = (
            f"no village column 未识别出村（社区）列: column(s) {listed} name villages of the "
            "register in part, so the reader cannot tell where each event was 无法判断活动所在村; "
            "head the village column 村（社区） or map it in pufa.toml [columns]"
        )

    def _account_columns(self) -> pd.DataFrame:
        """What became of every column of the sheet: used as which column, or why not.

        One row per column that has a header or any cell below the header (``used_as`` empty
        for a column not used, ``reason`` saying why: personal data removed, unknown header,
        empty, sequence number, part of a total, no header).
        """
        header, data = self.header, self.data
        used = {j: col for col, js in self.primary.items() for j in js}
        used.update({j: f"{col} (summed 子列相加)" for col, js in self.groups.items() for j in js})
        not_used = {j: why for j, _name, why in self.unused}
        filled = data.notna().any(axis=0)
        records = []
        for j in range(self.grid.shape[1]):  # loop over the sheet's columns
            name = header.names[j]
            if name is None and not filled[j]:
                continue
            as_, why = used.get(j, ""), ""
            if j in self.personal:
                as_ = "person_id (hashed 哈希)" if j == self.name_col else ""
                why = "" if as_ else "personal data removed 个人信息已移除"
            elif j == self.seq:
                why = "sequence number 序号"
            elif not as_:
                why = not_used.get(j, "no header 无表头" if name is None else
                                   "unknown header 无法识别的表头")
                if not filled[j] and name is not None:
                    why = "empty 空列"
            records.append({"column": col_letter(j), "header": name or "", "used_as": as_,
                            "reason": why})
        frame = pd.DataFrame(records, columns=["column", "header", "used_as", "reason"])
        return frame.assign(table=self.table, source_file=self.ctx.source_file,
                            sheet=self.sheet.name)[list(COLUMN_RECORDS)].astype(COLUMN_RECORDS)

    def _check_required_columns(self) -> None:
        """Raise :class:`LedgerError` when a required column is missing (with accepted headers)."""
        header = self.header
        if "person_id" in self.spec.columns and "person_id" not in self.primary:
            for j in self.personal:
                name = header.children[j] or header.names[j]
                if schema.normalize_header(name) in ("姓名", "名字"):
                    self.name_col = j
                    break
        has = set(self.primary) | set(self.groups)
        stand_ins = {
            "village_id": "village_name" in has,
            "topic": "title" in has,
            "person_id": self.name_col is not None,
            "year": self.year is not None,
        }
        for col in self.spec.required:
            if col in has or stand_ins.get(col, False):
                continue
            hints = self._column_hints(col)
            if col == "topic" and self.table == "events" and "date" in has and not hints:
                # a ledger that does not record topics (no column may hold them): its events
                # load, and required-topic coverage is "not assessed" for their villages, never
                # "never covered" (coverage.unrecorded_events). A column that may be the topic
                # (did you mean …) still stops the file, with the pufa.toml line that maps it.
                self.warn([pd.NA], None, [pd.NA], _NO_TOPIC_COLUMN)
                self.topics_unrecorded = True
                continue
            extra = " (and no title column 活动名称 to find topics in)" if col == "topic" else ""
            raise _missing_column_error(self.ctx, col, [n for n in header.names if n], extra,
                                        hints)

    def _note_unread_columns(self, merges) -> None:
        """Warn about what is not read: personal data, unused and header-less columns, merges."""
        header, data = self.header, self.data
        for j in self.personal:
            cells = int(data[j].notna().sum())
            if j == self.name_col:
                reason = privacy.removal_reason(
                    "name", "hashed", cells, why="names hashed into person_id, then dropped "
                    "姓名经加盐哈希生成 person_id 后删除")
            else:
                reason = privacy.removal_reason("header", "dropped", cells,
                                                why="the column is not read 该列不读取")
            self.warn([pd.NA], header.names[j], [pd.NA], reason)
        filled = data.notna().any(axis=0)
        spare = [(j, name, why) for j, name, why in self.unused if filled[j]]
        if len(spare) <= _MAX_COLUMN_WARNINGS:
            for _j, name, why in spare:  # a few columns
                self.warn([pd.NA], name, [pd.NA], f"column not used 未使用的列: {why}")
        else:
            self.warn([pd.NA], f"{len(spare)} columns", [pd.NA],
                      f"{len(spare)} columns not used 列未使用, e.g. "
                      + "、".join(str(n) for _, n, _why in spare[:5]))
        nameless = [j for j in range(self.grid.shape[1])
                    if header.names[j] is None and filled[j]]
        if len(nameless) <= _MAX_COLUMN_WARNINGS:
            for j in nameless:  # a few columns
                self.warn([pd.NA], col_letter(j), [pd.NA],
                          "column without a header ignored 无表头的列未读取")
        else:
            first, last = col_letter(nameless[0]), col_letter(nameless[-1])
            self.warn([pd.NA], f"{first}–{last}", [pd.NA],
                      f"{len(nameless)} columns without a header ignored 无表头的列未读取 "
                      f"({first}–{last}); delete them or give them a header 请删除或补上表头")
        if data.empty or not data.notna().to_numpy().any():
            self.warn([pd.NA], None, [pd.NA],
                      "no data rows under the header 表头下没有数据行; the sheet adds nothing")
        for r0, c0, r1, c1 in merges:  # merged ranges running down across data rows (few)
            if r1 > r0 and r1 > self.header_end:
                start = max(r0, self.header_end + 1)
                for j in range(c0, c1 + 1):
                    self.warn([start], header.names[j] or col_letter(j), [self.grid.at[r0, c0]],
                              f"merged cells filled down 合并单元格已向下填充: rows {start}–{r1}")

    def _check_cells(self) -> None:
        """Reject formulas without a saved result and Excel error values in used columns."""
        rows, idx, names = self.rows, self.idx, self.header.names
        used = sorted({j for v in (*self.primary.values(), *self.groups.values()) for j in v})
        formulas = (self.sheet.formulas.reindex(index=idx) if self.sheet.formulas is not None
                    else None)
        for j in used:  # loop over columns
            if formulas is not None and j in formulas.columns:
                cells = formulas[j].dropna()
                if len(cells):
                    self.problems.append(problem_rows(
                        cells.index, names[j], cells.to_numpy(),
                        "formula without a saved result 公式没有计算结果; open the file in Excel "
                        "and save it again 请在 Excel 中打开并重新保存",
                    ))
            err = rows[j].str.match(_EXCEL_ERROR.pattern).fillna(False).astype(bool)
            if err.any():
                self.problems.append(problem_rows(
                    idx[err], names[j], rows[j][err].to_numpy(),
                    "Excel error value 单元格错误值; fix the formula in Excel "
                    "请在 Excel 中修正公式"))
                rows[j] = rows[j].mask(err)  # reported once, not again as an unreadable value

    def _parse_columns(self, bar: Progress) -> None:
        """Parse every plain column by its dtype: dates, counts, decimals, yes/no, text."""
        special = {"source_file", "source_row", "topic", "form", "audience", "attendees_approx",
                   "materials_approx", "year", "kind", "level", "group"}
        if self.table != "villages":
            special |= {"village_id", "village_name"}
        approx_masks: dict[str, pd.Series] = {}
        for col, dtype in self.spec.columns.items():  # loop over the table's columns
            bar.update(1)
            if col in special:
                continue
            if col in self.groups:  # two-level header: sub-columns of one count are summed
                self.out[col], approx_masks[col] = self._sum_sub_columns(col)
                continue
            raw = self.column(col)
            if raw is None:
                continue
            if dtype == DATE:
                self.out[col] = self._parse_date_column(col, raw)
            elif dtype == "Int64":
                vals, approx_masks[col], noise, reason = parse_counts(raw)
                self.reject(col, raw, reason)
                self._note_float_noise(col, raw, noise)
                self.out[col] = vals
            elif dtype == "float64":
                vals, reason = parse_floats(
                    raw, allow_negative=col in ("lon", "lat"),
                    na_words=SCORE_NA if col == "exam_score" else frozenset(),
                )
                self.reject(col, raw, reason)
                self.out[col] = vals
            elif dtype == "boolean":
                vals, reason = parse_bools(raw, certificate=col == "enforcement_cert")
                self.reject(col, raw, reason)
                self.out[col] = vals
            elif dtype in ("str", "object"):
                self.out[col] = norm_text(raw)
        self._note_approximate(approx_masks)

    def _sum_sub_columns(self, col: str) -> tuple[pd.Series, pd.Series]:
        """A count under a two-level header: its sub-columns summed (and a warning saying so)."""
        idx, names = self.idx, self.header.names
        total = pd.Series(pd.array([pd.NA] * len(idx), dtype="Int64"), index=idx)
        any_approx = pd.Series(False, index=idx)
        for j in self.groups[col]:
            vals, approx, noise, reason = parse_counts(self.rows[j])
            self.reject(col, self.rows[j], reason, where=names[j])
            self._note_float_noise(col, self.rows[j], noise, where=names[j])
            total = (total.fillna(0) + vals.fillna(0)).where(total.notna() | vals.notna())
            any_approx |= approx
        self.header_of[col] = self.header.parents[self.groups[col][0]]
        self.warn([pd.NA], self.header_of[col], [pd.NA],
                  f"sub-columns summed into {col} 子列已相加: "
                  + "、".join(names[j] for j in self.groups[col]))
        return total, any_approx

    def _note_float_noise(self, col: str, raw: pd.Series, noise: pd.Series,
                          where: str | None = None) -> None:
        """One warning for counts read as the whole number they are within 1e-6 of."""
        if noise.any():
            rows = self.idx[noise.to_numpy()]
            self.warn(rows, where or self.header_of.get(col, col), raw[noise].to_numpy(),
                      f"float noise rounded to a whole number 浮点误差已取整 "
                      f"({int(noise.sum())} cells, e.g. {raw[noise].iloc[0]})")

    def _parse_date_column(self, col: str, raw: pd.Series) -> pd.Series:
        vals, reason, inferred, partial = parse_dates(
            raw, year=self.year, today=self.ctx.today, partial=self.table == "sites",
            origin=self.sheet.origin,
        )
        self.reject(col, raw, reason)
        where = self.header_of[col]
        if inferred.any():
            first = self.idx[inferred.to_numpy()][0]
            self.warn([first], where, [raw[first]],
                      f"year {self.year} taken from the {self.year_from[0]} "
                      f"年份取自{self.year_from[1]} ({int(inferred.sum())} dates written without "
                      "a year)")
        if partial.any():
            self.warn(self.idx[partial.to_numpy()], where, raw[partial].to_numpy(),
                      "partial date read as the first day 日期不完整，按当月（年）第一天计")
        return vals

    def _note_approximate(self, approx_masks: dict[str, pd.Series]) -> None:
        for col, mask in approx_masks.items():
            if col in _APPROX_COLUMNS:
                self.out[_APPROX_COLUMNS[col]] = mask
            if mask.any():
                shown = self.column(col) if col in self.primary else self.out[col].astype("str")
                self.warn(self.idx[mask.to_numpy()], self.header_of.get(col, col),
                          shown[mask].to_numpy(),
                          f"approximate figure 约数, flagged and read as {col} = "
                          + self.out.loc[mask, col].astype("str"))

    def _match_village_cells(self) -> pd.Series | None:
        """Village cells matched to the register; unknown, ambiguous, several rejected."""
        if self.table == "villages" or "village_name" not in self.spec.columns:
            return None
        idx = self.idx
        if self.village_unclear is not None:  # rejected, never loaded as town-wide events
            self.reject("village_id", pd.Series(np.nan, index=idx, dtype="str"),
                        pd.Series(self.village_unclear, index=idx, dtype="str"), where="")
            return None
        vname, vid = self.column("village_name"), self.column("village_id")
        if vname is None and vid is None:
            return None
        match = match_villages(vname, vid, self.ctx.reg, idx)
        self.out["village_id"] = match["village_id"]
        self.out["village_name"] = match["village_name"]
        vstatus = match["status"]
        name_header = self.header_of.get("village_name", self.header_of.get("village_id"))
        shown = vname if vname is not None else vid
        for code, where, values, reason in (
            ("unknown", name_header, shown,
             "unknown village 未知村（社区）: {v}; expected one of the register"),
            ("unknown_id", self.header_of.get("village_id"), vid,
             "unknown village id 未知村（社区）编码: {v}; expected one of the register"),
            ("ambiguous", name_header, shown,
             "ambiguous village name 村名不唯一: {v}; several villages of the register match,"
             " write the full name or the id"),
            ("several", name_header, shown,
             "several villages in one cell 一格中有多个村: {v}; write one row per village"),
        ):
            bad = vstatus.eq(code)
            if bad.any():
                self.flagged["village_id"] = self._flagged("village_id") | bad
                v = values[bad]
                self.problems.append(problem_rows(idx[bad.to_numpy()], where, v.to_numpy(),
                                                  v.map(lambda x, r=reason: r.format(v=x))))
        pre = vstatus.eq("prefix")
        if pre.any():
            first = shown[pre].drop_duplicates()
            self.warn(first.index, name_header, first.to_numpy(),
                      "village matched by the start of the name 按名称开头匹配村: "
                      + self.out.loc[first.index, "village_name"])
        return vstatus

    def _table_columns(self) -> pd.DataFrame | None:
        """Columns particular to a table; the events' (row, topic) pairs for events."""
        topics = None
        if self.table == "events":
            topics = self._events_columns()
        elif self.table == "sites":
            self._sites_columns()
        elif self.table == "villages":
            self._villages_columns()
        if self.table in ("cadres", "legal_literates"):
            self._people_columns()
        if self.table == "legal_literates":
            group = self.column("group")
            if group is not None:
                joined, unknown = split_map(
                    group, lambda v: SPACES.sub("", v), schema.LEGAL_LITERATE_GROUPS
                )
                self.out["group"] = joined
                for row, value in zip(unknown["row"], unknown["value"], strict=True):  # distinct
                    self.warn([row], self.header_of["group"], [value],
                              "unknown group kept as written 未知身份类别，按原样保留")
        return topics

    def _generated_ids(self, col: str) -> None:
        """``col`` (event_id, site_id) from the ledger, else "file stem[:sheet]:row"."""
        label = self.sheet.name if self.multi else None
        stem = self.ctx.stem
        prefix = f"{stem}:{label}:" if label is not None else f"{stem}:"
        generated = prefix + pd.Series(self.idx, index=self.idx).astype("str")
        if col in self.out.columns:
            self.out[col] = self.out[col].fillna(generated)
        else:
            self.out[col] = generated

    # -- events: the topic column chosen by content, 级别, topics found in free text ----------
    def _choose_event_columns(self) -> None:
        """Events: which column holds the topic, and the 级别 (镇级/村级) column if any.

        活动主题 / 宣传主题 / 主题 may be a title or the topic, and a ledger may have two
        topic-like columns (内容 and 主要内容) or two title-like ones (活动名称 and 活动主题).
        When more than one column could be the topic, the one whose cells name a known topic
        (:func:`pufa_metrics.schema.split_topics`) in most rows is the topic and the others are
        read as the title; a warning names the choice with the counts. Headers the analyst
        mapped in pufa.toml ``[columns]`` are never re-decided.
        """
        if self.table != "events":
            return
        self._take_level_column()
        names, fixed = self.header.names, dict(self.header.aliases)
        topic_js = list(self.primary.get("topic", []))
        title_js = list(self.primary.get("title", []))
        cands = topic_js + title_js
        if any(c in fixed for j in cands for c in schema.header_candidates(names[j])):
            return  # the analyst said which column is which
        either = [j for j in title_js if schema.normalize_header(names[j]) in _TITLE_OR_TOPIC]
        if not (len(topic_js) >= 2 or (not topic_js and len(title_js) >= 2)
                or (len(topic_js) == 1 and either)):
            return
        vocab = schema.topic_vocabulary(self.ctx.settings.topic_aliases)
        counts = {j: _rows_naming_topics(self.data[j], vocab) for j in cands}
        rank = {j: (0 if j in topic_js else 1 if j in either else 2) for j in cands}
        best = min(cands, key=lambda j: (-counts[j][0], rank[j], j))
        if counts[best][0] == 0:
            return  # no column names a known topic: the headers decide
        titles = [j for j in title_js + topic_js if j != best]
        self.primary["topic"] = [best]
        if titles:
            self.primary["title"] = titles
        else:
            self.primary.pop("title", None)
        shown = "; ".join(f"{names[j]} {counts[j][0]}/{counts[j][1]}" for j in cands)
        others = "、".join(names[j] for j in titles)
        self.warn([pd.NA], names[best], [pd.NA],
                  f"topic column chosen by content 按内容判断宣传内容列: {names[best]} "
                  f"(rows naming a known topic 含已知宣传内容的行: {shown})"
                  + (f"; {others} read as the title 作为活动名称" if others else ""))

    def _column_hints(self, col: str) -> list[tuple[str, str]]:
        """Columns of the sheet that may be the missing ``col``: (header, why), best first.

        Among the columns not used: a header close to an accepted one (difflib ratio ≥ 0.5 on
        normalised headers), or cells that look like ``col`` (dates for a date column, known
        topics for the topic, register villages for a village column; at least half the
        filled cells). Content first, then the closer header; at most three.
        """
        spec = self.spec
        accepted = {schema.normalize_header(a): a for a in spec.accepted_headers(col)}
        if col in ("topic", "village_id"):
            stand_in = "title" if col == "topic" else "village_name"
            accepted.update({schema.normalize_header(a): a
                             for a in spec.accepted_headers(stand_in)})
        found = []
        for j, name, *_ in self.unused:  # a few columns
            norm = schema.normalize_header(name)
            ratio, like = max(((difflib.SequenceMatcher(None, norm, a).ratio(), shown)
                               for a, shown in accepted.items()), default=(0.0, ""))
            cells = self.data[j].dropna().head(500)
            hits, what = self._cells_like(col, cells)
            share = hits / len(cells) if len(cells) else 0.0
            why = [f"{hits} of {len(cells)} cells {what}"] if share >= 0.5 else []
            if ratio >= 0.5:
                why.append(f"header close to {like} 表头相近")
            if why:
                found.append((-share if share >= 0.5 else 0.0, -ratio, j, name, "; ".join(why)))
        found.sort()
        return [(name, why) for *_, name, why in found[:3]]

    def _cells_like(self, col: str, cells: pd.Series) -> tuple[int, str]:
        """How many ``cells`` look like values of ``col``, and what they look like."""
        if not len(cells):
            return 0, ""
        dtype = self.spec.columns.get(col)
        if dtype == DATE:
            _, reason, _, _ = parse_dates(cells, year=self.year, today=self.ctx.today,
                                          partial=True, origin=self.sheet.origin)
            ok = reason.isna() | reason.str.startswith(("date without a year", "date after today")
                                                        ).fillna(False)
            return int(ok.sum()), "are dates 为日期"
        if col == "topic":
            vocab = schema.topic_vocabulary(self.ctx.settings.topic_aliases)
            return _rows_naming_topics(cells, vocab)[0], "name known topics 含已知宣传内容"
        if col in ("village_id", "village_name") and self.ctx.reg is not None:
            hit_name, hit_id = _register_hits(cells, self.ctx.reg)
            return int((hit_name | hit_id).sum()), "name villages of the register 为登记村名"
        return 0, ""

    def _take_level_column(self) -> None:
        """The events' 级别 column (镇级/村级), if any, taken out of the unused columns."""
        for j, name, *_ in self.unused:  # a few columns
            if any(c in _EVENT_LEVEL_HEADERS for c in schema.header_candidates(name)):
                self.primary["level"] = [j]
                self.unused = [u for u in self.unused if u[0] != j]
                return

    def _town_level_events(self) -> None:
        """级别 镇级 on a row whose place is no village of the register: a town-wide event.

        Such a row is not rejected as an unknown village (镇文化站, 镇政府广场 …); a warning lists
        them. Without a 级别 column the village cell alone decides (镇区, 镇级 → town-wide).
        """
        raw = self.column("level")
        if raw is None or self.vstatus is None:
            return
        text = nospace(raw).str.lower()
        town = text.str.match(_LEVEL_TOWN).fillna(False).astype(bool)
        village = text.str.match(_LEVEL_VILLAGE).fillna(False).astype(bool)
        where = self.header_of["level"]
        odd = text.notna() & ~town & ~village
        if odd.any():
            self.warn(self.idx[odd.to_numpy()], where, raw[odd].to_numpy(),
                      "unknown level 未知级别 (expected 镇级 or 村级); the place decides")
        lift = town & self.vstatus.eq("unknown")
        if not lift.any():
            return
        rows = self.idx[lift.to_numpy()]
        self.problems = [p[~(p["source_row"].isin(rows).fillna(False).astype(bool)
                             & p["reason"].astype("str").str.startswith("unknown village"))]
                         for p in self.problems]
        self.flagged["village_id"] = self._flagged("village_id") & ~lift
        self.vstatus = self.vstatus.mask(lift, "town")
        place = self.column("village_name")
        shown = place[lift] if place is not None else raw[lift]
        self.warn(rows, where, shown.to_numpy(),
                  "town-level event (级别 镇级) at a place that is no village of the register: "
                  "town-wide 镇级活动，地点不是登记的村（社区），按全镇活动计")

    def _event_topics(self) -> pd.DataFrame:
        """(row, topic) pairs: :func:`pufa_metrics.schema.split_topics` of each row.

        Every topic the cell names, found once per distinct cell (a Python loop over the
        distinct cells, never over the rows); for rows whose cell names no known topic, the
        known topics their title names, once per distinct title.
        """
        idx, aliases = self.idx, self.ctx.settings.topic_aliases
        vocab = schema.topic_vocabulary(aliases)
        raw = self.column("topic")
        if raw is None:
            raw = pd.Series(np.nan, index=idx, dtype="str")
        cells = {u: vocab.split(u) for u in raw.dropna().unique()}  # distinct cells
        known = [u for u, v in cells.items() if any(t in schema.TOPICS for t in v)]
        parts = raw.map(cells).explode().dropna()
        topics = pd.DataFrame({"row": parts.index.to_numpy(),
                               "value": parts.astype("str").to_numpy()})
        title = self.column("title")
        need = ~raw.isin(known)
        if title is not None and need.any():
            found = topics_in_titles(title[need.to_numpy()], aliases=aliases)
            if len(found):
                topics = pd.concat([topics[~topics["row"].isin(found["row"])], found],
                                   ignore_index=True)
                self.warn([found["row"].iloc[0]], self.header_of.get("title", "title"), [pd.NA],
                          "topic taken from the title 宣传内容取自活动名称 "
                          f"({found['row'].nunique()} rows)")
        order = pd.Series(np.arange(len(idx)), index=idx)
        topics = topics.assign(_o=topics["row"].map(order)).sort_values("_o", kind="stable")
        return topics.drop_duplicates(["row", "value"])[["row", "value"]]

    def _events_columns(self) -> pd.DataFrame:
        idx, out = self.idx, self.out
        self._generated_ids("event_id")
        self._town_level_events()
        topics = self._event_topics()
        out["topic"] = topics.drop_duplicates("row").set_index("row")["value"].reindex(idx)
        unknown = topics[~topics["value"].isin(list(schema.TOPICS))].drop_duplicates("value")
        for row, value in zip(unknown["row"], unknown["value"], strict=True):  # distinct topics
            self.warn([row], self.header_of.get("topic", "topic"), [value],
                      "unknown topic kept as written 未知宣传内容，按原样保留; add it to pufa.toml "
                      "[topics] aliases 可在 pufa.toml [topics] aliases 中补充别名")
        # forms: canonical values, several in a cell joined with 、 (audiences: _audience_column)
        for col, mapper, known, label in (
            ("form", schema.canonical_form, schema.FORMS, "活动形式"),
        ):
            raw = self.column(col)
            if raw is None:
                continue
            joined, unknown = split_map(raw, mapper, known)
            out[col] = joined
            for row, value in zip(unknown["row"], unknown["value"], strict=True):
                self.warn([row], self.header_of[col], [value],
                          f"unknown {col} kept as written 未知{label}，按原样保留")
        self._audience_column()
        return pd.DataFrame({"row": topics["row"].to_numpy(),
                             "topic": topics["value"].astype("str").to_numpy()})

    def _audience_column(self) -> None:
        """参加对象: every group a cell names, joined with 、.

        Read by :func:`pufa_metrics.schema.split_audiences` (groups found inside free text too,
        pufa.toml [audiences] aliases). A blank cell stays NA (no group named); so does every
        event of a ledger without the column, whose audiences then count as not recorded
        (:func:`pufa_metrics.coverage.unrecorded_events`). Each distinct unknown text is warned
        once (the loop is over distinct cells, never over rows).
        """
        raw = self.column("audience")
        if raw is None:
            return
        vocab = schema.audience_vocabulary(self.ctx.settings.audience_aliases)
        groups = {u: vocab.split(u) for u in raw.dropna().unique()}  # distinct cells
        joined = {u: "、".join(g) if g else np.nan for u, g in groups.items()}
        self.out["audience"] = raw.map(joined).astype("str")
        parts = raw.map(groups).explode().dropna()
        unknown = parts[~parts.isin(list(schema.AUDIENCES))].drop_duplicates()
        for row, value in zip(unknown.index, unknown, strict=True):  # distinct unknown texts
            self.warn([row], self.header_of["audience"], [value],
                      "unknown audience kept as written 未知参加对象，按原样保留; add it to "
                      "pufa.toml [audiences.aliases] 可在 pufa.toml [audiences.aliases] 中补充别名")

    def _sites_columns(self) -> None:
        idx, out = self.idx, self.out
        self._generated_ids("site_id")
        raw = self.column("level")
        level = pd.Series(np.nan, index=idx, dtype="str")
        written = pd.Series(False, index=idx)
        if raw is not None:
            text = nospace(raw).str.lower()
            written = text.notna()
            level[text.str.match(_LEVEL_TOWN).fillna(False).astype(bool)] = "town"
            level[text.str.match(_LEVEL_VILLAGE).fillna(False).astype(bool)] = "village"
            reason = pd.Series(np.nan, index=idx, dtype="str")
            reason[written & level.isna()] = "unknown level 未知级别 (expected 镇级 or 村级)"
            self.reject("level", raw, reason)
        blank = ~written
        if blank.any() and "village_id" in out.columns:
            inferred = pd.Series(np.where(out["village_id"].notna(), "village", "town"),
                                 index=idx)
            level = level.where(~blank, inferred)
            self.warn(idx[blank.to_numpy()], self.header_of.get("level", "level"), None,
                      "level inferred from the village column 级别按所属村推断")
        out["level"] = level

    def _villages_columns(self) -> None:
        idx, out = self.idx, self.out
        if "village_name" in out.columns:
            out["village_name"] = _clean_unit_names(out["village_name"])
            if "village_id" not in self.primary:
                out["village_id"] = derive_village_ids(out["village_name"], out.get("town"))
                self.derived_ids = True
                self.warn([pd.NA], self.header_of.get("village_name"), [pd.NA],
                          "no code column: village_id made from the name 无村（社区）编码列，"
                          "按名称生成编号 (" + _DERIVED_ID_RULE + ")")
        name = out["village_name"] if "village_name" in out.columns else pd.Series(
            np.nan, index=idx, dtype="str")
        community = name.str.contains(_KIND_COMMUNITY).fillna(False).astype(bool)
        from_name = pd.Series(np.where(community, "community", "village"), index=idx).where(
            name.notna())
        raw = self.column("kind")
        if raw is None:
            out["kind"] = from_name.astype("str")
            return
        text = nospace(raw).str.lower()
        kind = pd.Series(np.nan, index=idx, dtype="str")
        kind[text.str.contains(_KIND_VILLAGE).fillna(False).astype(bool)] = "village"
        kind[text.str.contains(_KIND_COMMUNITY).fillna(False).astype(bool)] = "community"
        odd = text.notna() & kind.isna()
        if odd.any():
            self.warn(idx[odd.to_numpy()], self.header_of["kind"], raw[odd].to_numpy(),
                      "unknown kind, taken from the name 类型无法识别，按名称推断")
        out["kind"] = kind.fillna(from_name).astype("str")

    def _people_columns(self) -> None:
        idx, out, year = self.idx, self.out, self.year
        if "person_id" not in out.columns and self.name_col is not None:
            group = out["department"] if self.table == "cadres" else out.get("village_id")
            if group is None:
                group = pd.Series(np.nan, index=idx, dtype="str")
            names = self.rows[self.name_col]
            out["person_id"] = hash_ids(privacy.salt_of(self.ctx.settings), group, names).where(
                names.notna())
        raw = self.column("year")
        if raw is not None:
            vals, reason = parse_years(raw, today=self.ctx.today)
            self.reject("year", raw, reason)
            if year is not None:
                vals = vals.fillna(year)
            out["year"] = vals
        elif year is not None:
            out["year"] = pd.Series(pd.array([year] * len(idx), dtype="Int64"), index=idx)
            if len(idx):
                self.warn([idx[0]], "year", [str(year)],
                          f"year {year} taken from the {self.year_from[0]} "
                          f"年度取自{self.year_from[1]}")

    def _check_required_values(self) -> None:
        """A blank cell in a required column rejects the row (town cells where a village is due)."""
        idx, out, vstatus = self.idx, self.out, self.vstatus
        for col in _REQUIRED_VALUES[self.table]:
            if col == "village_id" and self.derived_ids:
                continue  # made from the name: a blank name is the problem, reported once
            if col == "village_id":
                if vstatus is None:
                    continue
                town = vstatus.eq("town") & ~self._flagged(col)
                if town.any():
                    shown = self.column("village_name")[town]
                    self.problems.append(problem_rows(
                        idx[town.to_numpy()], self.header_of.get("village_name"),
                        shown.to_numpy(), "not a village 不是村（社区）: " + shown
                        + "; this table needs one of the register's villages"))
                blank = vstatus.eq("blank")
                reason = "no village 缺少村（社区）"
            elif col == "topic" and self.topics_unrecorded:
                continue  # the ledger records no topic: not a blank cell, not a rejected row
            elif col in out.columns:
                blank = out[col].isna()
                reason = f"no {col.replace('_', ' ')} 缺少{_LABEL_ZH.get(col, col)}"
            else:
                continue
            blank &= ~self._flagged(col)
            if blank.any():
                where = self.header_of.get(col, self.header_of.get("village_name", col))
                shown = (self.column("village_name")
                         if col == "village_id" and "village_name" in self.primary
                         else pd.Series(np.nan, index=idx, dtype="str"))
                self.problems.append(problem_rows(idx[blank.to_numpy()], where,
                                                  shown[blank].to_numpy(), reason))

    def _finish(self, nondata: pd.Series, topics: pd.DataFrame | None) -> _SheetResult:
        """Drop the rejected rows, remove personal data from what is kept, count the rows."""
        prob = (pd.concat(self.problems, ignore_index=True) if self.problems
                else empty_problems())
        bad_rows = pd.Index(prob["source_row"].dropna().astype("int64").unique())
        out = self.out.loc[~self.idx.isin(bad_rows)]
        if topics is not None:
            topics = topics[topics["row"].isin(out.index)]
            topics = pd.DataFrame({"source_row": topics["row"].to_numpy(),
                                   "topic": topics["topic"].to_numpy()})
        # personal data in what is kept: masked in text, hashed in identifiers
        out, removed = privacy.scrub(out, ids=ID_COLUMNS, skip=("source_file",),
                                     salt=privacy.salt_of(self.ctx.settings))
        if topics is not None and len(topics):  # every topic of an event, not only the first
            masked, cells = privacy.mask_personal_data(topics["topic"])
            topics = topics.assign(topic=masked)
            removed = pd.concat(
                [removed[removed["column"] != "topic"],
                 pd.DataFrame({"column": "topic", "kind": list(cells),
                               "action": "masked", "cells": list(cells.values())})],
                ignore_index=True,
            )
        self.warnings.extend(removal_warnings(removed, self.header_of))
        # every problem names its sheet: "row 10" of a workbook of four quarters is one of four
        sheet = self.sheet.name
        prob = prob.assign(sheet=sheet)
        self.warnings = [w.assign(sheet=sheet) for w in self.warnings]
        stats = {
            "table": self.table,
            "source_file": self.ctx.source_file,
            "sheet": self.sheet.name,
            "title": title_text(self.preamble),
            "preamble_rows": int(len(self.preamble)),
            "data_rows": int(len(self.data)),
            "loaded": int(len(out)),
            "rejected": int(len(bad_rows)),
            "non_data": int(nondata.notna().sum()),
        }
        return _SheetResult(out, [prob] if len(prob) else [], self.warnings, topics, stats,
                            self.columns)


@dataclass
class ReadResult:
    """What :func:`read_table` found in one file.

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
    columns : pandas.DataFrame
        What became of every source column (``COLUMN_RECORDS``): ``used_as`` the canonical
        column, or empty with the ``reason`` it was not used.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    warnings: pd.DataFrame
    stats: dict[str, Any]
    event_topics: pd.DataFrame | None = None
    sheets: list[dict[str, Any]] = field(default_factory=list)
    columns: pd.DataFrame = field(default_factory=empty_column_records)


def _check_table(table: object) -> str:
    if not isinstance(table, str) or table not in LEDGER_TABLES:
        hint = (
            "; survey tables are read by pufa_metrics.read_survey"
            if table in ("responses", "codebook")
            else ""
        )
        raise ValueError(f"'table' should be one of {list(LEDGER_TABLES)}, got {table!r}{hint}")
    return table


def read_table(
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
    reg = build_register(check_villages(villages)) if villages is not None else None
    settings = settings if settings is not None else Settings.load()
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    source = source_name or path.name
    stem = source[: -len(path.suffix)] if path.suffix and source.endswith(path.suffix) else source
    ctx = _Context(table, source, stem, reg, today, settings, progress)

    sheets = read_raw(path, source, progress=progress, limits=settings.limits)
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
    aliases = settings.header_aliases(table)
    matching = [s for s in sheets
                if find_header(fill_merges(s, HEADER_SCAN_ROWS + 1)[0], table,
                               aliases=aliases) is not None]
    if not matching:
        raise _no_header_error(ctx, sheets)
    skipped = [s.name for s in sheets if s not in matching]
    multi = len(matching) > 1
    results: list[_SheetResult] = []
    for s in matching:  # loop over sheets (few)
        try:
            results.append(SheetReader(s, ctx, multi=multi).read())
        except LedgerError as exc:
            if multi and s.name is not None and any(w in s.name for w in _SKIP_SHEETS):
                skipped.append(s.name)  # a summary sheet that looks like a ledger: skip it
                continue
            if s.name is not None and len(sheets) > 1:
                raise LedgerError(source, f"工作表“{s.name}”：{exc.zh}",
                                  f"sheet '{s.name}': {exc.en}") from exc
            raise
    warn_parts: list[pd.DataFrame] = []
    for name in (n for n in skipped if n not in _QUIET_SHEETS):
        warn_parts.append(problem_rows([pd.NA], None, [name],
                                    f"sheet skipped 已跳过工作表: no {table} header 无对应表头"
                                    ).assign(sheet=name))

    frame = pd.concat([r.frame.assign(_sheet=i) for i, r in enumerate(results)],
                      ignore_index=True)
    problems = [p.assign(_sheet=i) for i, r in enumerate(results) for p in r.problems]
    sheet_stats = [dict(r.stats) for r in results]
    for r in results:
        warn_parts += r.warnings
    frame, dup = drop_duplicate_keys(frame, table)
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
    names = pd.Series({i: r.stats["sheet"] for i, r in enumerate(results)}, dtype="str")
    order = {r.stats["sheet"]: i for i, r in enumerate(results)}
    # duplicates found across sheets name the sheet they are in
    problems = [p.assign(sheet=p["sheet"].fillna(p["_sheet"].map(names)))
                if "sheet" in p.columns else p.assign(sheet=p["_sheet"].map(names))
                for p in problems]
    rejected = finish_problems(problems, table=table, source_file=source)
    rejected = (rejected.assign(_order=rejected["sheet"].map(order))
                .sort_values(["_order", "source_row"], kind="stable")
                .drop(columns="_order").reset_index(drop=True))
    warnings = finish_problems(warn_parts, table=table, source_file=source)
    rejected, notes = scrub_problems(rejected, "rejected rows 未导入行")
    warnings, more = scrub_problems(warnings, "warnings 提示")
    if notes or more:
        warnings = pd.concat(
            [warnings, finish_problems(notes + more, table=table, source_file=source)],
            ignore_index=True,
        )
    stats = {
        "table": table,
        "source_file": source,
        "sheet": ", ".join(str(s["sheet"]) for s in sheet_stats if s["sheet"] is not None)
        or None,
        "title": next((s["title"] for s in sheet_stats if s.get("title")), None),
        **{k: sum(s[k] for s in sheet_stats)
           for k in ("preamble_rows", "data_rows", "loaded", "rejected", "non_data")},
    }
    columns = pd.concat([empty_column_records(), *(r.columns for r in results)],
                        ignore_index=True).astype(COLUMN_RECORDS)
    columns["header"] = columns["header"].map(privacy.mask_text, na_action="ignore")
    return ReadResult(frame.reset_index(drop=True), rejected, warnings, stats, event_topics,
                      sheet_stats, columns.astype(COLUMN_RECORDS))


def _no_header_error(ctx: _Context, sheets: list[Sheet]) -> LedgerError:
    spec = schema.TABLES[ctx.table]
    seen: list[str] = []
    for s in sheets[:3]:
        grid, _ = fill_merges(s, HEADER_SCAN_ROWS + 1)
        seen += grid.iloc[:HEADER_SCAN_ROWS].stack().dropna().astype(str).tolist()
    needed = "; ".join(f"{c}: " + "、".join(spec.accepted_headers(c)) for c in spec.required)
    return LedgerError(
        ctx.source_file,
        f"找不到“{spec.label_zh}”的表头行（前 {HEADER_SCAN_ROWS} 行中至少要有两个可识别的列名）；"
        f"必需的列及可接受的表头：{needed}",
        f"no header row of table '{ctx.table}' in the first {HEADER_SCAN_ROWS} rows (at least two "
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


def drop_duplicate_keys(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reject later rows repeating a key (event_id, site_id, village_id, (person_id, year)).

    Key columns absent from the frame are left out (a roster with no year: person_id alone).
    A row needs its first key (the id) to be a duplicate; a blank year is a value of its own,
    so the same person twice with no year is a duplicate, but not next to a dated row.
    Returns the frame without them and their problems (with ``_sheet`` when the frame has it).
    """
    keys = [k for k in _key_columns(table) if k in frame.columns]
    none = empty_problems().assign(_sheet=pd.Series(dtype="int64"))
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
    prob = problem_rows(sub["source_row"], label, value.to_numpy(),
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
    result = read_table(path, table=table, sheet=sheet, villages=villages, settings=settings)
    return result.frame, result.rejected
