"""Event counts on a full group × period grid, the campaign calendar and the campaign share.

The grid is counted with one ``np.bincount`` over ``group_code * n_periods + period_code``
(never ``crosstab``, ``reindex(MultiIndex.from_product)`` or ``unstack``); every
(group, period) pair is present, zeros included, so a village with no event in a month shows a 0,
not a missing row.

The campaign calendar (docs/domain.md) lists the national days, weeks and months around which
普法 events cluster (12·4 国家宪法日, 民法典宣传月, 4·15, 6·26 …) so that
:func:`campaign_share` can tell how much of the work happens only on those dates.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import NAT_DAY as _NAT_DAY
from ._common import DateLike
from ._common import canonical_topics as _canonical_topics
from ._common import check_event_topics as _check_event_topics
from ._common import check_frame as _check_frame
from ._common import check_labels as _check_labels
from ._common import day_numbers as _day_numbers
from ._common import order_labels as _order_labels
from ._common import period_days as _resolve_period
from ._common import register_ids as _register_ids
from ._common import topic_pairs as _topic_pairs
from ._common import village_codes as _village_codes
from .schema import AUDIENCES, FORMS, audience_vocabulary, canonical_topic

__all__ = ["campaign_calendar", "campaign_share", "event_counts"]

#: Period aliases → months per period. Periods are labelled by their first day.
FREQS: dict[str, int] = {"MS": 1, "QS": 3, "YS": 12}


def _months(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 → months since 1970-01."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _years(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 → calendar years."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _universe(values: Iterable[str], vocabulary: dict[str, str] | None) -> list[str]:
    return _order_labels(values, vocabulary) if vocabulary else sorted(set(values))


def _audience_pairs(
    cells: pd.Series, dated: np.ndarray, categories: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(event position, group code) for every group of every dated event, and the groups."""
    sel = np.flatnonzero(dated)
    text = pd.Series(cells.to_numpy()[sel], index=sel, dtype="str")
    vocab = audience_vocabulary()
    groups = {u: vocab.split(u) for u in text.dropna().unique()}  # distinct cells
    parts = text.map(groups).explode().dropna().astype("str")
    universe = _universe(parts.unique().tolist(), AUDIENCES) if categories is None else categories
    code = pd.Index(universe).get_indexer(parts.to_numpy())
    return parts.index.to_numpy(dtype=np.int64), code.astype(np.int64), list(universe)


