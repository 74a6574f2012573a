"""Shared pieces of the package: the one home for what several modules need.

Argument and frame checks, settings resolution, atomic writes, day-number and village-code
kernels, topic kernels, number/percent/date formatting and text wrapping. The names here are
public *inside* this private module: other modules import them (``from ._common import
check_frame``) instead of reaching into a sibling's private names (docs/data-contract.md).

This module sits at the bottom of the import graph with :mod:`~pufa_metrics.config` and
:mod:`~pufa_metrics.schema`: it imports those two and nothing else of the package
(``tests/test_import_graph.py`` checks it).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import Settings, resolve_settings
from .schema import TOPICS, canonical_topic

__all__ = [
    "LANGS",
    "NAT_DAY",
    "DateLike",
    "Settings",
    "as_int64_ids",
    "atomic_path",
    "by_columns",
    "canonical_topics",
    "check_event_topics",
    "check_frame",
    "check_labels",
    "check_lang",
    "day_numbers",
    "day_to_timestamp",
    "days_to_dates",
    "distinct",
    "fmt_date",
    "fmt_number",
    "fmt_one",
    "optional_date",
    "order_labels",
    "pct",
    "period_days",
    "recover_dir",
    "register_ids",
    "resolve_settings",
    "swap_dir",
    "text_width",
    "to_day",
    "topic_pairs",
    "village_codes",
    "wrap_text",
    "write_atomic",
]

#: A date as users give it.
DateLike: TypeAlias = str | _dt.date | np.datetime64 | pd.Timestamp

#: The two languages of every user-facing text.
LANGS: tuple[str, str] = ("zh", "en")

# --------------------------------------------------------------------------------------------
# Arguments and frames
# --------------------------------------------------------------------------------------------


def check_lang(lang: object) -> str:
    """``lang`` checked: ``"zh"`` or ``"en"``.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: lang should be 'zh' or 'en', got 'fr'（lang 应为 'zh' 或 'en'）
    """
    if not isinstance(lang, str) or lang not in LANGS:
        raise ValueError(f"lang should be 'zh' or 'en', got {lang!r}（lang 应为 'zh' 或 'en'）")
    return lang


def check_frame(obj: object, name: str, columns: Iterable[Hashable] = ()) -> pd.DataFrame:
    """``obj`` checked to be a DataFrame holding ``columns``; returned unchanged.

    Parameters
    ----------
    obj : object
        The argument as given.
    name : str
        The argument's name, used in the messages.
    columns : iterable of column names, optional
        Columns that must be present.

    Returns
    -------
    pandas.DataFrame
        ``obj`` itself (not copied).

    Raises
    ------
    TypeError
        When ``obj`` is not a DataFrame.
    ValueError
        When columns are missing; the message names them and the columns present.

    Examples
    --------
    >>> frame = pd.DataFrame({"village_id": ["V1"]})
    >>> check_frame(frame, "villages", ["village_id"]) is frame
    True
    >>> check_frame(frame, "villages", ["village_id", "population"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'villages' has no column 'population'; columns are ['village_id']（villages 缺...
    >>> check_frame([1], "events")
    Traceback (most recent call last):
    ...
    TypeError: 'events' should be a pandas DataFrame, got list（events 应为 DataFrame 表格）
    """
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(
            f"{name!r} should be a pandas DataFrame, got {type(obj).__name__}"
            f"（{name} 应为 DataFrame 表格）"
        )
    missing = [c for c in columns if c not in obj.columns]
    if missing:
        raise ValueError(
            f"{name!r} has no column {', '.join(map(repr, missing))}; "
            f"columns are {list(obj.columns)}（{name} 缺少列：{'、'.join(map(str, missing))}）"
        )
    return obj


def check_labels(value: Any, name: str) -> list[str]:
    """A list of text labels (e.g. topics); a bare string is refused, not split into characters.

    Examples
    --------
    >>> check_labels(("宪法", "禁毒"), "required_topics")
    ['宪法', '禁毒']
    >>> check_labels("宪法", "required_topics")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: `required_topics` should be a list of text values, got str '宪法'...
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` should be a list of text values, got {type(value).__name__} {value!r}"
            f"（{name} 应为文本列表）"
        )
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise TypeError(
            f"`{name}` should hold text values only, got {bad[:5]!r}（{name} 只能包含文本）"
        )
    return out


def by_columns(by: object, name: str = "by") -> list[Hashable]:
    """Grouping columns as a list: None → ``[]``, a name → ``[name]``, a list checked.

    Examples
    --------
    >>> by_columns(None), by_columns("village_id"), by_columns(["town", "village_id"])
    ([], ['village_id'], ['town', 'village_id'])
    >>> by_columns(["town", "town"])
    Traceback (most recent call last):
    ...
    ValueError: 'by' lists a column twice: ['town', 'town']（分组列重复）
    """
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and all(isinstance(c, str) for c in by):
        if len(set(by)) != len(by):
            raise ValueError(f"{name!r} lists a column twice: {list(by)}（分组列重复）")
        return list(by)
    raise TypeError(
        f"{name!r} should be None, a column name or a list of names, got {by!r}"
        f"（{name} 应为列名或列名列表）"
    )


# --------------------------------------------------------------------------------------------
# Dates as int64 day numbers (days since 1970-01-01)
# --------------------------------------------------------------------------------------------

#: The day number standing for a missing date (NaT).
NAT_DAY = int(np.iinfo(np.int64).min)
_UNITS_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000,
                  "us": 86_400_000_000, "ns": 86_400_000_000_000}


def day_numbers(dates: pd.Series, name: str) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (time of day dropped); NaT becomes :data:`NAT_DAY`.

    Examples
    --------
    >>> day_numbers(pd.Series(pd.to_datetime(["1970-01-02 13:00", None])), "date").tolist()
    [1, -9223372036854775808]
    """
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        raise TypeError(
            f"`{name}` should hold dates (datetime64), got dtype {dates.dtype}; "
            f"convert it with pd.to_datetime（{name} 应为日期类型）"
        )
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    values = dates.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    per_day = _UNITS_PER_DAY.get(unit)
    if per_day is not None and per_day % count == 0:
        # integer floor division: 10× faster than astype("datetime64[D]") at 50M rows
        days = values.view(np.int64) // (per_day // count)
    else:  # pragma: no cover - pandas only makes s/ms/us/ns
        days = values.astype("datetime64[D]").astype(np.int64)
    days[np.isnat(values)] = NAT_DAY
    return days


def to_day(value: Any, name: str) -> int:
    """One date-like value as int64 days since 1970-01-01.

    Examples
    --------
    >>> to_day("1970-01-31", "end"), to_day(pd.Timestamp("1970-01-02 23:59"), "start")
    (30, 1)
    """
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"`{name}` should be a date such as '2024-12-31', got {value!r}"
            f"（{name} 应为日期，如 2024-12-31）"
        ) from exc
    if pd.isna(stamp):
        raise ValueError(f"`{name}` should be a date, got a missing value {value!r}（{name} 为空）")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.date(), "D").astype(np.int64))


def day_to_timestamp(day: int) -> pd.Timestamp:
    """A day number back to a Timestamp.

    Examples
    --------
    >>> day_to_timestamp(31)
    Timestamp('1970-02-01 00:00:00')
    """
    return pd.Timestamp(np.datetime64(int(day), "D"))


def days_to_dates(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """int64 day numbers → datetime64[us], NaT where ``valid`` is False.

    Examples
    --------
    >>> days_to_dates(np.array([0, 5]), np.array([True, False]))
    array(['1970-01-01T00:00:00.000000',                        'NaT'],
          dtype='datetime64[us]')
    """
    out = np.where(valid, days, 0).astype("datetime64[D]").astype("datetime64[us]")
    out[~valid] = np.datetime64("NaT")
    return out


def period_days(days: np.ndarray, start: Any, end: Any) -> tuple[int, int]:
    """``(start_day, end_day)``; None defaults to the first/last non-missing day in ``days``.

    Examples
    --------
    >>> period_days(np.array([3, NAT_DAY, 9]), None, None)
    (3, 9)
    >>> period_days(np.array([3, 9]), "1970-01-01", None)
    (0, 9)
    """
    # the dated events are only needed for a default bound (a copy of every row otherwise)
    known = days[days != NAT_DAY] if start is None or end is None else days[:0]
    if (start is None or end is None) and known.size == 0:
        raise ValueError(
            "`start` and `end` cannot default to the event dates because `events` has no dated "
            "event; give both（活动台账没有日期，请指定 start 和 end）"
        )
    start_day = int(known.min()) if start is None else to_day(start, "start")
    end_day = int(known.max()) if end is None else to_day(end, "end")
    if start_day > end_day:
        raise ValueError(
            f"`start` ({day_to_timestamp(start_day).date()}) is after `end` "
            f"({day_to_timestamp(end_day).date()})（开始日期晚于结束日期）"
        )
    return start_day, end_day


def optional_date(value: Any, name: str) -> pd.Timestamp | None:
    """A date argument as a midnight Timestamp; None or blank text gives None.

    Examples
    --------
    >>> optional_date("2024-03-05 10:30", "start"), optional_date(" ", "end")
    (Timestamp('2024-03-05 00:00:00'), None)
    >>> optional_date("2024-13-01", "start")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'start' should be a date like 2021-09-09, got '2024-13-01'...
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name!r} should be a date like 2021-09-09, got {value!r}（日期格式应为 YYYY-MM-DD）"
        ) from exc


# --------------------------------------------------------------------------------------------
# Village ids and codes
# --------------------------------------------------------------------------------------------

_NUMERIC_ID = "^[1-9][0-9]{0,17}$"  # ids that survive a round trip through int64


def register_ids(villages: pd.DataFrame) -> pd.Index:
    """The register's village ids as an Index; missing or duplicated ids are refused.

    Examples
    --------
    >>> register_ids(pd.DataFrame({"village_id": ["V1", "V2"]})).tolist()
    ['V1', 'V2']
    >>> register_ids(pd.DataFrame({"village_id": ["V1", "V1"]}))
    Traceback (most recent call last):
    ...
    ValueError: `villages['village_id']` should be unique, got duplicates ['V1']（村编码重复）
    """
    ids = pd.Index(villages["village_id"], name="village_id")
    if ids.hasnans:
        raise ValueError(
            f"`villages['village_id']` has {int(ids.isna().sum())} missing id(s); every village "
            "of the register needs one（村居名册中有村编码为空）"
        )
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()[:10].tolist()
        raise ValueError(
            f"`villages['village_id']` should be unique, got duplicates {dup}（村编码重复）"
        )
    return ids


def as_int64_ids(values: pd.Series | pd.Index) -> np.ndarray | None:
    """Ids that are all canonical decimal numbers as int64 (null → -1), else None.

    Parsing with Arrow and hashing integers is 5–10× faster than hashing strings.

    Examples
    --------
    >>> as_int64_ids(pd.Series(["12", None], dtype="object")).tolist()
    [12, -1]
    >>> as_int64_ids(pd.Series(["012"], dtype="object")) is None  # would lose its leading 0
    True
    """
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return None
    try:
        arr = pa.array(values.array, from_pandas=True)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            return None
        if arr.null_count == len(arr):
            return np.full(len(arr), -1, dtype=np.int64)
        if not pc.all(pc.match_substring_regex(arr, _NUMERIC_ID)).as_py():
            return None
        return np.asarray(pc.fill_null(pc.cast(arr, pa.int64()), -1), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def village_codes(ids: pd.Series, register: pd.Index, name: str) -> np.ndarray:
    """Dense codes (position in the register) for a column of village ids; -1 for missing ids.

    Ids that are not in the register raise ValueError listing up to 10 of them. Categorical ids
    (e.g. Parquet dictionary columns) are looked up once per category, then gathered by code.

    Examples
    --------
    >>> village_codes(pd.Series(["V2", None, "V1"]), pd.Index(["V1", "V2"]), "events").tolist()
    [1, -1, 0]
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        categories = pd.Series(ids.cat.categories)
        fast_reg = as_int64_ids(register)
        fast_cat = as_int64_ids(categories) if fast_reg is not None else None
        if fast_cat is not None:
            lut = pd.Index(fast_reg).get_indexer(fast_cat)
        else:
            lut = pd.Index(register).get_indexer(categories)
        cat_codes = ids.cat.codes.to_numpy()
        missing = cat_codes < 0
        # code -1 (missing id) reads the last slot; int64 lut: one int64 result, no recast
        codes = np.append(lut, -1).astype(np.int64)[cat_codes]
    elif (fast_reg := as_int64_ids(register)) is not None and (
        fast_ids := as_int64_ids(ids)
    ) is not None:
        codes = pd.Index(fast_reg).get_indexer(fast_ids)
        missing = fast_ids == -1
    else:
        codes = pd.Index(register).get_indexer(ids)
        missing = ids.isna().to_numpy()
    unknown = (codes < 0) & ~missing
    if unknown.any():
        bad = pd.unique(ids.to_numpy()[unknown])
        raise ValueError(
            f"`{name}` has {int(unknown.sum())} row(s) whose village_id is not in the register "
            f"`villages`, e.g. {[str(b) for b in bad[:10]]}; match villages when reading the "
            "ledgers（有记录的村编码不在村居名册中）"
        )
    return codes.astype(np.int64, copy=False)


def distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (one sort; faster here than ``np.unique``).

    Examples
    --------
    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


# --------------------------------------------------------------------------------------------
# Topics of events
# --------------------------------------------------------------------------------------------


def order_labels(labels: Iterable[str], vocabulary: Mapping[str, str] = TOPICS) -> list[str]:
    """Vocabulary order first, then any other labels sorted.

    Examples
    --------
    >>> order_labels(["自编主题", "禁毒", "宪法"])
    ['宪法', '禁毒', '自编主题']
    """
    labels = set(labels)
    known = [v for v in vocabulary if v in labels]
    return known + sorted(labels.difference(vocabulary))


def canonical_topics(values: Iterable[str], name: str) -> list[str]:
    """Canonical names of user-given topics, duplicates dropped, order kept.

    Examples
    --------
    >>> canonical_topics(["禁毒", "宪法", "禁毒"], "required_topics")
    ['禁毒', '宪法']
    """
    out: list[str] = []
    for value in check_labels(values, name):
        topic = canonical_topic(value)
        if topic and topic not in out:
            out.append(topic)
    return out


def _topic_codes(
    values: pd.Series, labels_out: dict[str, int], rows: np.ndarray | None = None
) -> np.ndarray:
    """Codes of canonical topics for a column of topics as written (unseen ones added).

    With ``rows`` (positions), only those rows are coded.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # small integer codes, no hashing
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    lut = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: code -1 (missing)
    for i, value in enumerate(uniques):  # distinct topic texts: a handful
        topic = canonical_topic(value)
        if topic:
            lut[i] = labels_out.setdefault(topic, len(labels_out))
    return lut[codes if rows is None else codes[rows]]


def topic_pairs(
    events: pd.DataFrame, keep: np.ndarray, event_topics: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distinct (event position, topic code) pairs of the events where ``keep`` is True.

    Topics come from ``events['topic']`` and, when given, every row of ``event_topics`` (so a
    multi-topic event has one pair per topic). Topic texts are mapped to canonical names. Labels
    are returned in vocabulary order and codes index into them.

    Examples
    --------
    >>> events = pd.DataFrame({"event_id": ["e1", "e2"], "topic": ["禁毒", "宪法"]})
    >>> pos, code, labels = topic_pairs(events, np.array([True, True]), None)
    >>> pos.tolist(), code.tolist(), labels
    ([0, 1], [1, 0], ['宪法', '禁毒'])
    """
    seen: dict[str, int] = {}
    positions: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    if "topic" in events.columns:
        sel = np.flatnonzero(keep)
        positions.append(sel)
        codes.append(_topic_codes(events["topic"], seen, sel))
    if event_topics is not None:
        index = pd.Index(events["event_id"])
        pos = index.get_indexer(event_topics["event_id"])
        ok = pos >= 0
        ok[ok] = keep[pos[ok]]
        positions.append(pos[ok])
        codes.append(_topic_codes(event_topics["topic"], seen)[ok])
    if not positions:
        return np.empty(0, np.int64), np.empty(0, np.int64), []
    # one source (no event_topics) is used as is: no copies of 50M-row arrays at national scale
    pos = positions[0] if len(positions) == 1 else np.concatenate(positions)
    code = codes[0] if len(codes) == 1 else np.concatenate(codes)
    known = code >= 0
    if not known.all():
        pos, code = pos[known], code[known]
    labels = order_labels(seen)
    order = [seen[t] for t in labels]
    if order != list(range(len(order))):  # codes in order of appearance → vocabulary order
        remap = np.empty(max(len(seen), 1), dtype=np.int64)
        remap[order] = np.arange(len(labels))
        code = remap[code]
    if event_topics is not None:  # an event's first topic is in both sources: keep one pair
        n_topics = max(len(labels), 1)
        key = distinct(pos * n_topics + code)
        pos, code = key // n_topics, key % n_topics
    return pos, code, labels


def check_event_topics(event_topics: Any, events: pd.DataFrame) -> None:
    """Check ``event_topics`` (when given) can be joined to ``events`` on a unique event_id.

    Examples
    --------
    >>> events = pd.DataFrame({"event_id": ["e1", "e1"]})
    >>> topics = pd.DataFrame({"event_id": ["e1"], "topic": ["宪法"]})
    >>> check_event_topics(topics, events)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `events['event_id']` should be unique to join `event_topics`, got duplicates ...
    """
    if event_topics is None:
        return
    check_frame(event_topics, "event_topics", ("event_id", "topic"))
    check_frame(events, "events", ("event_id",))
    if not events["event_id"].is_unique:
        dup = events.loc[events["event_id"].duplicated(), "event_id"].unique()[:10].tolist()
        raise ValueError(
            f"`events['event_id']` should be unique to join `event_topics`, got duplicates {dup}"
            "（活动编号重复，无法对应活动主题）"
        )


# --------------------------------------------------------------------------------------------
# Numbers, percentages, dates and text
# --------------------------------------------------------------------------------------------


def fmt_number(values: Any, digits: int = 1) -> np.ndarray:
    """Format numbers with up to ``digits`` decimals (no trailing zeros), NaN as empty.

    Examples
    --------
    >>> fmt_number(np.array([3.0, 2.25, np.nan, 1000.04])).tolist()
    ['3', '2.2', '', '1000']
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)
    whole = np.isclose(safe, np.round(safe)) & (np.abs(safe) < 1e15)
    decimals = np.char.rstrip(np.char.rstrip(np.char.mod(f"%.{digits}f", safe), "0"), ".")
    text = np.where(whole, np.char.mod("%d", np.round(safe).astype(np.int64)), decimals)
    return np.where(finite, text, "").astype(object)


def fmt_one(value: float, digits: int = 1) -> str:
    """One number formatted as :func:`fmt_number` does.

    Examples
    --------
    >>> fmt_one(12.50), fmt_one(float("nan"))
    ('12.5', '')
    """
    return str(fmt_number(np.array([value]), digits)[0])


def pct(value: float) -> str:
    """A proportion as a whole per cent.

    Examples
    --------
    >>> pct(0.583), pct(1)
    ('58%', '100%')
    """
    return f"{value * 100:.0f}%"


def fmt_date(value: object) -> str:
    """A date as ``YYYY-MM-DD``.

    Examples
    --------
    >>> fmt_date("2024-1-5")
    '2024-01-05'
    """
    return pd.Timestamp(value).strftime("%Y-%m-%d")


_TOKEN = re.compile(r"[A-Za-z0-9.,:;%+\-/()'_=<>≥≤]+ ?| |.")
_NO_LINE_START = set("，。、；：！？）》」』”,.;:!?)%")
_NO_LINE_END = "“《（「『("


def int_text(x: pd.Series) -> pd.Series:
    """Numbers as whole-number text (a missing number stays missing).

    Examples
    --------
    >>> int_text(pd.Series([2.6, None, 10])).tolist()
    ['3', nan, '10']
    """
    return x.astype("float64").round().astype("Int64").astype("str")


def n_text(n: pd.Series, suppress_below: int) -> pd.Series:
    """Sample sizes as text, small ones suppressed.

    Examples
    --------
    >>> n_text(pd.Series([41, 3]), 5).tolist()
    ['n=41', 'n<5']
    """
    text = "n=" + int_text(n)
    return text.where(~(n.astype("float64") < suppress_below), f"n<{suppress_below}")


def text_width(text: str) -> float:
    """Approximate width in em: wide (CJK) characters 1, others 0.55.

    Characters of ambiguous width (“”, ·, …) count as wide: CJK fonts draw them full-width.

    Examples
    --------
    >>> text_width("宪法"), text_width("ab"), text_width("“宪法”")
    (2.0, 1.1, 4.0)
    """
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.55 for ch in text)


def wrap_text(text: str, width: float) -> str:
    """Wrap ``text`` to ``width`` em (CJK characters are 1 em, others about 0.55).

    CJK text may break between any two characters; Latin words are kept whole; a line never
    starts with closing punctuation.

    Examples
    --------
    >>> print(wrap_text("村里连续十二个月没有开展普法活动", 6))
    村里连续十二
    个月没有开展
    普法活动
    >>> print(wrap_text("知晓率低；“禁毒”知晓率", 6))  # an opening quote goes down with its word
    知晓率低；
    “禁毒”知晓
    率
    >>> print(wrap_text("no events in twelve months", 6))
    no events
    in twelve
    months
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for token in _TOKEN.findall(paragraph):
            w = text_width(token.rstrip())
            if line and used + w > width and token[0] not in _NO_LINE_START and token != " ":
                body = line.rstrip()
                carry = body[len(body.rstrip(_NO_LINE_END)):]  # “ 《 （ never end a line
                if carry == body:
                    carry = ""
                lines.append(body[: len(body) - len(carry)])
                line, used = carry, text_width(carry)
            if not line and token == " ":
                continue
            line += token
            used += text_width(token)
        lines.append(line.rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file next to ``path``, moved onto it when the block succeeds.

    Write the temporary file in the block (any writer: bytes, text, a workbook's ``save``);
    ``path`` is replaced in one rename only when the block ends without error, so a reader
    never sees half a file and a failure leaves the previous file intact. The file gets the
    usual permissions (0666 less the umask), not mkstemp's private 0600. The folder must exist.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done", encoding="utf-8")
    >>> target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    r"""Write bytes or text to ``path`` atomically (see :func:`atomic_path`); return the path.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "b.csv"
    >>> write_atomic(target, "a,b\n1,2\n").read_text(encoding="utf-8")
    'a,b\n1,2\n'
    >>> write_atomic(target, b"\x00").read_bytes()
    b'\x00'
    """
    if not isinstance(data, (bytes, str)):
        raise TypeError(f"'data' should be bytes or str, got {type(data).__name__}")
    path = Path(path)
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return path


def recover_dir(target: str | os.PathLike, *, marker: str | None = None) -> None:
    """Put back a folder left aside by a run killed between the two renames of :func:`swap_dir`.

    :func:`swap_dir` moves the old folder aside (``.<name>.old-…``) and then moves the new one
    in; a process killed between the two leaves no ``target`` but a complete old copy, which is
    restored here (the newest one; with ``marker``, the newest one holding that file).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / ".reports.old-123").mkdir()
    >>> recover_dir(root / "reports")
    >>> sorted(p.name for p in root.iterdir())
    ['reports']
    """
    target = Path(target)
    if target.exists():
        return
    olds = [p for p in target.parent.glob(f".{target.name}.old-*")
            if p.is_dir() and (marker is None or (p / marker).is_file())]
    if olds:
        os.replace(max(olds, key=lambda p: p.stat().st_mtime), target)


def swap_dir(
    tmp: str | os.PathLike, target: str | os.PathLike, ours: Collection[str] | None = None
) -> None:
    """Replace the folder ``target`` by the finished folder ``tmp`` with two renames.

    The old folder is moved aside, ``tmp`` is moved in, and the old one is removed; if the
    second rename fails the old folder is put back. Entries of the old folder that the new one
    does not own carry over: with ``ours`` (the names the writer owns) every other entry; without
    it only a tracked ``.gitkeep``. ``tmp`` must sit in the same folder as ``target`` (make it
    with ``tempfile.mkdtemp(dir=target.parent)``); :func:`recover_dir` undoes a crash between
    the two renames.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "out").mkdir(); _ = (root / "out" / "old.txt").write_text("1")
    >>> _ = (root / "out" / "notes.md").write_text("mine")
    >>> new = Path(tempfile.mkdtemp(dir=root)); _ = (new / "new.txt").write_text("2")
    >>> swap_dir(new, root / "out", ours={"old.txt", "new.txt"})
    >>> sorted(p.name for p in (root / "out").iterdir()), sorted(p.name for p in root.iterdir())
    (['new.txt', 'notes.md'], ['out'])
    """
    tmp, target = Path(tmp), Path(target)
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
        foreign = entry.name == ".gitkeep" if ours is None else entry.name not in ours
        if foreign and not (target / entry.name).exists():
            shutil.move(str(entry), str(target / entry.name))
    shutil.rmtree(old, ignore_errors=True)
