"""Cells as offices write them: text normalisation and whole-column parsers.

Dates (``2021年9月9日``, ``2021.9.9``, ``9月9日``, Excel serials), counts (``约50``, ``300余人``,
``1.2万``), decimals, yes/no cells, years, lists split on 、,，;；/ and topics found in free text.
Every parser works on a whole column and returns the values and a reason per cell (NaN when the
cell is fine); :func:`on_distinct` runs it once per distinct text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .. import privacy, schema

#: Counts and numbers above this are rejected: no 普法 event reaches 10 million people, and a
#: mobile or ID number typed into a count column must not load as a figure.
_MAX_COUNT = 10_000_000

_MIN_DATE = pd.Timestamp("2000-01-01")

_SERIAL_MIN, _SERIAL_MAX = 20000, 80000

EXCEL_ORIGIN = pd.Timestamp("1899-12-30")

EXCEL_ORIGIN_1904 = pd.Timestamp("1904-01-01")

DATE = schema.DATE

_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})(?!\d)")

_WHITE = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_SPACES_TEXT = f"[{_WHITE}]+"  # every character str.isspace() accepts

SPACES = re.compile(_SPACES_TEXT)

SEPARATORS = r"[、,，;；/／|]+"

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

SCORE_NA = frozenset({"缺考", "免考", "未考", "未参加", "未参考", "无"})

_TRUE = frozenset({"是", "√", "✓", "✔", "有", "合格", "通过", "y", "yes", "true", "1", "参加",
                   "已参加", "参考", "已参考", "已考", "持有", "已取得"})

_FALSE = frozenset({"否", "×", "✗", "✘", "x", "无", "不合格", "未通过", "n", "no", "false", "0",
                    "未参加", "未参考", "缺考", "没有", "未取得"})


def isin(s: pd.Series, values: Iterable) -> pd.Series:
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


def per_distinct(s: pd.Series, func) -> pd.Series:
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


def nfkc(s: pd.Series) -> pd.Series:
    """NFKC (full-width to half-width), once per distinct value."""
    return per_distinct(s, lambda t: t.str.normalize("NFKC"))


def norm_text(s: pd.Series) -> pd.Series:
    """NFKC, runs of white space collapsed to one space, stripped; empty → NaN."""
    out = nfkc(s).str.replace(_SPACES_TEXT, " ", regex=True).str.strip()
    return out.where(out != "")


def nospace(s: pd.Series) -> pd.Series:
    """NFKC with every white space removed; empty → NaN."""
    out = nfkc(s).str.replace(_SPACES_TEXT, "", regex=True)
    return out.where(out != "")


def year_in(text: object) -> int | None:
    """The one 20xx year a text names, or None (none, or several different ones)."""
    if not isinstance(text, str):
        return None
    years = set(_YEAR_IN_TEXT.findall(unicodedata.normalize("NFKC", text)))
    return int(years.pop()) if len(years) == 1 else None


def col_letter(j: int) -> str:
    """Excel column letters of a 0-based column (0 → A, 26 → AA)."""
    letters = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def hash_ids(salt: str, group: pd.Series, name: pd.Series) -> pd.Series:
    """First 12 hex digits of sha256(salt + group + name), computed once per distinct pair."""
    g = nospace(group).fillna("")
    n = nospace(name).fillna("")
    return privacy.salted_hash(g + n, salt=salt)


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
def parse_dates(
    raw: pd.Series,
    *,
    year: int | None,
    today: pd.Timestamp,
    partial: bool = False,
    origin: pd.Timestamp = EXCEL_ORIGIN,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse a column of date cells.

    Returns the dates (datetime64[us]), a reason per cell (NaN when fine), a mask of dates whose
    year was inferred, and a mask of partial dates (year or year-month only).
    """
    text = norm_text(raw)
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
    ).astype(DATE)
    from_serial = (origin + pd.to_timedelta(np.floor(serial), unit="D")).astype(DATE)
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
def parse_counts(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse count cells: ``50``, ``50人``, ``５０``, ``约50``, ``300余人``, ``1.2万``, ``千余``.

    A number within 1e-6 of a whole number (``1800.0000001``, float noise left by Excel
    formulas) is that whole number, and flagged; a real fraction (``12.5``) is rejected.

    Returns (Int64 values, approx mask, float-noise mask, reason per cell or NaN).

    Examples
    --------
    >>> values, approx, noise, reason = parse_counts(pd.Series(["约50", "1800.0000001", "12.5"]))
    >>> values.tolist(), approx.tolist(), noise.tolist()
    ([50, 1800, <NA>], [True, False, False], [False, True, False])
    >>> reason.iloc[2]
    'not a whole number 不是整数'
    """
    text = nospace(raw)
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
    off = (value - value.round()).abs()
    noise = value.notna() & (off > 1e-9) & (off <= 1e-6)
    frac = value.notna() & (off > 1e-6)
    reason[frac] = "not a whole number 不是整数"
    huge = value.notna() & (value > _MAX_COUNT) & reason.isna()
    reason[huge] = (f"implausible count 数量不合理 (more than {_MAX_COUNT:,}; a phone or ID "
                    "number typed here? 是否误填了电话或证件号？)")
    value = value.where(reason.isna())
    out = pd.array(value.round(), dtype="Int64")
    return pd.Series(out, index=idx), approx & value.notna(), noise & value.notna(), reason


@_on_distinct
def parse_floats(raw: pd.Series, *, allow_negative: bool, na_words=frozenset()):
    """Parse decimal cells (hours, scores, coordinates); returns (float64, reason)."""
    text = nospace(raw)
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
def parse_bools(raw: pd.Series, *, certificate: bool = False) -> tuple[pd.Series, pd.Series]:
    """是/否, √/×, 有/无, 合格/不合格, Y/N … → boolean; a certificate number counts as True."""
    text = nospace(raw).str.lower()
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
def parse_years(raw: pd.Series, *, today: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """Year cells (``2021``, ``2021年``, ``2021年度``) → (Int64 years, reason per cell)."""
    text = nospace(raw)
    year = pd.to_numeric(text.str.extract(r"(?<!\d)((?:19|20)\d{2})(?!\d)")[0], errors="coerce")
    reason = pd.Series(np.nan, index=text.index, dtype="str")
    reason[text.notna() & year.isna()] = "cannot read a year 无法识别的年份"
    reason[(year < _MIN_DATE.year) | (year > today.year)] = (
        f"year outside 2000–{today.year} 年份超出范围"
    )
    return pd.Series(pd.array(year.where(reason.isna()), dtype="Int64"), index=text.index), reason


def split_map(
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
        parts = [p.strip() for p in re.split(SEPARATORS, unicodedata.normalize("NFKC", cell))]
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


def topics_in_titles(titles: pd.Series, *, aliases: dict[str, str] | None = None
                     ) -> pd.DataFrame:
    """Known topics named in title text, by :func:`pufa_metrics.schema.split_topics`' rule.

    Read once per distinct title (the loop is over distinct titles, not rows). Returns
    ``(row, value)`` pairs, a title's topics in the order they appear; ``aliases`` are an
    analyst's topic words (pufa.toml ``[topics] aliases``).

    Examples
    --------
    >>> topics_in_titles(pd.Series(["民法典进乡村", "文明新风", "扫黑除恶暨反诈宣传"])
    ...                  ).values.tolist()
    [[0, '民法典'], [2, '扫黑除恶'], [2, '反电信网络诈骗']]
    """
    vocab = schema.topic_vocabulary(aliases)
    text = titles.dropna()
    found = {u: [t for t in vocab.split(u) if t in schema.TOPICS]
             for u in text.unique()}  # distinct titles
    hits = text.map(found).explode().dropna()
    return pd.DataFrame({"row": hits.index.to_numpy(), "value": hits.astype("str").to_numpy()})


def squeeze(s: pd.Series) -> pd.Series:
    """White space removed; empty → NaN."""
    return s.str.replace(_SPACES_TEXT, "", regex=True).replace("", np.nan)