def event_counts(
    events: pd.DataFrame,
    *,
    freq: str = "MS",
    by: str = "village_id",
    villages: pd.DataFrame | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    event_topics: pd.DataFrame | None = None,
    categories: Sequence[str] | None = None,
    wide: bool = False,
) -> pd.DataFrame:
    """Events per group and period on the full grid, zeros included.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events with ``date`` (datetime64) and the ``by`` column.
    freq : {"MS", "QS", "YS"}
        Month, quarter (Jan/Apr/Jul/Oct) or year; each period is labelled by its first day.
        The first and last periods may be partial when ``start``/``end`` fall inside them.
    by : str
        The grouping column: ``"village_id"`` (default), ``"topic"``, ``"organizer"``,
        ``"form"``, ``"audience"`` or any other column of ``events``.
    villages : pandas.DataFrame, optional
        The register; with ``by="village_id"`` every village gets its rows (register order) and
        an event whose village is not in it raises ValueError. Ignored for other ``by``.
    start, end : date-like, optional
        The period, both days included; default the first and last event date.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``; with ``by="topic"`` a multi-topic event counts once under each
        of its topics (so the topic counts may add up to more than the events). Likewise with
        ``by="audience"`` an event counts once under each group its cell names (老年人、妇女;
        read by :func:`pufa_metrics.schema.split_audiences`).
    categories : sequence of str, optional
        The groups to report, in this order (topics are mapped to canonical names). Values
        outside it are not counted. Default: the register for villages, else every value seen
        in ``events`` (vocabulary order for topics, forms and audiences, else sorted).
    wide : bool
        False (default): long frame ``[by, period, n_events]``, group-major. True: a group ×
        period matrix (index ``by``, columns ``period``).

    Returns
    -------
    pandas.DataFrame
        Long: one row per (group, period), ``len(groups) × len(periods)`` rows; ``by`` is a
        categorical column (categories in group order, cheap at country scale), ``period``
        datetime64, ``n_events`` int64. Wide: int64 matrix.

    Notes
    -----
    With ``by="village_id"`` town-wide events (no village) are **excluded**: they are not
    attributed to any village (see :func:`pufa_metrics.coverage.town_events`). For other ``by``
    they count. Events with no value in the ``by`` column are not counted.

    Examples
    --------
    >>> villages = pd.DataFrame({"village_id": ["V1", "V2"]})
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", "2024-02-10"]),
    ...     "village_id": ["V1", "V1", "V1", None],
    ...     "organizer": ["司法所", "司法所", "派出所", "司法所"]})
    >>> event_counts(events, villages=villages, wide=True)
    period      2024-01-01  2024-02-01  2024-03-01
    village_id
    V1                   2           0           1
    V2                   0           0           0
    >>> long = event_counts(events, by="organizer", freq="QS")  # town-wide events count here
    >>> long.astype({"organizer": "str", "period": "str"}).values.tolist()
    [['司法所', '2024-01-01', 3], ['派出所', '2024-01-01', 1]]
    >>> aud = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-01"]),
    ...                     "audience": ["老年人、妇女", "留守老人"]})  # 留守老人 → 老年人
    >>> event_counts(aud, by="audience", freq="YS").astype({"audience": "str"})[
    ...     ["audience", "n_events"]].values.tolist()
    [['老年人', 2], ['妇女', 1]]
    """
    _check_frame(events, "events", ("date",))
    if freq not in FREQS:
        raise ValueError(
            f"`freq` should be one of {list(FREQS)} (month, quarter, year start), got {freq!r}"
            "（freq 应为 MS、QS 或 YS）"
        )
    if not isinstance(by, str):
        raise TypeError(f"`by` should be a column name (text), got {type(by).__name__} {by!r}")
    if by == "topic":
        if "topic" not in events.columns and event_topics is None:
            raise ValueError(
                "`by='topic'` needs a `topic` column in `events` or `event_topics`, got neither"
                "（按主题统计需要 topic 列或 event_topics 表）"
            )
        _check_event_topics(event_topics, events)
    else:
        _check_frame(events, "events", (by,))
    if villages is not None and by == "village_id":
        _check_frame(villages, "villages", ("village_id",))
    if categories is not None:
        categories = (
            _canonical_topics(categories, "categories")
            if by == "topic"
            else _check_labels(categories, "categories")
        )
        if len(set(categories)) != len(categories):
            raise ValueError(f"`categories` should not repeat values, got {categories!r}")

    days = _day_numbers(events["date"], "events['date']")
    start_day, end_day = _resolve_period(days, start, end)
    dated = (days >= start_day) & (days <= end_day)

    # group code per event (or per (event, topic) pair for topics)
    if by == "topic":
        pos, code, labels = _topic_pairs(events, dated, event_topics)
        universe = labels if categories is None else categories
        if categories is not None:
            code = pd.Index(categories).get_indexer(labels)[code]
    elif by == "audience":  # every group of a cell (老年人、妇女), as the reader joined them
        pos, code, universe = _audience_pairs(events["audience"], dated, categories)
    elif by == "village_id" and categories is None and villages is not None:
        register = _register_ids(villages)
        universe = register.tolist()
        pos = np.flatnonzero(dated)
        code = _village_codes(events["village_id"], register, "events")[pos]
    else:
        raw_codes, uniques = pd.factorize(events[by])
        seen = [str(u) for u in uniques]
        if categories is None:
            vocabulary = {"form": FORMS, "audience": AUDIENCES}.get(by)
            universe = _universe(seen, vocabulary)
        else:
            universe = categories
        lut = np.append(pd.Index(universe).get_indexer(seen), -1)  # factorize's -1 → -1
        pos = np.flatnonzero(dated)
        code = lut[raw_codes[pos]]
    counted = code >= 0
    pos, code = pos[counted], code[counted]

    step = FREQS[freq]
    first_period = _months(np.array([start_day]))[0] // step
    last_period = _months(np.array([end_day]))[0] // step
    n_periods = int(last_period - first_period + 1)
    # month of each day through a lookup table over the period (10× faster than
    # converting every date to datetime64[M])
    month_of_day = _months(np.arange(start_day, end_day + 1, dtype=np.int64)) // step
    period = month_of_day[days[pos] - start_day] - first_period
    n_groups = len(universe)
    counts = np.bincount(code * n_periods + period, minlength=n_groups * n_periods)
    counts = counts.astype(np.int64, copy=False).reshape(n_groups, n_periods)
    starts = (
        (np.arange(first_period, last_period + 1) * step)
        .astype("datetime64[M]")
        .astype("datetime64[us]")
    )
    groups = pd.Index(universe, dtype="str", name=by)
    if wide:
        return pd.DataFrame(
            counts, index=groups, columns=pd.DatetimeIndex(starts, name="period"), copy=False
        )
    return pd.DataFrame(
        {
            by: pd.Categorical.from_codes(
                np.repeat(np.arange(n_groups, dtype=np.int32), n_periods), categories=groups
            ),
            "period": np.tile(starts, n_groups),
            "n_events": counts.reshape(-1),
        },
        copy=False,  # fresh arrays: a copy of a 36M-row national grid costs seconds
    )


# --------------------------------------------------------------------------------------------
# Campaign calendar
# --------------------------------------------------------------------------------------------

#: 国家网络安全宣传周, national dates as announced (press releases, docs/domain.md):
#: 2020 郑州 9/14–20; 2021 西安 10/11–17; 2022 合肥 9/5–11; 2023 福州 9/11–17;
#: 2024 广州 9/9–15 (opening on 9/8); 2025 昆明 9/15–21.
CYBER_WEEKS: dict[int, tuple[str, str]] = {
    2020: ("2020-09-14", "2020-09-20"),
    2021: ("2021-10-11", "2021-10-17"),
    2022: ("2022-09-05", "2022-09-11"),
    2023: ("2023-09-11", "2023-09-17"),
    2024: ("2024-09-09", "2024-09-15"),
    2025: ("2025-09-15", "2025-09-21"),
}

_YEARS = (2000, 2099)


def autumn_equinox(year: int) -> _dt.date:
    """Date of 秋分 (autumn equinox, Beijing time), the day of 中国农民丰收节.

    Uses the 寿星 formula for the 21st century, ``[Y × 0.2422 + C] − [Y / 4]`` with ``Y`` the
    last two digits of the year and the tabulated ``C = 23.042`` for 秋分 (an empirical
    constant, not an ephemeris). It reproduces the equinox dates 2016–2028 (e.g. 2020-09-22,
    2021-09-23, 2024-09-22, 2025-09-23); the formula has no known exception for 秋分 in this
    century.

    Parameters
    ----------
    year : int
        2000–2099.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> [autumn_equinox(y).isoformat() for y in (2020, 2023, 2024)]
    ['2020-09-22', '2023-09-23', '2024-09-22']
    """
    _check_year(year)
    y = year % 100
    return _dt.date(year, 9, int(y * 0.2422 + 23.042) - y // 4)


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise TypeError(
            f"`years` should hold whole years such as 2024, got {year!r}（年份应为整数）"
        )
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise ValueError(
            f"`years` should be between {_YEARS[0]} and {_YEARS[1]}, got {year}"
            f"（年份应在 {_YEARS[0]}–{_YEARS[1]} 之间）"
        )
    return int(year)


def _school_safety_day(year: int) -> _dt.date:
    """Monday of the last week of March: the last Monday in March (e.g. 2025-03-31)."""
    last = _dt.date(year, 3, 31)
    return last - _dt.timedelta(days=last.weekday())


def _cyber_week(year: int) -> tuple[_dt.date, _dt.date]:
    """The announced week, else the second full Monday–Sunday week of September (approximate)."""
    if year in CYBER_WEEKS:
        a, b = CYBER_WEEKS[year]
        return _dt.date.fromisoformat(a), _dt.date.fromisoformat(b)
    sep1 = _dt.date(year, 9, 1)
    first_monday = sep1 + _dt.timedelta(days=(7 - sep1.weekday()) % 7)
    monday = first_monday + _dt.timedelta(days=7)
    return monday, monday + _dt.timedelta(days=6)


def _fixed(
    month: int, day: int, month_end: int | None = None, day_end: int | None = None
) -> Callable[[int], tuple[_dt.date, _dt.date]]:
    def dates(year: int) -> tuple[_dt.date, _dt.date]:
        first = _dt.date(year, month, day)
        last = first if month_end is None else _dt.date(year, month_end, day_end)
        return first, last

    return dates


def _single(rule: Callable[[int], _dt.date]) -> Callable[[int], tuple[_dt.date, _dt.date]]:
    def dates(year: int) -> tuple[_dt.date, _dt.date]:
        day = rule(year)
        return day, day

    return dates


#: (name_zh, name_en, topic, first year, dates(year) -> (start, end)).
_CAMPAIGNS = (
    ("妇女节", "International Women's Day", "妇女权益", 1949, _fixed(3, 8)),
    ("消费者权益日", "Consumer Rights Day", "消费者权益", 1987, _fixed(3, 15)),
    ("全国中小学生安全教育日", "School Safety Education Day", "未成年人保护", 1996,
     _single(_school_safety_day)),
    ("全民国家安全教育日", "National Security Education Day", "国家安全", 2016, _fixed(4, 15)),
    ("民法典宣传月", "Civil Code Month", "民法典", 2021, _fixed(5, 1, 5, 31)),
    ("儿童节", "Children's Day", "未成年人保护", 1949, _fixed(6, 1)),
    ("安全生产月", "Work Safety Month", "安全生产", 2002, _fixed(6, 1, 6, 30)),
    ("全国土地日", "National Land Day", "土地管理", 1991, _fixed(6, 25)),
    ("国际禁毒日", "International Day against Drug Abuse", "禁毒", 1987, _fixed(6, 26)),
    ("国家网络安全宣传周", "National Cybersecurity Awareness Week", "网络安全", 2014, _cyber_week),
    ("中国农民丰收节", "Chinese Farmers' Harvest Festival", "乡村振兴", 2018,
     _single(autumn_equinox)),
    ("消防日", "Fire Safety Day", "消防", 1992, _fixed(11, 9)),
    ("宪法宣传周", "Constitution Week", "宪法", 2018, _fixed(12, 1, 12, 7)),
    ("全国交通安全日", "National Road Safety Day", "道路交通", 2012, _fixed(12, 2)),
    ("国家宪法日", "National Constitution Day", "宪法", 2014, _fixed(12, 4)),
)


def campaign_calendar(years: int | Iterable[int]) -> pd.DataFrame:
    """National publicity days, weeks and months for the given years (docs/domain.md).

    Parameters
    ----------
    years : int or iterable of int
        Years 2000–2099.

    Returns
    -------
    pandas.DataFrame
        ``[name_zh, name_en, start, end, topic]``, one row per campaign per year, sorted by
        ``start``; single days have ``start == end``; ``topic`` is a canonical topic.

    Notes
    -----
    A campaign appears only from the year it began (国家宪法日 2014, 宪法宣传周 2018, 全民国家安全
    教育日 2016, 民法典宣传月 2021, 中国农民丰收节 2018, 国家网络安全宣传周 2014, 全国交通安全日
    2012 …). Assumptions, stated so that they can be checked:

    * 宪法宣传周: 12-01 to 12-07 every year, as in 2019 (the week around 12·4);
    * 全国中小学生安全教育日: Monday of the last week of March, i.e. the last Monday in March
      (2022-03-28, 2023-03-27, 2025-03-31 as observed);
    * 国家网络安全宣传周: the announced national dates for 2020–2025 (:data:`CYBER_WEEKS`);
      other years use the second full Monday–Sunday week of September, **an approximation**
      (it matches 2023 and 2024, not 2022 or 2025);
    * 中国农民丰收节: 秋分, from :func:`autumn_equinox`; its topic is set to 乡村振兴;
    * 民法典宣传月 and 安全生产月 are the whole of May and June.

    Examples
    --------
    >>> cal = campaign_calendar(2024)
    >>> some = cal[cal["name_zh"].isin(["国家宪法日", "中国农民丰收节", "国家网络安全宣传周"])]
    >>> some.astype({"start": "str", "end": "str"})[["name_zh", "start", "end"]]
                name_zh       start         end
    9   国家网络安全宣传周  2024-09-09  2024-09-15
    10     中国农民丰收节  2024-09-22  2024-09-22
    14       国家宪法日  2024-12-04  2024-12-04
    >>> len(campaign_calendar([2020, 2021]))  # 14 in 2020 (no 民法典宣传月 yet), 15 in 2021
    29
    """
    if isinstance(years, int | np.integer):
        years = [years]
    if isinstance(years, str) or not isinstance(years, Iterable):
        raise TypeError(
            f"`years` should be a year or a list of years, got {type(years).__name__} {years!r}"
        )
    year_list = sorted({_check_year(y) for y in years})
    rows = [
        (zh, en, *dates(year), topic)
        for year in year_list  # a handful of years × 15 campaigns
        for zh, en, topic, since, dates in _CAMPAIGNS
        if year >= since
    ]
    out = pd.DataFrame(rows, columns=["name_zh", "name_en", "start", "end", "topic"])
    for column in ("name_zh", "name_en", "topic"):
        out[column] = out[column].astype("str")
    for column in ("start", "end"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
    return out.sort_values(["start", "end"], kind="stable").reset_index(drop=True)


def _merge_intervals(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of closed integer intervals as sorted, disjoint ``(starts, ends)``."""
    if first.size == 0:
        return first, last
    order = np.argsort(first, kind="stable")
    first, last = first[order], last[order]
    reach = np.maximum.accumulate(last)
    new = np.r_[True, first[1:] > reach[:-1]]
    idx = np.flatnonzero(new)
    return first[idx], np.maximum.reduceat(last, idx)


def _inside(days: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each day falls in one of the sorted disjoint intervals."""
    if starts.size == 0:
        return np.zeros(days.shape, dtype=bool)
    i = np.searchsorted(starts, days, side="right") - 1
    return (i >= 0) & (days <= ends[np.maximum(i, 0)])


def campaign_share(
    events: pd.DataFrame,
    calendar: pd.DataFrame,
    *,
    window_days: int = 0,
    match_topic: bool = False,
    event_topics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share of events held inside campaign windows, by year.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events with ``date`` (and ``topic``/``event_id`` for ``match_topic``). All
        dated events count, town-wide ones included.
    calendar : pandas.DataFrame
        ``[start, end]`` windows (and ``topic`` for ``match_topic``), e.g.
        :func:`campaign_calendar` for the years of the events.
    window_days : int
        Widen every window by this many days on each side (events prepared a few days before
        or after a day still count). Default 0.
    match_topic : bool
        If True, an event counts only when one of its topics is the topic of a window it falls
        in (a 禁毒 event on 6·26, not a 宪法 event on 6·26).
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``, every topic of every event, for ``match_topic``.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (every year from the first to the last event), columns ``n_events``,
        ``n_in_campaign`` (int64) and ``share`` (NaN for a year without events).

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-12-04", "2024-12-06", "2024-06-26", "2024-08-01",
    ...                             "2025-06-27"]),
    ...     "topic": ["宪法", "宪法", "宪法", "禁毒", "禁毒"]})
    >>> cal = campaign_calendar([2024, 2025])
    >>> campaign_share(events, cal)
          n_events  n_in_campaign  share
    year
    2024         4              3   0.75
    2025         1              1   1.00
    >>> # with topics: 6·26 (禁毒, 安全生产月) does not match the 宪法 event that day; the 禁毒
    >>> # event of 2025-06-27 is one day after 6·26, inside only with window_days=1
    >>> campaign_share(events, cal, match_topic=True)["n_in_campaign"].tolist()
    [2, 0]
    >>> campaign_share(events, cal, window_days=1, match_topic=True)["n_in_campaign"].tolist()
    [2, 1]
    """
    _check_frame(events, "events", ("date",))
    _check_frame(calendar, "calendar", ("start", "end") + (("topic",) if match_topic else ()))
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer):
        raise TypeError(
            f"`window_days` should be a whole number of days, got {window_days!r}"
            "（window_days 应为整数天数）"
        )
    if window_days < 0:
        raise ValueError(f"`window_days` should be 0 or more, got {window_days}（不能为负数）")
    if match_topic:
        if "topic" not in events.columns and event_topics is None:
            raise ValueError(
                "`match_topic=True` needs a `topic` column in `events` or `event_topics`"
                "（按主题匹配需要 topic 列或 event_topics 表）"
            )
        _check_event_topics(event_topics, events)
    days = _day_numbers(events["date"], "events['date']")
    first = _day_numbers(calendar["start"], "calendar['start']")
    last = _day_numbers(calendar["end"], "calendar['end']")
    bad = (first == _NAT_DAY) | (last == _NAT_DAY) | (first > last)
    if bad.any():
        raise ValueError(
            f"`calendar` has {int(bad.sum())} row(s) with a missing date or start after end"
            "（活动日历中有日期缺失或开始晚于结束的行）"
        )
    dated = days != _NAT_DAY
    if not dated.any():
        return pd.DataFrame(
            {"n_events": [], "n_in_campaign": [], "share": []},
            index=pd.Index([], dtype=np.int64, name="year"),
        ).astype({"n_events": np.int64, "n_in_campaign": np.int64})
    year = np.full(len(events), -1, dtype=np.int64)
    lo, hi = int(days[dated].min()), int(days[dated].max())
    year_of_day = _years(np.arange(lo, hi + 1, dtype=np.int64))  # lookup table
    year[dated] = year_of_day[days[dated] - lo]
    cal_years = _years(first)
    event_years = np.flatnonzero(np.bincount(year[dated] - year_of_day[0])) + year_of_day[0]
    missing = np.setdiff1d(event_years, cal_years)
    if missing.size:
        raise ValueError(
            f"`calendar` has no campaign in year(s) {missing.tolist()} where events fall; build "
            f"it with campaign_calendar({missing.tolist()} + …) or filter the events"
            "（活动日历未覆盖这些年份）"
        )
    first, last = first - window_days, last + window_days

    inside = np.zeros(len(events), dtype=bool)
    if not match_topic:
        inside = dated & _inside(days, *_merge_intervals(first, last))
    else:
        pos, tcode, labels = _topic_pairs(events, dated, event_topics)
        raw, uniques = pd.factorize(calendar["topic"])
        cal_topic = np.array([canonical_topic(t) for t in uniques] + [None], dtype=object)[raw]
        for topic in set(cal_topic) & set(labels):  # a dozen campaign topics
            rows = cal_topic == topic
            hit = tcode == labels.index(topic)
            ok = _inside(days[pos[hit]], *_merge_intervals(first[rows], last[rows]))
            inside[pos[hit][ok]] = True

    y0 = int(year[dated].min())
    n_years = int(year[dated].max()) - y0 + 1
    n_events = np.bincount(year[dated] - y0, minlength=n_years)
    n_in = np.bincount(year[inside] - y0, minlength=n_years)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_events > 0, n_in / n_events, np.nan)
    return pd.DataFrame(
        {"n_events": n_events.astype(np.int64), "n_in_campaign": n_in.astype(np.int64),
         "share": share},
        index=pd.Index(np.arange(y0, y0 + n_years, dtype=np.int64), name="year"),
    )
